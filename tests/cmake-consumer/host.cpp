// A greeter host in C++17 built by CMake (find_package(plugport) + plugport_generate):
// loads the plugin named on the command line through libplugport (plugport::runtime),
// greets the name and prints "c++ host: <answer>". It uses the generated C header from
// C++ (plugport has no C++ bindings yet), with RAII for the plugin and the owned result.
//
//   greeter-host-cpp <plugin.so> <name>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "greeter.h"
#include "plugport.h"

namespace {

void host_dealloc(void *ptr, size_t, size_t) { std::free(ptr); }

pp_status host_log(example_greeter_v1_logger_level level, pp_string message, pp_string *) {
    if (level > EXAMPLE_GREETER_V1_LOGGER_LEVEL_ERROR || (message.len > 0 && message.ptr == nullptr)) {
        return PP_ERR_INVALID_ARGUMENT;
    }
    return PP_OK;
}

const example_greeter_v1_logger_table LOGGER = {
    {sizeof(example_greeter_v1_logger_table), 0x00010000u, host_dealloc},
    host_log,
};

const example_greeter_v1_greeter_imports IMPORTS = {
    {sizeof(example_greeter_v1_greeter_imports), 0x00010000u, host_dealloc},
    &LOGGER,
};

const uint8_t WORLD[] = {EXAMPLE_GREETER_V1_GREETER_WORLD_JSON_BYTES};

struct Close {
    void operator()(plugport_plugin *p) const { plugport_close(p); }
};

}  // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s <plugin.so> <name>\n", argv[0]);
        return 2;
    }
    plugport_plugin *raw = nullptr;
    int32_t rc = plugport_open(argv[1], WORLD, EXAMPLE_GREETER_V1_GREETER_WORLD_JSON_LEN, &IMPORTS, &raw);
    if (rc != PLUGPORT_OK) {
        std::fprintf(stderr, "plugport_open failed (%d): %s\n", static_cast<int>(rc), plugport_last_error());
        return 1;
    }
    std::unique_ptr<plugport_plugin, Close> plugin(raw);
    auto exports = static_cast<const example_greeter_v1_greeter_exports *>(plugport_exports(plugin.get()));
    std::string_view who(argv[2]);
    pp_string name{who.data(), who.size()}, answer{nullptr, 0}, err{nullptr, 0};
    pp_status st = exports->greet->greet(name, &answer, &err);
    pp_dealloc_fn dealloc = exports->greet->header.dealloc;
    if (st != PP_OK) {
        std::fprintf(stderr, "greet failed (%d): %.*s\n", static_cast<int>(st), static_cast<int>(err.len), err.ptr);
        pp_string_release(&err, dealloc);
        return 1;
    }
    std::string text(answer.ptr, answer.len);
    pp_string_release(&answer, dealloc);
    std::printf("c++ host: %s\n", text.c_str());
    return 0;
}
