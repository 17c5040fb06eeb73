//! The Rust host side of the type-coverage matrix: the typecov plugins (Rust, C, C++ and Go),
//! loaded with the generated `Typecov::load`, must return every value they are given,
//! unchanged, through every echo function; `boom` is a `CallError::Panic` after which the
//! plugin keeps working; resources are released when dropped or moved; and one loaded
//! plugin answers correctly when 8 threads call it at once (scenario S1).
//!
//! Requires the plugins built by `scripts/build-examples.sh` (see `typecov_host::typecov_dir`).

use plugport::CallError;
use typecov_host::exports::echo::{Color, Failure, Framed, Perms, Person, Point, Shape, Wide};
use typecov_host::{plugins, Typecov};

const MIB: usize = 1 << 20;

/// Runs `f` on each plugin, freshly loaded (each load is its own image: `live` starts at 0).
fn each_plugin(f: impl Fn(&str, &Typecov)) {
    for (name, path) in plugins() {
        let plugin =
            Typecov::load(&path).unwrap_or_else(|e| panic!("cannot load {}: {e}", path.display()));
        assert_eq!(plugin.descriptor().plugin_name, name, "{}", path.display());
        f(name, &plugin);
    }
}

fn ada() -> Person {
    Person {
        name: "Ada".into(),
        age: 36,
        tags: vec!["math".into(), "计算".into()],
        home: Some(Point { x: 1, y: 2 }),
    }
}

fn bob() -> Person {
    Person {
        name: "Böb".into(),
        age: u8::MAX,
        tags: vec![String::new(), "b".into(), String::new()],
        home: None,
    }
}

fn shapes() -> Vec<Shape> {
    vec![
        Shape::Circle(3.5),
        Shape::Rect(Point { x: -5, y: 7 }),
        Shape::Empty,
        Shape::Named("名前".into()),
        Shape::Named(String::new()),
    ]
}

/// A string of exactly `n` bytes of valid UTF-8 with 1- to 4-byte characters.
fn big_string(n: usize) -> String {
    let mut s = String::with_capacity(n);
    for c in ['a', 'é', '世', '🎉'].iter().cycle() {
        if s.len() + c.len_utf8() > n {
            break;
        }
        s.push(*c);
    }
    while s.len() < n {
        s.push('z');
    }
    s
}

#[test]
fn both_plugins_load_and_report_their_identity() {
    each_plugin(|name, p| {
        let d = p.descriptor();
        assert_eq!(d.plugin_version, "1.0.0");
        assert_eq!(d.world.name, "typecov");
        assert_eq!(p.version().unwrap(), format!("{name} 1.0.0"));
    });
}

#[test]
fn bools_and_integers_round_trip_at_their_limits() {
    each_plugin(|name, p| {
        let e = p.echo();
        for v in [false, true] {
            assert_eq!(e.echo_bool(v).unwrap(), v, "{name}");
        }
        for v in [i8::MIN, -1, 0, 1, i8::MAX] {
            assert_eq!(e.echo_s8(v).unwrap(), v, "{name}");
        }
        for v in [i16::MIN, -1, 0, i16::MAX] {
            assert_eq!(e.echo_s16(v).unwrap(), v, "{name}");
        }
        for v in [i32::MIN, -1, 0, i32::MAX] {
            assert_eq!(e.echo_s32(v).unwrap(), v, "{name}");
        }
        for v in [i64::MIN, -1, 0, i64::MAX] {
            assert_eq!(e.echo_s64(v).unwrap(), v, "{name}");
        }
        for v in [0, 0x80, u8::MAX] {
            assert_eq!(e.echo_u8(v).unwrap(), v, "{name}");
        }
        for v in [0, 0x8000, u16::MAX] {
            assert_eq!(e.echo_u16(v).unwrap(), v, "{name}");
        }
        for v in [0, 0x8000_0000, u32::MAX] {
            assert_eq!(e.echo_u32(v).unwrap(), v, "{name}");
        }
        for v in [0, 1 << 63, u64::MAX] {
            assert_eq!(e.echo_u64(v).unwrap(), v, "{name}");
        }
    });
}

#[test]
fn floats_round_trip_bit_for_bit() {
    let f32_bits: [u32; 11] = [
        0x0000_0000, // +0.0
        0x8000_0000, // -0.0
        0x3F80_0000, // 1.0
        0x0000_0001, // smallest subnormal
        0x7F7F_FFFF, // f32::MAX
        0x7F80_0000, // +inf
        0xFF80_0000, // -inf
        0x7FC0_0000, // NaN
        0x7FC1_2345, // NaN with payload
        0xFFC0_0001, // negative NaN with payload
        0x7F80_0001, // signalling NaN
    ];
    let f64_bits: [u64; 11] = [
        0x0000_0000_0000_0000,
        0x8000_0000_0000_0000,
        0x3FF0_0000_0000_0000,
        0x0000_0000_0000_0001,
        0x7FEF_FFFF_FFFF_FFFF,
        0x7FF0_0000_0000_0000,
        0xFFF0_0000_0000_0000,
        0x7FF8_0000_0000_0000,
        0x7FF8_0000_0001_2345,
        0xFFF8_0000_0000_0001,
        0x7FF0_0000_0000_0001,
    ];
    each_plugin(|name, p| {
        let e = p.echo();
        for bits in f32_bits {
            let r = e.echo_f32(f32::from_bits(bits)).unwrap();
            assert_eq!(r.to_bits(), bits, "{name}: f32 {bits:#010x}");
        }
        for bits in f64_bits {
            let r = e.echo_f64(f64::from_bits(bits)).unwrap();
            assert_eq!(r.to_bits(), bits, "{name}: f64 {bits:#018x}");
        }
        assert!(
            e.echo_f64(-0.0).unwrap().is_sign_negative(),
            "{name}: -0.0 lost its sign"
        );
        assert_eq!(e.echo_f64(f64::INFINITY).unwrap(), f64::INFINITY, "{name}");
        assert_eq!(
            e.echo_f32(f32::NEG_INFINITY).unwrap(),
            f32::NEG_INFINITY,
            "{name}"
        );
    });
}

#[test]
fn chars_round_trip_including_the_largest_scalar_value() {
    each_plugin(|name, p| {
        for c in [
            '\0',
            'A',
            '\u{7F}',
            'é',
            '世',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFF}',
            '😀',
            '\u{10FFFF}',
        ] {
            assert_eq!(p.echo().echo_char(c).unwrap(), c, "{name}: {c:?}");
        }
    });
}

#[test]
fn strings_and_lists_round_trip_empty_non_ascii_and_one_mebibyte() {
    let big = big_string(MIB);
    let bytes: Vec<u8> = (0..MIB).map(|i| (i * 31 + (i >> 8)) as u8).collect();
    each_plugin(|name, p| {
        let e = p.echo();
        for s in [
            "",
            "hello",
            "héllo 世界 🎉",
            "a\0b",
            "\u{10FFFF}",
            big.as_str(),
        ] {
            let r = e.echo_string(s).unwrap();
            assert!(r == s, "{name}: string of {} bytes changed", s.len());
        }
        assert_eq!(e.echo_bytes(&[]).unwrap(), Vec::<u8>::new(), "{name}");
        assert_eq!(
            e.echo_bytes(&[0, 1, 127, 128, 255]).unwrap(),
            vec![0, 1, 127, 128, 255],
            "{name}"
        );
        assert!(
            e.echo_bytes(&bytes).unwrap() == bytes,
            "{name}: 1 MiB of bytes changed"
        );

        assert_eq!(e.echo_strings(&[]).unwrap(), Vec::<String>::new(), "{name}");
        let members: Vec<String> = ["", "a", "", "世界", "", "last 🎉", ""]
            .map(String::from)
            .to_vec();
        assert_eq!(e.echo_strings(&members).unwrap(), members, "{name}");
        let many: Vec<String> = (0..10_000)
            .map(|i| big[..[0, 1, 3, 6, 10][i % 5]].to_string())
            .collect();
        assert_eq!(e.echo_strings(&many).unwrap(), many, "{name}");

        assert_eq!(e.echo_points(&[]).unwrap(), vec![], "{name}");
        let pts: Vec<Point> = (0..(MIB / 8) as i32)
            .map(|i| Point { x: i, y: -i })
            .chain([Point {
                x: i32::MIN,
                y: i32::MAX,
            }])
            .collect();
        assert!(
            e.echo_points(&pts).unwrap() == pts,
            "{name}: 1 MiB of points changed"
        );
    });
}

#[test]
fn options_results_and_tuples_round_trip() {
    each_plugin(|name, p| {
        let e = p.echo();
        for v in [None, Some(String::new()), Some("x é".to_string())] {
            assert_eq!(e.echo_option(&v).unwrap(), v, "{name}");
        }
        for v in [
            Ok(0),
            Ok(u32::MAX),
            Err(String::new()),
            Err("bad ☹".to_string()),
        ] {
            assert_eq!(e.echo_result(&v).unwrap(), v, "{name}");
        }
        for v in [
            Ok(()),
            Err(Failure::Code(0)),
            Err(Failure::Code(u32::MAX)),
            Err(Failure::Message(String::new())),
            Err(Failure::Message("ünïcode".into())),
        ] {
            assert_eq!(e.echo_result_unit(&v).unwrap(), v, "{name}");
        }
        for v in [
            (0, String::new(), 0.0),
            (255, "tuple ✓".to_string(), -1.5),
            (7, "inf".to_string(), f64::INFINITY),
        ] {
            assert_eq!(e.echo_tuple(&v).unwrap(), v, "{name}");
        }
        let nan = e
            .echo_tuple(&(1, "nan".into(), f64::from_bits(0x7FF8_0000_0000_0ABC)))
            .unwrap();
        assert_eq!(
            nan.2.to_bits(),
            0x7FF8_0000_0000_0ABC,
            "{name}: NaN in a tuple"
        );
    });
}

/// Issue 11, A.1 and A.2: maps (empty, and string keys with record values),
/// `list<u8, 4>`, `list<string, 2>` (strings inline, owned by the result), and a fixed list
/// inside a record inside a result, through every plugin (C, C++, Go and Rust), in process
/// and isolated (`Mode::Process`: through plugport-runner and the wire codec).
#[test]
fn maps_and_fixed_length_lists_round_trip_in_process_and_isolated() {
    use plugport::isolation::{Mode, Options};
    each_plugin(check_maps_and_fixed_lists);
    if std::env::var_os("PLUGPORT_ISOLATION").is_some() {
        return; // the variable overrides the option: the loop above ran in that mode
    }
    if std::env::var_os("PLUGPORT_TYPECOV_URLS").is_some() {
        return; // remote plugins (the grpcs:// rerun): they run isolated on their servers
    }
    for (name, path) in plugins() {
        let options = Options {
            mode: Mode::Process,
            ..Options::default()
        };
        let p = Typecov::load_with_options(&path, options)
            .unwrap_or_else(|e| panic!("cannot load {} isolated: {e}", path.display()));
        assert!(p.plugin().expect("a plugin").isolated().is_some(), "{name}");
        check_maps_and_fixed_lists(&format!("{name} isolated"), &p);
    }
}

fn check_maps_and_fixed_lists(name: &str, p: &Typecov) {
    use std::collections::BTreeMap;
    {
        let e = p.echo();
        let empty: BTreeMap<String, Point> = BTreeMap::new();
        assert_eq!(e.echo_map(&empty).unwrap(), empty, "{name}: empty map");
        let m: BTreeMap<String, Point> = [
            (String::new(), Point { x: 0, y: 0 }),
            (
                "ünï".to_string(),
                Point {
                    x: i32::MIN,
                    y: i32::MAX,
                },
            ),
            ("b".to_string(), Point { x: -1, y: 1 }),
        ]
        .into_iter()
        .collect();
        assert_eq!(e.echo_map(&m).unwrap(), m, "{name}: map");
        for v in [[0u8; 4], [1, 2, 3, 255]] {
            assert_eq!(e.echo_quad(&v).unwrap(), v, "{name}: list<u8, 4>");
        }
        for v in [
            [String::new(), String::new()],
            ["first".to_string(), "zwei ✓".to_string()],
        ] {
            assert_eq!(e.echo_pair(&v).unwrap(), v, "{name}: list<string, 2>");
        }
        for v in [
            Ok(Framed {
                id: u32::MAX,
                rgba: [255, 0, 128, 1],
            }),
            Ok(Framed {
                id: 0,
                rgba: [0; 4],
            }),
            Err("no frame ☹".to_string()),
        ] {
            assert_eq!(
                e.echo_framed(&v).unwrap(),
                v,
                "{name}: result<framed, string>"
            );
        }
    }
}

#[test]
fn records_enums_flags_and_variants_round_trip() {
    each_plugin(|name, p| {
        let e = p.echo();
        for v in [
            Point { x: 0, y: 0 },
            Point {
                x: i32::MIN,
                y: i32::MAX,
            },
        ] {
            assert_eq!(e.echo_point(&v).unwrap(), v, "{name}");
        }
        let empty = Person {
            name: String::new(),
            age: 0,
            tags: vec![],
            home: Some(Point {
                x: i32::MIN,
                y: i32::MAX,
            }),
        };
        for v in [ada(), bob(), empty] {
            assert_eq!(e.echo_person(&v).unwrap(), v, "{name}");
        }
        for v in [Color::Red, Color::Green, Color::Blue] {
            assert_eq!(e.echo_color(v).unwrap(), v, "{name}");
        }
        for bits in 0..8u8 {
            let v = Perms::from_bits(bits).expect("3 flags: bits 0..8 are valid");
            assert_eq!(e.echo_perms(v).unwrap(), v, "{name}: perms {bits:#x}");
        }
        assert_eq!(Perms::from_bits(8), None, "perms has no bit 3");
        assert_eq!(Perms::READ | Perms::WRITE | Perms::EXEC, Perms::all());
        // wide has 32 flags (the most WIT allows): every single bit, none, all, a mix.
        for bit in 0..32 {
            let v = Wide::from_bits(1 << bit).expect("32 flags");
            assert_eq!(
                e.echo_wide(v).unwrap().bits(),
                1 << bit,
                "{name}: wide bit {bit}"
            );
        }
        for v in [
            Wide::empty(),
            Wide::all(),
            Wide::F0 | Wide::F31,
            Wide::from_bits(0xA5A5_A5A5).unwrap(),
        ] {
            assert_eq!(e.echo_wide(v).unwrap(), v, "{name}");
        }
        assert_eq!(Wide::all().bits(), u32::MAX);
        for v in shapes() {
            assert_eq!(e.echo_shape(&v).unwrap(), v, "{name}");
        }
        let neg_zero = e.echo_shape(&Shape::Circle(-0.0)).unwrap();
        assert!(
            matches!(neg_zero, Shape::Circle(r) if r.to_bits() == (-0.0f64).to_bits()),
            "{name}: circle(-0.0) came back as {neg_zero:?}"
        );
    });
}

#[test]
fn nested_option_result_list_of_records_round_trips() {
    each_plugin(|name, p| {
        let e = p.echo();
        let mut cases = vec![None, Some(Ok(vec![])), Some(Ok(vec![ada(), bob()]))];
        cases.extend(shapes().into_iter().map(|s| Some(Err(s))));
        for v in cases {
            assert_eq!(e.echo_nested(&v).unwrap(), v, "{name}");
        }
    });
}

#[test]
fn sink_takes_several_parameters_and_returns_nothing() {
    // Every typecov plugin's `sink` accepts `b == "<a>:<c, comma-separated>"` and
    // otherwise fails with PP_ERR_PANIC naming the values it received, so the values
    // that crossed `dlopen` are checked although `sink` returns nothing.
    each_plugin(|name, p| {
        let e = p.echo();
        e.sink(7, "7:0,1,18446744073709551615", &[0, 1, u64::MAX])
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        e.sink(0, "0:", &[])
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(
            e.sink(7, "sink ✓", &[0, 1, u64::MAX]),
            Err(CallError::Panic(
                "sink received a=7 b=\"sink ✓\" c=[0,1,18446744073709551615]".into()
            )),
            "{name}"
        );
        assert_eq!(
            e.sink(255, "", &[42]),
            Err(CallError::Panic("sink received a=255 b=\"\" c=[42]".into())),
            "{name}"
        );
    });
}

#[test]
fn boom_is_a_panic_with_its_message_and_the_plugin_keeps_working() {
    each_plugin(|name, p| {
        let e = p.echo();
        assert_eq!(
            e.boom("kaboom 💥"),
            Err(CallError::Panic("kaboom 💥".into())),
            "{name}"
        );
        assert_eq!(
            e.echo_u32(0xC0FFEE).unwrap(),
            0xC0FFEE,
            "{name}: dead after a panic"
        );
        assert_eq!(e.boom(""), Err(CallError::Panic(String::new())), "{name}");
        assert_eq!(
            e.boom("again"),
            Err(CallError::Panic("again".into())),
            "{name}"
        );
        assert_eq!(e.echo_string("alive").unwrap(), "alive", "{name}");
        assert_eq!(p.store().live().unwrap(), 0, "{name}");
    });
}

#[test]
fn counters_are_created_borrowed_moved_and_released() {
    each_plugin(|name, p| {
        let s = p.store();
        assert_eq!(s.live().unwrap(), 0, "{name}: before");
        let a = s.counter_new(5).unwrap();
        assert_eq!(a.get().unwrap(), 5, "{name}");
        assert_eq!(a.add(10).unwrap(), 15, "{name}");
        assert_eq!(a.add(-20).unwrap(), -5, "{name}");
        assert_eq!(a.get().unwrap(), -5, "{name}");
        let z = s.counter_zero().unwrap();
        assert_eq!(z.get().unwrap(), 0, "{name}");
        let max = s.counter_new(i64::MAX).unwrap();
        assert_eq!(max.get().unwrap(), i64::MAX, "{name}");
        assert_eq!(s.live().unwrap(), 3, "{name}: three counters");

        // borrow: `a` stays ours and usable
        assert_eq!(s.peek(&a).unwrap(), -5, "{name}");
        assert_eq!(a.add(1).unwrap(), -4, "{name}: unusable after peek");
        // own: `a` moves into the plugin, which drops it
        assert_eq!(s.consume(a).unwrap(), -4, "{name}");
        assert_eq!(
            s.live().unwrap(),
            2,
            "{name}: consume did not drop the counter"
        );

        drop(z);
        assert_eq!(
            s.live().unwrap(),
            1,
            "{name}: dropping a handle did not release it"
        );
        drop(max);
        assert_eq!(s.live().unwrap(), 0, "{name}: after every drop");

        // many at once, dropped together
        let many: Vec<_> = (0..100).map(|i| s.counter_new(i).unwrap()).collect();
        assert_eq!(s.live().unwrap(), 100, "{name}");
        let sum: i64 = many.iter().map(|c| s.peek(c).unwrap()).sum();
        assert_eq!(sum, (0..100).sum::<i64>(), "{name}");
        drop(many);
        assert_eq!(s.live().unwrap(), 0, "{name}: after dropping 100 counters");
    });
}

#[test]
fn a_counter_outlives_the_typecov_value_it_came_from() {
    // The plugin stays loaded while a resource from it lives (the handle keeps it).
    for (name, path) in plugins() {
        let c = {
            let p = Typecov::load(&path).unwrap();
            let c = p.store().counter_new(41).unwrap();
            drop(p);
            c
        };
        assert_eq!(c.add(1).unwrap(), 42, "{name}");
    }
}

#[test]
fn eight_threads_call_one_plugin_at_once() {
    const THREADS: usize = 8;
    const ROUNDS: i64 = 300;
    each_plugin(|name, p| {
        let shared = p.store().counter_new(0).unwrap();
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                let shared = &shared;
                scope.spawn(move || {
                    let (e, s) = (p.echo(), p.store());
                    let own = s.counter_new(t as i64 * 1000).unwrap();
                    for i in 0..ROUNDS {
                        let text = format!("thread {t} round {i} ✓");
                        assert_eq!(e.echo_string(&text).unwrap(), text, "{name}");
                        assert_eq!(
                            e.echo_u64(t as u64 * 1_000_000 + i as u64).unwrap(),
                            t as u64 * 1_000_000 + i as u64
                        );
                        let person = Person {
                            name: text.clone(),
                            age: t as u8,
                            tags: vec![text.clone(); (i % 4) as usize],
                            home: Some(Point {
                                x: t as i32,
                                y: i as i32,
                            }),
                        };
                        let nested = Some(Ok(vec![person.clone(), ada()]));
                        assert_eq!(e.echo_person(&person).unwrap(), person, "{name}");
                        assert_eq!(e.echo_nested(&nested).unwrap(), nested, "{name}");
                        assert_eq!(own.add(1).unwrap(), t as i64 * 1000 + i + 1, "{name}");
                        shared.add(1).unwrap();
                        if i % 50 == 0 {
                            assert_eq!(
                                e.boom("in a thread"),
                                Err(CallError::Panic("in a thread".into()))
                            );
                            let tmp = s.counter_zero().unwrap();
                            assert_eq!(s.consume(tmp).unwrap(), 0, "{name}");
                        }
                    }
                    assert_eq!(s.peek(&own).unwrap(), t as i64 * 1000 + ROUNDS, "{name}");
                });
            }
        });
        assert_eq!(
            shared.get().unwrap(),
            THREADS as i64 * ROUNDS,
            "{name}: lost updates"
        );
        drop(shared);
        assert_eq!(
            p.store().live().unwrap(),
            0,
            "{name}: counters leaked by the threads"
        );
    });
}

/// The whole matrix again with every `Typecov::load` isolated (`PLUGPORT_ISOLATION=process`,
/// `docs/isolation.md`): this test binary, run as a child process with the variable set,
/// must pass every test, the plugins each running in a `plugport-runner` process.
#[test]
fn the_matrix_passes_with_the_plugins_isolated() {
    if std::env::var_os("PLUGPORT_ISOLATION").is_some() {
        return; // the isolated run itself (or a run whose mode the caller chose)
    }
    let runner = plugport::isolation::runner_path().expect(
        "plugport-runner not found beside the test binary: cargo build -p plugport --bin \
         plugport-runner (cargo test --workspace builds it)",
    );
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("PLUGPORT_ISOLATION", "process")
        .env("PLUGPORT_RUNNER", &runner)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the isolated matrix failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("test result: ok."), "{stdout}");
}

/// The whole matrix again with every plugin served by `plugport serve` over `grpcs://`
/// with mutual TLS (issue 9, `docs/remote.md`): this test binary, run as a child process
/// with `PLUGPORT_TYPECOV_URLS` naming the four servers, must pass every test through the
/// same generated `Typecov::load`, each plugin running on its server (in a child process
/// there, the server's default).
#[test]
fn the_matrix_passes_with_the_plugins_served_over_grpcs() {
    if std::env::var_os("PLUGPORT_ISOLATION").is_some()
        || std::env::var_os("PLUGPORT_TYPECOV_URLS").is_some()
    {
        return; // a rerun itself (or a run whose mode the caller chose)
    }
    let dir = tempfile::tempdir().unwrap();
    let tls = plugport_remote_tests::pki::MutualTls::new(dir.path());
    let servers: Vec<_> = typecov_host::PLUGIN_FILES
        .iter()
        .map(|f| {
            plugport_remote_tests::Server::start(&typecov_host::artefact(f), 0, &tls.server_args())
        })
        .collect();
    let urls: Vec<&str> = servers.iter().map(|s| s.url.as_str()).collect();
    assert!(urls.iter().all(|u| u.starts_with("grpcs://")), "{urls:?}");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("PLUGPORT_TYPECOV_URLS", urls.join(","))
        .envs(tls.client_env())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the matrix over grpcs:// failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("test result: ok."), "{stdout}");
    assert!(!stdout.contains(" 0 passed"), "{stdout}");
}
