//! The type-coverage plugin for `test:typecov@1.0.0`, in Rust: every echo function is the
//! identity, `boom` panics with its message (the generated trampolines turn the panic into
//! `PP_ERR_PANIC`), and `counter` is a resource whose live instances are counted.
//!
//! The same plugin is written in C in `../plugin-c`; both are exercised by the C host
//! (`../host-c`) and the Rust host tests (`../host-rust/tests`).

include!(concat!(env!("OUT_DIR"), "/typecov.rs"));

use exports::types::{Color, Failure, Perms, Person, Point, PointList, Shape, Wide};
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

struct Typecov;

/// Number of `Counter`s alive in this plugin: incremented on creation, decremented in
/// `Drop`, so it also counts the ones the host still holds.
static LIVE: AtomicU32 = AtomicU32::new(0);

impl exports::echo::Guest for Typecov {
    fn echo_bool(v: bool) -> bool {
        v
    }
    fn echo_s8(v: i8) -> i8 {
        v
    }
    fn echo_s16(v: i16) -> i16 {
        v
    }
    fn echo_s32(v: i32) -> i32 {
        v
    }
    fn echo_s64(v: i64) -> i64 {
        v
    }
    fn echo_u8(v: u8) -> u8 {
        v
    }
    fn echo_u16(v: u16) -> u16 {
        v
    }
    fn echo_u32(v: u32) -> u32 {
        v
    }
    fn echo_u64(v: u64) -> u64 {
        v
    }
    fn echo_f32(v: f32) -> f32 {
        v
    }
    fn echo_f64(v: f64) -> f64 {
        v
    }
    fn echo_char(v: char) -> char {
        v
    }
    fn echo_string(v: &str) -> String {
        v.to_string()
    }
    fn echo_bytes(v: &[u8]) -> Vec<u8> {
        v.to_vec()
    }
    fn echo_strings(v: Vec<String>) -> Vec<String> {
        v
    }
    fn echo_option(v: Option<String>) -> Option<String> {
        v
    }
    fn echo_result(v: Result<u32, String>) -> Result<u32, String> {
        v
    }
    fn echo_result_unit(v: Result<(), Failure>) -> Result<(), Failure> {
        v
    }
    fn echo_tuple(v: (u8, String, f64)) -> (u8, String, f64) {
        v
    }
    fn echo_point(v: Point) -> Point {
        v
    }
    fn echo_person(v: Person) -> Person {
        v
    }
    fn echo_color(v: Color) -> Color {
        v
    }
    fn echo_perms(v: Perms) -> Perms {
        v
    }
    fn echo_wide(v: Wide) -> Wide {
        v
    }
    fn echo_shape(v: Shape) -> Shape {
        v
    }
    fn echo_points(v: PointList) -> PointList {
        v
    }
    fn echo_nested(v: Option<Result<Vec<Person>, Shape>>) -> Option<Result<Vec<Person>, Shape>> {
        v
    }
    fn sink(_a: u8, _b: &str, _c: &[u64]) {}

    fn boom(message: &str) -> String {
        panic!("{message}")
    }
}

/// The `counter` resource. An atomic, so that one counter can be used from many threads.
struct Counter {
    value: AtomicI64,
}

impl Counter {
    fn with(start: i64) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        Counter {
            value: AtomicI64::new(start),
        }
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

impl exports::store::GuestCounter for Counter {
    fn new(start: i64) -> Self {
        Counter::with(start)
    }

    fn add(&self, delta: i64) -> i64 {
        // fetch_add wraps on overflow, as the C plugin does.
        self.value
            .fetch_add(delta, Ordering::SeqCst)
            .wrapping_add(delta)
    }

    fn get(&self) -> i64 {
        self.value.load(Ordering::SeqCst)
    }

    fn zero() -> Self {
        Counter::with(0)
    }
}

impl exports::store::Guest for Typecov {
    type Counter = Counter;

    fn peek(c: &Counter) -> i64 {
        c.value.load(Ordering::SeqCst)
    }

    fn consume(c: Counter) -> i64 {
        // `c` is dropped at the end of this function: ownership moved to the plugin.
        c.value.load(Ordering::SeqCst)
    }

    fn live() -> u32 {
        LIVE.load(Ordering::SeqCst)
    }
}

impl exports::Guest for Typecov {
    fn version() -> String {
        "typecov-rust 1.0.0".to_string()
    }
}

export_typecov!(Typecov, name: "typecov-rust", version: "1.0.0");
