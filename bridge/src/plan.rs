//! The value plan of a world: the one walk of its C values that every back end and the
//! runtime's marshaller follow.
//!
//! A [`Plan`] is computed once per world from the IR ([`crate::ir`]) and the C layout
//! rules ([`crate::layout`], `docs/abi.md` §3 and §5). For every type it holds a [`Node`]:
//! the type's C size and alignment, its [`Shape`] (what the bytes at each offset mean:
//! a scalar, a string, a list with its element's plan and layout, a discriminated value
//! with its tag size, payload offset and case plans, enum and flags storage with the count
//! of valid values, record and tuple field offsets, a handle with its resource), and
//! whether an owned value of it holds memory or handles. For every function table
//! (interface tables, resource vtables, the world's exports and imports tables) it holds
//! each slot's offset and, for functions, the plans of the parameters and of the result.
//!
//! Whoever reads or writes C values of a world without per-world code follows this plan:
//! the isolation wire codec ([`crate::wire`]) does today, and the generated C and Rust
//! code walks values in the same order with the same offsets (the C back end's `_release`
//! helpers, the Rust `ffi` mirror). Which types own memory or handles is decided here once
//! ([`Ownership`]), for the plan, the C `_release` helpers and the C++ `pp::owned`
//! wrappers. The back ends still walk the IR themselves for the rest; they are to migrate
//! onto this module, so that one piece of code decides what a value's bytes mean. The layout test (`tests/wire`) checks every offset here against the C compiler.
//!
//! Aliases are resolved: the node of `type a = b` is the node of `b`, so a walk never
//! meets an alias. `own<R>` and `borrow<R>` are [`Shape::Handle`]s; so is a resource
//! type itself (its C name is its handle's), though no value has that type in the IR.
//!
//! Sizes and offsets are bytes on 64-bit targets, as in [`crate::layout`].

use crate::cnames::{c_ident, CNames};
use crate::descriptor::validate_world;
use crate::ir::{Function, FunctionKind, Interface, Type, TypeDefKind, TypeId, World, WorldItem};
use crate::layout::{flags_bytes, tag_bytes, Layout, Layouts};

/// The plan of one world: a [`Node`] per type and a [`TablePlan`] per function table.
#[derive(Clone, Debug)]
pub struct Plan {
    /// `nodes[i]` is the node of `Type::Id(i)`.
    nodes: Vec<Node>,
    /// Nodes of the built-in types, in the order of [`builtin_index`].
    builtins: Vec<Node>,
    /// Interface tables, imports first, each interface once (as the C header declares
    /// them).
    pub interfaces: Vec<TablePlan>,
    /// Resource vtables, in type order.
    pub vtables: Vec<TablePlan>,
    /// The world's `_exports` table.
    pub exports: TablePlan,
    /// The world's `_imports` table.
    pub imports: TablePlan,
}

/// The plan of one type: its C layout, shape and ownership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// `sizeof` and alignment of the C representation (`docs/abi.md` §3).
    pub layout: Layout,
    /// What the bytes mean.
    pub shape: Shape,
    /// True when an owned value of this type holds memory (a string or list with
    /// `len > 0`) or `own` handles, so that releasing it has work to do (`docs/abi.md` §6).
    /// `borrow<R>` owns nothing ([`Ownership::owns`]).
    pub owns: bool,
}

/// The scalar kinds of `docs/abi.md` §3.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// `uint8_t`, 0 or 1.
    Bool,
    /// `int8_t`.
    S8,
    /// `int16_t`.
    S16,
    /// `int32_t`.
    S32,
    /// `int64_t`.
    S64,
    /// `uint8_t`.
    U8,
    /// `uint16_t`.
    U16,
    /// `uint32_t`.
    U32,
    /// `uint64_t`.
    U64,
    /// `float`, IEEE 754 (every bit pattern valid).
    F32,
    /// `double`, IEEE 754 (every bit pattern valid).
    F64,
    /// `uint32_t`, a Unicode scalar value.
    Char,
}

/// What a C value's bytes mean. Child types are [`Type`]s: look them up with
/// [`Plan::node`]. Offsets are from the start of the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A scalar of this kind at offset 0.
    Scalar(Scalar),
    /// `pp_string`: `ptr` at 0, `len` (bytes of UTF-8) at 8.
    String,
    /// `{const T *ptr; size_t len;}`: `ptr` at 0, `len` (elements) at 8; element `i` at
    /// `ptr + i * elem_layout.size`.
    List {
        /// The element type.
        elem: Type,
        /// Size and alignment of one element, bytes.
        elem_layout: Layout,
    },
    /// `map<K, V>`, `{const entry *ptr; size_t len;}` as a list: `ptr` at 0, `len`
    /// (entries) at 8; entry `i` at `ptr + i * entry_layout.size`, its key at 0 and its
    /// value at `value_offset` inside the entry.
    Map {
        /// The key type (a scalar or `string`).
        key: Type,
        /// The value type.
        value: Type,
        /// Size and alignment of one entry `struct { K key; V value; }`, bytes.
        entry_layout: Layout,
        /// `offsetof(entry, value)`, bytes.
        value_offset: u64,
    },
    /// `list<T, N>`, `struct { T elems[N]; }`: element `i` inline at `i * elem_layout.size`.
    FixedList {
        /// The element type.
        elem: Type,
        /// Size and alignment of one element, bytes.
        elem_layout: Layout,
        /// How many elements, N (at least 1).
        len: u32,
    },
    /// `{uint8_t is_some; T val;}`: `is_some` at 0 (0 or 1), `val` at `payload_offset`.
    Option {
        /// The type of `val`.
        some: Type,
        /// `offsetof(val)`, bytes.
        payload_offset: u64,
    },
    /// `{uint8_t is_err; union {T ok; E err;} val;}`: `is_err` at 0 (0 or 1), the payload
    /// of the present side (if it has a type) at `payload_offset`.
    Result {
        /// The success payload's type, if it has one.
        ok: Option<Type>,
        /// The error payload's type, if it has one.
        err: Option<Type>,
        /// `offsetof(val)`, bytes.
        payload_offset: u64,
    },
    /// `{TAG tag; union {...} val;}`: a `tag_bytes`-byte unsigned tag at 0, valid below
    /// `cases.len()`; case `i`'s payload (if it has a type) at `payload_offset`.
    Variant {
        /// Width of the tag: 1, 2 or 4 bytes.
        tag_bytes: u64,
        /// `offsetof(val)`, bytes.
        payload_offset: u64,
        /// Each case's payload type in case order, `None` for a case without one.
        cases: Vec<Option<Type>>,
    },
    /// A `tag_bytes`-byte unsigned integer at 0, valid below `cases`.
    Enum {
        /// Width of the value: 1, 2 or 4 bytes.
        tag_bytes: u64,
        /// How many cases; values `0..cases` are valid.
        cases: u32,
    },
    /// A `bytes`-byte unsigned integer at 0: flag `i` is bit `i`; bits outside `mask`
    /// (the low `count` bits) are invalid.
    Flags {
        /// Width of the integer: 1, 2, 4 or 8 bytes.
        bytes: u64,
        /// How many flags.
        count: u32,
        /// The valid bits: the low `count` bits set.
        mask: u64,
    },
    /// A record or tuple: each field at its offset, in declaration order.
    Record {
        /// The fields (tuple elements) in declaration order.
        fields: Vec<FieldPlan>,
    },
    /// A resource handle `{void *self; const vtable *vtable;}` (`self` at 0, `vtable` at
    /// 8) of resource type `resource`; `own` is false for `borrow<R>`.
    Handle {
        /// The resource, a `TypeDefKind::Resource` id of the world.
        resource: TypeId,
        /// `true` for `own<R>` (the receiver drops it), `false` for `borrow<R>`.
        own: bool,
    },
}

/// One field of a record or tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldPlan {
    /// The field's type.
    pub ty: Type,
    /// `offsetof` the field in its struct.
    pub offset: u64,
}

/// One function table (`docs/abi.md` §5): a `pp_table_header` and pointer slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TablePlan {
    /// The table's C struct name (`example_greeter_v1_greet_table`).
    pub c_name: String,
    /// What the table is for.
    pub kind: TableKind,
    /// `sizeof` the table as generated: header plus 8 bytes per slot.
    pub size: u64,
    /// Every slot after the header, in order (a vtable's `drop` first).
    pub slots: Vec<SlotPlan>,
}

/// What a [`TablePlan`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableKind {
    /// The table of the interface with this IR name.
    Interface(String),
    /// The vtable of this resource.
    Vtable(TypeId),
    /// The world's exports (`true`) or imports table.
    World {
        /// `true` for the exports table, `false` for the imports table.
        exports: bool,
    },
}

/// One slot of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotPlan {
    /// The slot's C member name (`docs/abi.md` §4–§5).
    pub name: String,
    /// `offsetof` the slot in its table. A caller checks `offset + 8 <= header.size`.
    pub offset: u64,
    /// What the slot holds.
    pub kind: SlotKind,
}

/// What a slot holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotKind {
    /// A function pointer with the calling convention of `docs/abi.md` §5.
    Function(FunctionPlan),
    /// `const <interface>_table *`: an index into [`Plan::interfaces`].
    Interface(usize),
    /// A vtable's `void (*drop)(void *self)`.
    Drop,
}

/// The plan of one function: what its slot's arguments are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionPlan {
    /// The function's WIT name (`push`, `new` for a constructor).
    pub wit_name: String,
    /// Freestanding, constructor, method or static, as in the IR.
    pub kind: FunctionKind,
    /// True for methods: the slot's first argument is `void *self`.
    pub has_self: bool,
    /// The parameters after `self`, in order, passed by value.
    pub params: Vec<ParamPlan>,
    /// The result, written through the `ret` argument that follows the parameters.
    /// Every slot then ends with `pp_string *err`.
    pub result: Option<Type>,
}

/// One parameter of a function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamPlan {
    /// The parameter's C name (`c_ident`).
    pub name: String,
    /// The parameter's type, passed by value (borrowed, `docs/abi.md` §3).
    pub ty: Type,
}

/// The 13 built-in types (every [`Type`] but `Type::Id`), in the order of their nodes.
pub const BUILTINS: [Type; 13] = [
    Type::Bool,
    Type::S8,
    Type::S16,
    Type::S32,
    Type::S64,
    Type::U8,
    Type::U16,
    Type::U32,
    Type::U64,
    Type::F32,
    Type::F64,
    Type::Char,
    Type::String,
];

fn builtin_index(ty: Type) -> usize {
    BUILTINS
        .iter()
        .position(|b| *b == ty)
        .expect("a built-in type")
}

/// Size of a table header and of one slot (`docs/abi.md` §2, §5).
const HEADER: u64 = Layout::TABLE_HEADER.size;
const SLOT: u64 = Layout::POINTER.size;

impl Plan {
    /// The plan of `world`. The world is first checked with
    /// [`validate_world`] (type ids in range, handles of resources, at most 64 flags, no
    /// type containing itself, nesting at most 64 deep), so a plan exists only for a
    /// world whose every walk terminates; the error is that check's message.
    pub fn new(world: &World) -> Result<Plan, String> {
        validate_world(world)?;
        let layouts = Layouts::new(world);
        let owns = Ownership::new(world);
        let mut nodes: Vec<Option<Node>> = vec![None; world.types.len()];
        for id in 0..world.types.len() {
            node_of(world, &layouts, &owns, id, &mut nodes);
        }
        let nodes: Vec<Node> = nodes.into_iter().map(|n| n.expect("computed")).collect();
        let builtins = BUILTINS
            .iter()
            .map(|t| Node {
                layout: layouts.of(t),
                shape: builtin_shape(*t),
                owns: *t == Type::String,
            })
            .collect();
        let (interfaces, vtables, exports, imports) = tables(world);
        Ok(Plan {
            nodes,
            builtins,
            interfaces,
            vtables,
            exports,
            imports,
        })
    }

    /// The node of a type use. Panics on an id not from this plan's world.
    pub fn node(&self, ty: Type) -> &Node {
        match ty {
            Type::Id(id) => &self.nodes[id],
            other => &self.builtins[builtin_index(other)],
        }
    }

    /// How many type ids the world has (`Type::Id(0..count)`).
    pub fn type_count(&self) -> usize {
        self.nodes.len()
    }

    /// Every table: interfaces, vtables, then the exports and imports tables.
    pub fn tables(&self) -> impl Iterator<Item = &TablePlan> {
        self.interfaces
            .iter()
            .chain(&self.vtables)
            .chain([&self.exports, &self.imports])
    }
}

fn builtin_shape(ty: Type) -> Shape {
    Shape::Scalar(match ty {
        Type::Bool => Scalar::Bool,
        Type::S8 => Scalar::S8,
        Type::S16 => Scalar::S16,
        Type::S32 => Scalar::S32,
        Type::S64 => Scalar::S64,
        Type::U8 => Scalar::U8,
        Type::U16 => Scalar::U16,
        Type::U32 => Scalar::U32,
        Type::U64 => Scalar::U64,
        Type::F32 => Scalar::F32,
        Type::F64 => Scalar::F64,
        Type::Char => Scalar::Char,
        Type::String => return Shape::String,
        Type::Id(_) => unreachable!("not a built-in type"),
    })
}

/// The node of type `id`, memoised (aliases are computed from their target, which may
/// come later in a hand-made IR; a validated world has no cycles).
fn node_of(
    world: &World,
    layouts: &Layouts,
    owns: &Ownership,
    id: TypeId,
    memo: &mut [Option<Node>],
) -> Node {
    if let Some(n) = &memo[id] {
        return n.clone();
    }
    let layout = layouts.of(&Type::Id(id));
    let shape = match &world.ty(id).kind {
        TypeDefKind::Alias { ty } => {
            let node = match ty {
                Type::Id(target) => node_of(world, layouts, owns, *target, memo),
                t => Node {
                    layout: layouts.of(t),
                    shape: builtin_shape(*t),
                    owns: owns.owns(t),
                },
            };
            memo[id] = Some(node.clone());
            return node;
        }
        TypeDefKind::Record { fields } => {
            record(layouts, &fields.iter().map(|f| f.ty).collect::<Vec<_>>())
        }
        TypeDefKind::Tuple { types } => record(layouts, types),
        TypeDefKind::Flags { flags } => {
            let count = flags.len() as u32;
            Shape::Flags {
                bytes: flags_bytes(flags.len()),
                count,
                mask: if count >= 64 {
                    u64::MAX
                } else {
                    (1u64 << count) - 1
                },
            }
        }
        TypeDefKind::Enum { cases } => Shape::Enum {
            tag_bytes: tag_bytes(cases.len()),
            cases: cases.len() as u32,
        },
        TypeDefKind::Variant { cases } => {
            let tag = tag_bytes(cases.len());
            let payloads: Vec<Type> = cases.iter().filter_map(|c| c.ty).collect();
            Shape::Variant {
                tag_bytes: tag,
                payload_offset: payload_offset(layouts, Layout::new(tag, tag), &payloads),
                cases: cases.iter().map(|c| c.ty).collect(),
            }
        }
        TypeDefKind::Option { ty } => Shape::Option {
            some: *ty,
            payload_offset: payload_offset(layouts, Layout::new(1, 1), &[*ty]),
        },
        TypeDefKind::Result { ok, err } => {
            let payloads: Vec<Type> = [*ok, *err].into_iter().flatten().collect();
            Shape::Result {
                ok: *ok,
                err: *err,
                payload_offset: payload_offset(layouts, Layout::new(1, 1), &payloads),
            }
        }
        TypeDefKind::List { ty } => Shape::List {
            elem: *ty,
            elem_layout: layouts.of(ty),
        },
        TypeDefKind::Map { key, value } => {
            let (entry_layout, value_offset) =
                crate::layout::map_entry(layouts.of(key), layouts.of(value));
            Shape::Map {
                key: *key,
                value: *value,
                entry_layout,
                value_offset,
            }
        }
        TypeDefKind::FixedList { ty, len } => Shape::FixedList {
            elem: *ty,
            elem_layout: layouts.of(ty),
            len: *len,
        },
        TypeDefKind::Resource => Shape::Handle {
            resource: id,
            own: true,
        },
        TypeDefKind::Own { resource } => Shape::Handle {
            resource: *resource,
            own: true,
        },
        TypeDefKind::Borrow { resource } => Shape::Handle {
            resource: *resource,
            own: false,
        },
    };
    let node = Node {
        layout,
        shape,
        owns: owns.owns(&Type::Id(id)),
    };
    memo[id] = Some(node.clone());
    node
}

fn record(layouts: &Layouts, types: &[Type]) -> Shape {
    let members: Vec<Layout> = types.iter().map(|t| layouts.of(t)).collect();
    let st = Layout::structure(&members);
    Shape::Record {
        fields: types
            .iter()
            .zip(st.offsets)
            .map(|(ty, offset)| FieldPlan { ty: *ty, offset })
            .collect(),
    }
}

/// Offset of the `val` member after a tag of layout `tag`: the union of `payloads` (or
/// the single payload) aligned after the tag. Without payloads there is no `val`; the
/// offset is then where it would start (never read).
fn payload_offset(layouts: &Layouts, tag: Layout, payloads: &[Type]) -> u64 {
    let members: Vec<Layout> = payloads.iter().map(|t| layouts.of(t)).collect();
    let union = Layout::union(&members);
    Layout::structure(&[tag, union]).offsets[1]
}

/// Which types of a world own memory or handles, computed once: the one answer to "does
/// releasing a value of this type have work to do" (`docs/abi.md` §6) that [`Plan`] and
/// every back end (the C `_release` helpers, the C++ `pp::owned` wrappers) share.
///
/// It needs no validated world, only one without type cycles (every world from the front
/// end): generators classify types before, or without, building a [`Plan`].
#[derive(Clone, Debug)]
pub struct Ownership {
    by_id: Vec<bool>,
}

impl Ownership {
    /// Classifies every type of `world`. Panics on a type id out of range.
    pub fn new(world: &World) -> Ownership {
        fn use_owns(world: &World, ty: &Type, memo: &mut [Option<bool>]) -> bool {
            match ty {
                Type::String => true,
                Type::Id(id) => id_owns(world, *id, memo),
                _ => false,
            }
        }
        fn id_owns(world: &World, id: TypeId, memo: &mut [Option<bool>]) -> bool {
            if let Some(o) = memo[id] {
                return o;
            }
            let mut any = |types: &mut dyn Iterator<Item = Type>| {
                let types: Vec<Type> = types.collect();
                types.iter().any(|t| use_owns(world, t, memo))
            };
            let owns = match &world.ty(id).kind {
                TypeDefKind::Record { fields } => any(&mut fields.iter().map(|f| f.ty)),
                TypeDefKind::Tuple { types } => any(&mut types.iter().copied()),
                TypeDefKind::Variant { cases } => any(&mut cases.iter().filter_map(|c| c.ty)),
                TypeDefKind::Option { ty } | TypeDefKind::Alias { ty } => {
                    any(&mut std::iter::once(*ty))
                }
                TypeDefKind::Result { ok, err } => any(&mut [*ok, *err].into_iter().flatten()),
                TypeDefKind::List { .. }
                | TypeDefKind::Map { .. }
                | TypeDefKind::Resource
                | TypeDefKind::Own { .. } => true,
                // Inline elements: it owns what its elements own.
                TypeDefKind::FixedList { ty, .. } => any(&mut std::iter::once(*ty)),
                // A borrowed handle is the caller's: releasing a value that holds one
                // (a `list<borrow<r>>` argument, say) frees its memory and leaves the
                // handle alone.
                TypeDefKind::Borrow { .. } => false,
                TypeDefKind::Flags { .. } | TypeDefKind::Enum { .. } => false,
            };
            memo[id] = Some(owns);
            owns
        }
        let mut memo = vec![None; world.types.len()];
        Ownership {
            by_id: (0..world.types.len())
                .map(|id| id_owns(world, id, &mut memo))
                .collect(),
        }
    }

    /// True when an owned value of `ty` holds memory or owned handles: strings, lists,
    /// `own<R>` handles, and anything containing them. `borrow<R>` owns nothing, so
    /// releasing `list<borrow<R>>` (a C type of its own, `list_borrow_R`) frees the list
    /// and drops none of its handles, and `option<borrow<R>>` has nothing to release.
    pub fn owns(&self, ty: &Type) -> bool {
        match ty {
            Type::String => true,
            Type::Id(id) => self.by_id[*id],
            _ => false,
        }
    }
}

/// The interfaces of the world in header order: imports first, each once.
fn interfaces(world: &World) -> Vec<&Interface> {
    let mut seen = std::collections::HashSet::new();
    world
        .imports
        .iter()
        .chain(&world.exports)
        .filter_map(|item| match item {
            WorldItem::Interface(i) if seen.insert(i.name.as_str()) => Some(i),
            _ => None,
        })
        .collect()
}

fn function_plan(f: &Function) -> FunctionPlan {
    FunctionPlan {
        wit_name: f.name.clone(),
        kind: f.kind,
        has_self: matches!(f.kind, FunctionKind::Method(_)),
        params: f
            .params
            .iter()
            .map(|p| ParamPlan {
                name: c_ident(&p.name),
                ty: p.ty,
            })
            .collect(),
        result: f.result,
    }
}

fn table(c_name: String, kind: TableKind, first: u64, slots: Vec<(String, SlotKind)>) -> TablePlan {
    let slots: Vec<SlotPlan> = slots
        .into_iter()
        .enumerate()
        .map(|(i, (name, kind))| SlotPlan {
            name,
            offset: first + SLOT * i as u64,
            kind,
        })
        .collect();
    TablePlan {
        c_name,
        kind,
        size: first + SLOT * slots.len() as u64,
        slots,
    }
}

/// Interface tables, vtables, exports table, imports table (`docs/abi.md` §5).
fn tables(world: &World) -> (Vec<TablePlan>, Vec<TablePlan>, TablePlan, TablePlan) {
    let names = CNames::new(world);
    let ifaces = interfaces(world);
    let interface_tables: Vec<TablePlan> = ifaces
        .iter()
        .map(|i| {
            let slots = i
                .functions
                .iter()
                .filter(|f| !matches!(f.kind, FunctionKind::Method(_)))
                .map(|f| {
                    (
                        names.slot(&f.name, f.kind),
                        SlotKind::Function(function_plan(f)),
                    )
                })
                .collect();
            table(
                names.table(&i.name),
                TableKind::Interface(i.name.clone()),
                HEADER,
                slots,
            )
        })
        .collect();
    let vtables = (0..world.types.len())
        .filter(|id| world.ty(*id).kind == TypeDefKind::Resource)
        .map(|r| {
            // The methods of the first interface that lists any, as the back ends do.
            let methods: Vec<&Function> = ifaces
                .iter()
                .map(|i| {
                    i.functions
                        .iter()
                        .filter(|f| f.kind == FunctionKind::Method(r))
                        .collect::<Vec<_>>()
                })
                .find(|m| !m.is_empty())
                .unwrap_or_default();
            let mut slots = vec![("drop".to_string(), SlotKind::Drop)];
            slots.extend(methods.into_iter().map(|f| {
                (
                    names.slot(&f.name, f.kind),
                    SlotKind::Function(function_plan(f)),
                )
            }));
            table(names.vtable(r), TableKind::Vtable(r), HEADER, slots)
        })
        .collect();
    let world_table = |items: &[WorldItem], exports: bool| {
        let slots = items
            .iter()
            .map(|item| match item {
                WorldItem::Interface(i) => (
                    c_ident(&i.name),
                    SlotKind::Interface(
                        ifaces
                            .iter()
                            .position(|x| x.name == i.name)
                            .expect("every interface has a table"),
                    ),
                ),
                WorldItem::Function(f) => (
                    names.slot(&f.name, f.kind),
                    SlotKind::Function(function_plan(f)),
                ),
            })
            .collect();
        let name = if exports {
            names.exports()
        } else {
            names.imports()
        };
        table(name, TableKind::World { exports }, HEADER, slots)
    };
    let exports = world_table(&world.exports, true);
    let imports = world_table(&world.imports, false);
    (interface_tables, vtables, exports, imports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Case, Field, PackageName, Param, TypeDef};

    fn def(kind: TypeDefKind, name: Option<&str>) -> TypeDef {
        TypeDef {
            name: name.map(str::to_string),
            interface: name.map(|_| "i".to_string()),
            kind,
            location: None,
        }
    }

    fn func(name: &str, kind: FunctionKind, params: Vec<Type>, result: Option<Type>) -> Function {
        Function {
            name: name.into(),
            kind,
            params: params
                .into_iter()
                .enumerate()
                .map(|(i, ty)| Param {
                    name: if i == 0 {
                        "default".into()
                    } else {
                        format!("p{i}")
                    },
                    ty,
                })
                .collect(),
            result,
            location: None,
        }
    }

    /// Interface `i`: record r { a: u8, b: string }, alias ra = r, alias s = string,
    /// variant v { x, y(u64) }, flags f (9), resource res with a method, own/borrow.
    fn world() -> World {
        let types = vec![
            def(
                TypeDefKind::Record {
                    fields: vec![
                        Field {
                            name: "a".into(),
                            ty: Type::U8,
                        },
                        Field {
                            name: "b".into(),
                            ty: Type::String,
                        },
                    ],
                },
                Some("r"),
            ),
            def(TypeDefKind::Alias { ty: Type::Id(0) }, Some("ra")),
            def(TypeDefKind::Alias { ty: Type::String }, Some("s")),
            def(
                TypeDefKind::Variant {
                    cases: vec![
                        Case {
                            name: "x".into(),
                            ty: None,
                        },
                        Case {
                            name: "y".into(),
                            ty: Some(Type::U64),
                        },
                    ],
                },
                Some("v"),
            ),
            def(
                TypeDefKind::Flags {
                    flags: (0..9).map(|i| format!("f{i}")).collect(),
                },
                Some("f"),
            ),
            def(TypeDefKind::Resource, Some("res")),
            def(TypeDefKind::Own { resource: 5 }, None),
            def(TypeDefKind::Borrow { resource: 5 }, None),
        ];
        let functions = vec![
            func(
                "new",
                FunctionKind::Constructor(5),
                vec![],
                Some(Type::Id(6)),
            ),
            func(
                "get",
                FunctionKind::Method(5),
                vec![Type::U32],
                Some(Type::Id(1)),
            ),
            func(
                "use",
                FunctionKind::Freestanding,
                vec![Type::Id(7), Type::Id(3)],
                None,
            ),
        ];
        World {
            package: PackageName {
                namespace: "t".into(),
                name: "p".into(),
                version: Some("1.2.0".into()),
            },
            name: "w".into(),
            types,
            imports: vec![],
            exports: vec![
                WorldItem::Function(func("hello", FunctionKind::Freestanding, vec![], None)),
                WorldItem::Interface(Interface {
                    name: "i".into(),
                    package: None,
                    types: (0..6).collect(),
                    functions,
                }),
            ],
        }
    }

    #[test]
    fn nodes_have_shapes_layouts_and_ownership() {
        let plan = Plan::new(&world()).unwrap();
        let r = plan.node(Type::Id(0));
        assert_eq!(r.layout, Layout::new(24, 8));
        assert!(r.owns);
        assert_eq!(
            r.shape,
            Shape::Record {
                fields: vec![
                    FieldPlan {
                        ty: Type::U8,
                        offset: 0
                    },
                    FieldPlan {
                        ty: Type::String,
                        offset: 8
                    }
                ]
            }
        );
        // Aliases are resolved to their target's node.
        assert_eq!(plan.node(Type::Id(1)), r);
        assert_eq!(plan.node(Type::Id(2)), plan.node(Type::String));
        assert_eq!(plan.node(Type::String).shape, Shape::String);
        let v = plan.node(Type::Id(3));
        assert_eq!(
            v.shape,
            Shape::Variant {
                tag_bytes: 1,
                payload_offset: 8,
                cases: vec![None, Some(Type::U64)]
            }
        );
        assert!(!v.owns);
        assert_eq!(
            plan.node(Type::Id(4)).shape,
            Shape::Flags {
                bytes: 2,
                count: 9,
                mask: 0x1ff
            }
        );
        assert_eq!(
            plan.node(Type::Id(6)).shape,
            Shape::Handle {
                resource: 5,
                own: true
            }
        );
        let borrow = plan.node(Type::Id(7));
        assert_eq!(
            borrow.shape,
            Shape::Handle {
                resource: 5,
                own: false
            }
        );
        assert!(!borrow.owns && borrow.layout == Layout::HANDLE);
        assert_eq!(plan.node(Type::Char).shape, Shape::Scalar(Scalar::Char));
        assert!(!plan.node(Type::U64).owns);
    }

    #[test]
    fn tables_have_slot_offsets_and_function_plans() {
        let plan = Plan::new(&world()).unwrap();
        assert_eq!(plan.interfaces.len(), 1);
        let i = &plan.interfaces[0];
        assert_eq!(i.c_name, "t_p_v1_i_table");
        // The method goes to the vtable, not the interface table.
        let names: Vec<&str> = i.slots.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["res_new", "use"]);
        assert_eq!(i.slots[1].offset, 24);
        assert_eq!(i.size, 32);
        let SlotKind::Function(f) = &i.slots[1].kind else {
            panic!("a function slot")
        };
        assert!(!f.has_self);
        assert_eq!(f.params[0].name, "default_");
        assert_eq!(f.params[0].ty, Type::Id(7));
        assert_eq!(f.result, None);

        let vt = &plan.vtables[0];
        assert_eq!(vt.kind, TableKind::Vtable(5));
        assert_eq!(vt.c_name, "t_p_v1_i_res_vtable");
        assert_eq!(vt.slots[0].kind, SlotKind::Drop);
        assert_eq!(
            (vt.slots[0].offset, vt.slots[1].offset, vt.size),
            (16, 24, 32)
        );
        let SlotKind::Function(get) = &vt.slots[1].kind else {
            panic!("a method slot")
        };
        assert!(get.has_self);
        assert_eq!(get.result, Some(Type::Id(1)));

        let e = &plan.exports;
        assert_eq!(e.kind, TableKind::World { exports: true });
        assert_eq!(e.slots[1].kind, SlotKind::Interface(0));
        assert_eq!((e.slots[0].offset, e.slots[1].offset, e.size), (16, 24, 32));
        assert_eq!(plan.imports.size, 16);
        assert_eq!(plan.tables().count(), 4);
    }

    #[test]
    fn an_invalid_world_has_no_plan() {
        let mut w = world();
        w.types[1].kind = TypeDefKind::Alias { ty: Type::Id(99) };
        assert!(Plan::new(&w).unwrap_err().contains("99"));
        let mut w = world();
        w.types[0].kind = TypeDefKind::Option { ty: Type::Id(0) };
        assert!(Plan::new(&w).is_err(), "a type containing itself");
    }
}
