//! The IR -> protobuf mapping (`plugport::protomap`) and the host's transcoding
//! (`plugport::remote::protocodec`): every value of every function of the typecov world
//! and of an edge world (options of options, lists of lists, lists of options, results
//! of lists, variants with list payloads) goes wire encoding -> DynamicMessage ->
//! protobuf bytes -> DynamicMessage -> wire encoding and comes back byte for byte, with
//! edge values (integer limits, NaN payloads, -0.0, the last scalar values, empty and
//! NUL-holding strings, empty lists). Values the wire cannot carry are refused on arrival
//! (u8 256, s16 -32769, a surrogate char, an enum number past its cases, a result or
//! variant with no case set).

use std::path::{Path, PathBuf};
use std::process::Command;

use plugport::ir::{Type, World};
use plugport::plan::{Plan, Scalar, Shape};
use plugport::protomap::{map_world, render, ProtoMap};
use plugport::remote::protocodec::{pool_of, ProtoCodec};
use plugport_remote_tests::plugport_cli;
use prost_reflect::prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, ReflectMessage, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The world of a WIT file, through `plugport ir`.
fn world_of(wit: &Path) -> World {
    let o = Command::new(plugport_cli())
        .arg("ir")
        .arg(wit)
        .output()
        .expect("run plugport ir");
    assert!(
        o.status.success(),
        "plugport ir {}: {}",
        wit.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("the IR")
}

const EDGE_WIT: &str = r#"package test:edge@0.1.0;

interface edges {
  record holder { a: option<option<u32>>, b: list<list<u8>>, c: list<option<string>>, d: list<list<s16>> }
  variant v { none, some(list<u32>), nested(option<list<char>>) }
  enum e { only }
  flags one { x }
  type r = result<list<u32>>;
  hold: func(h: holder, v: v) -> tuple<holder, v>;
  results: func(r: r, e: e, f: one) -> result<option<option<e>>, list<list<string>>>;
  many: func(a: s8, b: s16, c: u16, d: f32, e: f64, f: char, g: u64, h: s64) -> list<tuple<s8, u16>>;
}

world edge {
  export edges;
}
"#;

fn edge_world() -> World {
    let dir = std::env::temp_dir().join(format!("plugport-edge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wit = dir.join("edge.wit");
    std::fs::write(&wit, EDGE_WIT).unwrap();
    let w = world_of(&wit);
    let _ = std::fs::remove_dir_all(&dir);
    w
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Appends the wire encoding (docs/isolation.md) of a random value of `ty`, edge values
/// often; false when the type holds a handle (not on this wire yet).
fn gen(plan: &Plan, ty: Type, r: &mut Rng, depth: u32, out: &mut Vec<u8>) -> bool {
    match &plan.node(ty).shape {
        Shape::Scalar(s) => {
            let x = r.next();
            match s {
                Scalar::Bool => out.push(r.below(2) as u8),
                Scalar::S8 => out.push(r.pick(&[0i8, -1, i8::MIN, i8::MAX, x as i8]) as u8),
                Scalar::S16 => sleb(
                    out,
                    r.pick(&[0i16, -1, i16::MIN, i16::MAX, x as i16]) as i64,
                ),
                Scalar::S32 => sleb(
                    out,
                    r.pick(&[0i32, -1, i32::MIN, i32::MAX, x as i32]) as i64,
                ),
                Scalar::S64 => sleb(out, r.pick(&[0i64, -1, i64::MIN, i64::MAX, x as i64])),
                Scalar::U8 => out.push(r.pick(&[0u8, 1, u8::MAX, x as u8])),
                Scalar::U16 => uleb(out, r.pick(&[0u16, u16::MAX, x as u16]) as u64),
                Scalar::U32 => uleb(out, r.pick(&[0u32, u32::MAX, x as u32]) as u64),
                Scalar::U64 => uleb(out, r.pick(&[0u64, u64::MAX, x])),
                Scalar::F32 => {
                    let bits = r.pick(&[
                        0x7fc0_0001u32,
                        0x7f80_0001,
                        0x8000_0000,
                        0x7f80_0000,
                        1,
                        x as u32,
                    ]);
                    out.extend_from_slice(&bits.to_le_bytes())
                }
                Scalar::F64 => {
                    let bits = r.pick(&[
                        0x7ff8_0000_0000_0001u64,
                        0x8000_0000_0000_0000,
                        0xfff0_0000_0000_0000,
                        x,
                    ]);
                    out.extend_from_slice(&bits.to_le_bytes())
                }
                Scalar::Char => {
                    let c = r.pick(&[
                        '\0',
                        '\u{7f}',
                        '\u{80}',
                        '\u{d7ff}',
                        '\u{e000}',
                        '\u{10ffff}',
                        'é',
                        '世',
                    ]);
                    let mut b = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut b).as_bytes())
                }
            }
        }
        Shape::String => {
            let s = r.pick(&["", "a\0b", "é世界", "plain ascii", "\u{10ffff}"]);
            uleb(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
        Shape::List { elem, .. } => {
            let n = if depth > 5 { 0 } else { r.below(4) };
            uleb(out, n);
            for _ in 0..n {
                if !gen(plan, *elem, r, depth + 1, out) {
                    return false;
                }
            }
        }
        Shape::Map { key, value, .. } => {
            // Keys drawn from few edge values, so that duplicates occur (carried as they
            // are, in order).
            let n = if depth > 5 { 0 } else { r.below(4) };
            uleb(out, n);
            for _ in 0..n {
                if !gen(plan, *key, r, depth + 1, out) || !gen(plan, *value, r, depth + 1, out) {
                    return false;
                }
            }
        }
        Shape::FixedList { elem, len, .. } => {
            for _ in 0..*len {
                if !gen(plan, *elem, r, depth + 1, out) {
                    return false;
                }
            }
        }
        Shape::Option { some, .. } => {
            if depth > 5 || r.below(3) == 0 {
                out.push(0)
            } else {
                out.push(1);
                return gen(plan, *some, r, depth + 1, out);
            }
        }
        Shape::Result { ok, err, .. } => {
            let tag = r.below(2);
            out.push(tag as u8);
            let p = if tag == 0 { ok } else { err };
            if let Some(t) = p {
                return gen(plan, *t, r, depth + 1, out);
            }
        }
        Shape::Variant { cases, .. } => {
            let c = r.below(cases.len() as u64);
            uleb(out, c);
            if let Some(t) = cases[c as usize] {
                return gen(plan, t, r, depth + 1, out);
            }
        }
        Shape::Enum { cases, .. } => uleb(out, r.below(*cases as u64)),
        Shape::Flags { count, .. } => {
            let bits = r.next() & (u64::MAX >> (64 - count));
            let n = count.div_ceil(8) as usize;
            out.extend_from_slice(&bits.to_le_bytes()[..n]);
        }
        Shape::Record { fields } => {
            for f in fields {
                if !gen(plan, f.ty, r, depth + 1, out) {
                    return false;
                }
            }
        }
        Shape::Handle { .. } => return false,
    }
    true
}

struct Mapped {
    plan: Plan,
    map: ProtoMap,
    pool: DescriptorPool,
}

impl Mapped {
    fn new(world: &World) -> Mapped {
        let plan = Plan::new(world).expect("plan");
        let map = map_world(world, &plan).expect("mapping");
        let pool = pool_of(&map).expect("the descriptor is valid");
        Mapped { plan, map, pool }
    }
    fn codec(&self) -> ProtoCodec<'_> {
        ProtoCodec {
            map: &self.map,
            plan: &self.plan,
            pool: &self.pool,
        }
    }
    /// Wire -> message -> protobuf bytes -> message -> wire, for `types` in message `full`.
    fn round_trip(&self, full: &str, types: &[Type], wire: &[u8]) -> Vec<u8> {
        let c = self.codec();
        let m = c
            .to_message(full, 1, types, wire)
            .unwrap_or_else(|e| panic!("{full}: to_message of {wire:02x?}: {e}"));
        let bytes = m.encode_to_vec();
        let desc = self.pool.get_message_by_name(full).unwrap();
        let back = DynamicMessage::decode(desc, bytes.as_slice()).expect("decode");
        let mut out = Vec::new();
        c.from_message(&back, 1, types, &mut out)
            .unwrap_or_else(|e| panic!("{full}: from_message: {e}"));
        out
    }
}

/// Every function of `world` without handles: 200 random argument lists and results.
fn round_trip_world(world: &World, seed: u64) -> usize {
    let m = Mapped::new(world);
    let mut r = Rng(seed);
    let mut checked = 0;
    for rpc in m.map.rpcs.iter().chain(&m.map.imports) {
        if rpc.has_self {
            continue;
        }
        let result: Vec<Type> = rpc.result.into_iter().collect();
        for (full, types) in [(&rpc.request, &rpc.params), (&rpc.response, &result)] {
            for _ in 0..200 {
                let mut wire = Vec::new();
                if !types.iter().all(|t| gen(&m.plan, *t, &mut r, 0, &mut wire)) {
                    break;
                }
                assert_eq!(m.round_trip(full, types, &wire), wire, "{full}");
                checked += 1;
            }
        }
    }
    checked
}

#[test]
fn every_typecov_value_round_trips_through_protobuf() {
    let world = world_of(&root().join("tests/wit/typecov.wit"));
    let n = round_trip_world(&world, 0x9e37_79b9_7f4a_7c15);
    // 30 functions without handles, their requests and responses.
    assert!(n > 10_000, "only {n} values checked");
}

#[test]
fn nested_options_lists_and_results_round_trip_through_protobuf() {
    let world = edge_world();
    let n = round_trip_world(&world, 12345);
    assert_eq!(n, 3 * 2 * 200);
    let text = render(&Mapped::new(&world).map.file);
    for want in [
        "message OptionOptionU32 {\n  OptionU32 value = 1;\n}",
        "message OptionU32 {\n  optional uint32 value = 1;\n}",
        "repeated ListS16 d = 4;",
        "bytes items = 1;",
        "repeated bytes b = 2;",
        "repeated OptionString c = 3;",
        "enum E {\n  E_ONLY = 0;\n}",
        "message One {\n  bool x = 1;\n}",
        "    Unit none = 1;\n    ListU32 some = 2;",
        "rpc Hold(EdgesHoldRequest) returns (EdgesHoldResponse);",
    ] {
        assert!(text.contains(want), "the .proto lacks {want:?}:\n{text}");
    }
}

#[test]
fn values_the_wire_cannot_carry_are_refused_on_arrival() {
    let m = Mapped::new(&world_of(&root().join("tests/wit/typecov.wit")));
    let c = m.codec();
    let rpc = |name: &str| {
        m.map
            .rpcs
            .iter()
            .find(|r| r.method == name)
            .unwrap_or_else(|| panic!("no rpc {name}"))
            .clone()
    };
    let msg = |full: &str| DynamicMessage::new(m.pool.get_message_by_name(full).unwrap());
    let refuse = |name: &str, v: Value, want: &str| {
        let r = rpc(name);
        let mut q = msg(&r.request);
        q.set_field_by_number(1, v);
        let err = c
            .from_message(&q, 1, &r.params, &mut Vec::new())
            .expect_err(name);
        assert!(err.contains(want), "{name}: {err}");
    };
    refuse("EchoU8", Value::U32(256), "256 is out of range for u8");
    refuse("EchoU16", Value::U32(65536), "out of range for u16");
    refuse("EchoS8", Value::I32(128), "out of range for s8");
    refuse("EchoS16", Value::I32(-32769), "out of range for s16");
    refuse("EchoChar", Value::U32(0xd800), "not a Unicode scalar value");
    refuse(
        "EchoChar",
        Value::U32(0x11_0000),
        "not a Unicode scalar value",
    );
    refuse(
        "EchoColor",
        Value::EnumNumber(3),
        "enum number 3 of an enum of 3 cases",
    );
    refuse("EchoColor", Value::EnumNumber(-1), "enum number -1");
    // A result and a variant with no case set.
    let r = rpc("EchoResult");
    let q = msg(&r.request);
    let result_desc = q.descriptor().get_field(1).unwrap().kind();
    let empty = DynamicMessage::new(result_desc.as_message().unwrap().clone());
    refuse(
        "EchoResult",
        Value::Message(empty),
        "neither ok nor err is set",
    );
    let r = rpc("EchoShape");
    let d = msg(&r.request).descriptor().get_field(1).unwrap().kind();
    let empty = DynamicMessage::new(d.as_message().unwrap().clone());
    refuse("EchoShape", Value::Message(empty), "no case is set");
    // Wire bytes that are not a value are refused too (the host's own encoder never
    // sends them; the check is the decoder's).
    let r = rpc("EchoBool");
    let e = c
        .to_message(&r.request, 1, &r.params, &[2])
        .expect_err("bool 2");
    assert!(e.contains("a bool is 2"), "{e}");
    let r = rpc("EchoString");
    let e = c
        .to_message(&r.request, 1, &r.params, &[2, 0xc3, 0x28])
        .expect_err("bad utf-8");
    assert!(e.contains("UTF-8"), "{e}");
    let e = c
        .to_message(&r.request, 1, &r.params, &[1, b'a', 0])
        .expect_err("trailing");
    assert!(e.contains("1 bytes left"), "{e}");
}

#[test]
fn typecov_maps_as_the_table_in_docs_remote_md_says() {
    let m = Mapped::new(&world_of(&root().join("tests/wit/typecov.wit")));
    let text = render(&m.map.file);
    for want in [
        "package test.typecov.typecov;",
        "service Echo {",
        "service Typecov {",
        "rpc EchoNested(stream EchoEchoNestedInput) returns (stream EchoEchoNestedOutput);",
        "message Point {\n  sint32 x = 1;\n  sint32 y = 2;\n}",
        "message Person {\n  string name = 1;\n  uint32 age = 2;\n  repeated string tags = 3;\n  OptionPoint home = 4;\n}",
        "enum Color {\n  COLOR_RED = 0;\n  COLOR_GREEN = 1;\n  COLOR_BLUE = 2;\n}",
        "message Perms {\n  bool read = 1;\n  bool write = 2;\n  bool exec = 3;\n}",
        "message ResultU32String {\n  oneof value {\n    uint32 ok = 1;\n    string err = 2;\n  }\n}",
        "message TupleU8StringF64 {\n  uint32 f0 = 1;\n  string f1 = 2;\n  optional double f2 = 3;\n}",
        "message EchoEchoBytesRequest {\n  bytes v = 1;\n}",
        "message EchoSinkRequest {\n  uint32 a = 1;\n  string b = 2;\n  repeated uint64 c = 3;\n}",
        "message StorePeekRequest {\n  uint64 c = 1;\n}",
        "message CounterAddRequest {\n  uint64 self = 1;\n  sint64 delta = 2;\n}",
        // No imports, but an exported resource: streams, so that the plugin can call
        // methods and `Drop` of counters the host made, which follow the (no) imports.
        "message ImportCall {\n  oneof call {\n    CounterDropRequest counter_drop = 2;\n    CounterAddRequest counter_add = 3;\n    CounterGetRequest counter_get = 4;\n  }\n}",
        "message ImportReturn {\n  oneof result {\n    string error = 1;\n    CounterDropResponse counter_drop = 2;",
    ] {
        assert!(text.contains(want), "the .proto lacks {want:?}:\n{text}");
    }
    assert!(m.map.streaming);
    // A world without imports or resources keeps unary rpcs.
    let plain = Mapped::new(&edge_world());
    let plain_text = render(&plain.map.file);
    assert!(plain.map.imports.is_empty());
    assert!(
        !plain.map.streaming && !plain_text.contains("stream "),
        "{plain_text}"
    );
}
