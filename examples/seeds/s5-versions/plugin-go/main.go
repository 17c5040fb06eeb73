// Seed 002 (scenario S5) on plugport, the plugin: it uses golang.org/x/text v0.14.0
// (cases, language, width) while the host uses v0.21.0, and it is built with
// `-gcflags=all=-N -l` (the flags the seed's IDE added to debug builds) while the host is
// built with `-trimpath -ldflags="-s -w"`. Go's `plugin` package refuses such a pair
// ("plugin was built with a different version of package ..."); through plugport they
// only share the C ABI of the WIT world, which is all that is checked.
//
// Built with go build -buildmode=c-shared -gcflags=all=-N\ -l into libseed002_go.so; the
// package seed002plugin is generated (scripts/build-examples.sh):
//
//	plugport gen examples/seeds/s5-versions/wit --out examples/seeds/s5-versions/plugin-go \
//	    --lang go-guest --plugin-name seed002-go --plugin-version 1.0.0
package main

import (
	"runtime/debug"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/width"

	"example.invalid/plugport/examples/seeds/s5-versions/plugin-go/seed002plugin"
)

type text struct{}

func (text) Title(s string) (string, error) { return cases.Title(language.Und).String(s), nil }

func (text) Width(s string) (uint32, error) {
	n := uint32(0)
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n, nil
}

func (text) BuildInfo() ([]string, error) { return buildInfo(), nil }

// buildInfo is this binary's Go version, module versions and build settings.
func buildInfo() []string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return []string{"go=unknown"}
	}
	out := []string{"go=" + bi.GoVersion}
	for _, d := range bi.Deps {
		out = append(out, "dep:"+d.Path+"="+d.Version)
	}
	for _, s := range bi.Settings {
		out = append(out, s.Key+"="+s.Value)
	}
	return out
}

func init() { seed002plugin.Export(seed002plugin.Exports{Text: text{}}) }

// main is required by -buildmode=c-shared and never runs.
func main() {}
