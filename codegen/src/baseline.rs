//! Interface evolution: how a new version of a world relates to an old one, and whether
//! the version numbers fit the change. `plugport diff` prints it; `plugport gen` uses it
//! to refuse a release that breaks its baseline within one compatibility line.
//!
//! The rules (`docs/abi.md` §9 and semver, with plugport's compatibility lines: `v<major>`,
//! or `v0_<minor>` for 0.x versions):
//!
//! | change | what it is | versions fit when |
//! |---|---|---|
//! | identical | nothing but the version differs | always |
//! | compatible-minor | items appended at the end of world item lists, tables or vtables | the version rises within the line by at least a minor (a patch for 0.x), or a new line starts |
//! | breaking | an item removed (also at the end), renamed, reordered or re-typed; a field or case changed | a new compatibility line starts (a major bump; a minor bump for 0.x) |
//!
//! A version that goes backwards never fits a change. A renamed package is a new package:
//! its C names differ, so it never mixes with the old one, and any change fits.
//!
//! The baseline of `plugport gen` is the world JSON ([`plugport::descriptor::world_json`])
//! it writes next to its outputs as `<world>.world.json` ([`baseline_path`]); on the next
//! run [`judge`] decides whether the new world may replace it.

use std::fmt;
use std::path::{Path, PathBuf};

use plugport::compat::{self, Change, Compat, Side};
use plugport::descriptor::{self, DescriptorError};
use plugport::ir::{PackageName, World, WorldItem};
use serde::Serialize;

use crate::frontend::{self, FrontendError, Places, Report, SourceSpan};

/// The file name suffix of a baseline: `<world>.world.json`.
pub const BASELINE_SUFFIX: &str = ".world.json";

/// The baseline file name of a world: its name in snake_case (like the generated header)
/// followed by [`BASELINE_SUFFIX`], e.g. `greeter.world.json`.
pub fn baseline_file_name(world: &World) -> String {
    format!("{}{BASELINE_SUFFIX}", plugport::ir::snake(&world.name))
}

/// Where `plugport gen --out <out>` keeps the baseline of `world`.
pub fn baseline_path(out: &Path, world: &World) -> PathBuf {
    out.join(baseline_file_name(world))
}

/// Why a baseline could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read.
    #[error("cannot read the baseline {}: {source}", path.display())]
    Io {
        /// The baseline file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A `.json` baseline that is not a world JSON as `plugport gen` writes it.
    #[error(
        "the baseline {} is not a plugport world JSON (`{{\"fingerprint\",\"world\"}}`, as \
         `plugport gen` writes it): {source}",
        path.display()
    )]
    Json {
        /// The baseline file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: DescriptorError,
    },
    /// A WIT baseline that the front end refused.
    #[error("the baseline {}: {source}", path.display())]
    Wit {
        /// The baseline file or directory.
        path: PathBuf,
        /// The front end's error.
        #[source]
        source: FrontendError,
    },
}

/// Reads a baseline file written by `plugport gen` (a world JSON).
pub fn read_baseline(path: &Path) -> Result<World, BaselineError> {
    let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    descriptor::parse_world_json(&text)
        .map(|(_, world)| world)
        .map_err(|source| BaselineError::Json {
            path: path.to_path_buf(),
            source,
        })
}

/// Reads an explicit baseline: a world JSON when `path` ends in `.json`, otherwise WIT (a
/// file or a package directory), of which the world named `world` is used.
pub fn load_baseline(path: &Path, world: &str) -> Result<World, BaselineError> {
    if path.extension().is_some_and(|e| e == "json") {
        return read_baseline(path);
    }
    frontend::load_world(path, Some(world)).map_err(|source| BaselineError::Wit {
        path: path.to_path_buf(),
        source,
    })
}

/// How the version number moved from the old world to the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bump {
    /// The same version (`major.minor.patch`; pre-release and build parts are ignored).
    Same,
    /// Only the patch number rose, within the compatibility line.
    Patch,
    /// The minor number rose within the compatibility line (only for 1.0.0 and later:
    /// in 0.x every minor is a line of its own).
    Minor,
    /// A new compatibility line: a higher major, or a higher minor for 0.x.
    Line,
    /// The new version is lower than the old one.
    Backwards,
    /// Another package (`namespace:name` differs): versions do not compare.
    OtherPackage,
}

impl Bump {
    /// How `old` → `new` moved.
    pub fn between(old: &PackageName, new: &PackageName) -> Bump {
        if (&old.namespace, &old.name) != (&new.namespace, &new.name) {
            return Bump::OtherPackage;
        }
        let (a, b) = (old.semver(), new.semver());
        if b < a {
            Bump::Backwards
        } else if old.compat_line() != new.compat_line() {
            Bump::Line
        } else if b == a {
            Bump::Same
        } else if b.1 > a.1 {
            Bump::Minor
        } else {
            Bump::Patch
        }
    }
}

/// The classification of `plugport diff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Structurally identical.
    Identical,
    /// Only appended items: old hosts and plugins keep working with new ones.
    CompatibleMinor,
    /// Something removed, renamed, reordered or re-typed.
    Breaking,
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Class::Identical => "identical",
            Class::CompatibleMinor => "compatible-minor",
            Class::Breaking => "breaking",
        })
    }
}

/// One breaking item of an evolution, with its old and new form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BreakingItem {
    /// Imports or exports; `None` for the package, the world and named types.
    pub side: Option<Side>,
    /// Dotted path of the item (`greet.greet`, `greet.options.repeat`, `package`).
    pub item: String,
    /// The old form, rendered as WIT-like text, or `(nothing)`.
    pub old: String,
    /// The new form, rendered the same way, or `(nothing)` when it was removed.
    pub new: String,
    /// True when the item was removed from the end of its list (compatible for loading,
    /// but old callers of it lose it: breaking for a release).
    pub removed: bool,
}

impl fmt::Display for BreakingItem {
    /// Three lines: `export greet.greet`, `    old: …`, `    new: …`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(side) = self.side {
            write!(f, "{side} ")?;
        }
        f.write_str(&self.item)?;
        if self.removed {
            f.write_str(" (removed)")?;
        }
        write!(f, "\n    old: {}\n    new: {}", self.old, self.new)
    }
}

/// Whether the version numbers fit a change, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fit {
    /// True when the versions fit the change (what `plugport diff` exits 0 for).
    pub fits: bool,
    /// One sentence: why they fit, or what to do instead.
    pub reason: String,
}

/// How a new world relates to an old one: the structural comparison and the version bump.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evolution {
    /// The old world's package (with its version).
    pub old: PackageName,
    /// The new world's package.
    pub new: PackageName,
    /// `compat::compare(old, new)` with the new world's version replaced by the old one,
    /// so that only structure (and the package and world names) is compared.
    pub compat: Compat,
    /// How the version moved.
    pub bump: Bump,
}

/// Compares `old` with `new`: structure with [`compat::compare`] (old as `expected`, new
/// as `found`), versions with [`Bump::between`].
pub fn evolve(old: &World, new: &World) -> Evolution {
    let mut normalised = new.clone();
    normalised.package.version = old.package.version.clone();
    Evolution {
        old: old.package.clone(),
        new: new.package.clone(),
        compat: compat::compare(old, &normalised),
        bump: Bump::between(&old.package, &new.package),
    }
}

/// The compatibility line of `p` as messages name it: `v<major>` (`v1`), or for 0.x
/// `0.<minor>` (`0.4`: semver makes every 0.x minor version breaking, so it is the minor
/// version that names the line). [`PackageName::compat_line`] is the form of C names.
pub fn line_name(p: &PackageName) -> String {
    match p.semver() {
        (0, minor, _) => format!("0.{minor}"),
        _ => p.compat_line(),
    }
}

/// Which part of the version starts a new compatibility line of `p`: `major`, or
/// `minor` for 0.x.
pub fn line_part(p: &PackageName) -> &'static str {
    if p.semver().0 == 0 {
        "minor"
    } else {
        "major"
    }
}

/// The next compatibility line after `p`: `(major + 1).0.0`, or `0.(minor + 1).0` for 0.x.
pub fn next_line(p: &PackageName) -> String {
    match p.semver() {
        (0, minor, _) => format!("0.{}.0", minor + 1),
        (major, _, _) => format!("{}.0.0", major + 1),
    }
}

/// The smallest compatible bump after `p`: `major.(minor + 1).0`, or `0.minor.(patch + 1)`
/// for 0.x.
pub fn next_compatible(p: &PackageName) -> String {
    match p.semver() {
        (0, minor, patch) => format!("0.{minor}.{}", patch + 1),
        (major, minor, _) => format!("{major}.{}.0", minor + 1),
    }
}

fn version(p: &PackageName) -> &str {
    p.version.as_deref().unwrap_or("0.0.0 (none)")
}

impl Evolution {
    /// The structural change, as [`compat::Compat::change`] classifies it.
    pub fn change(&self) -> Change {
        self.compat.change()
    }

    /// Identical, compatible-minor or breaking. Items removed from the end of a list
    /// ([`Change::Truncated`]) are breaking: old hosts lose functions they call.
    pub fn class(&self) -> Class {
        match self.change() {
            Change::Identical => Class::Identical,
            Change::Appended => Class::CompatibleMinor,
            Change::Truncated | Change::Breaking => Class::Breaking,
        }
    }

    /// True when old and new have the same package name and compatibility line.
    pub fn same_line(&self) -> bool {
        (&self.old.namespace, &self.old.name) == (&self.new.namespace, &self.new.name)
            && self.old.compat_line() == self.new.compat_line()
    }

    /// Every breaking item: the incompatibilities, then the items removed from the end.
    pub fn breaking_items(&self) -> Vec<BreakingItem> {
        let mut out: Vec<BreakingItem> = self
            .compat
            .incompatibilities
            .iter()
            .map(|i| BreakingItem {
                side: i.side,
                item: i.item.clone(),
                old: i.expected.clone(),
                new: i.found.clone(),
                removed: false,
            })
            .collect();
        out.extend(self.compat.only_expected.iter().map(|e| BreakingItem {
            side: Some(e.side),
            item: e.item.clone(),
            old: e.what.clone(),
            new: "(nothing)".into(),
            removed: true,
        }));
        out
    }

    /// The items appended at the end of a list in the new world (side, path, WIT-like text).
    pub fn added_items(&self) -> impl Iterator<Item = &compat::Extra> {
        self.compat.only_found.iter()
    }

    /// Whether the version numbers fit the change (module docs).
    pub fn fit(&self) -> Fit {
        let (old, new) = (&self.old, &self.new);
        let (ov, nv) = (version(old), version(new));
        let fit = |fits: bool, reason: String| Fit { fits, reason };
        let class = self.class();
        match (class, self.bump) {
            (_, Bump::OtherPackage) => fit(
                true,
                format!(
                    "the package was renamed ({}:{} -> {}:{}): a new package, whose plugins and \
                     hosts never mix with the old one's",
                    old.namespace, old.name, new.namespace, new.name
                ),
            ),
            (Class::Identical, Bump::Same) => {
                fit(true, format!("identical interface, same version {nv}"))
            }
            (Class::Identical, Bump::Backwards) => fit(
                true,
                format!("identical interface (the version went backwards, {ov} -> {nv})"),
            ),
            (Class::Identical, Bump::Line) => fit(
                true,
                format!(
                    "identical interface; {ov} -> {nv} starts a new compatibility line ({} -> \
                     {}) that the interface does not need: old plugins will not load in new hosts",
                    line_name(old),
                    line_name(new)
                ),
            ),
            (Class::Identical, _) => fit(
                true,
                format!("identical interface; {ov} -> {nv} is fine for a release"),
            ),
            (_, Bump::Backwards) => fit(
                false,
                format!("the version went backwards ({ov} -> {nv}) although the interface changed"),
            ),
            (Class::Breaking, Bump::Line) => fit(
                true,
                format!(
                    "{ov} -> {nv} starts a new compatibility line ({} -> {}), as a breaking \
                     change needs",
                    line_name(old),
                    line_name(new)
                ),
            ),
            (Class::Breaking, _) => fit(
                false,
                format!(
                    "{ov} -> {nv} stays in compatibility line {}, but the change is breaking: \
                     bump the {} version (to {}) or revert",
                    line_name(old),
                    line_part(old),
                    next_line(old)
                ),
            ),
            (Class::CompatibleMinor, Bump::Line) => fit(
                true,
                format!(
                    "{ov} -> {nv} starts a new compatibility line ({} -> {}); only items were \
                     appended, so a compatible bump (to {}) would have kept old plugins loading",
                    line_name(old),
                    line_name(new),
                    next_compatible(old)
                ),
            ),
            (Class::CompatibleMinor, bump) => {
                let zero = old.semver().0 == 0;
                let enough = matches!(bump, Bump::Minor) || (zero && bump == Bump::Patch);
                if enough {
                    fit(
                        true,
                        format!("{ov} -> {nv}: a compatible bump for appended items"),
                    )
                } else {
                    fit(
                        false,
                        format!(
                            "{ov} -> {nv}: appended items need at least a {} bump (to {})",
                            if zero { "patch" } else { "minor" },
                            next_compatible(old)
                        ),
                    )
                }
            }
        }
    }
}

/// What `plugport gen` does with a new world given a baseline.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Another package or another compatibility line than the baseline: nothing to check
    /// (a new line may change anything). The text says which.
    Unrelated(String),
    /// The new world may replace the baseline (identical, appended items, or a breaking
    /// change that `allow_breaking` let through).
    Accept(Evolution),
    /// The new world breaks the baseline within its compatibility line.
    Refuse(Evolution),
}

/// Decides whether `new` may replace `baseline` (module docs): refused when both are in
/// the same package and compatibility line and the change is breaking (anything removed,
/// renamed, reordered or re-typed), unless `allow_breaking`.
pub fn judge(baseline: &World, new: &World, allow_breaking: bool) -> Verdict {
    let evolution = evolve(baseline, new);
    if !evolution.same_line() {
        let (o, n) = (&baseline.package, &new.package);
        let why = if (&o.namespace, &o.name) != (&n.namespace, &n.name) {
            format!("the baseline is of another package ({o})")
        } else {
            format!(
                "the baseline {o} is in compatibility line {}, {n} in {}",
                line_name(o),
                line_name(n)
            )
        };
        return Verdict::Unrelated(why);
    }
    if evolution.class() == Class::Breaking && !allow_breaking {
        Verdict::Refuse(evolution)
    } else {
        Verdict::Accept(evolution)
    }
}

/// The message of a refused generation, the same for `plugport gen` and
/// [`Builder`](crate::Builder): the new and the old package, the baseline file, its
/// compatibility line, every breaking item with its old and new form, and what to do
/// (bump to [`next_line`], or revert; `override_hint` names the way to generate anyway,
/// e.g. `--allow-breaking generates anyway`).
pub fn breaking_message(ev: &Evolution, baseline: &Path, override_hint: &str) -> String {
    let items = ev.breaking_items();
    let mut msg = format!(
        "refusing to generate {}: it breaks the baseline {} ({}) within compatibility line {} \
         in {} item{}:",
        ev.new,
        ev.old,
        baseline.display(),
        line_name(&ev.old),
        items.len(),
        if items.len() == 1 { "" } else { "s" }
    );
    for item in &items {
        msg.push_str(&format!("\n  - {item}"));
    }
    msg.push_str(&format!(
        "\nbump the {} version (to {}) or revert; {override_hint}",
        line_part(&ev.old),
        next_line(&ev.old)
    ));
    msg
}

/// Where a breaking item is declared in the new world's WIT: the function of a function
/// path (`greet.greet`, `codec.decoder.push`), the interface of a world item (`greet`),
/// the named type of a type path or of one of its members (`greet.options.repeat`), the
/// world for `world`. `None` for items the new world no longer has and for the package.
pub fn locate<'p>(
    world: &World,
    places: &'p Places,
    item: &BreakingItem,
) -> Option<&'p SourceSpan> {
    if item.removed {
        return None;
    }
    locate_path(world, places, &item.item)
}

/// Where `world`'s WIT declares the item at dotted `path`, as [`locate`] finds it (the
/// paths of [`compat::Incompatibility::item`]).
pub fn locate_path<'p>(world: &World, places: &'p Places, path: &str) -> Option<&'p SourceSpan> {
    if path == "world" {
        return places.of_world();
    }
    for w in world.imports.iter().chain(&world.exports) {
        match w {
            WorldItem::Function(f) if compat::function_path(world, None, f) == path => {
                return places.of_function(f.location.as_ref());
            }
            WorldItem::Interface(i) => {
                if i.name == path {
                    return places.of_interface(&i.name);
                }
                for f in &i.functions {
                    if compat::function_path(world, Some(&i.name), f) == path {
                        return places.of_function(f.location.as_ref());
                    }
                }
            }
            WorldItem::Function(_) => {}
        }
    }
    // The named type whose path is the longest prefix of the item's.
    world
        .types
        .iter()
        .enumerate()
        .filter_map(|(id, d)| {
            let name = d.name.as_ref()?;
            let tp = match &d.interface {
                Some(i) => format!("{i}.{name}"),
                None => name.clone(),
            };
            let member = path
                .strip_prefix(tp.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'));
            member.then_some((tp.len(), id))
        })
        .max_by_key(|(len, _)| *len)
        .and_then(|(_, id)| places.of_type(id))
}

/// The breaking items of `ev` that [`locate`] finds in the new world's WIT, one
/// [`Report`] each: the item and its old form, the caret under its declaration, and how to
/// fix it (revert, or start the next compatibility line).
pub fn breaking_reports(ev: &Evolution, new: &World, places: &Places) -> Vec<Report> {
    ev.breaking_items()
        .iter()
        .filter_map(|item| {
            let span = locate(new, places, item)?;
            let side = item.side.map(|s| format!("{s} ")).unwrap_or_default();
            Some(Report {
                message: format!(
                    "{side}{} breaks the baseline {}: it was `{}`",
                    item.item, ev.old, item.old
                ),
                span: Some(span.clone()),
                related: Vec::new(),
                help: Some(format!(
                    "revert it, or bump the {} version (to {})",
                    line_part(&ev.old),
                    next_line(&ev.old)
                )),
            })
        })
        .collect()
}

/// The long form of a refused generation, as `plugport gen` prints it on stderr and
/// [`BuildError::Breaking`](crate::builder::BuildError::Breaking) displays it: each
/// located breaking item ([`breaking_reports`]) with its source line, then
/// `error: <message>` ([`breaking_message`]).
pub fn render_breaking(reports: &[Report], message: &str, color: bool) -> String {
    let mut out: String = reports.iter().map(|r| r.render(color)).collect();
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str(&Report::headline(message.to_string()).render(color));
    // One newline at the end, not the blank line that separates diagnostics.
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
