//! Where WIT items are declared, and how refusals name and place them: the [`Site`] of a
//! construct, wit-parser spans resolved to file, line and column, the caret of a refusal
//! kept inside the refused item's declaration, and WIT text of types for messages.

use wit_parser as wit;
use wit_parser::Resolve;

use super::super::diagnostic::SourceSpan;
use super::super::Refusal;
use super::Converter;

impl Converter<'_> {
    /// The file, line and column of `span` (see `Spans::resolve`).
    pub(super) fn span(&self, span: wit::Span) -> Option<SourceSpan> {
        self.spans.resolve(span)
    }

    /// Where a refusal of `site` points: the anonymous type being converted when it is
    /// written inside the site's declaration (between its name and the next
    /// declaration, in the same file), otherwise the site's name.
    pub(super) fn refusal_location(&self, site: &Site) -> Option<SourceSpan> {
        let inside = |t: &wit::Span| {
            let Some(start) = site.start else {
                return false;
            };
            let next = self.item_starts.partition_point(|s| *s <= start);
            let end = self.item_starts.get(next).copied().unwrap_or(u32::MAX);
            t.is_known() && t.start() >= start && t.start() < end
        };
        self.type_at
            .filter(inside)
            .and_then(|t| self.span(t))
            .filter(|t| site.location.as_ref().is_some_and(|s| s.file == t.file))
            .or_else(|| site.location.clone())
    }

    /// Refuses what `site` describes: `what` says why, `help` how to fix it.
    pub(super) fn refuse(&mut self, site: &Site, what: String, help: Option<String>) {
        let refusal = Refusal {
            location: self.refusal_location(site),
            message: format!("{} {what}", site.desc),
            help,
            related: Vec::new(),
        };
        if !self.refusals.contains(&refusal) {
            self.refusals.push(refusal);
        }
    }
}

/// Where a type is used or defined, for refusal messages.
#[derive(Clone)]
pub(super) struct Site {
    /// What it is, e.g. ``function `read-all` `` or ``field `tags` of record `person` ``.
    pub(super) desc: String,
    pub(super) location: Option<SourceSpan>,
    /// The start of the item's span in wit-parser's source map (to tell whether a type's
    /// span lies inside the item's declaration).
    pub(super) start: Option<u32>,
}

/// The start of every declaration's name span in `r`, sorted.
pub(super) fn item_starts(r: &Resolve) -> Vec<u32> {
    let mut spans: Vec<wit::Span> = Vec::new();
    spans.extend(
        r.types
            .iter()
            .filter(|(_, t)| t.name.is_some())
            .map(|(_, t)| t.span),
    );
    for (_, i) in r.interfaces.iter() {
        spans.push(i.span);
        spans.extend(i.functions.values().map(|f| f.span));
    }
    for (_, w) in r.worlds.iter() {
        spans.push(w.span);
        for item in w.imports.values().chain(w.exports.values()) {
            if let wit::WorldItem::Function(f) = item {
                spans.push(f.span);
            }
        }
    }
    let mut starts: Vec<u32> = spans
        .into_iter()
        .filter(|s| s.is_known())
        .map(|s| s.start())
        .collect();
    starts.sort_unstable();
    starts.dedup();
    starts
}

/// Footnote for refusals of types the ABI's type table does not list.
pub(super) const TYPES_REF: &str = "which plugport ABI v1 does not support (docs/abi.md §3)";

/// How a function is named in messages: `greet`, `decoder.push`, `decoder.constructor`.
pub(super) fn display_name(f: &wit::Function) -> String {
    match f.kind.resource() {
        Some(_) => {
            let base = f.name.rsplit(']').next().unwrap_or(&f.name);
            match f.kind {
                wit::FunctionKind::Constructor(_) => format!("{base}.constructor"),
                _ => base.to_string(),
            }
        }
        None => f.item_name().to_string(),
    }
}

pub(super) fn describe_kind(kind: &wit::TypeDefKind) -> &'static str {
    match kind {
        wit::TypeDefKind::Type(_) => "type",
        k => k.as_str(),
    }
}

/// A type as WIT text, for messages: `list<string>`, `stream<u8>`, `point`.
pub(super) fn wit_type_text(r: &Resolve, t: &wit::Type) -> String {
    match t {
        wit::Type::Bool => "bool".into(),
        wit::Type::U8 => "u8".into(),
        wit::Type::U16 => "u16".into(),
        wit::Type::U32 => "u32".into(),
        wit::Type::U64 => "u64".into(),
        wit::Type::S8 => "s8".into(),
        wit::Type::S16 => "s16".into(),
        wit::Type::S32 => "s32".into(),
        wit::Type::S64 => "s64".into(),
        wit::Type::F32 => "f32".into(),
        wit::Type::F64 => "f64".into(),
        wit::Type::Char => "char".into(),
        wit::Type::String => "string".into(),
        wit::Type::ErrorContext => "error-context".into(),
        wit::Type::Id(id) => {
            let td = &r.types[*id];
            match &td.name {
                Some(n) => n.clone(),
                None => kind_text(r, &td.kind),
            }
        }
    }
}

pub(super) fn kind_text(r: &Resolve, kind: &wit::TypeDefKind) -> String {
    let t = |t: &wit::Type| wit_type_text(r, t);
    let opt = |o: &Option<wit::Type>| o.as_ref().map(t);
    match kind {
        wit::TypeDefKind::List(e) => format!("list<{}>", t(e)),
        wit::TypeDefKind::FixedLengthList(e, n) => format!("list<{}, {n}>", t(e)),
        wit::TypeDefKind::Map(k, v) => format!("map<{}, {}>", t(k), t(v)),
        wit::TypeDefKind::Option(e) => format!("option<{}>", t(e)),
        wit::TypeDefKind::Result(res) => match (opt(&res.ok), opt(&res.err)) {
            (None, None) => "result".into(),
            (Some(ok), None) => format!("result<{ok}>"),
            (None, Some(err)) => format!("result<_, {err}>"),
            (Some(ok), Some(err)) => format!("result<{ok}, {err}>"),
        },
        wit::TypeDefKind::Tuple(tu) => {
            let parts: Vec<String> = tu.types.iter().map(t).collect();
            format!("tuple<{}>", parts.join(", "))
        }
        wit::TypeDefKind::Handle(wit::Handle::Own(x)) => format!("own<{}>", t(&wit::Type::Id(*x))),
        wit::TypeDefKind::Handle(wit::Handle::Borrow(x)) => {
            format!("borrow<{}>", t(&wit::Type::Id(*x)))
        }
        wit::TypeDefKind::Future(e) => match opt(e) {
            Some(e) => format!("future<{e}>"),
            None => "future".into(),
        },
        wit::TypeDefKind::Stream(e) => match opt(e) {
            Some(e) => format!("stream<{e}>"),
            None => "stream".into(),
        },
        wit::TypeDefKind::Type(x) => t(x),
        k => k.as_str().into(),
    }
}
