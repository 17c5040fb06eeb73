// Seed 000 (scenario S1) on plugport, the plugin: the seed's
//
//	func Main(args ...interface{}) { fmt.Println("[plugin] NumGoroutine:", runtime.NumGoroutine(), args) }
//
// as a plugport plugin. The variadic `...interface{}` is a WIT `list<arg>`, `arg` a variant
// of the dynamic types; Main turns each argument back into the Go value the caller meant
// and answers `fmt.Sprint(args)` (what the seed printed after its prefix), so the caller
// can check every answer against the arguments it sent. It may be called from any number
// of threads at once: it holds no state.
//
// Built with go build -buildmode=c-shared into libseed000_go.so; the package
// seed000plugin is generated (scripts/build-examples.sh):
//
//	plugport gen examples/seeds/s1-variadic/wit --out examples/seeds/s1-variadic/plugin-go \
//	    --lang go-guest --plugin-name seed000-go --plugin-version 1.0.0
package main

import (
	"fmt"

	"example.invalid/plugport/examples/seeds/s1-variadic/plugin-go/seed000plugin"
)

// value is the Go value an argument stands for.
func value(a seed000plugin.Arg) (any, error) {
	switch a.Tag {
	case seed000plugin.ArgNothing:
		return nil, nil
	case seed000plugin.ArgStr:
		return a.Str, nil
	case seed000plugin.ArgInt:
		return a.Int, nil
	case seed000plugin.ArgUint:
		return a.Uint, nil
	case seed000plugin.ArgFloat:
		return a.Float, nil
	case seed000plugin.ArgBoolean:
		return a.Boolean, nil
	case seed000plugin.ArgBytes:
		return a.Bytes, nil
	}
	return nil, fmt.Errorf("arg: unknown case %d", a.Tag)
}

type plug struct{}

// Main is the seed's Main: it answers fmt.Sprint of its arguments as Go values.
func (plug) Main(args []seed000plugin.Arg) (string, error) {
	vals := make([]any, len(args))
	for i, a := range args {
		v, err := value(a)
		if err != nil {
			return "", err
		}
		vals[i] = v
	}
	return fmt.Sprint(vals), nil
}

func init() { seed000plugin.Export(seed000plugin.Exports{Plug: plug{}}) }

// main is required by -buildmode=c-shared and never runs.
func main() {}
