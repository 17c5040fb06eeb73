// A greeter plugin in C++17 built by CMake (plugport_generate with LANG cpp): greet
// answers "Bonjour from CMake, <name>!". The generated slots validate the arguments;
// only the entry, descriptor and live-objects function are exported.
#include <string>

#include "greeter.hpp"

namespace gv1 = example::greeter::v1;

namespace {

class cmake_greet final : public gv1::greet::server {
  public:
    pp::owned_string greet(std::string_view name) override {
        return "Bonjour from CMake, " + std::string(name) + "!";
    }
    pp::owned_string language() override { return "fr"; }
};

gv1::greeter_exports make(const gv1::greeter_imports_client &) {
    static cmake_greet impl;
    gv1::greeter_exports e;
    e.greet = &impl;
    return e;
}

} // namespace

EXAMPLE_GREETER_V1_GREETER_CPP_EXPORT("greeter-cmake-cpp", "1.0.0", make)
