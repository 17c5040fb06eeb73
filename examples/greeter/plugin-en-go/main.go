// The English greeter, written in Go and built with go build -buildmode=c-shared into a
// plugport plugin (libgreeter_en_go.so) that C, Rust and other hosts load like any
// other plugin. It implements the generated interface greeterplugin.Greet, registers it
// in init, and logs through the host's `logger` import.
//
// The package greeterplugin is generated: plugport gen examples/greeter/wit --lang
// go-guest --plugin-name greeter-en-go --plugin-version 1.0.0 --out
// examples/greeter/plugin-en-go (scripts/build-examples.sh does it).
package main

import (
	"errors"
	"unicode/utf8"

	"example.invalid/plugport/examples/greeter/plugin-en-go/greeterplugin"
)

type english struct{}

func (english) Greet(name string) (string, error) {
	if !utf8.ValidString(name) { // the trampoline checked it already; defence in depth
		return "", errors.New("name: invalid UTF-8")
	}
	// A failing logger is not fatal for a greeting.
	_ = greeterplugin.Host.Logger().Log(greeterplugin.LevelInfo, "greeting in English (Go)")
	return "Hello, " + name + "!", nil
}

// Language says "Go" in a BCP 47 private-use subtag, so the demo shows who answered.
func (english) Language() (string, error) { return "en-x-go", nil }

func init() {
	greeterplugin.Export(greeterplugin.Exports{Greet: english{}})
}

// main is required by -buildmode=c-shared and never runs.
func main() {}
