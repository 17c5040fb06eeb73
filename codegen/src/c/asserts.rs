//! Compile-time layout checks (`PP_STATIC_ASSERT`) for the structs of a header.
//!
//! The expected numbers come from [`super::layout`], i.e. from the C layout algorithm
//! applied to the IR, for 64-bit targets; the checks are compiled only when
//! `PP_CHECK_LAYOUT` is defined (pointers are 8 bytes), alignment checks only when
//! `PP_HAVE_ALIGNOF` is.

use super::layout::{Layout, Member};

/// Checks of size, alignment and every member offset of struct `name`.
pub(super) fn struct_checks(name: &str, members: &[Member]) -> String {
    let layouts: Vec<Layout> = members.iter().map(|m| m.layout).collect();
    let s = Layout::structure(&layouts);
    let offsets: Vec<(String, u64)> = members
        .iter()
        .zip(&s.offsets)
        .map(|(m, off)| (m.name.clone(), *off))
        .collect();
    checks(name, s.layout, &offsets)
}

/// Checks of a function table or vtable `name`: a `pp_table_header`, then one pointer per
/// slot (`drop` counts as a slot).
pub(super) fn table_checks(name: &str, slots: &[String]) -> String {
    let mut members = vec![Member {
        name: "header".into(),
        layout: Layout::TABLE_HEADER,
    }];
    members.extend(slots.iter().map(|s| Member {
        name: s.clone(),
        layout: Layout::POINTER,
    }));
    struct_checks(name, &members)
}

/// The checks of one struct. Each check's identifier (in C99 the name of a typedef, which
/// must be unique in the translation unit) joins the struct and member names with `__`,
/// which no generated C name contains: `S__size`, `S__m__offset`, `S__align`. With a
/// single `_`, record `a` field `b-c` and record `a-b` field `c` both had `a_b_c_offset`.
fn checks(name: &str, layout: Layout, offsets: &[(String, u64)]) -> String {
    let mut out = String::from("#ifdef PP_CHECK_LAYOUT\n");
    out += &format!(
        "PP_STATIC_ASSERT(sizeof({name}) == {}, {name}__size);\n",
        layout.size
    );
    for (member, off) in offsets {
        out += &format!(
            "PP_STATIC_ASSERT(offsetof({name}, {member}) == {off}, {name}__{member}__offset);\n"
        );
    }
    out += "#ifdef PP_HAVE_ALIGNOF\n";
    out += &format!(
        "PP_STATIC_ASSERT(PP_ALIGNOF({name}) == {}, {name}__align);\n",
        layout.align
    );
    out += "#endif\n#endif\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_cover_size_offsets_and_alignment() {
        let text = table_checks("t_table", &["a".into(), "b".into()]);
        assert!(text.contains("PP_STATIC_ASSERT(sizeof(t_table) == 32, t_table__size);"));
        assert!(text.contains("offsetof(t_table, header) == 0"));
        assert!(text.contains("offsetof(t_table, b) == 24, t_table__b__offset"));
        assert!(text.contains("PP_ALIGNOF(t_table) == 8"));
        assert!(text.starts_with("#ifdef PP_CHECK_LAYOUT\n"));
    }
}
