//! The C layout algorithm for the ABI representations of `docs/abi.md` section 3, on
//! 64-bit targets (x86_64, aarch64; LP64 and LLP64 agree for every type plugport uses).
//!
//! One piece of code for the generator and the runtime (issue 8): the C back end turns
//! these numbers into compile-time checks of the header, so a C compiler that lays a type
//! out differently from what the Rust `#[repr(C)]` mirror expects fails to compile the
//! header instead of corrupting memory at run time; the Rust back end asserts its mirror
//! against them; and the runtime's value plan ([`crate::plan`]) reads and writes C values
//! in memory by them, with no per-world code. The member lists here are derived from the
//! IR independently of the text the C back end prints, so the checks also catch a
//! disagreement between the two.

use crate::ir::{Type, TypeDefKind, TypeId, World};

use crate::cnames::c_ident;

/// Size and alignment of a C type, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// `sizeof`, including trailing padding.
    pub size: u64,
    /// `_Alignof`, a power of two.
    pub align: u64,
}

/// The layout of a C struct: the whole struct and the offset of each member, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructLayout {
    /// Size and alignment of the whole struct.
    pub layout: Layout,
    /// `offsetof` of each member, in declaration order.
    pub offsets: Vec<u64>,
}

/// One member of a struct as the header declares it: its C name and layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The member's C identifier (`tag`, `val`, a field name after [`c_ident`]).
    pub name: String,
    /// Size and alignment of the member's type.
    pub layout: Layout,
}

impl Layout {
    /// A type of `size` bytes aligned to `align` bytes.
    pub const fn new(size: u64, align: u64) -> Layout {
        Layout { size, align }
    }

    /// A data or function pointer, and `size_t`.
    pub const POINTER: Layout = Layout::new(8, 8);
    /// `pp_string` and every `list<T>`: `{ptr, len}`.
    pub const SLICE: Layout = Layout::new(16, 8);
    /// A resource handle `{self, vtable}`.
    pub const HANDLE: Layout = Layout::new(16, 8);
    /// `pp_table_header`: `{uint32_t size; uint32_t version; pp_dealloc_fn dealloc;}`.
    pub const TABLE_HEADER: Layout = Layout::new(16, 8);

    /// A struct of `members` in order: each member at the next offset aligned for it,
    /// the struct aligned to its most aligned member and padded to a multiple of that.
    /// An empty member list gives size 0, alignment 1.
    pub fn structure(members: &[Layout]) -> StructLayout {
        let mut offset = 0;
        let mut align = 1;
        let mut offsets = Vec::with_capacity(members.len());
        for m in members {
            offset = round_up(offset, m.align);
            offsets.push(offset);
            offset = offset.saturating_add(m.size);
            align = align.max(m.align);
        }
        StructLayout {
            layout: Layout::new(round_up(offset, align), align),
            offsets,
        }
    }

    /// A union of `members`: the largest size rounded up to the strictest alignment.
    pub fn union(members: &[Layout]) -> Layout {
        let align = members.iter().map(|m| m.align).max().unwrap_or(1);
        let size = members.iter().map(|m| m.size).max().unwrap_or(0);
        Layout::new(round_up(size, align), align)
    }
}

/// `n` rounded up to a multiple of `align` (a power of two).
pub fn round_up(n: u64, align: u64) -> u64 {
    n.div_ceil(align).saturating_mul(align)
}

/// Bytes of the integer that stores an `enum` or `variant` tag with `cases` cases:
/// 1, 2 or 4 (section 3).
pub fn tag_bytes(cases: usize) -> u64 {
    match cases {
        0..=256 => 1,
        257..=65536 => 2,
        _ => 4,
    }
}

/// Bytes of the integer that stores `flags` with `count` members: 1, 2, 4 or 8.
/// (More than 64 flags are refused by the front end.)
pub fn flags_bytes(count: usize) -> u64 {
    match count {
        0..=8 => 1,
        9..=16 => 2,
        17..=32 => 4,
        _ => 8,
    }
}

/// The C integer type of `bytes` unsigned bytes: `uint8_t` … `uint64_t`.
pub fn uint_type(bytes: u64) -> &'static str {
    match bytes {
        1 => "uint8_t",
        2 => "uint16_t",
        4 => "uint32_t",
        _ => "uint64_t",
    }
}

/// The layout of a map entry `struct { K key; V value; }` and the offset of `value`.
pub fn map_entry(key: Layout, value: Layout) -> (Layout, u64) {
    let st = Layout::structure(&[key, value]);
    (st.layout, st.offsets[1])
}

/// Layouts of every type of one world, computed once.
pub struct Layouts<'w> {
    world: &'w World,
    by_id: Vec<Layout>,
}

impl<'w> Layouts<'w> {
    /// Computes the layout of every type of `world`.
    pub fn new(world: &'w World) -> Layouts<'w> {
        let mut memo = vec![None; world.types.len()];
        for id in 0..world.types.len() {
            id_layout(world, id, &mut memo);
        }
        Layouts {
            world,
            by_id: memo.into_iter().map(|l| l.expect("computed")).collect(),
        }
    }

    /// The layout of a type use.
    pub fn of(&self, ty: &Type) -> Layout {
        match ty {
            Type::Id(id) => self.by_id[*id],
            other => scalar(other),
        }
    }

    /// The members of the C struct that represents type `id`, in declaration order, or
    /// `None` when the type is not a struct (scalars, enums, flags, aliases, `own` and
    /// `borrow`, which name their resource's handle). Resources give their handle.
    pub fn members(&self, id: TypeId) -> Option<Vec<Member>> {
        let m = |name: &str, layout: Layout| Member {
            name: name.to_string(),
            layout,
        };
        let members = match &self.world.ty(id).kind {
            TypeDefKind::Record { fields } => fields
                .iter()
                .map(|f| m(&c_ident(&f.name), self.of(&f.ty)))
                .collect(),
            TypeDefKind::Tuple { types } => types
                .iter()
                .enumerate()
                .map(|(i, t)| m(&format!("f{i}"), self.of(t)))
                .collect(),
            TypeDefKind::Variant { cases } => {
                let tag = m("tag", tag_layout(cases.len()));
                let payloads: Vec<Layout> = cases
                    .iter()
                    .filter_map(|c| c.ty.map(|t| self.of(&t)))
                    .collect();
                if payloads.is_empty() {
                    vec![tag]
                } else {
                    vec![tag, m("val", Layout::union(&payloads))]
                }
            }
            TypeDefKind::Option { ty } => {
                vec![m("is_some", Layout::new(1, 1)), m("val", self.of(ty))]
            }
            TypeDefKind::Result { ok, err } => {
                let payloads: Vec<Layout> = [ok, err]
                    .into_iter()
                    .filter_map(|t| t.map(|t| self.of(&t)))
                    .collect();
                let is_err = m("is_err", Layout::new(1, 1));
                if payloads.is_empty() {
                    vec![is_err]
                } else {
                    vec![is_err, m("val", Layout::union(&payloads))]
                }
            }
            TypeDefKind::List { .. } | TypeDefKind::Map { .. } => {
                vec![m("ptr", Layout::POINTER), m("len", Layout::POINTER)]
            }
            // `struct { T elems[N]; }`: one member, the array.
            TypeDefKind::FixedList { .. } => vec![m("elems", self.of(&Type::Id(id)))],
            TypeDefKind::Resource => {
                vec![m("self", Layout::POINTER), m("vtable", Layout::POINTER)]
            }
            TypeDefKind::Flags { .. }
            | TypeDefKind::Enum { .. }
            | TypeDefKind::Alias { .. }
            | TypeDefKind::Own { .. }
            | TypeDefKind::Borrow { .. } => return None,
        };
        Some(members)
    }
}

fn tag_layout(cases: usize) -> Layout {
    let n = tag_bytes(cases);
    Layout::new(n, n)
}

fn scalar(ty: &Type) -> Layout {
    match ty {
        Type::Bool | Type::S8 | Type::U8 => Layout::new(1, 1),
        Type::S16 | Type::U16 => Layout::new(2, 2),
        Type::S32 | Type::U32 | Type::F32 | Type::Char => Layout::new(4, 4),
        Type::S64 | Type::U64 | Type::F64 => Layout::new(8, 8),
        Type::String => Layout::SLICE,
        Type::Id(_) => unreachable!("not a scalar"),
    }
}

fn use_layout(world: &World, ty: &Type, memo: &mut [Option<Layout>]) -> Layout {
    match ty {
        Type::Id(id) => id_layout(world, *id, memo),
        other => scalar(other),
    }
}

fn id_layout(world: &World, id: TypeId, memo: &mut [Option<Layout>]) -> Layout {
    if let Some(l) = memo[id] {
        return l;
    }
    let all = |types: &mut dyn Iterator<Item = Type>, memo: &mut [Option<Layout>]| {
        types
            .map(|t| use_layout(world, &t, memo))
            .collect::<Vec<_>>()
    };
    let layout = match &world.ty(id).kind {
        TypeDefKind::Record { fields } => {
            Layout::structure(&all(&mut fields.iter().map(|f| f.ty), memo)).layout
        }
        TypeDefKind::Tuple { types } => {
            Layout::structure(&all(&mut types.iter().copied(), memo)).layout
        }
        TypeDefKind::Flags { flags } => {
            let n = flags_bytes(flags.len());
            Layout::new(n, n)
        }
        TypeDefKind::Enum { cases } => tag_layout(cases.len()),
        TypeDefKind::Variant { cases } => {
            let payloads = all(&mut cases.iter().filter_map(|c| c.ty), memo);
            discriminated(tag_layout(cases.len()), &payloads)
        }
        TypeDefKind::Option { ty } => {
            let val = use_layout(world, ty, memo);
            Layout::structure(&[Layout::new(1, 1), val]).layout
        }
        TypeDefKind::Result { ok, err } => {
            let payloads = all(&mut [*ok, *err].into_iter().flatten(), memo);
            discriminated(Layout::new(1, 1), &payloads)
        }
        TypeDefKind::List { .. } | TypeDefKind::Map { .. } => Layout::SLICE,
        TypeDefKind::FixedList { ty, len } => {
            let elem = use_layout(world, ty, memo);
            // Saturating: a validated world bounds every size (`MAX_VALUE_SIZE`); an
            // unvalidated one must not overflow while it is being checked.
            Layout::new(elem.size.saturating_mul(u64::from(*len)), elem.align)
        }
        TypeDefKind::Alias { ty } => use_layout(world, ty, memo),
        TypeDefKind::Resource | TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => {
            Layout::HANDLE
        }
    };
    memo[id] = Some(layout);
    layout
}

/// `struct { TAG tag; union { payloads } val; }`, or just the tag without payloads.
fn discriminated(tag: Layout, payloads: &[Layout]) -> Layout {
    if payloads.is_empty() {
        Layout::structure(&[tag]).layout
    } else {
        Layout::structure(&[tag, Layout::union(payloads)]).layout
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Case, Field, PackageName, TypeDef};

    fn world(types: Vec<TypeDefKind>) -> World {
        World {
            package: PackageName {
                namespace: "t".into(),
                name: "t".into(),
                version: Some("1.0.0".into()),
            },
            name: "w".into(),
            types: types
                .into_iter()
                .map(|kind| TypeDef {
                    name: None,
                    interface: None,
                    kind,
                    location: None,
                })
                .collect(),
            imports: vec![],
            exports: vec![],
        }
    }

    fn field(name: &str, ty: Type) -> Field {
        Field {
            name: name.into(),
            ty,
        }
    }

    #[test]
    fn struct_padding_follows_the_c_rules() {
        // struct { uint8_t a; uint64_t b; uint16_t c; } = 1 + 7 pad + 8 + 2 + 6 pad.
        let s = Layout::structure(&[Layout::new(1, 1), Layout::new(8, 8), Layout::new(2, 2)]);
        assert_eq!(s.offsets, vec![0, 8, 16]);
        assert_eq!(s.layout, Layout::new(24, 8));
        // struct { uint16_t a; uint8_t b; } = 3 rounded up to 4.
        let s = Layout::structure(&[Layout::new(2, 2), Layout::new(1, 1)]);
        assert_eq!(s.layout, Layout::new(4, 2));
        assert_eq!(Layout::structure(&[]).layout, Layout::new(0, 1));
    }

    #[test]
    fn union_takes_largest_size_and_strictest_alignment() {
        let u = Layout::union(&[Layout::new(1, 1), Layout::new(12, 4), Layout::new(8, 8)]);
        assert_eq!(u, Layout::new(16, 8));
        assert_eq!(Layout::union(&[Layout::new(3, 1)]), Layout::new(3, 1));
    }

    #[test]
    fn discriminants_grow_with_the_number_of_cases() {
        assert_eq!(tag_bytes(1), 1);
        assert_eq!(tag_bytes(256), 1);
        assert_eq!(tag_bytes(257), 2);
        assert_eq!(tag_bytes(65537), 4);
        assert_eq!(flags_bytes(8), 1);
        assert_eq!(flags_bytes(9), 2);
        assert_eq!(flags_bytes(40), 8);
        assert_eq!(uint_type(flags_bytes(17)), "uint32_t");
    }

    #[test]
    fn world_types_have_their_abi_layouts() {
        let w = world(vec![
            // 0: record point { x: s32, y: s32 }
            TypeDefKind::Record {
                fields: vec![field("x", Type::S32), field("y", Type::S32)],
            },
            // 1: option<point> = { u8; point } -> 12, align 4
            TypeDefKind::Option { ty: Type::Id(0) },
            // 2: record person { name: string, age: u8, home: option<point> }
            TypeDefKind::Record {
                fields: vec![
                    field("name", Type::String),
                    field("age", Type::U8),
                    field("home", Type::Id(1)),
                ],
            },
            // 3: variant { circle(f64), empty, named(string) } -> tag 1, union 16/8
            TypeDefKind::Variant {
                cases: vec![
                    Case {
                        name: "circle".into(),
                        ty: Some(Type::F64),
                    },
                    Case {
                        name: "empty".into(),
                        ty: None,
                    },
                    Case {
                        name: "named".into(),
                        ty: Some(Type::String),
                    },
                ],
            },
            // 4: result<_, _>
            TypeDefKind::Result {
                ok: None,
                err: None,
            },
            // 5: result<u32, u8> -> { u8; union(4) } = 8, align 4
            TypeDefKind::Result {
                ok: Some(Type::U32),
                err: Some(Type::U8),
            },
            // 6: tuple<u8, string, f64>
            TypeDefKind::Tuple {
                types: vec![Type::U8, Type::String, Type::F64],
            },
            // 7: flags with 40 members
            TypeDefKind::Flags {
                flags: (0..40).map(|i| format!("f{i}")).collect(),
            },
            // 8: list<person>
            TypeDefKind::List { ty: Type::Id(2) },
            // 9: resource, 10: own<resource>
            TypeDefKind::Resource,
            TypeDefKind::Own { resource: 9 },
            // 11: alias of the option
            TypeDefKind::Alias { ty: Type::Id(1) },
        ]);
        let l = Layouts::new(&w);
        let id = |i| l.of(&Type::Id(i));
        assert_eq!(id(0), Layout::new(8, 4));
        assert_eq!(id(1), Layout::new(12, 4));
        // name 0..16, age 16, home at 20 (align 4) .. 32
        assert_eq!(id(2), Layout::new(32, 8));
        assert_eq!(id(3), Layout::new(24, 8));
        assert_eq!(id(4), Layout::new(1, 1));
        assert_eq!(id(5), Layout::new(8, 4));
        // u8 at 0, string at 8, f64 at 24 -> 32
        assert_eq!(id(6), Layout::new(32, 8));
        assert_eq!(id(7), Layout::new(8, 8));
        assert_eq!(id(8), Layout::SLICE);
        assert_eq!(id(10), Layout::HANDLE);
        assert_eq!(id(11), id(1));

        let person = l.members(2).unwrap();
        let names: Vec<&str> = person.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["name", "age", "home"]);
        let offsets = Layout::structure(&person.iter().map(|m| m.layout).collect::<Vec<_>>());
        assert_eq!(offsets.offsets, vec![0, 16, 20]);
        let shape = l.members(3).unwrap();
        assert_eq!(shape[1].name, "val");
        assert_eq!(shape[1].layout, Layout::new(16, 8));
        assert_eq!(l.members(4).unwrap().len(), 1);
        assert!(l.members(7).is_none());
        assert!(l.members(10).is_none());
    }
}
