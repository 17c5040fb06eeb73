//! Go types of the world's WIT types, and the conversions between a Go value and its C
//! representation (`docs/abi.md` §3) in a byte buffer: `gpLift<k>` reads one (copying
//! every string and list into Go memory, and releasing them with the producing table's
//! `dealloc` when the value is owned), `gpLower<k>` writes one (strings and lists into C
//! memory of an arena). `<k>` is the type id.

use plugport::ir::{Type, TypeDefKind, TypeId};

use super::names::camel;
use super::Ctx;
use crate::c::layout::{flags_bytes, tag_bytes, Layout};

/// The Go type of a type use.
pub(crate) fn go_ty(ctx: &Ctx, ty: &Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::S8 => "int8".into(),
        Type::S16 => "int16".into(),
        Type::S32 => "int32".into(),
        Type::S64 => "int64".into(),
        Type::U8 => "uint8".into(),
        Type::U16 => "uint16".into(),
        Type::U32 => "uint32".into(),
        Type::U64 => "uint64".into(),
        Type::F32 => "float32".into(),
        Type::F64 => "float64".into(),
        Type::Char => "rune".into(),
        Type::String => "string".into(),
        Type::Id(id) => go_id(ctx, *id),
    }
}

fn go_id(ctx: &Ctx, id: TypeId) -> String {
    let name = ctx.go.ty(id);
    match &ctx.world.ty(id).kind {
        TypeDefKind::Alias { ty } if name.is_empty() => go_ty(ctx, ty),
        TypeDefKind::List { ty } => format!("[]{}", go_ty(ctx, ty)),
        TypeDefKind::Map { key, value } => {
            format!("map[{}]{}", go_ty(ctx, key), go_ty(ctx, value))
        }
        TypeDefKind::FixedList { ty, len } => format!("[{len}]{}", go_ty(ctx, ty)),
        TypeDefKind::Option { ty } => format!("*{}", go_ty(ctx, ty)),
        TypeDefKind::Result { ok, err } => {
            let side = |t: &Option<Type>| t.map_or("plugport.Unit".to_string(), |t| go_ty(ctx, &t));
            format!("plugport.Result[{}, {}]", side(ok), side(err))
        }
        TypeDefKind::Own { resource } | TypeDefKind::Borrow { resource } => {
            resource_ty(ctx, *resource)
        }
        _ => name.to_string(),
    }
}

/// The Go type of a handle of resource `r`: the implementation interface, or a pointer
/// to the proxy struct.
pub(crate) fn resource_ty(ctx: &Ctx, r: TypeId) -> String {
    if ctx.implements(r) {
        ctx.go.ty(r).to_string()
    } else {
        format!("*{}", ctx.go.ty(r))
    }
}

fn layout(ctx: &Ctx, ty: &Type) -> Layout {
    ctx.layouts.of(ty)
}

/// Offsets of the members of type `id`'s C struct.
fn offsets(ctx: &Ctx, id: TypeId) -> Vec<u64> {
    let members = ctx.layouts.members(id).unwrap_or_default();
    let ls: Vec<Layout> = members.iter().map(|m| m.layout).collect();
    Layout::structure(&ls).offsets
}

fn uint_go(bytes: u64) -> &'static str {
    match bytes {
        1 => "uint8",
        2 => "uint16",
        4 => "uint32",
        _ => "uint64",
    }
}

/// Reads an unsigned integer of `bytes` at `buf[off]`.
fn read_uint(bytes: u64, buf: &str, off: &str) -> String {
    if bytes == 1 {
        format!("{buf}[{off}]")
    } else {
        format!("*(*{})(unsafe.Pointer(&{buf}[{off}]))", uint_go(bytes))
    }
}

fn write_uint(bytes: u64, buf: &str, off: &str, val: &str) -> String {
    if bytes == 1 {
        format!("{buf}[{off}] = uint8({val})")
    } else {
        let t = uint_go(bytes);
        format!("*(*{t})(unsafe.Pointer(&{buf}[{off}])) = {t}({val})")
    }
}

/// A Go expression that lifts the value of type `ty` whose C representation starts at
/// `buf[off]`; `d` is the dealloc expression (0: borrowed, nothing is released).
pub(crate) fn lift_at(ctx: &Ctx, ty: &Type, buf: &str, off: &str, d: &str) -> String {
    match ctx.resolve(*ty) {
        Type::Bool => format!("({buf}[{off}] != 0)"),
        Type::U8 => format!("{buf}[{off}]"),
        Type::S8 => format!("int8({buf}[{off}])"),
        Type::String => {
            format!("plugport.TakeString(gpPtr({buf}, {off}), gpPtr({buf}, {off}+8), {d})")
        }
        Type::Id(id) => format!("gpLift{id}({buf}[{off}:], {d})"),
        t => format!("*(*{})(unsafe.Pointer(&{buf}[{off}]))", go_ty(ctx, &t)),
    }
}

/// A Go statement that lowers `val` of type `ty` into `buf[off]` (arena `gpA`, a
/// `*plugport.Arena`).
pub(crate) fn lower_at(ctx: &Ctx, ty: &Type, buf: &str, off: &str, val: &str) -> String {
    match ctx.resolve(*ty) {
        Type::Bool => format!("{buf}[{off}] = plugport.Bool8({val})"),
        Type::U8 => format!("{buf}[{off}] = {val}"),
        Type::S8 => format!("{buf}[{off}] = uint8({val})"),
        Type::String => format!(
            "gpPutPtr({buf}, {off}, gpA.String({val}))\n\tgpPutPtr({buf}, {off}+8, uintptr(len({val})))"
        ),
        Type::Id(id) => format!("gpLower{id}(gpA, {buf}[{off}:], {val})"),
        t => format!("*(*{})(unsafe.Pointer(&{buf}[{off}])) = {val}", go_ty(ctx, &t)),
    }
}

/// Go declarations of the world's data types (records, tuples, enums, flags, variants,
/// named aliases), with Error methods for types used as the error of a result.
pub(crate) fn declarations(ctx: &Ctx) -> String {
    let world = ctx.world;
    let mut errs = std::collections::HashSet::new();
    for def in &world.types {
        if let TypeDefKind::Result { err: Some(e), .. } = &def.kind {
            if let Type::Id(id) = ctx.resolve(*e) {
                errs.insert(id);
            }
        }
    }
    let mut out = String::new();
    for id in 0..world.types.len() {
        let def = world.ty(id);
        let name = ctx.go.ty(id).to_string();
        if name.is_empty() {
            continue;
        }
        let wit = def.name.clone().unwrap_or_else(|| ctx.names.mangle_id(id));
        let doc = match &def.interface {
            Some(i) => format!("// {name} is the WIT type `{i}.{wit}`."),
            None => format!("// {name} is the WIT type `{wit}`."),
        };
        match &def.kind {
            TypeDefKind::Record { fields } => {
                out += &format!("{doc}\ntype {name} struct {{\n");
                let rows: Vec<(String, String)> = fields
                    .iter()
                    .map(|f| (field_name(&f.name), go_ty(ctx, &f.ty)))
                    .collect();
                out += &aligned(&rows);
                out += "}\n\n";
                if errs.contains(&id) {
                    out += &format!(
                        "// Error makes {name} usable as the error of a WIT result.\nfunc (v {name}) Error() string {{\n\ttype plain {name}\n\treturn fmt.Sprintf(\"{wit} %+v\", plain(v))\n}}\n\n"
                    );
                }
            }
            TypeDefKind::Tuple { types } => {
                out += &format!("{doc}\ntype {name} struct {{\n");
                let rows: Vec<(String, String)> = types
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (format!("F{i}"), go_ty(ctx, t)))
                    .collect();
                out += &aligned(&rows);
                out += "}\n\n";
            }
            TypeDefKind::Enum { cases } => {
                let t = uint_go(tag_bytes(cases.len()));
                out += &format!("{doc}\ntype {name} {t}\n\n// The cases of {name}.\nconst (\n");
                let rows: Vec<(String, String)> = cases
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (format!("{name}{}", camel(c)), format!("{name} = {i}")))
                    .collect();
                out += &aligned(&rows);
                out += ")\n\n";
                out += &format!("// String is the WIT name of the case.\nfunc (v {name}) String() string {{\n\tswitch v {{\n");
                for c in cases {
                    out += &format!("\tcase {name}{}:\n\t\treturn \"{c}\"\n", camel(c));
                }
                out += &format!("\t}}\n\treturn fmt.Sprintf(\"{wit}(%d)\", {t}(v))\n}}\n\n");
                if errs.contains(&id) {
                    out += &format!("// Error makes {name} usable as the error of a WIT result.\nfunc (v {name}) Error() string {{\n\treturn \"{wit}: \" + v.String()\n}}\n\n");
                }
            }
            TypeDefKind::Flags { flags } => {
                let t = uint_go(flags_bytes(flags.len()));
                out += &format!(
                    "{doc} Flag i is bit i.\ntype {name} {t}\n\n// The flags of {name}.\nconst (\n"
                );
                let rows: Vec<(String, String)> = flags
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (format!("{name}{}", camel(f)), format!("{name} = 1 << {i}")))
                    .collect();
                out += &aligned(&rows);
                out += ")\n\n";
            }
            TypeDefKind::Variant { cases } => {
                let t = uint_go(tag_bytes(cases.len()));
                out += &format!(
                    "// {name}Tag says which case of {name} a value holds.\ntype {name}Tag {t}\n\n// The cases of {name}.\nconst (\n"
                );
                let rows: Vec<(String, String)> = cases
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (case_const(&name, &c.name), format!("{name}Tag = {i}")))
                    .collect();
                out += &aligned(&rows);
                out += ")\n\n";
                out += &format!("{doc} Tag selects the case; only the field of that case is meaningful.\ntype {name} struct {{\n");
                let mut rows = vec![("Tag".to_string(), format!("{name}Tag"))];
                for c in cases {
                    if let Some(ty) = &c.ty {
                        rows.push((field_name(&c.name), go_ty(ctx, ty)));
                    }
                }
                out += &aligned(&rows);
                out += "}\n\n";
                // Error: "<wit>: case(payload)".
                out += &format!(
                    "// Error describes the case, so {name} is usable as the error of a WIT result.\nfunc (v {name}) Error() string {{\n\tswitch v.Tag {{\n"
                );
                for c in cases {
                    let cn = case_const(&name, &c.name);
                    match &c.ty {
                        Some(_) => {
                            out += &format!(
                                "\tcase {cn}:\n\t\treturn fmt.Sprintf(\"{wit}: {}(%v)\", v.{})\n",
                                c.name,
                                field_name(&c.name)
                            )
                        }
                        None => out += &format!("\tcase {cn}:\n\t\treturn \"{wit}: {}\"\n", c.name),
                    }
                }
                out +=
                    &format!("\t}}\n\treturn fmt.Sprintf(\"{wit}: case %d\", {t}(v.Tag))\n}}\n\n");
            }
            TypeDefKind::Alias { ty } => {
                out += &format!("{doc}\ntype {name} = {}\n\n", go_ty(ctx, ty));
            }
            _ => {}
        }
    }
    out
}

/// The constant of case `case` of variant `name`: `ShapeCircle` (`StatusTag_` for a
/// case `tag`, whose plain name is the variant's tag type).
fn case_const(name: &str, case: &str) -> String {
    let c = camel(case);
    if c == "Tag" {
        format!("{name}Tag_")
    } else {
        format!("{name}{c}")
    }
}

/// Lines `\t<name> <rest>` with the names padded to one column, as gofmt aligns
/// struct fields and const specs.
pub(crate) fn aligned(rows: &[(String, String)]) -> String {
    let w = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(n, r)| format!("\t{n:<w$} {r}\n"))
        .collect()
}

/// A struct field or variant case name; `Tag` is taken by variants and `Error` by the
/// Error method of records and variants.
fn field_name(wit: &str) -> String {
    let c = camel(wit);
    if c == "Tag" || c == "Error" {
        format!("{c}_")
    } else {
        c
    }
}

/// The lift and lower functions of every type, and the two pointer helpers.
pub(crate) fn conversions(ctx: &Ctx) -> String {
    let mut out = String::from(
        "func gpPtr(b []byte, off int) uintptr { return *(*uintptr)(unsafe.Pointer(&b[off])) }\n\n\
         func gpPutPtr(b []byte, off int, v uintptr) { *(*uintptr)(unsafe.Pointer(&b[off])) = v }\n\n",
    );
    for id in 0..ctx.world.types.len() {
        out += &conversion(ctx, id);
    }
    out
}

fn conversion(ctx: &Ctx, id: TypeId) -> String {
    let world = ctx.world;
    let def = world.ty(id);
    let t = go_id(ctx, id);
    let off = offsets(ctx, id);
    let lift_head = format!("func gpLift{id}(b []byte, gpD uintptr) {t} {{\n");
    let lower_head = format!("func gpLower{id}(gpA *plugport.Arena, b []byte, v {t}) {{\n");
    let mut lift = String::new();
    let mut lower = String::new();
    let mut extra = String::new();
    match &def.kind {
        TypeDefKind::Resource => return String::new(),
        TypeDefKind::Map { key, value } => {
            // The entries in C memory; a received duplicate key is invalid data
            // (`docs/abi.md` §3, "Maps"): every entry is lifted (so all owned memory is
            // released), then the lift panics with plugport.InvalidData, which the callee
            // answers as PP_ERR_INVALID_ARGUMENT and the caller returns as
            // PP_ERR_INVALID_RESULT (plugport.LiftResult).
            let (entry, vo) = plugport::layout::map_entry(layout(ctx, key), layout(ctx, value));
            let (size, align) = (entry.size, entry.align);
            lift += &format!("\treturn gpLiftEntries{id}(gpPtr(b, 0), gpPtr(b, 8), gpD)\n");
            lower += &format!(
                "\tgpPutPtr(b, 0, gpA.Bytes(gpLowerEntries{id}(gpA, v)))\n\tgpPutPtr(b, 8, uintptr(len(v)))\n"
            );
            extra += &format!(
                "func gpLiftEntries{id}(p, n, gpD uintptr) {t} {{\n\tout := make({t}, n)\n\tif n == 0 {{\n\t\treturn out\n\t}}\n\traw := plugport.TakeBytes(p, n*{size}, gpD, {align})\n\tdup := -1\n\tvar dupKey {}\n\tfor i := 0; i < int(n); i++ {{\n\t\tk := {}\n\t\tx := {}\n\t\tif _, seen := out[k]; seen && dup < 0 {{\n\t\t\tdup, dupKey = i, k\n\t\t}}\n\t\tout[k] = x\n\t}}\n\tif dup >= 0 {{\n\t\tpanic(plugport.DuplicateKey(dup, dupKey))\n\t}}\n\treturn out\n}}\n\n",
                go_ty(ctx, key),
                lift_at(ctx, key, "raw", &format!("i*{size}"), "gpD"),
                lift_at(ctx, value, "raw", &format!("i*{size}+{vo}"), "gpD"),
            );
            extra += &format!(
                "func gpLowerEntries{id}(gpA *plugport.Arena, v {t}) []byte {{\n\tif len(v) == 0 {{\n\t\treturn nil\n\t}}\n\traw := plugport.Buf(uintptr(len(v)) * {size})\n\ti := 0\n\tfor k, x := range v {{\n\t\t{}\n\t\t{}\n\t\ti++\n\t}}\n\treturn raw\n}}\n\n",
                lower_at(ctx, key, "raw", &format!("i*{size}"), "k").replace("\n\t", "\n\t\t"),
                lower_at(ctx, value, "raw", &format!("i*{size}+{vo}"), "x").replace("\n\t", "\n\t\t"),
            );
        }
        TypeDefKind::FixedList { ty, .. } => {
            // N elements inline: no buffer of its own.
            let size = layout(ctx, ty).size;
            lift += &format!(
                "\tvar v {t}\n\tfor i := range v {{\n\t\tv[i] = {}\n\t}}\n\treturn v\n",
                lift_at(ctx, ty, "b", &format!("i*{size}"), "gpD")
            );
            lower += &format!(
                "\tfor i := range v {{\n\t\t{}\n\t}}\n",
                lower_at(ctx, ty, "b", &format!("i*{size}"), "v[i]").replace("\n\t", "\n\t\t")
            );
        }
        TypeDefKind::Record { fields } => {
            lift += &format!("\tvar v {t}\n");
            for (f, o) in fields.iter().zip(&off) {
                let n = field_name(&f.name);
                lift += &format!(
                    "\tv.{n} = {}\n",
                    lift_at(ctx, &f.ty, "b", &o.to_string(), "gpD")
                );
                lower += &format!(
                    "\t{}\n",
                    lower_at(ctx, &f.ty, "b", &o.to_string(), &format!("v.{n}"))
                );
            }
            lift += "\treturn v\n";
        }
        TypeDefKind::Tuple { types } => {
            lift += &format!("\tvar v {t}\n");
            for (i, (ty, o)) in types.iter().zip(&off).enumerate() {
                lift += &format!(
                    "\tv.F{i} = {}\n",
                    lift_at(ctx, ty, "b", &o.to_string(), "gpD")
                );
                lower += &format!(
                    "\t{}\n",
                    lower_at(ctx, ty, "b", &o.to_string(), &format!("v.F{i}"))
                );
            }
            lift += "\treturn v\n";
        }
        TypeDefKind::Enum { cases } => {
            let n = tag_bytes(cases.len());
            lift += &format!("\treturn {t}({})\n", read_uint(n, "b", "0"));
            lower += &format!("\t{}\n", write_uint(n, "b", "0", "v"));
        }
        TypeDefKind::Flags { flags } => {
            let n = flags_bytes(flags.len());
            lift += &format!("\treturn {t}({})\n", read_uint(n, "b", "0"));
            lower += &format!("\t{}\n", write_uint(n, "b", "0", "v"));
        }
        TypeDefKind::Variant { cases } => {
            let n = tag_bytes(cases.len());
            lift += &format!(
                "\tvar v {t}\n\tv.Tag = {t}Tag({})\n",
                read_uint(n, "b", "0")
            );
            lower += &format!("\t{}\n", write_uint(n, "b", "0", "v.Tag"));
            if cases.iter().any(|c| c.ty.is_some()) {
                let vo = off[1].to_string();
                lift += "\tswitch v.Tag {\n";
                lower += "\tswitch v.Tag {\n";
                for c in cases {
                    if let Some(ty) = &c.ty {
                        let f = field_name(&c.name);
                        let k = case_const(&t, &c.name);
                        lift += &format!(
                            "\tcase {k}:\n\t\tv.{f} = {}\n",
                            lift_at(ctx, ty, "b", &vo, "gpD")
                        );
                        lower += &format!(
                            "\tcase {k}:\n\t\t{}\n",
                            lower_at(ctx, ty, "b", &vo, &format!("v.{f}"))
                                .replace("\n\t", "\n\t\t")
                        );
                    }
                }
                lift += "\t}\n";
                lower += "\t}\n";
            }
            lift += "\treturn v\n";
        }
        TypeDefKind::Option { ty } => {
            let vo = off[1].to_string();
            lift += &format!(
                "\tif b[0] == 0 {{\n\t\treturn nil\n\t}}\n\tv := {}\n\treturn &v\n",
                lift_at(ctx, ty, "b", &vo, "gpD")
            );
            lower += &format!(
                "\tif v == nil {{\n\t\tb[0] = 0\n\t\treturn\n\t}}\n\tb[0] = 1\n\t{}\n",
                lower_at(ctx, ty, "b", &vo, "(*v)")
            );
        }
        TypeDefKind::Result { ok, err } => {
            let vo = off.get(1).map(|o| o.to_string()).unwrap_or_default();
            lift += &format!("\tvar v {t}\n\tif b[0] != 0 {{\n\t\tv.IsErr = true\n");
            if let Some(e) = err {
                lift += &format!("\t\tv.Err = {}\n", lift_at(ctx, e, "b", &vo, "gpD"));
            }
            lift += "\t\treturn v\n\t}\n";
            if let Some(o) = ok {
                lift += &format!("\tv.Ok = {}\n", lift_at(ctx, o, "b", &vo, "gpD"));
            }
            lift += "\treturn v\n";
            lower += "\tif v.IsErr {\n\t\tb[0] = 1\n";
            if let Some(e) = err {
                lower += &format!(
                    "\t\t{}\n",
                    lower_at(ctx, e, "b", &vo, "v.Err").replace("\n\t", "\n\t\t")
                );
            }
            lower += "\t\treturn\n\t}\n\tb[0] = 0\n";
            if let Some(o) = ok {
                lower += &format!("\t{}\n", lower_at(ctx, o, "b", &vo, "v.Ok"));
            }
        }
        TypeDefKind::List { ty } => {
            let el = layout(ctx, ty);
            let et = go_ty(ctx, ty);
            lift += "\treturn gpLiftElems".to_string().as_str();
            lift += &format!("{id}(gpPtr(b, 0), gpPtr(b, 8), gpD)\n");
            lower += &format!(
                "\tgpPutPtr(b, 0, gpA.Bytes(gpLowerElems{id}(gpA, v)))\n\tgpPutPtr(b, 8, uintptr(len(v)))\n"
            );
            let size = el.size;
            let align = el.align;
            // Elements.
            extra += &format!("func gpLiftElems{id}(p, n, gpD uintptr) {t} {{\n\tif n == 0 {{\n\t\treturn nil\n\t}}\n");
            if ctx.resolve(*ty) == Type::U8 {
                extra += "\treturn plugport.TakeBytes(p, n, gpD, 1)\n}\n\n";
            } else {
                extra += &format!(
                    "\traw := plugport.TakeBytes(p, n*{size}, gpD, {align})\n\tout := make({t}, n)\n\tfor i := range out {{\n\t\tout[i] = {}\n\t}}\n\treturn out\n}}\n\n",
                    lift_at(ctx, ty, "raw", &format!("i*{size}"), "gpD")
                );
            }
            extra += &format!("func gpLowerElems{id}(gpA *plugport.Arena, v {t}) []byte {{\n\tif len(v) == 0 {{\n\t\treturn nil\n\t}}\n");
            if ctx.primitive(*ty) {
                extra += &format!(
                    "\t_ = gpA\n\treturn unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*{size})\n}}\n\n"
                );
            } else {
                extra += &format!(
                    "\traw := plugport.Buf(uintptr(len(v)) * {size})\n\tfor i := range v {{\n\t\t{}\n\t}}\n\treturn raw\n}}\n\n",
                    lower_at(ctx, ty, "raw", &format!("i*{size}"), "v[i]").replace("\n\t", "\n\t\t")
                );
            }
            let _ = et;
        }
        TypeDefKind::Alias { ty } => {
            lift += &format!("\treturn {}\n", lift_at(ctx, ty, "b", "0", "gpD"));
            lower += &format!("\t{}\n", lower_at(ctx, ty, "b", "0", "v"));
        }
        TypeDefKind::Own { resource } | TypeDefKind::Borrow { resource } => {
            let own = matches!(def.kind, TypeDefKind::Own { .. });
            let r = *resource;
            let kind = if own { "Own" } else { "Borrow" };
            lift += &format!("\t_ = gpD\n\treturn gpLift{kind}{r}(gpPtr(b, 0), gpPtr(b, 8))\n");
            lower += &format!("\tself, vt := gpLower{kind}{r}(gpA, v)\n\tgpPutPtr(b, 0, self)\n\tgpPutPtr(b, 8, vt)\n");
        }
    }
    if lower.is_empty() {
        lower = "\t_, _, _ = gpA, b, v\n".into();
    }
    if !lift.contains("gpD") {
        lift = format!("\t_ = gpD\n{lift}");
    }
    if !lower.contains("gpA") {
        lower = format!("\t_ = gpA\n{lower}");
    }
    format!("{lift_head}{lift}}}\n\n{lower_head}{lower}}}\n\n{extra}")
}
