//! The plugport interface IR: one WIT world, resolved and flattened into plain data.
//!
//! The front end (`plugport-codegen`, from `wit-parser`) produces it, every back end reads
//! it, and every plugin carries a serialised copy in its descriptor so the loader and
//! `plugport check` can compare a plugin with a host structurally, without running it.
//! That is why it lives in the runtime crate: the loader must read it.
//!
//! Rules that the rest of plugport relies on (see `docs/abi.md`):
//! - Order is meaning. Functions, fields, cases and world items keep their WIT declaration
//!   order, because that order is the order of slots in function tables and vtables.
//! - Types are interned: `types[i]` is the type with [`TypeId`] `i`; anonymous types
//!   (`list<u8>`, `option<string>`, tuples, handles) appear once per distinct structure,
//!   and every type appears after all types it refers to.
//! - Serialisation with `serde_json::to_string` is canonical (no maps, fixed field
//!   order), so the fingerprint is a hash of that text.

use serde::{Deserialize, Serialize};

/// Index into [`World::types`].
pub type TypeId = usize;

/// The largest N of a fixed-length list `list<T, N>` (`docs/abi.md` §3): such a value
/// travels inline, by value, so it is bounded like a struct a C compiler passes on the
/// stack. The front end refuses larger N and `list<T, 0>` with file and line.
pub const MAX_FIXED_LIST_LEN: u32 = 65536;

/// A WIT package name: `namespace:name@version`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PackageName {
    /// The namespace before the colon, e.g. `example` (kebab-case).
    pub namespace: String,
    /// The package name after the colon, e.g. `greeter` (kebab-case).
    pub name: String,
    /// Semantic version (`1.2.0`); `None` when the WIT package has no version, which
    /// plugport treats as `0.0.0`.
    pub version: Option<String>,
}

/// A resolved WIT world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct World {
    /// The package that defines the world; its version is the interface version.
    pub package: PackageName,
    /// The world's WIT name (kebab-case).
    pub name: String,
    /// Every type reachable from the world, interned, dependencies first.
    pub types: Vec<TypeDef>,
    /// What the host provides to the plugin, in WIT order.
    pub imports: Vec<WorldItem>,
    /// What the plugin provides to the host, in WIT order.
    pub exports: Vec<WorldItem>,
}

/// One import or export of a world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "kebab-case")]
pub enum WorldItem {
    /// An interface: its functions become one function table.
    Interface(Interface),
    /// A bare function of the world: it becomes a slot of the world's table directly.
    Function(Function),
}

/// A WIT interface.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interface {
    /// The interface's WIT name (kebab-case), or the world item name for inline interfaces,
    /// or the world's name for the table of the resources declared at world level (an
    /// import, without `package`; `docs/abi.md` §5, "Resources declared at world level").
    pub name: String,
    /// Package of the interface when it differs from the world's package.
    pub package: Option<PackageName>,
    /// Named types defined in the interface (records, enums, resources, aliases...), in
    /// WIT order. Types from other interfaces brought in by `use` are not listed here.
    pub types: Vec<TypeId>,
    /// Freestanding functions and resource constructors, methods and statics, all in
    /// WIT declaration order. The function table holds every function whose kind is not
    /// [`FunctionKind::Method`], in this order; methods go to their resource's vtable.
    pub functions: Vec<Function>,
}

/// A function, a resource constructor, method or static function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Function {
    /// The WIT name of the function itself: `greet`, `push` for `decoder.push`,
    /// `new` for a constructor.
    pub name: String,
    /// What the function is: freestanding, or a constructor, method or static of a resource.
    pub kind: FunctionKind,
    /// Parameters in order. For methods the implicit `self` is *not* listed.
    pub params: Vec<Param>,
    /// `None` when the function returns nothing.
    pub result: Option<Type>,
    /// Where the function is declared, for error messages (`file.wit:12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// What kind of function this is; resource ids point at a [`TypeDefKind::Resource`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "resource", rename_all = "kebab-case")]
pub enum FunctionKind {
    /// A function of an interface or world that belongs to no resource.
    Freestanding,
    /// Takes `borrow<resource>` as implicit first argument.
    Method(TypeId),
    /// Called on the interface table, returns the resource.
    Static(TypeId),
    /// Returns `own<resource>`.
    Constructor(TypeId),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
/// One parameter of a [`Function`].
pub struct Param {
    /// The WIT name (kebab-case).
    pub name: String,
    /// The parameter's type. In C it is passed by value and borrowed (`docs/abi.md` §3).
    pub ty: Type,
}

/// A source position for error messages. Not part of the fingerprint's meaning: the
/// front end strips it before hashing, and it is skipped in descriptors.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The WIT file, as the front end was given it (a path).
    pub file: String,
    /// The 1-based line in `file`.
    pub line: u32,
}

/// A WIT type use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Type {
    /// `bool`: C `uint8_t`, 0 or 1.
    Bool,
    /// `s8`: C `int8_t`.
    S8,
    /// `s16`: C `int16_t`.
    S16,
    /// `s32`: C `int32_t`.
    S32,
    /// `s64`: C `int64_t`.
    S64,
    /// `u8`: C `uint8_t`.
    U8,
    /// `u16`: C `uint16_t`.
    U16,
    /// `u32`: C `uint32_t`.
    U32,
    /// `u64`: C `uint64_t`.
    U64,
    /// `f32`: C `float` (IEEE 754, every bit pattern valid).
    F32,
    /// `f64`: C `double` (IEEE 754, every bit pattern valid).
    F64,
    /// `char`: C `uint32_t`, a Unicode scalar value.
    Char,
    /// `string`: C `pp_string`, UTF-8 without NUL.
    String,
    /// Any compound or named type, by id.
    Id(TypeId),
}

/// A type definition: named (declared in WIT) or anonymous (`list<T>` and friends).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TypeDef {
    /// WIT name (kebab-case) for named types, `None` for anonymous ones.
    pub name: Option<String>,
    /// Name of the interface that declares a named type (`None` for world-level types
    /// and anonymous ones). A resource declared at world level has the world's name: it
    /// belongs to the world's resource table, an imported [`Interface`] named after the
    /// world (`docs/abi.md` §5, "Resources declared at world level").
    pub interface: Option<String>,
    /// What the type is, with its parts.
    pub kind: TypeDefKind,
    /// Where the type is declared, for error messages; never serialised into descriptors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// The shape of a [`TypeDef`]; its C representation is in `docs/abi.md` §3.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TypeDefKind {
    /// A `record`: a C struct with the fields in WIT order.
    Record {
        /// The fields in WIT order; never empty (the front end refuses an empty record).
        fields: Vec<Field>,
    },
    /// Always at least one element.
    Tuple {
        /// The element types in order.
        types: Vec<Type>,
    },
    /// At most 64 flags.
    Flags {
        /// The flag names in order; flag `i` is bit `i`.
        flags: Vec<String>,
    },
    /// An `enum`: an unsigned integer sized for its cases, values 0…n−1.
    Enum {
        /// The case names in order; case `i` has value `i`.
        cases: Vec<String>,
    },
    /// A `variant`: a tag sized as for an enum, and a union of the payloads.
    Variant {
        /// The cases in order; case `i` has tag `i`.
        cases: Vec<Case>,
    },
    /// `option<T>`: `{ uint8_t is_some; T val; }`.
    Option {
        /// The type of the value when present.
        ty: Type,
    },
    /// `result<T, E>`: `{ uint8_t is_err; union { T ok; E err; } val; }`.
    Result {
        /// The success type; `None` for `result<_, E>` and `result`.
        ok: Option<Type>,
        /// The error type; `None` for `result<T>` and `result`.
        err: Option<Type>,
    },
    /// `list<T>`: `{ const T *ptr; size_t len; }`.
    List {
        /// The element type.
        ty: Type,
    },
    /// `map<K, V>`: `{ const struct { K key; V value; } *ptr; size_t len; }`, a list of
    /// key/value entries with the ownership and release rules of `list` (`docs/abi.md`
    /// §3, "Maps"). `key` is `bool`, an integer, `char` or `string` (what WIT allows).
    /// Languages with a map type refuse a received map with a duplicate key as invalid
    /// data; C sees the entries as they are.
    Map {
        /// The key type: `bool`, an integer type, `char` or `string`.
        key: Type,
        /// The value type.
        value: Type,
    },
    /// `list<T, N>`: `struct { T elems[N]; }`, N elements inline, passed and returned by
    /// value like a record (`docs/abi.md` §3, "Fixed-length lists"). `1 <= len <=
    /// MAX_FIXED_LIST_LEN`.
    FixedList {
        /// The element type.
        ty: Type,
        /// How many elements, N.
        len: u32,
    },
    /// `type a = b;` — the C and Rust back ends emit a typedef / type alias.
    Alias {
        /// The aliased type.
        ty: Type,
    },
    /// A resource; its functions are in its interface's `functions`.
    Resource,
    /// `own<R>`: R is a [`TypeDefKind::Resource`] id.
    Own {
        /// The resource, a [`TypeDefKind::Resource`] id.
        resource: TypeId,
    },
    /// `borrow<R>`: only ever in parameters.
    Borrow {
        /// The resource, a [`TypeDefKind::Resource`] id.
        resource: TypeId,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
/// A field of a [`TypeDefKind::Record`].
pub struct Field {
    /// The WIT name (kebab-case).
    pub name: String,
    /// The field's type.
    pub ty: Type,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
/// A case of a [`TypeDefKind::Variant`].
pub struct Case {
    /// The WIT name (kebab-case).
    pub name: String,
    /// The payload's type; `None` for a case without payload.
    pub ty: Option<Type>,
}

impl PackageName {
    /// The version parsed as Semantic Versioning 2.0 (`major.minor.patch`, optional
    /// `-pre` and `+build`): `Ok(None)` when the package has none, `Err` with a message
    /// naming the package and the text when it is malformed (`1.0`, `v1.0.0`, `1.x.0`).
    /// A world read from a descriptor with a malformed version is refused
    /// ([`crate::descriptor::validate_world`]); the front end gets versions from
    /// wit-parser, which parses them the same way.
    pub fn parse_version(&self) -> Result<Option<semver::Version>, String> {
        match &self.version {
            None => Ok(None),
            Some(v) => semver::Version::parse(v).map(Some).map_err(|e| {
                format!(
                    "package {}:{} has the malformed version {v:?}: {e} (expected \
                     major.minor.patch, Semantic Versioning 2.0)",
                    self.namespace, self.name
                )
            }),
        }
    }

    /// The semver triple `(major, minor, patch)`; `(0, 0, 0)` for a package without a
    /// version. Worlds from the front end and from validated descriptors always have a
    /// well-formed version; a malformed one in a hand-built IR that was never validated
    /// ([`PackageName::parse_version`] says why) also gives `(0, 0, 0)`.
    pub fn semver(&self) -> (u64, u64, u64) {
        match self.parse_version() {
            Ok(Some(v)) => (v.major, v.minor, v.patch),
            _ => (0, 0, 0),
        }
    }

    /// The compatibility line of this package: `v<major>`, or `v0_<minor>` for 0.x
    /// versions, where semver makes every minor release breaking.
    pub fn compat_line(&self) -> String {
        match self.semver() {
            (0, minor, _) => format!("v0_{minor}"),
            (major, _, _) => format!("v{major}"),
        }
    }

    /// `(major, minor)` packed as the `version` field of a table header:
    /// `major << 16 | minor`, each clamped to 16 bits.
    pub fn table_version(&self) -> u32 {
        let (major, minor, _) = self.semver();
        ((major.min(0xffff) as u32) << 16) | (minor.min(0xffff) as u32)
    }

    /// The C identifier prefix of everything generated for this package:
    /// `<namespace>_<name>_<compat line>`, kebab-case turned into snake_case, e.g.
    /// `example_greeter_v1`. Two packages, or two incompatible versions of one, never
    /// share a prefix.
    pub fn c_prefix(&self) -> String {
        format!(
            "{}_{}_{}",
            snake(&self.namespace),
            snake(&self.name),
            self.compat_line()
        )
    }
}

impl std::fmt::Display for PackageName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.namespace, self.name)?;
        if let Some(v) = &self.version {
            write!(f, "@{v}")?;
        }
        Ok(())
    }
}

impl World {
    /// The name of the plugin's single entry symbol: `plugport_entry_<prefix>_<world>`.
    pub fn entry_symbol(&self) -> String {
        format!(
            "plugport_entry_{}_{}",
            self.package.c_prefix(),
            snake(&self.name)
        )
    }

    /// The name of the plugin's optional live-objects function (`docs/abi.md` §7, §10):
    /// `plugport_live_objects_<prefix>_<world>`, `size_t f(void)`, how many resource
    /// objects the plugin has created and not yet dropped.
    pub fn live_objects_symbol(&self) -> String {
        format!(
            "plugport_live_objects_{}_{}",
            self.package.c_prefix(),
            snake(&self.name)
        )
    }

    /// The canonical JSON of this world with source locations removed: the text the
    /// fingerprint hashes and the descriptor carries.
    pub fn canonical_json(&self) -> String {
        self.canonical_json_and_fingerprint().0
    }

    /// Lower-case hex SHA-256 of [`World::canonical_json`].
    pub fn fingerprint(&self) -> String {
        self.canonical_json_and_fingerprint().1
    }

    /// [`World::canonical_json`] and [`World::fingerprint`] from one serialisation.
    ///
    /// Remembered per thread for the last world asked about (compared with `==`, about a
    /// hundredth of the cost of serialising and hashing it): a `plugport gen` asks for
    /// the same world's JSON and fingerprint several times (each back end, the baseline
    /// file), and a world of 1,000 functions takes about 15 M instructions each time.
    pub fn canonical_json_and_fingerprint(&self) -> (String, String) {
        use std::cell::RefCell;
        thread_local! {
            static LAST: RefCell<Option<(World, String, String)>> = const { RefCell::new(None) };
        }
        if let Some(hit) = LAST.with(|last| {
            last.borrow()
                .as_ref()
                .filter(|(w, _, _)| w == self)
                .map(|(_, json, fingerprint)| (json.clone(), fingerprint.clone()))
        }) {
            return hit;
        }
        let (json, fingerprint) = self.compute_canonical_json_and_fingerprint();
        LAST.with(|last| {
            *last.borrow_mut() = Some((self.clone(), json.clone(), fingerprint.clone()));
        });
        (json, fingerprint)
    }

    fn compute_canonical_json_and_fingerprint(&self) -> (String, String) {
        use sha2::Digest;
        use std::fmt::Write as _;
        let mut w = self.clone();
        w.strip_locations();
        let json = serde_json::to_string(&w).expect("IR serialises");
        let digest = sha2::Sha256::digest(json.as_bytes());
        let mut fingerprint = String::with_capacity(64);
        for b in digest.iter() {
            let _ = write!(fingerprint, "{b:02x}");
        }
        (json, fingerprint)
    }

    /// Removes every [`Location`], so that the same interface read from different files
    /// or lines has the same canonical form.
    pub fn strip_locations(&mut self) {
        for t in &mut self.types {
            t.location = None;
        }
        for item in self.imports.iter_mut().chain(self.exports.iter_mut()) {
            match item {
                WorldItem::Function(f) => f.location = None,
                WorldItem::Interface(i) => i.functions.iter_mut().for_each(|f| f.location = None),
            }
        }
    }

    /// The type definition behind an id. Panics on an id not from this world.
    pub fn ty(&self, id: TypeId) -> &TypeDef {
        &self.types[id]
    }
}

impl WorldItem {
    /// The item's name in the world: the interface name or the function name.
    pub fn name(&self) -> &str {
        match self {
            WorldItem::Interface(i) => &i.name,
            WorldItem::Function(f) => &f.name,
        }
    }
}

/// `kebab-case` → `snake_case`.
pub fn snake(s: &str) -> String {
    s.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::PackageName;

    fn package(version: Option<&str>) -> PackageName {
        PackageName {
            namespace: "a".into(),
            name: "b".into(),
            version: version.map(String::from),
        }
    }

    #[test]
    fn versions_are_semantic_versions_and_a_malformed_one_is_an_error() {
        assert_eq!(package(Some("1.2.3")).semver(), (1, 2, 3));
        assert_eq!(package(Some("0.4.1-rc.1+build.5")).semver(), (0, 4, 1));
        assert_eq!(package(Some("0.4.1-rc.1")).compat_line(), "v0_4");
        assert_eq!(package(None).parse_version(), Ok(None));
        assert_eq!(package(None).semver(), (0, 0, 0));
        for bad in ["1.0", "v1.0.0", "1.x.0", "", "1.0.0.0", "01.0.0"] {
            let err = package(Some(bad)).parse_version().unwrap_err();
            assert!(
                err.contains("a:b") && err.contains(&format!("{bad:?}")),
                "{bad:?}: {err}"
            );
        }
        // 65536 does not fit the table header's 16 bits: clamped, not wrapped.
        assert_eq!(package(Some("70000.3.0")).table_version(), 0xffff_0003);
    }

    /// The per-thread memory of the last world's JSON and fingerprint answers for that
    /// world only: alternating worlds, and a world changed in place, get their own.
    #[test]
    fn the_remembered_fingerprint_belongs_to_the_world_asked_about() {
        use super::{Function, FunctionKind, World, WorldItem};
        let world = |name: &str| World {
            package: package(Some("1.0.0")),
            name: "w".into(),
            types: Vec::new(),
            imports: Vec::new(),
            exports: vec![WorldItem::Function(Function {
                name: name.into(),
                kind: FunctionKind::Freestanding,
                params: Vec::new(),
                result: None,
                location: None,
            })],
        };
        let (a, b) = (world("f"), world("g"));
        let fresh = |w: &World| w.compute_canonical_json_and_fingerprint();
        assert_ne!(fresh(&a), fresh(&b));
        for w in [&a, &b, &a, &a, &b] {
            assert_eq!(w.canonical_json_and_fingerprint(), fresh(w));
            assert_eq!(w.fingerprint(), fresh(w).1);
            assert_eq!(w.canonical_json(), fresh(w).0);
        }
        let mut c = a.clone();
        assert_eq!(c.fingerprint(), fresh(&a).1);
        c.name = "other".into();
        assert_eq!(c.fingerprint(), fresh(&c).1);
        assert_ne!(c.fingerprint(), a.fingerprint());
        // The fingerprint is the SHA-256 of the JSON.
        use sha2::Digest;
        let (json, fingerprint) = a.canonical_json_and_fingerprint();
        let digest = sha2::Sha256::digest(json.as_bytes());
        let hex: String = digest.iter().map(|x| format!("{x:02x}")).collect();
        assert_eq!(fingerprint, hex);
    }
}
