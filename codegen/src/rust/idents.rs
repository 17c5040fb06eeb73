//! Rust identifiers for WIT names and C names.
//!
//! - WIT names become snake_case (functions, fields, modules) or UpperCamelCase (types,
//!   cases); a Rust keyword becomes a raw identifier (`r#type`), except the four that
//!   cannot be raw (`self`, `Self`, `super`, `crate`), which get a trailing `_`.
//! - C names (fields of the `ffi` mirror) that are Rust keywords get a trailing `_`, as
//!   bindgen does, so that the mirror matches bindgen's output for the header.

use plugport::ir::snake;

/// Rust keywords, strict and reserved, of all editions.
const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Is `s` a Rust keyword?
pub fn is_rust_keyword(s: &str) -> bool {
    RUST_KEYWORDS.contains(&s)
}

/// A WIT name as a snake_case Rust identifier: `max-frame` → `max_frame`,
/// `type` → `r#type`, `self` → `self_`.
pub fn rs_ident(wit: &str) -> String {
    let s = snake(wit);
    match s.as_str() {
        "self" | "Self" | "super" | "crate" => format!("{s}_"),
        k if is_rust_keyword(k) => format!("r#{s}"),
        _ => s,
    }
}

/// A WIT name as an UpperCamelCase Rust type or case name: `codec-error` → `CodecError`,
/// `get-URL` → `GetUrl` (heck's word rules, so an all-caps WIT word is one capital and
/// lower case, as Rust's naming guidelines and clippy's `upper_case_acronyms` want). A
/// name that would start with a digit gets a leading `_`; `Self` becomes `Self_`.
pub fn camel(wit: &str) -> String {
    let mut out = heck::ToUpperCamelCase::to_upper_camel_case(wit);
    if out.is_empty() {
        out.push('_');
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if out == "Self" {
        out.push('_');
    }
    out
}

/// A WIT name as an UPPER_SNAKE constant name: `read-only` → `READ_ONLY` (heck).
pub fn upper(wit: &str) -> String {
    heck::ToShoutySnakeCase::to_shouty_snake_case(wit)
}

/// Names bindgen also suffixes with `_` although they are not keywords: primitive type
/// names and reserved words (bindgen's `rust_mangle` list).
const BINDGEN_RESERVED: &[&str] = &[
    "str", "proc", "pure", "u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128",
    "f32", "f64", "usize", "isize", "bool", "char",
];

/// A C identifier as the field name bindgen gives it: Rust keywords, primitive type names
/// and a few reserved words get a trailing `_`.
pub fn ffi_field(c: &str) -> String {
    if is_rust_keyword(c) || BINDGEN_RESERVED.contains(&c) {
        format!("{c}_")
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffi_fields_follow_bindgen() {
        assert_eq!(ffi_field("type"), "type_");
        assert_eq!(ffi_field("str"), "str_");
        assert_eq!(ffi_field("u8"), "u8_");
        assert_eq!(ffi_field("stream"), "stream");
    }

    #[test]
    fn identifiers() {
        assert_eq!(rs_ident("max-frame"), "max_frame");
        assert_eq!(rs_ident("type"), "r#type");
        assert_eq!(rs_ident("self"), "self_");
        assert_eq!(camel("codec-error"), "CodecError");
        assert_eq!(camel("f0"), "F0");
        assert_eq!(camel("get-URL"), "GetUrl");
        assert_eq!(camel("http2-server"), "Http2Server");
        assert_eq!(camel("1st"), "_1st");
        assert_eq!(camel("self"), "Self_");
        assert_eq!(upper("read-only"), "READ_ONLY");
        assert_eq!(upper("get-URL"), "GET_URL");
        assert_eq!(ffi_field("type"), "type_");
        assert_eq!(ffi_field("self"), "self_");
        assert_eq!(ffi_field("default_"), "default_");
    }
}
