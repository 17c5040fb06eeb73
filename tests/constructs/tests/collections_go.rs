//! Maps and fixed-length lists in a Go plugin (issue 11, A.1 and A.2; `docs/go.md`):
//! `go/main.go` built with `go build -buildmode=c-shared` against the generated package,
//! loaded by the generated Rust host. Maps are Go maps and fixed lists Go arrays; edge
//! values round trip, counters in map values and fixed lists cross both ways, and a map
//! with a duplicate key sent to the Go plugin by a C host is refused with
//! `PP_ERR_INVALID_ARGUMENT` (a Go map cannot hold it). Needs `go`, `pkg-config` and a C
//! compiler (scripts/test.sh installs them); a missing tool fails the test.

use std::collections::BTreeMap;
use std::process::Command;

use plugport_constructs_tests::collections::exports::kv::{Pixel, Point};
use plugport_constructs_tests::collections::Collections;
use plugport_constructs_tests::gobuild::{build_go_plugin, run};
use plugport_constructs_tests::OUT_DIR;

/// A C host that loads the Go plugin, calls `counts` with a map whose key "k" appears
/// twice, and prints the status and message; then with distinct keys.
const DUP_HOST: &str = r#"
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include "collections.h"
typedef pp_status (*entry_fn)(uint32_t, const test_collections_v1_collections_imports *,
                              const test_collections_v1_collections_exports **, pp_string *);
static pp_string lit(const char *t) { pp_string s; s.ptr = t; s.len = strlen(t); return s; }
int main(int argc, char **argv) {
    void *h;
    entry_fn entry;
    test_collections_v1_collections_imports imports;
    const test_collections_v1_collections_exports *ex = NULL;
    pp_string err = {NULL, 0};
    test_collections_v1_map_string_u32_entry e[3];
    test_collections_v1_map_string_u32 m, ret;
    pp_status st;
    if (argc < 2 || (h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) == NULL) { puts("no plugin"); return 1; }
    *(void **)(&entry) = dlsym(h, "plugport_entry_test_collections_v1_collections");
    memset(&imports, 0, sizeof imports);
    imports.header.size = sizeof imports;
    if (entry == NULL || entry(1, &imports, &ex, &err) != PP_OK) { puts("no entry"); return 1; }
    e[0].key = lit("k"); e[0].value = 1;
    e[1].key = lit("other"); e[1].value = 2;
    e[2].key = lit("k"); e[2].value = 3;
    m.ptr = e; m.len = 3;
    memset(&ret, 0, sizeof ret);
    st = ex->kv->counts(m, &ret, &err);
    printf("status %d: %.*s\n", (int)st, (int)err.len, err.ptr != NULL ? err.ptr : "");
    if (err.len > 0) ex->kv->header.dealloc((void *)err.ptr, err.len, 1);
    err.ptr = NULL; err.len = 0;
    m.len = 2;
    st = ex->kv->counts(m, &ret, &err);
    printf("distinct %d %d\n", (int)st, (int)ret.len);
    test_collections_v1_map_string_u32_release(&ret, ex->kv->header.dealloc);
    return 0;
}
"#;

#[test]
fn a_go_plugin_round_trips_maps_and_fixed_lists_and_refuses_duplicate_keys() {
    let dir = tempfile::tempdir().unwrap();
    let lib = build_go_plugin(
        dir.path(),
        "tests/constructs/go/main.go",
        "go",
        "collectionsplugin",
        "libcollections_go.so",
    );

    let p = Collections::load(&lib).expect("the Go plugin loads");
    let kv = p.kv();
    assert!(kv.counts(&BTreeMap::new()).unwrap().is_empty());
    let m: BTreeMap<String, u32> = [("".into(), 0), ("é𝄞".into(), 41)].into_iter().collect();
    let want: BTreeMap<String, u32> = [("".into(), 1), ("é𝄞".into(), 42)].into_iter().collect();
    assert_eq!(kv.counts(&m).unwrap(), want);
    let places: BTreeMap<String, Pixel> = [(
        "far".to_string(),
        Pixel {
            at: Point {
                x: i32::MIN,
                y: i32::MAX,
            },
            rgba: [255, 0, 1, 128],
            names: ["ä".into(), String::new()],
        },
    )]
    .into_iter()
    .collect();
    assert_eq!(kv.places(&places).unwrap(), places);
    let ids: BTreeMap<u64, Option<String>> = [(u64::MAX, None), (0, Some(String::new()))]
        .into_iter()
        .collect();
    assert_eq!(kv.by_id(&ids).unwrap(), ids);
    let chars: BTreeMap<char, bool> = [('𝄞', true), ('a', false)].into_iter().collect();
    assert_eq!(kv.by_char(&chars).unwrap(), 1001);
    assert_eq!(kv.quad(&[9, 8, 7, 6]).unwrap(), [6, 7, 8, 9]);
    assert_eq!(
        kv.pair(&["x".into(), String::new()]).unwrap(),
        [String::new(), "x".to_string()]
    );
    assert_eq!(kv.floats(true).unwrap(), Ok([1.5, 0.0, 3.25]));
    assert_eq!(kv.floats(false).unwrap(), Err("no floats".to_string()));
    assert_eq!(
        kv.grid(&[[1, -2], [i16::MAX, 0], [3, 4]]).unwrap(),
        [[-1, 2], [-i16::MAX, 0], [-3, -4]]
    );

    // Counters: made by Go, sent back inside a map (consumed there), new ones returned.
    let live = || p.live_objects().expect("the Go plugin counts its objects");
    let [a, b] = kv.counters(BTreeMap::new()).unwrap();
    assert_eq!((a.value().unwrap(), b.value().unwrap()), (0, 0));
    let [n, sum] = kv
        .counters(
            [("a".to_string(), a), ("b".to_string(), b)]
                .into_iter()
                .collect(),
        )
        .unwrap();
    assert_eq!((n.value().unwrap(), sum.value().unwrap()), (2, 0));
    drop((n, sum));
    assert_eq!(live(), 0, "every counter ended once");
    drop(p);

    // A duplicate key from C: refused before the implementation runs.
    let src = dir.path().join("dup_host.c");
    std::fs::write(&src, DUP_HOST).unwrap();
    let exe = dir.path().join("dup_host");
    let out = run(Command::new("cc")
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-I",
            OUT_DIR,
        ])
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .arg("-ldl"));
    assert!(
        out.status.success(),
        "cc:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(Command::new(&exe).arg(&lib));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("status 2: [2]: duplicate key \"k\" in a map"),
        "{stdout}"
    );
    assert!(stdout.contains("distinct 0 2"), "{stdout}");
}
