//! The `ffi` module: a `repr(C)` mirror of every type of the world's C header
//! (`docs/abi.md` §3–§5), named exactly as [`CNames`](plugport::cnames::CNames) names them,
//! with the C field names (Rust keywords get a trailing `_`, as bindgen does), so the
//! bindgen layout tests can match the two. All structs are `Clone + Copy`; the anonymous
//! unions of variants and results are named `<struct>_val`.

use std::collections::HashSet;

use plugport::ir::{Function, FunctionKind, Interface, Type, TypeDefKind, TypeId};

use super::idents::ffi_field;
use super::{Dir, Gen, Out};
use plugport::cnames::c_ident;
use plugport::layout::{Layout, Layouts};

impl Gen<'_> {
    /// The C representation of a type use, as a Rust type seen from `depth` (`None`: from
    /// inside `ffi`).
    pub(crate) fn fty(&self, ty: &Type, depth: Option<usize>) -> String {
        match ty {
            Type::Bool | Type::U8 => "u8".into(),
            Type::S8 => "i8".into(),
            Type::S16 => "i16".into(),
            Type::S32 => "i32".into(),
            Type::S64 => "i64".into(),
            Type::U16 => "u16".into(),
            Type::U32 | Type::Char => "u32".into(),
            Type::U64 => "u64".into(),
            Type::F32 => "f32".into(),
            Type::F64 => "f64".into(),
            Type::String => "::plugport::abi::PpString".into(),
            Type::Id(id) => {
                let n = self.c.type_id(*id);
                match depth {
                    None => n,
                    Some(d) => self.ffi_path(&n, d),
                }
            }
        }
    }

    /// The function-pointer type of a slot (§5): `Option<unsafe extern "C" fn([self,]
    /// params…, [ret,] err) -> pp_status>`.
    pub(crate) fn slot_ty(&self, f: &Function, depth: Option<usize>) -> String {
        format!("::core::option::Option<{}>", self.slot_fn_ty(f, depth))
    }

    /// The argument types of a slot's function (§5): `[self,] params…, [ret,] err`.
    pub(crate) fn slot_args(&self, f: &Function, depth: Option<usize>) -> Vec<String> {
        let mut args = Vec::new();
        if let FunctionKind::Method(_) = f.kind {
            args.push("*mut ::core::ffi::c_void".to_string());
        }
        for p in &f.params {
            args.push(self.fty(&p.ty, depth));
        }
        if let Some(r) = &f.result {
            args.push(format!("*mut {}", self.fty(r, depth)));
        }
        args.push("*mut ::plugport::abi::PpString".into());
        args
    }

    /// The non-null function-pointer type of a slot: `unsafe extern "C" fn(…) -> pp_status`.
    pub(crate) fn slot_fn_ty(&self, f: &Function, depth: Option<usize>) -> String {
        format!(
            "unsafe extern \"C\" fn({}) -> ::plugport::abi::PpStatus",
            self.slot_args(f, depth).join(", ")
        )
    }

    pub(crate) fn ffi_module(&self, o: &mut Out) {
        o.line("/// `repr(C)` mirror of the world's C header (`docs/abi.md` §3–§5), C names.");
        o.line(Self::ALLOWS);
        o.open("pub mod ffi");
        let mut done: HashSet<String> = HashSet::new();
        for id in 0..self.w.types.len() {
            self.ffi_type(o, id, &mut done);
        }
        // Interface tables, in world order (an interface imported and exported has one).
        for dir in [Dir::Imports, Dir::Exports] {
            let (ifaces, _) = self.items(dir);
            for i in ifaces {
                let name = self.c.table(&i.name);
                if !done.insert(name.clone()) {
                    continue;
                }
                o.line(&format!(
                    "/// Function table of interface `{}` (§5).",
                    i.name
                ));
                o.line("#[repr(C)]");
                o.line("#[derive(Clone, Copy)]");
                o.open(&format!("pub struct {name}"));
                o.line("pub header: ::plugport::abi::PpTableHeader,");
                for f in i
                    .functions
                    .iter()
                    .filter(|f| !matches!(f.kind, FunctionKind::Method(_)))
                {
                    o.line(&format!(
                        "pub {}: {},",
                        ffi_field(&self.c.slot(&f.name, f.kind)),
                        self.slot_ty(f, None)
                    ));
                }
                o.close();
            }
        }
        self.layout_checks(o);
        // World tables.
        for dir in [Dir::Imports, Dir::Exports] {
            let name = match dir {
                Dir::Imports => self.c.imports(),
                Dir::Exports => self.c.exports(),
            };
            let items = match dir {
                Dir::Imports => &self.w.imports,
                Dir::Exports => &self.w.exports,
            };
            o.line(&format!(
                "/// The world's {} table (§5): interface tables and bare functions.",
                dir.module()
            ));
            o.line("#[repr(C)]");
            o.line("#[derive(Clone, Copy)]");
            o.open(&format!("pub struct {name}"));
            o.line("pub header: ::plugport::abi::PpTableHeader,");
            for item in items {
                match item {
                    plugport::ir::WorldItem::Interface(i) => o.line(&format!(
                        "pub {}: *const {},",
                        ffi_field(&c_ident(&i.name)),
                        self.c.table(&i.name)
                    )),
                    plugport::ir::WorldItem::Function(f) => o.line(&format!(
                        "pub {}: {},",
                        ffi_field(&self.c.slot(&f.name, f.kind)),
                        self.slot_ty(f, None)
                    )),
                }
            }
            o.close();
        }
        o.close();
        o.line("");
    }

    /// The interface (world item) whose functions include resource `r`'s methods.
    pub(crate) fn resource_iface(&self, r: TypeId) -> Option<&Interface> {
        let name = self.w.ty(r).interface.as_deref()?;
        self.w
            .imports
            .iter()
            .chain(self.w.exports.iter())
            .find_map(|item| match item {
                plugport::ir::WorldItem::Interface(i) if i.name == name => Some(i),
                _ => None,
            })
    }

    /// The methods of resource `r`, in WIT order.
    pub(crate) fn methods(&self, r: TypeId) -> Vec<&Function> {
        self.resource_iface(r)
            .map(|i| {
                i.functions
                    .iter()
                    .filter(|f| f.kind == FunctionKind::Method(r))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn ffi_type(&self, o: &mut Out, id: TypeId, done: &mut HashSet<String>) {
        let def = self.w.ty(id);
        let kind = &def.kind;
        if let TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } = kind {
            return;
        }
        let name = self.c.type_id(id);
        if !done.insert(name.clone()) {
            return;
        }
        let ty = |t: &Type| self.fty(t, None);
        let derive = "#[repr(C)]\n#[derive(Clone, Copy)]";
        match kind {
            TypeDefKind::Record { fields } => {
                o.line(derive);
                o.open(&format!("pub struct {name}"));
                for f in fields {
                    o.line(&format!(
                        "pub {}: {},",
                        ffi_field(&c_ident(&f.name)),
                        ty(&f.ty)
                    ));
                }
                o.close();
            }
            TypeDefKind::Tuple { types } => {
                o.line(derive);
                o.open(&format!("pub struct {name}"));
                for (i, t) in types.iter().enumerate() {
                    o.line(&format!("pub f{i}: {},", ty(t)));
                }
                o.close();
            }
            TypeDefKind::Flags { flags } => {
                o.line(&format!(
                    "pub type {name} = {};",
                    Self::flags_ty(flags.len())
                ));
                for (i, f) in flags.iter().enumerate() {
                    o.line(&format!(
                        "pub const {}: {name} = 1 << {i};",
                        self.c.case_const(id, f)
                    ));
                }
            }
            TypeDefKind::Enum { cases } => {
                o.line(&format!("pub type {name} = {};", Self::tag_ty(cases.len())));
                for (i, c) in cases.iter().enumerate() {
                    o.line(&format!(
                        "pub const {}: {name} = {i};",
                        self.c.case_const(id, c)
                    ));
                }
            }
            TypeDefKind::Variant { cases } => {
                let tag = Self::tag_ty(cases.len());
                let payloads: Vec<(String, String)> = cases
                    .iter()
                    .filter_map(|c| c.ty.map(|t| (ffi_field(&c_ident(&c.name)), ty(&t))))
                    .collect();
                self.tagged(o, &name, &format!("tag: {tag}"), &payloads);
                for (i, c) in cases.iter().enumerate() {
                    o.line(&format!(
                        "pub const {}: {tag} = {i};",
                        self.c.case_const(id, &c.name)
                    ));
                }
            }
            TypeDefKind::Option { ty: t } => {
                o.line(derive);
                o.open(&format!("pub struct {name}"));
                o.line("pub is_some: u8,");
                o.line(&format!("pub val: {},", ty(t)));
                o.close();
            }
            TypeDefKind::Result { ok, err } => {
                let mut payloads = Vec::new();
                if let Some(t) = ok {
                    payloads.push(("ok".to_string(), ty(t)));
                }
                if let Some(t) = err {
                    payloads.push(("err".to_string(), ty(t)));
                }
                self.tagged(o, &name, "is_err: u8", &payloads);
            }
            TypeDefKind::List { ty: t } => {
                o.line(derive);
                o.open(&format!("pub struct {name}"));
                o.line(&format!("pub ptr: *const {},", ty(t)));
                o.line("pub len: usize,");
                o.close();
            }
            TypeDefKind::Map { key, value } => {
                let entry = self.c.map_entry(id);
                o.line(derive);
                o.open(&format!("pub struct {entry}"));
                o.line(&format!("pub key: {},", ty(key)));
                o.line(&format!("pub value: {},", ty(value)));
                o.close();
                o.line(derive);
                o.open(&format!("pub struct {name}"));
                o.line(&format!("pub ptr: *const {entry},"));
                o.line("pub len: usize,");
                o.close();
            }
            TypeDefKind::FixedList { ty: t, len } => {
                o.line(derive);
                o.open(&format!("pub struct {name}"));
                o.line(&format!("pub elems: [{}; {len}],", ty(t)));
                o.close();
            }
            TypeDefKind::Alias { ty: t } => {
                let target = ty(t);
                if target != name {
                    o.line(&format!("pub type {name} = {target};"));
                }
            }
            TypeDefKind::Resource => {
                let vtable = self.c.vtable(id);
                o.line(&format!(
                    "/// Handle of resource `{}` (§5).",
                    def.name.as_deref().unwrap_or("")
                ));
                o.line(derive);
                o.open(&format!("pub struct {name}"));
                o.line("pub self_: *mut ::core::ffi::c_void,");
                o.line(&format!("pub vtable: *const {vtable},"));
                o.close();
                o.line(&format!(
                    "/// Vtable of resource `{}` (§5): header, drop, methods.",
                    def.name.as_deref().unwrap_or("")
                ));
                o.line(derive);
                o.open(&format!("pub struct {vtable}"));
                o.line("pub header: ::plugport::abi::PpTableHeader,");
                o.line("pub drop: ::core::option::Option<unsafe extern \"C\" fn(*mut ::core::ffi::c_void)>,");
                for m in self.methods(id) {
                    o.line(&format!(
                        "pub {}: {},",
                        ffi_field(&self.c.slot(&m.name, m.kind)),
                        self.slot_ty(m, None)
                    ));
                }
                o.close();
            }
            TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => {}
        }
    }

    /// Compile-time checks (64-bit targets) that every mirror has the size, alignment
    /// and member offsets the C back end's layout algorithm gives the header's type
    /// (`plugport::layout`), and that tables are a header plus pointer-sized slots.
    fn layout_checks(&self, o: &mut Out) {
        let layouts = Layouts::new(self.w);
        let mut done: HashSet<String> = HashSet::new();
        o.line("#[cfg(target_pointer_width = \"64\")]");
        o.open("const _: () =");
        o.line("use ::core::mem::{align_of, offset_of, size_of};");
        for id in 0..self.w.types.len() {
            let kind = &self.w.ty(id).kind;
            if matches!(kind, TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. }) {
                continue;
            }
            let name = self.c.type_id(id);
            if !done.insert(name.clone()) {
                continue;
            }
            let (layout, members) = match layouts.members(id) {
                Some(members) => {
                    let member_layouts: Vec<Layout> = members.iter().map(|m| m.layout).collect();
                    let st = Layout::structure(&member_layouts);
                    let named: Vec<(String, u64)> = members
                        .iter()
                        .zip(st.offsets)
                        .map(|(m, off)| (ffi_field(&m.name), off))
                        .collect();
                    (st.layout, named)
                }
                None => (layouts.of(&Type::Id(id)), Vec::new()),
            };
            o.line(&format!(
                "assert!(size_of::<{name}>() == {} && align_of::<{name}>() == {});",
                layout.size, layout.align
            ));
            for (field, off) in members {
                o.line(&format!("assert!(offset_of!({name}, {field}) == {off});"));
            }
            if let TypeDefKind::Map { key, value } = kind {
                // The entry struct `{ K key; V value; }` (`docs/abi.md` §3, "Maps").
                let entry = self.c.map_entry(id);
                let (l, value_at) = plugport::layout::map_entry(layouts.of(key), layouts.of(value));
                o.line(&format!(
                    "assert!(size_of::<{entry}>() == {} && align_of::<{entry}>() == {});",
                    l.size, l.align
                ));
                o.line(&format!("assert!(offset_of!({entry}, key) == 0);"));
                o.line(&format!(
                    "assert!(offset_of!({entry}, value) == {value_at});"
                ));
            }
            if let TypeDefKind::Resource = kind {
                let vt = self.c.vtable(id);
                let slots = 1 + self.methods(id).len();
                o.line(&format!(
                    "assert!(size_of::<{vt}>() == {});",
                    16 + 8 * slots
                ));
            }
        }
        for dir in [Dir::Imports, Dir::Exports] {
            let (ifaces, _) = self.items(dir);
            for i in ifaces {
                let t = self.c.table(&i.name);
                if !done.insert(t.clone()) {
                    continue;
                }
                let slots = i
                    .functions
                    .iter()
                    .filter(|f| !matches!(f.kind, FunctionKind::Method(_)))
                    .count();
                o.line(&format!("assert!(size_of::<{t}>() == {});", 16 + 8 * slots));
            }
            let (w, n) = match dir {
                Dir::Imports => (self.c.imports(), self.w.imports.len()),
                Dir::Exports => (self.c.exports(), self.w.exports.len()),
            };
            o.line(&format!("assert!(size_of::<{w}>() == {});", 16 + 8 * n));
        }
        o.close_with("};");
    }

    /// `struct { TAG; union { payloads } val; }` or just `{ TAG; }`.
    fn tagged(&self, o: &mut Out, name: &str, tag: &str, payloads: &[(String, String)]) {
        o.line("#[repr(C)]\n#[derive(Clone, Copy)]");
        o.open(&format!("pub struct {name}"));
        o.line(&format!("pub {tag},"));
        if !payloads.is_empty() {
            o.line(&format!("pub val: {name}_val,"));
        }
        o.close();
        if !payloads.is_empty() {
            o.line("#[repr(C)]\n#[derive(Clone, Copy)]");
            o.open(&format!("pub union {name}_val"));
            for (n, t) in payloads {
                o.line(&format!("pub {n}: {t},"));
            }
            o.close();
        }
    }
}
