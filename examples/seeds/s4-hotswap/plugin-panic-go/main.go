// The seed's panicking greeter (seed 004: `func (g greeting) Greet() { panic("I'm gone.") }`),
// a greeter plugin whose greet panics. The generated trampolines recover the panic into
// PP_ERR_PANIC with the panic value as the message (docs/abi.md rule 4), so every host
// gets a call error and goes on; the seed's host needed a recover around each call.
//
// Built with go build -buildmode=c-shared into libgreeter_panic_go.so; the package
// greeterplugin is generated: plugport gen examples/greeter/wit --lang go-guest
// --plugin-name greeter-panic-go --plugin-version 1.0.0 --out
// examples/seeds/s4-hotswap/plugin-panic-go (scripts/build-examples.sh does it).
package main

import "example.invalid/plugport/examples/seeds/s4-hotswap/plugin-panic-go/greeterplugin"

type gone struct{}

func (gone) Greet(string) (string, error) { panic("I'm gone.") }

func (gone) Language() (string, error) { return "und-x-panic", nil }

func init() { greeterplugin.Export(greeterplugin.Exports{Greet: gone{}}) }

// main is required by -buildmode=c-shared and never runs.
func main() {}
