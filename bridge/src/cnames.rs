//! C names of everything in a world, as specified in `docs/abi.md` section 4.
//!
//! Both the C back end (the header) and the Rust back end (its `ffi` mirror of the
//! header's types) name things through this module, so the two cannot drift; the
//! bindgen layout tests check the result. It lives in the runtime, next to the IR, because
//! these are pure functions of the IR that the runtime needs too (to name types and slots
//! in its messages without per-world code); `plugport_codegen::names` re-exports it.

use crate::ir::{snake, FunctionKind, Type, TypeDefKind, TypeId, World};

/// C and C++ keywords (and a few standard macro names) that cannot be identifiers.
const C_KEYWORDS: &[&str] = &[
    "alignas",
    "alignof",
    "and",
    "and_eq",
    "asm",
    "auto",
    "bitand",
    "bitor",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "char16_t",
    "char32_t",
    "char8_t",
    "class",
    "compl",
    "concept",
    "const",
    "const_cast",
    "consteval",
    "constexpr",
    "constinit",
    "continue",
    "co_await",
    "co_return",
    "co_yield",
    "decltype",
    "default",
    "delete",
    "do",
    "double",
    "dynamic_cast",
    "else",
    "enum",
    "explicit",
    "export",
    "extern",
    "false",
    "float",
    "for",
    "friend",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "not_eq",
    "nullptr",
    "operator",
    "or",
    "or_eq",
    "private",
    "protected",
    "public",
    "register",
    "reinterpret_cast",
    "requires",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "static_assert",
    "static_cast",
    "struct",
    "switch",
    "template",
    "this",
    "thread_local",
    "throw",
    "true",
    "try",
    "typedef",
    "typeid",
    "typename",
    "union",
    "unsigned",
    "using",
    "virtual",
    "void",
    "volatile",
    "wchar_t",
    "while",
    "xor",
    "xor_eq",
    "_Alignas",
    "_Alignof",
    "_Atomic",
    "_Bool",
    "_Complex",
    "_Generic",
    "_Imaginary",
    "_Noreturn",
    "_Static_assert",
    "_Thread_local",
    "NULL",
    "errno",
    "assert",
    "offsetof",
    "self",
    "err",
    "ret",
];

/// A WIT identifier as a C identifier: snake_case, with a trailing `_` when it is a C or
/// C++ keyword (or one of the names the calling convention uses: `self`, `ret`, `err`).
pub fn c_ident(wit_name: &str) -> String {
    // Sorted once per process: a binary search instead of 110 comparisons per name.
    static SORTED: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let keywords = SORTED.get_or_init(|| {
        let mut k = C_KEYWORDS.to_vec();
        k.sort_unstable();
        k
    });
    let s = snake(wit_name);
    if keywords.binary_search(&s.as_str()).is_ok() {
        format!("{s}_")
    } else {
        s
    }
}

/// Upper-case form for constants: `log-level` → `LOG_LEVEL`.
pub fn c_upper(name: &str) -> String {
    snake(name).to_ascii_uppercase()
}

/// Names of one world's C items.
pub struct CNames<'w> {
    /// The world the names are for.
    pub world: &'w World,
    /// `<namespace>_<package>_<line>`.
    pub prefix: String,
    /// [`CNames::type_id`] of each type, made on first use (a back end asks for the same
    /// few names thousands of times in a large world).
    type_ids: Vec<std::cell::OnceCell<String>>,
}

impl<'w> CNames<'w> {
    /// The names of `world`'s items; computes the prefix from its package.
    pub fn new(world: &'w World) -> Self {
        CNames {
            world,
            prefix: world.package.c_prefix(),
            type_ids: (0..world.types.len())
                .map(|_| std::cell::OnceCell::new())
                .collect(),
        }
    }

    /// The C type of a type use: `uint8_t`, `pp_string`, `example_greeter_v1_list_u8`, …
    pub fn ty(&self, ty: &Type) -> String {
        match ty {
            Type::Bool | Type::U8 => "uint8_t".into(),
            Type::S8 => "int8_t".into(),
            Type::S16 => "int16_t".into(),
            Type::S32 => "int32_t".into(),
            Type::S64 => "int64_t".into(),
            Type::U16 => "uint16_t".into(),
            Type::U32 | Type::Char => "uint32_t".into(),
            Type::U64 => "uint64_t".into(),
            Type::F32 => "float".into(),
            Type::F64 => "double".into(),
            Type::String => "pp_string".into(),
            Type::Id(id) => self.type_id(*id),
        }
    }

    /// The C name of a type definition (named or anonymous). `own<R>` and `borrow<R>`
    /// name the handle of `R`.
    pub fn type_id(&self, id: TypeId) -> String {
        match self.type_ids.get(id) {
            Some(cell) => cell.get_or_init(|| self.make_type_id(id)).clone(),
            None => self.make_type_id(id),
        }
    }

    fn make_type_id(&self, id: TypeId) -> String {
        match &self.world.ty(id).kind {
            TypeDefKind::Own { resource } | TypeDefKind::Borrow { resource } => {
                format!("{}_{}", self.prefix, self.mangle_id(*resource))
            }
            _ => format!("{}_{}", self.prefix, self.mangle_id(id)),
        }
    }

    /// The C name of the entry struct `{ K key; V value; }` of map type `id`:
    /// `<map's C name>_entry` (`docs/abi.md` §3, "Maps").
    pub fn map_entry(&self, id: TypeId) -> String {
        format!("{}_entry", self.type_id(id))
    }

    /// Structural mangling of a type use (section 4): `u8`, `string`, `list_string`, …
    pub fn mangle(&self, ty: &Type) -> String {
        match ty {
            Type::Bool => "bool".into(),
            Type::S8 => "s8".into(),
            Type::S16 => "s16".into(),
            Type::S32 => "s32".into(),
            Type::S64 => "s64".into(),
            Type::U8 => "u8".into(),
            Type::U16 => "u16".into(),
            Type::U32 => "u32".into(),
            Type::U64 => "u64".into(),
            Type::F32 => "f32".into(),
            Type::F64 => "f64".into(),
            Type::Char => "char".into(),
            Type::String => "string".into(),
            Type::Id(id) => self.mangle_id(*id),
        }
    }

    /// Mangling of a type definition without the prefix.
    pub fn mangle_id(&self, id: TypeId) -> String {
        let def = self.world.ty(id);
        if let Some(name) = &def.name {
            return match &def.interface {
                Some(i) => format!("{}_{}", snake(i), snake(name)),
                None => snake(name),
            };
        }
        let opt = |t: &Option<Type>| t.as_ref().map_or("void".to_string(), |t| self.mangle(t));
        match &def.kind {
            TypeDefKind::List { ty } => format!("list_{}", self.mangle(ty)),
            TypeDefKind::Map { key, value } => {
                format!("map_{}_{}", self.mangle(key), self.mangle(value))
            }
            TypeDefKind::FixedList { ty, len } => format!("array{len}_{}", self.mangle(ty)),
            TypeDefKind::Option { ty } => format!("option_{}", self.mangle(ty)),
            TypeDefKind::Result { ok, err } => format!("result_{}_{}", opt(ok), opt(err)),
            TypeDefKind::Tuple { types } => {
                let parts: Vec<String> = types.iter().map(|t| self.mangle(t)).collect();
                format!("tuple{}_{}", types.len(), parts.join("_"))
            }
            // Inside an anonymous type's name, `own<R>` mangles as `R` and `borrow<R>` as
            // `borrow_R`, so that `list<own<R>>` and `list<borrow<R>>` get distinct names
            // (`docs/abi.md` §4). A handle on its own is named by `type_id`.
            TypeDefKind::Own { resource } => self.mangle_id(*resource),
            TypeDefKind::Borrow { resource } => format!("borrow_{}", self.mangle_id(*resource)),
            TypeDefKind::Alias { ty } => self.mangle(ty),
            // Named kinds never reach here without a name; keep a stable fallback.
            _ => format!("anon{id}"),
        }
    }

    /// `EXAMPLE_GREETER_V1_LOGGER_LEVEL_INFO` for case `info` of type `logger.level`.
    pub fn case_const(&self, type_id: TypeId, case: &str) -> String {
        format!(
            "{}_{}",
            self.type_id(type_id).to_ascii_uppercase(),
            c_upper(case)
        )
    }

    /// Resource vtable struct name.
    pub fn vtable(&self, resource: TypeId) -> String {
        format!("{}_vtable", self.type_id(resource))
    }

    /// Interface function table struct name.
    pub fn table(&self, interface: &str) -> String {
        format!("{}_{}_table", self.prefix, snake(interface))
    }

    /// World exports / imports table struct names.
    pub fn exports(&self) -> String {
        format!("{}_{}_exports", self.prefix, snake(&self.world.name))
    }
    /// The world's imports table struct name, `<prefix>_<world>_imports`.
    pub fn imports(&self) -> String {
        format!("{}_{}_imports", self.prefix, snake(&self.world.name))
    }

    /// `plugport_entry_<prefix>_<world>`.
    pub fn entry(&self) -> String {
        self.world.entry_symbol()
    }

    /// `plugport_live_objects_<prefix>_<world>` (optional, `docs/abi.md` §7).
    pub fn live_objects(&self) -> String {
        self.world.live_objects_symbol()
    }

    /// `plugport_descriptor_<prefix>_<world>`.
    pub fn descriptor(&self) -> String {
        format!(
            "plugport_descriptor_{}_{}",
            self.prefix,
            snake(&self.world.name)
        )
    }

    /// The slot name of a function in its interface table or vtable (section 5).
    pub fn slot(&self, name: &str, kind: FunctionKind) -> String {
        match kind {
            FunctionKind::Freestanding | FunctionKind::Method(_) => c_ident(name),
            FunctionKind::Constructor(r) => c_ident(&format!("{}-new", self.resource_name(r))),
            FunctionKind::Static(r) => c_ident(&format!("{}-{}", self.resource_name(r), name)),
        }
    }

    fn resource_name(&self, r: TypeId) -> &str {
        self.world.ty(r).name.as_deref().unwrap_or("resource")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_escaped_and_kebab_becomes_snake() {
        assert_eq!(c_ident("default"), "default_");
        assert_eq!(c_ident("class"), "class_");
        assert_eq!(c_ident("log-level"), "log_level");
        assert_eq!(c_ident("name"), "name");
    }
}
