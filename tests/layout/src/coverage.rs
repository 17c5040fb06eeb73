//! Completeness of the generated tests: every type bindgen found in a header, and every
//! type of the mirror (`ffi` module of the host bindings), is one the tests compare. The
//! anonymous unions of results and variants (`<struct>__bindgen_ty_N` in bindgen's output,
//! `<struct>_val` in the mirror) count as compared when their struct is, since the tests
//! compare them through the struct's `val` member and its union members.

use std::collections::BTreeSet;

/// Names of the items `pub struct|union|type NAME` among `lines`.
fn items<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    lines
        .filter_map(|line| {
            let rest = ["pub struct ", "pub union ", "pub type "]
                .iter()
                .find_map(|kw| line.trim_start().strip_prefix(kw))?;
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            Some(&rest[..end])
        })
        .collect()
}

/// The type names of bindgen's output (top-level items).
pub(crate) fn bindgen_types(text: &str) -> Vec<&str> {
    items(text.lines().filter(|l| l.starts_with("pub ")))
}

/// The type names of the `ffi` module of a generated Rust binding file: the items between
/// the line `pub mod ffi {` and the first line `}` after it.
pub(crate) fn mirror_types(text: &str) -> Vec<&str> {
    let body = text
        .lines()
        .skip_while(|l| *l != "pub mod ffi {")
        .skip(1)
        .take_while(|l| *l != "}");
    items(body)
}

/// Panics unless every type of `bindgen_rs` and of the `ffi` module of `host_rs` is in
/// `compared` (or is the anonymous union of a struct in it), listing those that are not.
pub(crate) fn assert_all_compared(world: &str, compared: &[&str], bindgen_rs: &str, host_rs: &str) {
    let compared: BTreeSet<&str> = compared.iter().copied().collect();
    let from_bindgen = bindgen_types(bindgen_rs);
    let from_mirror = mirror_types(host_rs);
    assert!(
        from_bindgen.len() >= compared.len() && !from_mirror.is_empty(),
        "{world}: found too few types to check coverage (bindgen {}, mirror {})",
        from_bindgen.len(),
        from_mirror.len()
    );
    let mut missing = Vec::new();
    for name in from_bindgen {
        let o = name.split_once("__bindgen_ty_").map_or(name, |(s, _)| s);
        if !compared.contains(o) {
            missing.push(format!("bindgen::{name}"));
        }
    }
    for name in from_mirror {
        let o = match name.strip_suffix("_val") {
            Some(s) if compared.contains(s) => s,
            _ => name,
        };
        if !compared.contains(o) {
            missing.push(format!("host::ffi::{name}"));
        }
    }
    assert!(
        missing.is_empty(),
        "{world}: types no layout test compares: {}",
        missing.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_items_of_both_files() {
        let bindgen = "pub type p_e = u8;\n#[repr(C)]\npub struct p_r {\n    pub a: u8,\n}\n\
                       pub union p_r__bindgen_ty_1 {\n    pub ok: u8,\n}\n";
        assert_eq!(bindgen_types(bindgen), ["p_e", "p_r", "p_r__bindgen_ty_1"]);
        let host = "pub type __Keep = u8;\npub mod ffi {\n    pub struct p_r {\n        \
                    pub a: u8,\n    }\n    pub union p_r_val {\n    }\n}\npub struct Other;\n";
        assert_eq!(mirror_types(host), ["p_r", "p_r_val"]);
        assert_all_compared("t", &["p_e", "p_r"], bindgen, host);
    }

    #[test]
    #[should_panic(expected = "types no layout test compares: bindgen::p_x, host::ffi::p_y")]
    fn reports_types_left_out() {
        let bindgen = "pub type p_e = u8;\npub struct p_x {\n}\n";
        let host = "pub mod ffi {\n    pub type p_e = u8;\n    pub struct p_y {\n    }\n}\n";
        assert_all_compared("t", &["p_e"], bindgen, host);
    }
}
