// The Chinese greeter in Go (libgreeter_zh_go.so), the second plugin of seed 004's
// hot-swap greeter: hosts swap between it and the English one at run time (--watch).
// Built with go build -buildmode=c-shared; loaded by C, Rust and other hosts.
//
// The package greeterplugin is generated: plugport gen examples/greeter/wit --lang
// go-guest --plugin-name greeter-zh-go --plugin-version 1.0.0 --out
// examples/greeter/plugin-zh-go (scripts/build-examples.sh does it).
package main

import "example.invalid/plugport/examples/greeter/plugin-zh-go/greeterplugin"

type chinese struct{}

func (chinese) Greet(name string) (string, error) {
	_ = greeterplugin.Host.Logger().Log(greeterplugin.LevelInfo, "greeting in Chinese (Go)")
	return "你好，" + name + "！", nil
}

// Language says "Go" in a BCP 47 private-use subtag, so the demo shows who answered.
func (chinese) Language() (string, error) { return "zh-CN-x-go", nil }

func init() {
	greeterplugin.Export(greeterplugin.Exports{Greet: chinese{}})
}

// main is required by -buildmode=c-shared and never runs.
func main() {}
