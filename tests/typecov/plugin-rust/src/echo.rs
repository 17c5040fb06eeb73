// The `echo` interface of `test:typecov@1.0.0`, shared by this plugin (`lib.rs`) and the
// in-process round trips of `tests/rust-roundtrip`: every echo function is the identity,
// `boom` panics with its message, and `sink` hands its arguments to `on_sink`.
//
// Both crates `include!` this file into a module of their own in which `exports` (the
// guest bindings' `exports` module), `Typecov` and `on_sink(u8, &str, &[u64])` are in
// scope.

use exports::types::{Color, Failure, Framed, Perms, Person, Point, PointList, Shape, Wide};

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
    fn sink(a: u8, b: &str, c: &[u64]) {
        on_sink(a, b, c)
    }
    fn boom(message: &str) -> String {
        panic!("{message}")
    }
    fn echo_map(
        v: std::collections::BTreeMap<String, Point>,
    ) -> std::collections::BTreeMap<String, Point> {
        v
    }
    fn echo_quad(v: [u8; 4]) -> [u8; 4] {
        v
    }
    fn echo_pair(v: [String; 2]) -> [String; 2] {
        v
    }
    fn echo_framed(v: Result<Framed, String>) -> Result<Framed, String> {
        v
    }
}
