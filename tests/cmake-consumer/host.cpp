// A greeter host in C++17 built by CMake (find_package(plugport) + plugport_generate with
// LANG cpp): loads the plugin named on the command line through libplugport
// (plugport::runtime) with the generated example::greeter::v1::greeter::load, implements
// the logger import by deriving from the generated logger::server, greets the name and
// prints "c++ host: <answer>".
//
//   greeter-host-cpp <plugin.so> <name>
#include <cstdio>
#include <string>

#include "plugport.h"
#include "greeter.hpp"

namespace gv1 = example::greeter::v1;

namespace {

class quiet_logger final : public gv1::logger::server {
  public:
    void log(gv1::logger::level, std::string_view) override {}
};

} // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s <plugin.so> <name>\n", argv[0]);
        return 2;
    }
    static quiet_logger logger;
    gv1::greeter_imports imports;
    imports.logger = &logger;
    auto plugin = gv1::greeter::load(argv[1], imports);
    if (!plugin) {
        std::fprintf(stderr, "plugport_open failed (%d): %s\n", static_cast<int>(plugin.error().code),
                     plugin.error().message.c_str());
        return 1;
    }
    auto answer = plugin->greet().greet(argv[2]);
    if (!answer) {
        std::fprintf(stderr, "greet failed: %s\n", answer.error().to_string().c_str());
        return 1;
    }
    std::printf("c++ host: %s\n", answer->str().c_str());
    return 0;
}
