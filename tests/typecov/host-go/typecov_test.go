package hostgo

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	plugport "example.invalid/plugport/go"

	"example.invalid/plugport/tests/typecov/host-go/typecov"
)

// pluginPaths are the typecov plugins of every language, as built by
// scripts/build-examples.sh into $PLUGPORT_EXAMPLES/typecov. The C, Rust and C++ ones
// load into this process; the Go one cannot (a second Go runtime), so the loader runs it
// in a child process by itself (docs/go.md), behind the same generated API.
// PLUGPORT_TYPECOV_URLS (a comma-separated list of grpc:// or grpcs:// URLs) replaces the
// files with remote plugins (TestEverythingAgainOverGrpcs, docs/remote.md).
func pluginPaths() ([]string, error) {
	if urls := os.Getenv("PLUGPORT_TYPECOV_URLS"); urls != "" {
		return strings.Split(urls, ","), nil
	}
	dir := os.Getenv("PLUGPORT_EXAMPLES")
	if dir == "" {
		dir = "../../../target/examples"
	}
	var out []string
	for _, f := range []string{"libtypecov_c.so", "libtypecov_rust.so", "libtypecov_cpp.so", "libtypecov_go.so"} {
		p := filepath.Join(dir, "typecov", f)
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%s missing: run scripts/build-examples.sh %s first (%v)", p, dir, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func plugins(t *testing.T) []string {
	t.Helper()
	paths, err := pluginPaths()
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func loadB(path string) (*typecov.World, error) { return typecov.Load(path, typecov.Imports{}) }

// wantIsolated tells where the loader must have put the plugin at path: in a child
// process for the Go plugin (chosen by the loader) and for every plugin when
// PLUGPORT_ISOLATION=process (TestEverythingAgainIsolated), else in this process. A
// remote plugin (a URL) is never isolated here: it runs on its server.
func wantIsolated(path string) bool {
	if strings.Contains(path, "://") {
		return false
	}
	return os.Getenv("PLUGPORT_ISOLATION") == "process" || filepath.Base(path) == "libtypecov_go.so"
}

func load(t *testing.T, path string) *typecov.World {
	t.Helper()
	w, err := typecov.Load(path, typecov.Imports{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	t.Cleanup(w.Close)
	if got, want := w.Plugin().Isolated(), wantIsolated(path); got != want {
		t.Fatalf("%s: isolated = %v, want %v", path, got, want)
	}
	if pid, ok := w.Plugin().ChildPid(); ok != w.Plugin().Isolated() || (ok && pid <= 0) {
		t.Fatalf("%s: child pid %d (%v) of a plugin isolated=%v", path, pid, ok, w.Plugin().Isolated())
	}
	return w
}

// same fails the test when the echo of want is not want.
func same[T any](t *testing.T, what string, want T, got T, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("%s: sent %#v, got back %#v", what, want, got)
	}
}

func ptr[T any](v T) *T { return &v }

func TestEveryTypeRoundTrips(t *testing.T) {
	for _, path := range plugins(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			e := load(t, path).Echo()
			for _, v := range []bool{false, true} {
				got, err := e.EchoBool(v)
				same(t, "bool", v, got, err)
			}
			for _, v := range []int8{math.MinInt8, -1, 0, math.MaxInt8} {
				got, err := e.EchoS8(v)
				same(t, "s8", v, got, err)
			}
			for _, v := range []int16{math.MinInt16, 0, math.MaxInt16} {
				got, err := e.EchoS16(v)
				same(t, "s16", v, got, err)
			}
			for _, v := range []int32{math.MinInt32, 0, math.MaxInt32} {
				got, err := e.EchoS32(v)
				same(t, "s32", v, got, err)
			}
			for _, v := range []int64{math.MinInt64, -1, math.MaxInt64} {
				got, err := e.EchoS64(v)
				same(t, "s64", v, got, err)
			}
			for _, v := range []uint8{0, 0x80, math.MaxUint8} {
				got, err := e.EchoU8(v)
				same(t, "u8", v, got, err)
			}
			for _, v := range []uint16{0, math.MaxUint16} {
				got, err := e.EchoU16(v)
				same(t, "u16", v, got, err)
			}
			for _, v := range []uint32{0, math.MaxUint32} {
				got, err := e.EchoU32(v)
				same(t, "u32", v, got, err)
			}
			for _, v := range []uint64{0, 1 << 63, math.MaxUint64} {
				got, err := e.EchoU64(v)
				same(t, "u64", v, got, err)
			}
			for _, v := range []float32{0, -1.5, math.MaxFloat32, float32(math.Inf(-1))} {
				got, err := e.EchoF32(v)
				same(t, "f32", v, got, err)
			}
			if got, err := e.EchoF64(math.NaN()); err != nil || !math.IsNaN(got) {
				t.Errorf("f64 NaN: %v %v", got, err)
			}
			for _, v := range []float64{math.SmallestNonzeroFloat64, -math.MaxFloat64} {
				got, err := e.EchoF64(v)
				same(t, "f64", v, got, err)
			}
			for _, v := range []rune{0, 'a', 0xD7FF, 0xE000, '世', 0x10FFFF} {
				got, err := e.EchoChar(v)
				same(t, "char", v, got, err)
			}
			for _, v := range []string{"", "a", "世界 🌍", strings.Repeat("x", 1<<20)} {
				got, err := e.EchoString(v)
				same(t, "string", v, got, err)
			}
			for _, v := range [][]byte{nil, {0}, {0, 1, 2, 255}} {
				got, err := e.EchoBytes(v)
				same(t, "bytes", v, got, err)
			}
			for _, v := range [][]string{nil, {""}, {"a", "", "世界"}} {
				got, err := e.EchoStrings(v)
				same(t, "strings", v, got, err)
			}
			for _, v := range []*string{nil, ptr(""), ptr("some")} {
				got, err := e.EchoOption(v)
				same(t, "option", v, got, err)
			}
			for _, v := range []plugport.Result[uint32, string]{
				plugport.Ok[uint32, string](7), plugport.Fail[uint32]("bad"), plugport.Fail[uint32](""),
			} {
				got, err := e.EchoResult(v)
				same(t, "result", v, got, err)
			}
			for _, v := range []plugport.Result[plugport.Unit, typecov.Failure]{
				plugport.Ok[plugport.Unit, typecov.Failure](plugport.Unit{}),
				plugport.Fail[plugport.Unit](typecov.Failure{Tag: typecov.FailureCode, Code: 404}),
				plugport.Fail[plugport.Unit](typecov.Failure{Tag: typecov.FailureMessage, Message: "no"}),
			} {
				got, err := e.EchoResultUnit(v)
				same(t, "result<_, failure>", v, got, err)
			}
			tup := typecov.Tuple3U8StringF64{F0: 255, F1: "tuple", F2: -0.25}
			gotTup, err := e.EchoTuple(tup)
			same(t, "tuple", tup, gotTup, err)
			pt := typecov.Point{X: math.MinInt32, Y: math.MaxInt32}
			gotPt, err := e.EchoPoint(pt)
			same(t, "point", pt, gotPt, err)
			people := []typecov.Person{
				{Name: "Ada", Age: 36, Tags: []string{"math", ""}, Home: &typecov.Point{X: 1, Y: -2}},
				{Name: "", Age: 0},
			}
			for _, p := range people {
				got, err := e.EchoPerson(p)
				same(t, "person", p, got, err)
			}
			for _, c := range []typecov.Color{typecov.ColorRed, typecov.ColorGreen, typecov.ColorBlue} {
				got, err := e.EchoColor(c)
				same(t, "color", c, got, err)
			}
			for _, p := range []typecov.Perms{0, typecov.PermsRead | typecov.PermsExec, typecov.PermsRead | typecov.PermsWrite | typecov.PermsExec} {
				got, err := e.EchoPerms(p)
				same(t, "perms", p, got, err)
			}
			for _, w := range []typecov.Wide{0, typecov.WideF0 | typecov.WideF31, math.MaxUint32} {
				got, err := e.EchoWide(w)
				same(t, "wide", w, got, err)
			}
			for _, s := range []typecov.Shape{
				{Tag: typecov.ShapeCircle, Circle: 2.5},
				{Tag: typecov.ShapeRect, Rect: typecov.Point{X: 3, Y: 4}},
				{Tag: typecov.ShapeEmpty},
				{Tag: typecov.ShapeNamed, Named: "blob"},
			} {
				got, err := e.EchoShape(s)
				same(t, "shape", s, got, err)
			}
			pts := typecov.PointList{{X: 1, Y: 2}, {X: -3, Y: 4}}
			gotPts, err := e.EchoPoints(pts)
			same(t, "points", pts, gotPts, err)
			for _, n := range []*plugport.Result[[]typecov.Person, typecov.Shape]{
				nil,
				ptr(plugport.Ok[[]typecov.Person, typecov.Shape](people)),
				ptr(plugport.Fail[[]typecov.Person](typecov.Shape{Tag: typecov.ShapeNamed, Named: "n"})),
			} {
				got, err := e.EchoNested(n)
				same(t, "nested", n, got, err)
			}
			// Every typecov plugin's sink accepts b == "<a>:<c, comma-separated>" and
			// otherwise fails with PP_ERR_PANIC naming what it received.
			if err := e.Sink(1, "1:1,18446744073709551615", []uint64{1, math.MaxUint64}); err != nil {
				t.Errorf("sink: %v", err)
			}
			err = e.Sink(1, "sink", []uint64{1, math.MaxUint64})
			if want := `sink received a=1 b="sink" c=[1,18446744073709551615]`; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("sink(1, \"sink\", [1, max]): got %v, want an error with %q", err, want)
			}
		})
	}
}

// Maps and fixed-length lists (issue 11, A.1 and A.2): a Go map (empty too) and Go arrays
// round trip through every plugin; the results are lifted through plugport.LiftResult.
func TestMapsAndFixedLengthListsRoundTrip(t *testing.T) {
	for _, path := range plugins(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			e := load(t, path).Echo()
			for _, v := range []map[string]typecov.Point{
				{},
				{"": {X: math.MinInt32, Y: math.MaxInt32}, "ünï": {X: -1, Y: 1}, "b": {}},
			} {
				got, err := e.EchoMap(v)
				same(t, "map<string, point>", v, got, err)
			}
			for _, v := range [][4]uint8{{}, {1, 2, 3, 255}} {
				got, err := e.EchoQuad(v)
				same(t, "list<u8, 4>", v, got, err)
			}
			for _, v := range [][2]string{{"", ""}, {"first", "zwei ✓"}} {
				got, err := e.EchoPair(v)
				same(t, "list<string, 2>", v, got, err)
			}
			for _, v := range []plugport.Result[typecov.Framed, string]{
				plugport.Ok[typecov.Framed, string](typecov.Framed{Id: math.MaxUint32, Rgba: [4]uint8{255, 0, 128, 1}}),
				plugport.Fail[typecov.Framed]("no frame ☹"),
			} {
				got, err := e.EchoFramed(v)
				same(t, "result<framed, string>", v, got, err)
			}
		})
	}
}

func TestPanicsBecomeErrorsAndThePluginGoesOn(t *testing.T) {
	for _, path := range plugins(t) {
		w := load(t, path)
		_, err := w.Echo().Boom("kaboom 💥")
		var ce *plugport.CallError
		if !errors.Is(err, plugport.ErrPanic) || !errors.As(err, &ce) || ce.Func != "echo.boom" {
			t.Fatalf("%s: boom: %v", path, err)
		}
		if !strings.Contains(ce.Message, "kaboom 💥") {
			t.Fatalf("%s: boom message %q", path, ce.Message)
		}
		if got, err := w.Echo().EchoU8(9); err != nil || got != 9 {
			t.Fatalf("%s: after boom: %v %v", path, got, err)
		}
		version, err := w.Version()
		want := w.Plugin().Name() + " " + w.Plugin().Version()
		if err != nil || version != want || !w.HasVersion() {
			t.Fatalf("%s: version %q %v, want %q", path, version, err, want)
		}
	}
}

func TestCounterResource(t *testing.T) {
	for _, path := range plugins(t) {
		s := load(t, path).Store()
		live := func(want uint32, when string) {
			t.Helper()
			if n, err := s.Live(); err != nil || n != want {
				t.Fatalf("%s: live %d (%v) %s, want %d", path, n, err, when, want)
			}
		}
		live(0, "before any counter")
		a, err := s.NewCounter(40)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := a.Add(2); err != nil || v != 42 {
			t.Fatalf("add: %d %v", v, err)
		}
		z, err := s.CounterZero()
		if err != nil {
			t.Fatal(err)
		}
		live(2, "after new and zero")
		if v, err := s.Peek(a); err != nil || v != 42 {
			t.Fatalf("peek (borrow): %d %v", v, err)
		}
		if v, err := s.Consume(a); err != nil || v != 42 {
			t.Fatalf("consume (own): %d %v", v, err)
		}
		live(1, "after consume")
		if _, err := a.Get(); !errors.Is(err, plugport.ErrClosed) {
			t.Fatalf("a moved into consume still answers: %v", err)
		}
		a.Close() // no-op: it was moved
		// Many goroutines on one counter.
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := 0; j < 100; j++ {
					if _, err := z.Add(1); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if v, err := z.Get(); err != nil || v != 800 {
			t.Fatalf("after 8 x 100 concurrent adds: %d %v", v, err)
		}
		if !z.HasAdd() || !z.HasGet() {
			t.Fatal("methods missing")
		}
		z.Close()
		z.Close()
		live(0, "after every counter is closed")
		if z.HasGet() {
			t.Fatal("a closed counter has methods")
		}
	}
}

// Arguments a Go caller can get wrong: Go strings need not be UTF-8, and enums, flags
// and variant tags are plain integers. The plugin's validating trampolines (or, for an
// isolated plugin, the proxy's encoder) refuse each with ErrInvalidArgument, and the
// plugin answers afterwards.
func TestInvalidArgumentsAreRefused(t *testing.T) {
	for _, path := range plugins(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			w := load(t, path)
			e := w.Echo()
			refused := func(what string, err error) {
				t.Helper()
				var ce *plugport.CallError
				if !errors.Is(err, plugport.ErrInvalidArgument) || !errors.As(err, &ce) || ce.Message == "" {
					t.Errorf("%s: got %v, want ErrInvalidArgument with a message", what, err)
				}
			}
			_, err := e.EchoString("\xc3\x28")
			refused("echo_string(invalid UTF-8)", err)
			_, err = e.EchoChar(0xD800)
			refused("echo_char(0xD800)", err)
			_, err = e.EchoChar(0x110000)
			refused("echo_char(0x110000)", err)
			_, err = e.EchoColor(typecov.Color(7))
			refused("echo_color(7)", err)
			_, err = e.EchoPerms(typecov.Perms(0x10))
			refused("echo_perms(0x10)", err)
			_, err = e.EchoShape(typecov.Shape{Tag: typecov.ShapeTag(9)})
			refused("echo_shape(tag 9)", err)
			_, err = e.EchoPerson(typecov.Person{Name: "\xff"})
			refused("echo_person(name not UTF-8)", err)
			_, err = e.EchoStrings([]string{"ok", "\xed\xa0\x80"})
			refused("echo_strings([ok, surrogate])", err)
			if got, err := e.EchoString("still here"); err != nil || got != "still here" {
				t.Fatalf("after the refusals: %q %v", got, err)
			}
			if n, err := w.Store().Live(); err != nil || n != 0 {
				t.Fatalf("live after the refusals: %d %v", n, err)
			}
		})
	}
}

// 8 goroutines call one plugin at once (scenario S1), each with its own counter, a
// string and a number echo, and a counter made and consumed every round; every answer is
// checked. Run under go test -race (scripts/test.sh).
func TestEightGoroutinesAtOnce(t *testing.T) {
	for _, path := range plugins(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			w := load(t, path)
			e, s := w.Echo(), w.Store()
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					own, err := s.NewCounter(int64(g) * 1000)
					if err != nil {
						errs <- err
						return
					}
					defer own.Close()
					for i := 0; i < 200; i++ {
						text := fmt.Sprintf("goroutine %d round %d ✓", g, i)
						if got, err := e.EchoString(text); err != nil || got != text {
							errs <- fmt.Errorf("echo_string(%q) = %q, %v", text, got, err)
							return
						}
						want := uint64(g)*1_000_000 + uint64(i)
						if got, err := e.EchoU64(want); err != nil || got != want {
							errs <- fmt.Errorf("echo_u64(%d) = %d, %v", want, got, err)
							return
						}
						if got, err := own.Add(1); err != nil || got != int64(g)*1000+int64(i)+1 {
							errs <- fmt.Errorf("add(1) = %d, %v", got, err)
							return
						}
						c, err := s.NewCounter(int64(i))
						if err != nil {
							errs <- err
							return
						}
						if got, err := s.Consume(c); err != nil || got != int64(i) {
							errs <- fmt.Errorf("consume = %d, %v", got, err)
							return
						}
					}
				}(g)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if n, err := s.Live(); err != nil || n != 0 {
				t.Fatalf("live after the goroutines: %d %v", n, err)
			}
		})
	}
}

// TestEverythingAgainIsolated runs this package's tests again in a child test process
// with PLUGPORT_ISOLATION=process: every plugin, whatever its language, then runs in a
// plugport-runner child process behind the same generated API (docs/isolation.md), and
// every check above must pass unchanged (load checks that each plugin is isolated).
func TestEverythingAgainIsolated(t *testing.T) {
	if os.Getenv("PLUGPORT_ISOLATION") != "" {
		t.Skip("already the isolated run")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	cmd := exec.Command(os.Args[0], "-test.count=1", "-test.v",
		"-test.run", "^(TestEveryTypeRoundTrips|TestPanicsBecomeErrorsAndThePluginGoesOn|TestCounterResource|TestInvalidArgumentsAreRefused|TestEightGoroutinesAtOnce|TestAScalarCallAllocatesNothing)$")
	cmd.Env = append(os.Environ(), "PLUGPORT_ISOLATION=process")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the isolated run failed (%v):\n%s", err, out)
	}
	text := string(out)
	for _, name := range []string{"TestEveryTypeRoundTrips/libtypecov_c.so", "TestEightGoroutinesAtOnce/libtypecov_cpp.so",
		"TestInvalidArgumentsAreRefused/libtypecov_rust.so", "TestCounterResource"} {
		if !strings.Contains(text, "--- PASS: "+name) {
			t.Fatalf("the isolated run did not pass %s:\n%s", name, text)
		}
	}
}
