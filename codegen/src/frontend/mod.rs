//! The WIT front end: reads WIT with `wit-parser`, selects a world, refuses what the
//! plugport ABI v1 does not support (with file:line:column), and produces the IR
//! ([`plugport::ir::World`]).
//!
//! Entry points: [`load_world`] (just the IR) and [`load`] (the IR plus the list of WIT
//! files that were read, for build scripts).
//!
//! What the conversion guarantees (see `bridge/src/ir.rs` and `docs/abi.md`):
//! - types are interned: every named type once, every distinct anonymous structure once;
//! - every type appears after all the types it refers to;
//! - functions, fields, cases and world items keep their WIT declaration order;
//! - a `use` never creates a type: it refers to the type of the defining interface;
//! - `type a = …` becomes [`TypeDefKind::Alias`](plugport::ir::TypeDefKind::Alias) (also
//!   when `…` is an anonymous structure such as `list<point>`, which is interned
//!   separately);
//! - `own<R>` and `borrow<R>` become anonymous `Own`/`Borrow` type definitions, also for
//!   the implicit `own` of a bare resource name;
//! - the implicit `self` of a method is not listed in its parameters.
//!
//! Interfaces that wit-parser adds to a world's imports only because another item uses
//! their types (they are not written in the world) are not world items of the IR when
//! they have no functions; their types are still in [`World::types`] under their
//! interface's name. If such an interface has functions, the world is refused: the host
//! would have to provide a table nobody asked for, so it must be imported explicitly.
//!
//! Everything the ABI does not support is refused, never skipped: all problems of a world
//! are collected and reported together in [`FrontendError::Unsupported`].
//!
//! Diagnostics (`docs/errors.md`, "WIT diagnostics"): every refusal carries a
//! [`SourceSpan`] (file, line, column, byte range, resolved from wit-parser's span) and a
//! `help`; [`FrontendError::render`] shows them like wit-parser's own errors (source line,
//! caret), [`FrontendError::reports`] gives them as data.

mod cnames;
mod convert;
mod diagnostic;

use diagnostic::Spans;
pub use diagnostic::{color_for_stderr, Places, Related, Report, SourceSpan};

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use plugport::ir::World;
use wit_parser::{Resolve, UnresolvedPackage, UnresolvedPackageGroup, WorldKey};

/// One construct of a WIT world that plugport ABI v1 does not support.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Where the construct is declared, when wit-parser knows it: the span of the item's
    /// name (function, type, interface or world), as wit-parser records it.
    pub location: Option<SourceSpan>,
    /// What is refused and why, e.g. ``function `read-all` uses `stream<u8>`, which
    /// plugport ABI v1 does not support (docs/abi.md §3)``.
    pub message: String,
    /// How to fix it, e.g. ``use `list<tuple<string, u32>>` instead``.
    pub help: Option<String>,
    /// Other places that take part (the other items of a C name collision).
    pub related: Vec<Related>,
}

impl Refusal {
    /// The refusal as a [`Report`], for rendering with a source snippet.
    pub fn report(&self) -> Report {
        Report {
            message: self.message.clone(),
            span: self.location.clone(),
            related: self.related.clone(),
            help: self.help.clone(),
        }
    }
}

impl fmt::Display for Refusal {
    /// One line: `file:line:column: message; help`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report().short())
    }
}

/// Why a WIT world could not be turned into plugport IR.
///
/// `Display` gives the short form (one line per refusal, `file:line:column: message;
/// help`); [`FrontendError::render`] gives the long form with source lines and carets.
#[derive(Debug, thiserror::Error)]
pub enum FrontendError {
    /// wit-parser could not read, parse or resolve the WIT. The text is wit-parser's own,
    /// rendered with file:line:column and a source snippet where it has a location.
    #[error("{message}")]
    Wit {
        /// wit-parser's rendered error.
        message: String,
        /// The same error as data (message and span), when wit-parser gave it a span.
        report: Option<Box<Report>>,
    },
    /// The main package of the input defines no world.
    #[error("package `{package}` defines no world (in {path})")]
    NoWorld { package: String, path: String },
    /// The requested world is not in the main package.
    #[error("world `{requested}` not found in package `{package}`; available: {}", .available.join(", "))]
    WorldNotFound {
        requested: String,
        package: String,
        available: Vec<String>,
    },
    /// The main package defines several worlds and none was requested.
    #[error(
        "package `{package}` defines several worlds ({}); choose one with `--world <name>` \
         (or `Builder::world`)",
        .available.join(", ")
    )]
    AmbiguousWorld {
        package: String,
        available: Vec<String>,
    },
    /// The world uses constructs plugport ABI v1 does not support. Every problem found is
    /// listed, one per line, as `file:line:column: message; help`.
    #[error("{}", display_refusals(.refusals))]
    Unsupported {
        /// Name of the world that was refused.
        world: String,
        /// All problems, in the order they were found.
        refusals: Vec<Refusal>,
    },
}

fn display_refusals(refusals: &[Refusal]) -> String {
    refusals
        .iter()
        .map(|r| r.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

impl FrontendError {
    /// The problems as data: one [`Report`] per refusal, wit-parser's error, or the
    /// message of the other errors (without a location).
    pub fn reports(&self) -> Vec<Report> {
        match self {
            FrontendError::Unsupported { refusals, .. } => {
                refusals.iter().map(Refusal::report).collect()
            }
            FrontendError::Wit {
                report: Some(report),
                ..
            } => vec![(**report).clone()],
            other => vec![Report {
                message: other.to_string(),
                span: None,
                related: Vec::new(),
                help: None,
            }],
        }
    }

    /// The long form, as the CLI prints it on stderr: every problem as `error: ...` with
    /// `--> file:line:column`, the source line and a caret under the token, and `= help:`
    /// (see [`Report::render`]); for a refused world, a last line
    /// `error: world `w` cannot be generated: N problems`. `color` adds ANSI colours.
    pub fn render(&self, color: bool) -> String {
        let mut out: String = match self {
            // wit-parser's own text, which has its own snippet.
            FrontendError::Wit { report: None, .. } => format!("error: {self}\n"),
            _ => self.reports().iter().map(|r| r.render(color)).collect(),
        };
        if let FrontendError::Unsupported { world, refusals } = self {
            if !out.ends_with("\n\n") {
                out.push('\n');
            }
            out.push_str(
                &Report::headline(unsupported_summary(world, refusals.len())).render(color),
            );
        }
        // One newline at the end, not the blank line that separates diagnostics.
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    }
}

/// `world `w` cannot be generated: 2 problems (unsupported constructs or C name clashes)`.
pub fn unsupported_summary(world: &str, problems: usize) -> String {
    format!(
        "world `{world}` cannot be generated: {problems} problem{} (unsupported constructs \
         or C name clashes)",
        if problems == 1 { "" } else { "s" }
    )
}

/// A loaded world and the WIT files it was read from.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The world, converted to plugport IR.
    pub world: World,
    /// Every WIT file wit-parser read (the package and its `deps/`), for
    /// `cargo:rerun-if-changed`.
    pub sources: Vec<PathBuf>,
    /// Where the world's items are declared (with columns), for diagnostics.
    pub places: Places,
}

/// Reads the WIT at `path` and converts one of its worlds to plugport IR.
///
/// `path` is a `.wit` file or a directory holding a WIT package (with an optional
/// `deps/` directory), as accepted by `wit_parser::Resolve::push_path`. `world` selects
/// a world of the main package by its WIT name; with `None` the package must define
/// exactly one world.
///
/// Errors: [`FrontendError::Wit`] when wit-parser fails (the message carries its
/// file:line), [`FrontendError::NoWorld`] / [`FrontendError::WorldNotFound`] /
/// [`FrontendError::AmbiguousWorld`] when the world cannot be selected, and
/// [`FrontendError::Unsupported`] listing every construct the ABI does not support.
pub fn load_world(path: &Path, world: Option<&str>) -> Result<World, FrontendError> {
    load(path, world).map(|l| l.world)
}

/// Like [`load_world`], and also returns the WIT files that were read.
///
/// Errors: as [`load_world`].
pub fn load(path: &Path, world: Option<&str>) -> Result<Loaded, FrontendError> {
    let mut resolve = Resolve::new();
    let (pkg_id, source_map) = resolve.push_path(path).map_err(|e| FrontendError::Wit {
        message: resolve.render_error(&e),
        report: diagnostic::wit_report(&e, &resolve.source_map).map(Box::new),
    })?;
    let sources: Vec<PathBuf> = source_map.paths().map(Path::to_path_buf).collect();
    let package = &resolve.packages[pkg_id];

    // Select the world.
    let available: Vec<String> = package.worlds.keys().cloned().collect();
    let world_id = match world {
        Some(name) => match package.worlds.get(name) {
            Some(id) => *id,
            None => {
                return Err(FrontendError::WorldNotFound {
                    requested: name.to_string(),
                    package: package.name.to_string(),
                    available,
                })
            }
        },
        None => match package.worlds.len() {
            0 => {
                return Err(FrontendError::NoWorld {
                    package: package.name.to_string(),
                    path: path.display().to_string(),
                })
            }
            1 => package.worlds[0],
            _ => {
                return Err(FrontendError::AmbiguousWorld {
                    package: package.name.to_string(),
                    available,
                })
            }
        },
    };
    let world_name = resolve.worlds[world_id].name.clone();

    // wit-parser's resolved worlds are elaborated: implicit dependency imports are
    // added and items are re-sorted (functions before interfaces among exports, ...).
    // The declaration order is ABI (it is the slot order of the world tables), so it is
    // read from the unresolved package, which keeps the source order.
    let unresolved = parse_main_package(path)?;
    let declared = declared_order(&unresolved, &world_name);

    convert::convert(&resolve, pkg_id, world_id, declared)
        .map(|(world, places)| Loaded {
            world,
            sources,
            places,
        })
        .map_err(|refusals| FrontendError::Unsupported {
            world: world_name,
            refusals,
        })
}

/// Parses the main package at `path` again, without resolving it, to read the declared
/// order of world items.
fn parse_main_package(path: &Path) -> Result<UnresolvedPackageGroup, FrontendError> {
    let wit_err = |message: String| FrontendError::Wit {
        message,
        report: None,
    };
    if path.is_dir() {
        UnresolvedPackageGroup::parse_dir(path).map_err(|e| wit_err(format!("{e:#}")))
    } else {
        let text = std::fs::read_to_string(path).map_err(|e| {
            wit_err(format!(
                "{}: cannot read as WIT text (plugport reads WIT text, not \
                 wasm-encoded packages): {e}",
                path.display()
            ))
        })?;
        UnresolvedPackageGroup::parse(path, &text).map_err(|(map, e)| wit_err(e.render(&map)))
    }
}

/// What the world declares, in the order that gives its table slots (`docs/abi.md` §5),
/// as read from the unresolved package: its own items and its `include`s in source
/// order, each `include` expanded in place into the included world's items (expanded the
/// same way, renamed by `with { a as b }`), an item that is already there kept at its
/// first place.
pub(crate) struct Declared {
    /// Import keys in slot order (see [`key_string`]).
    pub imports: Vec<String>,
    /// Export keys in slot order.
    pub exports: Vec<String>,
    /// Locations of `include`s of a world of another package, which plugport cannot
    /// expand from the source: refused.
    pub foreign_includes: Vec<Option<SourceSpan>>,
}

fn declared_order(group: &UnresolvedPackageGroup, world: &str) -> Declared {
    let pkg = &group.main;
    let mut declared = Declared {
        imports: Vec::new(),
        exports: Vec::new(),
        foreign_includes: Vec::new(),
    };
    let Some((id, _)) = pkg.worlds.iter().find(|(_, w)| w.name == world) else {
        return declared;
    };
    // Foreign interfaces and worlds referenced by the package: unresolved id →
    // `ns:pkg/iface` for interfaces; the set of foreign world ids.
    let mut foreign: HashMap<wit_parser::InterfaceId, String> = HashMap::new();
    let mut foreign_worlds = std::collections::HashSet::new();
    for (pname, items) in &pkg.foreign_deps {
        for (iname, (item, _)) in items {
            match item {
                wit_parser::AstItem::Interface(id) => {
                    foreign.insert(*id, format!("{}:{}/{}", pname.namespace, pname.name, iname));
                }
                wit_parser::AstItem::World(id) => {
                    foreign_worlds.insert(*id);
                }
            }
        }
    }
    let cx = Expand {
        group,
        foreign: &foreign,
        foreign_worlds: &foreign_worlds,
    };
    cx.world(id, 0, &mut declared);
    declared
}

/// What [`declared_order`] needs to expand `include`s.
struct Expand<'a> {
    group: &'a UnresolvedPackageGroup,
    foreign: &'a HashMap<wit_parser::InterfaceId, String>,
    foreign_worlds: &'a std::collections::HashSet<wit_parser::WorldId>,
}

impl Expand<'_> {
    /// Appends the keys of world `id` to `out` (each key once), expanding its includes in
    /// place. `depth` bounds the recursion (wit-parser already refuses include cycles).
    fn world(&self, id: wit_parser::WorldId, depth: usize, out: &mut Declared) {
        let pkg = &self.group.main;
        let w = &pkg.worlds[id];
        enum Entry<'w> {
            Item(bool, String),
            Include(&'w wit_parser::WorldInclude),
        }
        let span = |item: &wit_parser::WorldItem| match item {
            wit_parser::WorldItem::Interface { span, .. }
            | wit_parser::WorldItem::Type { span, .. } => *span,
            wit_parser::WorldItem::Function(f) => f.span,
        };
        let mut entries: Vec<(u32, Entry)> = Vec::new();
        for (import, items) in [(true, &w.imports), (false, &w.exports)] {
            for (key, item) in items {
                let k = unresolved_key(pkg, self.foreign, key);
                entries.push((span(item).start(), Entry::Item(import, k)));
            }
        }
        for inc in &w.includes {
            entries.push((inc.span.start(), Entry::Include(inc)));
        }
        // A stable sort: items without a known span keep their declaration order.
        entries.sort_by_key(|(pos, _)| *pos);
        for (_, entry) in entries {
            match entry {
                Entry::Item(import, k) => push_key(out, import, k),
                Entry::Include(inc) if self.foreign_worlds.contains(&inc.id) || depth > 32 => {
                    out.foreign_includes
                        .push(Spans::new(&self.group.source_map).resolve(inc.span));
                }
                Entry::Include(inc) => {
                    let mut inner = Declared {
                        imports: Vec::new(),
                        exports: Vec::new(),
                        foreign_includes: Vec::new(),
                    };
                    self.world(inc.id, depth + 1, &mut inner);
                    let rename = |k: String| {
                        inc.names
                            .iter()
                            .find(|n| n.name == k)
                            .map_or(k, |n| n.as_.clone())
                    };
                    for k in inner.imports {
                        push_key(out, true, rename(k));
                    }
                    for k in inner.exports {
                        push_key(out, false, rename(k));
                    }
                    out.foreign_includes.extend(inner.foreign_includes);
                }
            }
        }
    }
}

fn push_key(out: &mut Declared, import: bool, key: String) {
    let list = if import {
        &mut out.imports
    } else {
        &mut out.exports
    };
    if !list.contains(&key) {
        list.push(key);
    }
}

fn unresolved_key(
    pkg: &UnresolvedPackage,
    foreign: &HashMap<wit_parser::InterfaceId, String>,
    key: &WorldKey,
) -> String {
    match key {
        WorldKey::Name(n) => n.clone(),
        WorldKey::Interface(id) => match foreign.get(id) {
            Some(s) => s.clone(),
            None => format!(
                "{}:{}/{}",
                pkg.name.namespace,
                pkg.name.name,
                pkg.interfaces[*id].name.as_deref().unwrap_or("")
            ),
        },
    }
}

/// The same key for an item of the resolved world: the item name, or
/// `namespace:package/interface` (without version) for an interface referenced by path.
pub(crate) fn key_string(resolve: &Resolve, key: &WorldKey) -> String {
    match key {
        WorldKey::Name(n) => n.clone(),
        WorldKey::Interface(id) => {
            let iface = &resolve.interfaces[*id];
            let (ns, name) = match iface.package {
                Some(p) => {
                    let n = &resolve.packages[p].name;
                    (n.namespace.as_str(), n.name.as_str())
                }
                None => ("", ""),
            };
            format!("{ns}:{name}/{}", iface.name.as_deref().unwrap_or(""))
        }
    }
}
