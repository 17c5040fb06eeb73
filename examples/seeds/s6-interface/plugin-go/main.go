// Seed 003 (scenario S6) on plugport: the blog author's Go c-shared library, whose
// `Test` interface could not cross the C boundary as a raw pointer to a Go interface.
// Here the same types and the same values are a plugport plugin: `ReturnInterface`
// returns the `Test` object as a resource handle, and `TestStruct.C`, the author's
// `func() string`, is a `callback` resource inside the returned record. No Go pointer
// ever crosses: the handles' self pointers are C cells holding cgo.Handles.
//
// Built with go build -buildmode=c-shared into libseed003_go.so; the package
// seed003plugin is generated (scripts/build-examples.sh):
//
//	plugport gen examples/seeds/s6-interface/wit --out examples/seeds/s6-interface/plugin-go \
//	    --lang go-guest --plugin-name seed003-go --plugin-version 1.0.0
package main

import (
	"example.invalid/plugport/examples/seeds/s6-interface/plugin-go/seed003plugin"
)

// callback is the seed's `C func() string` as an object with one method.
type callback struct{ f func() string }

func (c callback) Call() (string, error) { return c.f(), nil }

// testImpl is the seed's TestImpl, with its values unchanged.
type testImpl struct{}

func (testImpl) TestReturnString() (string, error) { return "ReturnInterface", nil }
func (testImpl) TestReturnInt() (int64, error)     { return 9876543210, nil }
func (testImpl) TestReturnFloat64() (float64, error) {
	return 123.456789, nil
}

// TestReturnStruct is the seed's *NewTestStruct().
func (testImpl) TestReturnStruct() (seed003plugin.TestStruct, error) {
	return seed003plugin.TestStruct{
		A: 1234567890,
		B: "哟哟,切克闹,煎饼果子来一套。",
		C: callback{f: func() string { return "我是一个粉刷匠,粉刷本领强" }},
	}, nil
}

type tester struct{}

// ReturnInterface is the seed's `//export ReturnInterface`, returning the object itself.
func (tester) ReturnInterface() (seed003plugin.Test, error) { return testImpl{}, nil }

func init() { seed003plugin.Export(seed003plugin.Exports{Tester: tester{}}) }

// main is required by -buildmode=c-shared and never runs.
func main() {}
