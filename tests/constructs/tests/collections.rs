//! Maps and fixed-length lists (issue 11, A.1 and A.2; `docs/abi.md` §3, "Maps" and
//! "Fixed-length lists") between a real C plugin (`c/collections.c`) and the generated Rust
//! host, across `dlopen` and, in the isolated mode, through `plugport-runner` and the wire
//! codec: edge values round trip (empty maps, string keys with record values, `list<u8, 4>`,
//! `list<string, 2>`, a fixed list inside a record and inside a result, nested fixed lists,
//! handles inside map values and fixed lists), and a map with a duplicate key sent by C is
//! refused as an invalid result, never silently collapsed.

use std::collections::BTreeMap;

use plugport::isolation::{Mode, Options};
use plugport::rt::CallError;
use plugport_constructs_tests::collections::exports::kv::{Pixel, Point};
use plugport_constructs_tests::collections::Collections;
use plugport_constructs_tests::COLLECTIONS_C;

fn load(mode: Mode) -> Collections {
    let p = Collections::load_with_options(
        COLLECTIONS_C,
        Options {
            mode,
            ..Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{mode:?}: the C plugin loads: {e}"));
    let isolated = p.plugin().expect("a loaded plugin").isolated().is_some();
    assert_eq!(isolated, mode == Mode::Process, "{mode:?}");
    p
}

fn modes() -> Vec<Mode> {
    // PLUGPORT_ISOLATION overrides the option: both runs would be the same mode.
    if std::env::var_os("PLUGPORT_ISOLATION").is_some() {
        vec![Mode::InProcess]
    } else {
        vec![Mode::InProcess, Mode::Process]
    }
}

fn pixel(x: i32, rgba: [u8; 4], a: &str, b: &str) -> Pixel {
    Pixel {
        at: Point {
            x,
            y: x.wrapping_neg(),
        },
        rgba,
        names: [a.to_string(), b.to_string()],
    }
}

#[test]
fn maps_round_trip_with_edge_values() {
    for mode in modes() {
        let p = load(mode);
        let kv = p.kv();

        // Empty map, one entry, several (an empty key, a non-ASCII key, u32::MAX - 1).
        assert_eq!(kv.counts(&BTreeMap::new()).unwrap(), BTreeMap::new());
        let m: BTreeMap<String, u32> = [
            ("".into(), 0),
            ("é€𝄞".into(), u32::MAX - 1),
            ("b".into(), 7),
        ]
        .into_iter()
        .collect();
        let want: BTreeMap<String, u32> = m.iter().map(|(k, v)| (k.clone(), v + 1)).collect();
        assert_eq!(kv.counts(&m).unwrap(), want, "{mode:?}");

        // String keys, record values holding fixed lists of bytes and of strings.
        let places: BTreeMap<String, Pixel> = [
            ("origin".to_string(), pixel(0, [0, 0, 0, 0], "", "")),
            (
                "far".to_string(),
                pixel(i32::MIN, [255, 1, 128, 7], "ä", "longer name"),
            ),
        ]
        .into_iter()
        .collect();
        assert_eq!(kv.places(&places).unwrap(), places, "{mode:?}");
        assert!(kv.places(&BTreeMap::new()).unwrap().is_empty());

        // Integer keys at their edges, option values.
        let ids: BTreeMap<u64, Option<String>> = [
            (0, None),
            (u64::MAX, Some("max".into())),
            (1, Some(String::new())),
        ]
        .into_iter()
        .collect();
        assert_eq!(kv.by_id(&ids).unwrap(), ids, "{mode:?}");

        // char keys (one outside the BMP) with bool values.
        let chars: BTreeMap<char, bool> = [('a', true), ('𝄞', false), ('z', true)]
            .into_iter()
            .collect();
        assert_eq!(kv.by_char(&chars).unwrap(), 1002, "{mode:?}");
    }
}

#[test]
fn fixed_length_lists_round_trip_with_edge_values() {
    for mode in modes() {
        let p = load(mode);
        let kv = p.kv();
        assert_eq!(
            kv.quad(&[1, 2, 3, 255]).unwrap(),
            [255, 3, 2, 1],
            "{mode:?}"
        );
        assert_eq!(kv.quad(&[0; 4]).unwrap(), [0; 4]);
        assert_eq!(
            kv.pair(&["first".to_string(), String::new()]).unwrap(),
            [String::new(), "first".to_string()],
            "{mode:?}"
        );
        let ok = kv.floats(true).unwrap().expect("ok side");
        assert_eq!(ok[0], 1.5);
        assert!(
            ok[1] == 0.0 && ok[1].is_sign_negative(),
            "-0.0 keeps its sign"
        );
        assert_eq!(ok[2], 3.25);
        assert_eq!(kv.floats(false).unwrap().unwrap_err(), "no floats");
        let g = [[1, -2], [i16::MAX, i16::MIN + 1], [0, 5]];
        assert_eq!(
            kv.grid(&g).unwrap(),
            [[-1, 2], [-i16::MAX, i16::MAX], [0, -5]],
            "{mode:?}"
        );
    }
}

#[test]
fn handles_cross_inside_map_values_and_fixed_lists_and_end_once() {
    let p = load(Mode::InProcess);
    let kv = p.kv();
    let live = || p.live_objects().expect("the C plugin counts its objects");
    assert_eq!(live(), 0);
    let [a, b] = kv.counters(BTreeMap::new()).unwrap();
    assert_eq!((a.value().unwrap(), b.value().unwrap()), (0, 0));
    assert_eq!(live(), 2);
    let [c, d] = kv.counters(BTreeMap::new()).unwrap();
    assert_eq!(live(), 4);
    drop(d);
    assert_eq!(live(), 3);
    // The three sent move to the plugin, which reads and drops them, and answers two new.
    let sent: BTreeMap<String, _> = [
        ("a".to_string(), a),
        ("b".to_string(), b),
        ("c".to_string(), c),
    ]
    .into_iter()
    .collect();
    let [n, sum] = kv.counters(sent).unwrap();
    assert_eq!((n.value().unwrap(), sum.value().unwrap()), (3, 0));
    assert_eq!(live(), 2);
    drop((n, sum));
    assert_eq!(live(), 0);
}

#[test]
fn a_duplicate_key_from_c_is_an_invalid_result_not_a_silent_overwrite() {
    for mode in modes() {
        let p = load(mode);
        let m: BTreeMap<String, u32> = [("dup".to_string(), 0)].into_iter().collect();
        match p.kv().counts(&m) {
            Err(CallError::InvalidResult(msg)) => {
                assert!(msg.contains("duplicate key \"a\""), "{mode:?}: {msg}");
            }
            other => panic!("{mode:?}: expected InvalidResult, got {other:?}"),
        }
        // The plugin still answers afterwards.
        let one: BTreeMap<String, u32> = [("x".to_string(), 1)].into_iter().collect();
        assert_eq!(p.kv().counts(&one).unwrap()["x"], 2);
    }
}
