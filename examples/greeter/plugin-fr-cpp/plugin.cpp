// The French greeter, written in C++17 against the generated greeter.hpp (docs/cpp.md).
//
// What a C++ plugin author does:
//  - derive from the generated abstract class of each exported interface
//    (example::greeter::v1::greet::server) and implement its functions; arguments arrive
//    already validated (UTF-8, NULL pointers) by the generated slots;
//  - return results as pp::owned_string (built from any string: copied into memory the
//    host releases through the table's dealloc);
//  - call the host's logger import through the imports client given to MAKE;
//  - export with one macro. Exceptions become PP_ERR_PANIC with what().
#include <string>

#include "greeter.hpp"

namespace gv1 = example::greeter::v1;

namespace {

class french final : public gv1::greet::server {
  public:
    explicit french(gv1::logger::client log) : log_(log) {}

    pp::owned_string greet(std::string_view name) override {
        // A failing logger (or a host without one: PP_ERR_UNSUPPORTED) is not fatal.
        (void)log_.log(gv1::logger::level::info, "greeting in French");
        std::string out = "Bonjour, ";
        out += name;
        out += " !";
        return out;
    }

    pp::owned_string language() override { return "fr-FR"; }

  private:
    gv1::logger::client log_;
};

gv1::greeter_exports make(const gv1::greeter_imports_client &imports) {
    static french impl(imports.logger());
    gv1::greeter_exports e;
    e.greet = &impl;
    return e;
}

} // namespace

EXAMPLE_GREETER_V1_GREETER_CPP_EXPORT("greeter-fr", "1.0.0", make)
