//! The Go back end (`plugport gen --lang go`, `go-host`, `go-guest`): a Go package for
//! hosts and one for plugins, built with cgo on the checked C callers and validating
//! trampolines of the world's C header (docs/go.md).
//!
//! Each package holds its own copy of `<world>.h`, a Go file with the types, the
//! conversions between Go values and their C representation, and the calls into C
//! (`<pkg>.go`), a Go file with the `//export` functions C calls (`<pkg>_export.go`, whose
//! preamble holds declarations only, as cgo requires) and a companion C file
//! (`<pkg>_cgo.c`) with the function tables and the shims between them and the `//export`
//! functions. Modules: `names` (Go identifiers), `types` (Go types and conversions),
//! `caller` (calls into C tables), `callee` (C tables calling Go), `side` (what the two
//! packages share), `host` and `guest` (the two packages).

mod callee;
mod caller;
mod guest;
mod host;
pub(crate) mod names;
mod side;
mod types;

use plugport::ir::{
    snake, Function, FunctionKind, Interface, Type, TypeDefKind, TypeId, World, WorldItem,
};

use crate::c::layout::Layouts;
use crate::names::{c_ident, CNames};
use crate::GeneratedFile;

use names::GoNames;

/// Which Go package to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoSide {
    /// `<out>/<world>/`: package `<world>` for host applications (loads plugins).
    Host,
    /// `<out>/<world>plugin/`: package `<world>plugin` for plugins built with
    /// `go build -buildmode=c-shared`.
    Guest,
}

/// Options of the Go back end.
#[derive(Clone, Debug, Default)]
pub struct GoOptions {
    /// The plugin's own name in its descriptor (guest only); default `<world>-go`.
    pub plugin_name: Option<String>,
    /// The plugin's own version in its descriptor (guest only); default the package
    /// version of the WIT.
    pub plugin_version: Option<String>,
}

/// The Go package name of a world's host package: its name, lower case, letters and
/// digits only (`greeter`).
pub fn host_package(world: &World) -> String {
    let mut s: String = world
        .name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'w');
    }
    if names::GO_KEYWORDS.contains(&s.as_str()) {
        s.push_str("world");
    }
    s
}

/// The Go package name of a world's plugin package: `<host package>plugin`.
pub fn guest_package(world: &World) -> String {
    format!("{}plugin", host_package(world))
}

/// The files of one Go package, named `<package>/<file>` relative to the output dir.
pub fn generate(world: &World, side: GoSide, opts: &GoOptions) -> Vec<GeneratedFile> {
    let ctx = Ctx::new(world, side);
    let header = crate::c::generate(world).contents;
    let pkg = ctx.pkg.clone();
    let mut files = vec![GeneratedFile {
        name: format!("{pkg}/{}.h", ctx.world_snake),
        contents: header,
    }];
    let (main, export, c) = match side {
        GoSide::Host => host::generate(&ctx),
        GoSide::Guest => guest::generate(&ctx, opts),
    };
    let sym = global_prefix(world, side);
    let (main, export, c) = (
        globalize(&main, &sym),
        globalize(&export, &sym),
        globalize(&c, &sym),
    );
    files.push(GeneratedFile {
        name: format!("{pkg}/{pkg}.go"),
        contents: format!("{}\n", main.trim_end()),
    });
    files.push(GeneratedFile {
        name: format!("{pkg}/{pkg}_export.go"),
        contents: format!("{}\n", export.trim_end()),
    });
    files.push(GeneratedFile {
        name: format!("{pkg}/{pkg}_cgo.c"),
        contents: c,
    });
    files
}

/// The prefix of the C symbols a package defines with external linkage (its `//export`
/// functions and a few C functions of the companion file): `gp`, `h` or `g` for the side,
/// and 12 hex digits of the world's fingerprint. Two generated packages linked into one
/// binary (a host of greeter 1.0 and one of greeter 1.1, say) must not define one symbol
/// twice; within a package the code uses the short names that [`globalize`] replaces.
fn global_prefix(world: &World, side: GoSide) -> String {
    let side = match side {
        GoSide::Host => 'h',
        GoSide::Guest => 'g',
    };
    format!("gp{side}{}", &world.fingerprint()[..12])
}

/// Replaces the short names of the package's external C symbols with prefixed ones.
fn globalize(text: &str, sym: &str) -> String {
    text.replace("gpx_", &format!("{sym}x_"))
        .replace("gp_imports_table", &format!("{sym}_imports_table"))
        .replace("gp_vtable_ptr_", &format!("{sym}_vtable_ptr_"))
        .replace("gp_imports_ptr", &format!("{sym}_imports_ptr"))
}

/// Who provides an item: the plugin (exports) or the host (imports).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    Import,
    Export,
}

/// Where a slot lives.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Owner<'w> {
    /// A slot of an interface table.
    Iface(&'w Interface),
    /// A method in the vtable of a resource.
    Method(TypeId),
    /// A bare function in the world's exports or imports table.
    World,
}

/// One function slot of the world, with every name the back end derives from it.
pub(crate) struct Slot<'w> {
    pub f: &'w Function,
    pub dir: Dir,
    pub owner: Owner<'w>,
    /// Unique snake-case key for helper names (`greet_greet`, `framing_decoder_push`).
    pub key: String,
    /// `interface.function` for messages.
    pub what: String,
    /// The C slot name.
    pub cslot: String,
}

/// How a parameter crosses from Go into a C trampoline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ParamKind {
    /// By value; the C type (`uint32_t`, `double`, ...).
    Scalar(&'static str),
    /// A string or a list: (ptr, len). `direct`: a Go slice or string whose memory is
    /// already the C representation (strings and lists of primitive scalars).
    Slice { direct: bool },
    /// Anything else: a pointer to the value's C representation.
    Blob,
}

pub(crate) struct Ctx<'w> {
    pub world: &'w World,
    pub side: GoSide,
    pub names: CNames<'w>,
    pub layouts: Layouts<'w>,
    pub go: GoNames,
    pub pkg: String,
    pub world_snake: String,
    pub prefix: String,
    pub upper: String,
    pub slots: Vec<Slot<'w>>,
}

impl<'w> Ctx<'w> {
    fn new(world: &'w World, side: GoSide) -> Ctx<'w> {
        let names = CNames::new(world);
        let prefix = names.prefix.clone();
        let go = GoNames::new(world, side);
        let mut ctx = Ctx {
            world,
            side,
            layouts: Layouts::new(world),
            names,
            go,
            pkg: match side {
                GoSide::Host => host_package(world),
                GoSide::Guest => guest_package(world),
            },
            world_snake: snake(&world.name),
            upper: prefix.to_ascii_uppercase(),
            prefix,
            slots: Vec::new(),
        };
        ctx.slots = ctx.collect_slots();
        ctx
    }

    fn collect_slots(&self) -> Vec<Slot<'w>> {
        let mut out: Vec<Slot<'w>> = Vec::new();
        let world = self.world;
        let mut seen_methods = std::collections::HashSet::new();
        for (dir, items) in [(Dir::Import, &world.imports), (Dir::Export, &world.exports)] {
            for item in items.iter() {
                match item {
                    WorldItem::Interface(i) => {
                        for f in &i.functions {
                            let cslot = self.names.slot(&f.name, f.kind);
                            match f.kind {
                                FunctionKind::Method(r) => {
                                    if !seen_methods.insert((r, f.name.clone())) {
                                        continue;
                                    }
                                    let rname =
                                        snake(world.ty(r).name.as_deref().unwrap_or("resource"));
                                    out.push(Slot {
                                        f,
                                        dir: self.provider(r),
                                        owner: Owner::Method(r),
                                        key: format!(
                                            "{}_{}_{}",
                                            snake(&i.name),
                                            rname,
                                            snake(&f.name)
                                        ),
                                        what: format!(
                                            "{}.{}.{}",
                                            i.name,
                                            world.ty(r).name.as_deref().unwrap_or("resource"),
                                            f.name
                                        ),
                                        cslot,
                                    });
                                }
                                _ => out.push(Slot {
                                    f,
                                    dir,
                                    owner: Owner::Iface(i),
                                    key: format!("{}_{}", snake(&i.name), cslot),
                                    what: format!("{}.{}", i.name, cslot.replace('_', "-")),
                                    cslot,
                                }),
                            }
                        }
                    }
                    WorldItem::Function(f) => {
                        let cslot = self.names.slot(&f.name, f.kind);
                        let d = if dir == Dir::Import {
                            "imports"
                        } else {
                            "exports"
                        };
                        out.push(Slot {
                            f,
                            dir,
                            owner: Owner::World,
                            key: format!("w{d}_{cslot}"),
                            what: f.name.clone(),
                            cslot,
                        });
                    }
                }
            }
        }
        // Keys must be unique C identifiers.
        let mut used = std::collections::HashSet::new();
        for s in &mut out {
            while !used.insert(s.key.clone()) {
                s.key.push('_');
            }
        }
        out
    }

    /// Who implements resource `r`: the side that provides the interface defining it
    /// (a resource of an interface the world does not list counts as exported).
    pub fn provider(&self, r: TypeId) -> Dir {
        let iface = self.world.ty(r).interface.as_deref();
        let imported =
            self.world.imports.iter().any(
                |item| matches!(item, WorldItem::Interface(i) if Some(i.name.as_str()) == iface),
            );
        let exported =
            self.world.exports.iter().any(
                |item| matches!(item, WorldItem::Interface(i) if Some(i.name.as_str()) == iface),
            );
        if imported && !exported {
            Dir::Import
        } else {
            Dir::Export
        }
    }

    /// Whether this package implements resource `r` (Go interface, objects in cells)
    /// rather than holding proxies of the other side's objects.
    pub fn implements(&self, r: TypeId) -> bool {
        self.implements_dir(self.provider(r))
    }

    /// Whether this package implements the items of `dir` (the host implements imports,
    /// a plugin exports).
    pub fn implements_dir(&self, dir: Dir) -> bool {
        matches!(
            (self.side, dir),
            (GoSide::Host, Dir::Import) | (GoSide::Guest, Dir::Export)
        )
    }

    /// The type behind aliases.
    pub fn resolve(&self, ty: Type) -> Type {
        let mut t = ty;
        while let Type::Id(id) = t {
            match &self.world.ty(id).kind {
                TypeDefKind::Alias { ty } => t = *ty,
                _ => break,
            }
        }
        t
    }

    /// The C integer type of a scalar type (after aliases), or None for compound types.
    pub fn scalar_c(&self, ty: Type) -> Option<&'static str> {
        use crate::c::layout::{flags_bytes, tag_bytes, uint_type};
        Some(match self.resolve(ty) {
            Type::Bool | Type::U8 => "uint8_t",
            Type::S8 => "int8_t",
            Type::S16 => "int16_t",
            Type::U16 => "uint16_t",
            Type::S32 => "int32_t",
            Type::U32 | Type::Char => "uint32_t",
            Type::S64 => "int64_t",
            Type::U64 => "uint64_t",
            Type::F32 => "float",
            Type::F64 => "double",
            Type::String => return None,
            Type::Id(id) => match &self.world.ty(id).kind {
                TypeDefKind::Enum { cases } => uint_type(tag_bytes(cases.len())),
                TypeDefKind::Flags { flags } => uint_type(flags_bytes(flags.len())),
                _ => return None,
            },
        })
    }

    /// Whether `ty` is a primitive scalar whose Go and C representations are the same
    /// bytes (numbers, bool as 0/1, char as rune).
    pub fn primitive(&self, ty: Type) -> bool {
        !matches!(self.resolve(ty), Type::String | Type::Id(_))
    }

    pub fn param_kind(&self, ty: Type) -> ParamKind {
        if let Some(c) = self.scalar_c(ty) {
            return ParamKind::Scalar(c);
        }
        match self.resolve(ty) {
            Type::String => ParamKind::Slice { direct: true },
            Type::Id(id) => match &self.world.ty(id).kind {
                TypeDefKind::List { ty } => ParamKind::Slice {
                    direct: self.primitive(*ty),
                },
                _ => ParamKind::Blob,
            },
            _ => ParamKind::Blob,
        }
    }

    /// The C type of a type use.
    pub fn cty(&self, ty: &Type) -> String {
        self.names.ty(ty)
    }

    /// Size of a type's C representation.
    pub fn size(&self, ty: &Type) -> u64 {
        self.layouts.of(ty).size
    }

    /// The C function-table type a slot's table pointer points at.
    pub fn table_type(&self, slot: &Slot) -> String {
        match slot.owner {
            Owner::Iface(i) => self.names.table(&i.name),
            Owner::Method(r) => self.names.vtable(r),
            Owner::World => match slot.dir {
                Dir::Import => self.names.imports(),
                Dir::Export => self.names.exports(),
            },
        }
    }

    /// The checked caller's name stem: `<stem>_call_<s>`, `<stem>_has_<s>`.
    pub fn caller_stem(&self, slot: &Slot) -> String {
        match slot.owner {
            Owner::Iface(i) => format!("{}_{}", self.prefix, snake(&i.name)),
            Owner::Method(r) => self.names.type_id(r),
            Owner::World => format!(
                "{}_{}_{}",
                self.prefix,
                self.world_snake,
                if slot.dir == Dir::Import {
                    "imports"
                } else {
                    "exports"
                }
            ),
        }
    }

    /// The validating trampoline macro of a slot.
    pub fn trampoline_macro(&self, slot: &Slot) -> String {
        format!(
            "{}_{}_TRAMPOLINE",
            self.caller_stem(slot).to_ascii_uppercase(),
            slot.cslot.to_ascii_uppercase()
        )
    }

    /// `const <world>_exports *` getter of interface `i`: `<prefix>_<w>_<dir>_get_<i>`.
    pub fn getter(&self, dir: Dir, i: &Interface) -> String {
        format!(
            "{}_{}_{}_get_{}",
            self.prefix,
            self.world_snake,
            if dir == Dir::Import {
                "imports"
            } else {
                "exports"
            },
            c_ident(&i.name)
        )
    }

    /// The slot's C parameters as (type, name): `[void *self,] params..., [R *ret,] pp_string *err`.
    pub fn slot_params(&self, f: &Function) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if let FunctionKind::Method(_) = f.kind {
            v.push(("void *".to_string(), "self".to_string()));
        }
        for (n, p) in f.params.iter().enumerate() {
            v.push((self.cty(&p.ty), format!("p{n}")));
        }
        if let Some(r) = &f.result {
            v.push((format!("{} *", self.cty(r)), "ret".into()));
        }
        v.push(("pp_string *".into(), "err".into()));
        v
    }

    /// The world's imports / exports interfaces with their direction.
    pub fn interfaces(&self) -> Vec<(Dir, &'w Interface)> {
        let mut v = Vec::new();
        for (dir, items) in [
            (Dir::Import, &self.world.imports),
            (Dir::Export, &self.world.exports),
        ] {
            for item in items.iter() {
                if let WorldItem::Interface(i) = item {
                    v.push((dir, i));
                }
            }
        }
        v
    }

    /// The resources of the world (kind Resource), in type order.
    pub fn resources(&self) -> Vec<TypeId> {
        (0..self.world.types.len())
            .filter(|id| self.world.ty(*id).kind == TypeDefKind::Resource)
            .collect()
    }

    /// The method slots of resource `r`, in vtable order.
    pub fn methods(&self, r: TypeId) -> Vec<&Slot<'w>> {
        self.slots
            .iter()
            .filter(|s| matches!(s.owner, Owner::Method(x) if x == r))
            .collect()
    }
}

/// The banner of every generated Go file.
pub(crate) fn go_banner(world: &World) -> String {
    format!(
        "// Code generated by plugport. DO NOT EDIT.\n// Source: {} world {} (plugport gen --lang go).\n\n",
        world.package, world.name
    )
}

/// The banner of the generated C file.
pub(crate) fn c_banner(world: &World) -> String {
    format!(
        "// Code generated by plugport. DO NOT EDIT.\n// Source: {} world {} (plugport gen --lang go).\n\n",
        world.package, world.name
    )
}

/// The Go imports a file body needs, found by scanning it for `pkg.` uses.
pub(crate) fn imports_for(body: &str, extra_c: bool) -> String {
    let code: String = body
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let body = code.as_str();
    let mut v: Vec<&str> = Vec::new();
    // `pkg.X` with X upper case, not preceded by an identifier character.
    let uses = |p: &str| {
        let pat = format!("{p}.");
        body.match_indices(&pat).any(|(i, _)| {
            let before = body[..i].chars().next_back();
            let after = body[i + pat.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                && after.is_some_and(|c| c.is_ascii_uppercase())
        })
    };
    for (name, path) in [
        ("errors", "\"errors\""),
        ("fmt", "\"fmt\""),
        ("os", "\"os\""),
        ("runtime", "\"runtime\""),
        ("sync", "\"sync\""),
        ("atomic", "\"sync/atomic\""),
        ("unsafe", "\"unsafe\""),
    ] {
        if uses(name) {
            v.push(path);
        }
    }
    let mut out = String::new();
    if extra_c {
        out += "import \"C\"\n\n";
    }
    out += "import (\n";
    for p in &v {
        out += &format!("\t{p}\n");
    }
    let plug = uses("plugport");
    let loader = uses("loader");
    if plug || loader {
        if !v.is_empty() {
            out += "\n";
        }
        if plug {
            out += "\tplugport \"example.invalid/plugport/go\"\n";
        }
        if loader {
            out += "\t\"example.invalid/plugport/go/loader\"\n";
        }
    }
    out += ")\n";
    if v.is_empty() && !plug && !loader {
        return if extra_c {
            "import \"C\"\n".into()
        } else {
            String::new()
        };
    }
    out
}
