//! Go identifiers of a world's items: exported CamelCase names for types, fields,
//! functions and interfaces, lowerCamel for parameters, each unique in its package.

use std::collections::HashSet;

use plugport::ir::{TypeDefKind, TypeId, World, WorldItem};

use super::{Dir, GoSide};
use crate::names::CNames;

/// The Go keywords: no package, parameter or other identifier may be one.
pub(crate) const GO_KEYWORDS: &[&str] = &[
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
];

/// Predeclared names and the imports of generated files, which a parameter must not
/// shadow (besides the keywords).
const GO_PREDECLARED: &[&str] = &[
    "append", "cap", "close", "copy", "delete", "len", "make", "new", "panic", "print", "println",
    "recover", "string", "error", "bool", "byte", "rune", "int", "uint", "any", "true", "false",
    "nil", "iota", "unsafe", "plugport", "loader", "runtime", "fmt", "os", "sync", "atomic",
    "errors", "min", "max", "clear",
];

/// `max-frame` → `MaxFrame`; `%stream` → `Stream`; digits stay (`f0` → `F0`); an
/// all-caps WIT word is one capital and lower case (`get-URL` → `GetUrl`, heck's word
/// rules, the same as the Rust back end's). A name that would start with a digit gets a
/// leading `X`.
pub fn camel(name: &str) -> String {
    let mut out = heck::ToUpperCamelCase::to_upper_camel_case(name.trim_start_matches('%'));
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'X');
    }
    out
}

/// A parameter name: `max-frame` → `maxFrame`, Go keywords and names the generated
/// code uses get a trailing `_`.
pub fn param(name: &str) -> String {
    let c = camel(name);
    let mut chars = c.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_ascii_lowercase())
        .into_iter()
        .collect();
    out.extend(chars);
    if GO_KEYWORDS.contains(&out.as_str())
        || GO_PREDECLARED.contains(&out.as_str())
        || out.starts_with("gp")
    {
        out.push('_');
    }
    out
}

/// Go names of the world's types and interfaces.
pub struct GoNames {
    /// Go type name per type id, for types that get a Go definition (records, tuples,
    /// variants, enums, flags, resources, named aliases); empty for the others.
    pub types: Vec<String>,
    /// Go name per interface (direction, name): a client struct or an implementation
    /// interface. An interface both imported and exported gets two names, the second with
    /// `Import` or `Export` appended.
    pub ifaces: Vec<(Dir, String, String)>,
}

impl GoNames {
    pub fn new(world: &World, _side: GoSide) -> GoNames {
        let cnames = CNames::new(world);
        let mut used: HashSet<String> = [
            "World",
            "Load",
            "Imports",
            "Exports",
            "Export",
            "Host",
            "HostImports",
            "Result",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut unique = |want: String, alt: String| -> String {
            let mut name = if used.contains(&want) { alt } else { want };
            while used.contains(&name) {
                name.push('_');
            }
            used.insert(name.clone());
            name
        };
        let mut types = vec![String::new(); world.types.len()];
        for (id, slot) in types.iter_mut().enumerate() {
            let def = world.ty(id);
            let named = def.name.is_some();
            let defined = match &def.kind {
                TypeDefKind::Record { .. }
                | TypeDefKind::Variant { .. }
                | TypeDefKind::Enum { .. }
                | TypeDefKind::Flags { .. }
                | TypeDefKind::Resource => true,
                TypeDefKind::Tuple { .. } => true,
                TypeDefKind::Alias { .. } => named,
                _ => false,
            };
            if !defined {
                continue;
            }
            let want = match &def.name {
                Some(n) => camel(n),
                None => camel(&cnames.mangle_id(id)),
            };
            let alt = match &def.interface {
                Some(i) => format!("{}{}", camel(i), want),
                None => format!("{want}Type"),
            };
            *slot = unique(want, alt);
        }
        let mut ifaces = Vec::new();
        for (dir, items) in [(Dir::Import, &world.imports), (Dir::Export, &world.exports)] {
            for item in items.iter() {
                if let WorldItem::Interface(i) = item {
                    let want = camel(&i.name);
                    let alt = match dir {
                        Dir::Import => format!("{want}Import"),
                        Dir::Export => format!("{want}Export"),
                    };
                    let go = unique(want, alt);
                    ifaces.push((dir, i.name.clone(), go));
                }
            }
        }
        GoNames { types, ifaces }
    }

    /// The Go name of interface `name` on side `dir`.
    pub fn iface(&self, dir: Dir, name: &str) -> &str {
        self.ifaces
            .iter()
            .find(|(d, n, _)| *d == dir && n == name)
            .map(|(_, _, g)| g.as_str())
            .expect("interface of the world")
    }

    /// The Go name of type `id` (a defined type).
    pub fn ty(&self, id: TypeId) -> &str {
        &self.types[id]
    }
}

#[cfg(test)]
mod tests {
    use super::camel;

    #[test]
    fn camel_follows_heck_and_never_starts_with_a_digit() {
        assert_eq!(camel("max-frame"), "MaxFrame");
        assert_eq!(camel("f0"), "F0");
        assert_eq!(camel("get-URL"), "GetUrl");
        assert_eq!(camel("%stream"), "Stream");
        assert_eq!(camel("1st"), "X1st");
    }
}
