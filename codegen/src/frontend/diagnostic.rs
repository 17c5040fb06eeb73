//! Source positions kept as data, and the rendering of the front end's errors the way
//! wit-parser (and rustc) show theirs: the message, `--> file:line:column`, the source
//! line with a caret under the token, and a `help` line saying how to fix it.
//!
//! wit-parser's [`Span`](wit_parser::Span)s are offsets into its `SourceMap`, which lives
//! only as long as the `Resolve`. They are resolved to a [`SourceSpan`] (file, line,
//! column, byte range) while the map is at hand, and rendered later with
//! `codespan-reporting` from those numbers and the file's text: nothing is rendered to
//! text and parsed back. Colour is the caller's choice ([`color_for_stderr`] is what the
//! CLI uses: a terminal, and `NO_COLOR` unset or empty).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor, Chars, Config, Styles, StylesWriter};
use plugport::ir;
use wit_parser::SourceMap;

/// A place in a WIT source file: what a wit-parser `Span` means, kept after the
/// `Resolve` that owns the span is gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSpan {
    /// The file, as wit-parser read it (the path given to the front end, joined with the
    /// file name for a package directory).
    pub file: String,
    /// 1-based line of the span's start.
    pub line: u32,
    /// 1-based column of the span's start, in characters (Unicode scalar values) from
    /// the start of the line.
    pub column: u32,
    /// The span's byte range in the file (UTF-8); empty for a position.
    pub range: Range<usize>,
}

impl SourceSpan {
    /// The IR's location (file and line; the IR keeps no column).
    pub fn location(&self) -> ir::Location {
        ir::Location {
            file: self.file.clone(),
            line: self.line,
        }
    }

    /// Computes line and column of `range` in `text` (the contents of `file`).
    pub fn in_text(file: &str, text: &str, range: Range<usize>) -> SourceSpan {
        let start = range.start.min(text.len());
        let before = &text[..floor_char_boundary(text, start)];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        SourceSpan {
            file: file.to_string(),
            line: before.matches('\n').count() as u32 + 1,
            column: before[line_start..].chars().count() as u32 + 1,
            range,
        }
    }
}

impl fmt::Display for SourceSpan {
    /// `file:line:column`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Resolves wit-parser spans of one `SourceMap` to [`SourceSpan`]s, reading each file's
/// line starts once (locating every item of a world stays linear in its size).
pub(crate) struct Spans<'a> {
    map: &'a SourceMap,
    /// File → the byte offsets where its lines start; `None` when it cannot be read again.
    lines: RefCell<HashMap<String, Option<FileLines>>>,
}

struct FileLines {
    text: String,
    starts: Vec<usize>,
}

impl<'a> Spans<'a> {
    pub(crate) fn new(map: &'a SourceMap) -> Spans<'a> {
        Spans {
            map,
            lines: RefCell::default(),
        }
    }

    /// The file, line and column of `span`; `None` for a span wit-parser does not know
    /// (items it made up) or a file that cannot be read again.
    pub(crate) fn resolve(&self, span: wit_parser::Span) -> Option<SourceSpan> {
        if !span.is_known() {
            return None;
        }
        let at = self.map.resolve_span(span)?;
        let mut lines = self.lines.borrow_mut();
        let file = lines.entry(at.path.to_string()).or_insert_with(|| {
            let text = std::fs::read_to_string(at.path).ok()?;
            let mut starts = vec![0];
            starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
            Some(FileLines { text, starts })
        });
        let file_lines = file.as_ref()?;
        let start = at.range.start.min(file_lines.text.len());
        let line = file_lines.starts.partition_point(|s| *s <= start);
        let line_start = file_lines.starts[line - 1];
        let column = file_lines
            .text
            .get(line_start..floor_char_boundary(&file_lines.text, start))
            .map_or(0, |s| s.chars().count());
        Some(SourceSpan {
            file: at.path.to_string(),
            line: line as u32,
            column: column as u32 + 1,
            range: at.range,
        })
    }
}

/// Where the items of a converted world are declared in its WIT, for diagnostics that
/// point at the WIT after the conversion (C name collisions, a broken baseline). The IR
/// keeps only file and line ([`ir::Location`]); these are the spans with columns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Places {
    /// By IR type id (anonymous types: their first use).
    pub(crate) types: Vec<Option<SourceSpan>>,
    /// Function name spans by the (file, line) of the IR's function locations (the first
    /// function declared on a line).
    pub(crate) functions: HashMap<(String, u32), SourceSpan>,
    /// Interfaces by IR name.
    pub(crate) interfaces: HashMap<String, SourceSpan>,
    /// The world's name.
    pub(crate) world: Option<SourceSpan>,
}

impl Places {
    /// Where the IR type `id` is declared (its name; an anonymous type: its first use).
    pub fn of_type(&self, id: ir::TypeId) -> Option<&SourceSpan> {
        self.types.get(id)?.as_ref()
    }

    /// Where the function at IR location `location` is declared (its name).
    pub fn of_function(&self, location: Option<&ir::Location>) -> Option<&SourceSpan> {
        let l = location?;
        self.functions.get(&(l.file.clone(), l.line))
    }

    /// Where the interface with IR name `name` is declared.
    pub fn of_interface(&self, name: &str) -> Option<&SourceSpan> {
        self.interfaces.get(name)
    }

    /// Where the world is declared (its name).
    pub fn of_world(&self) -> Option<&SourceSpan> {
        self.world.as_ref()
    }
}

/// A secondary place of a diagnostic, e.g. the other item of a C name collision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    /// Where.
    pub span: SourceSpan,
    /// What is there, e.g. ``record `list-u8` ``.
    pub what: String,
}

/// Something the front end reports: what is wrong, where, and how to fix it. Refusals
/// and wit-parser's own errors are both shown through this shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// What is wrong, one sentence.
    pub message: String,
    /// Where; the caret goes under this range.
    pub span: Option<SourceSpan>,
    /// Other places that take part (shown with their own underline when in a file).
    pub related: Vec<Related>,
    /// How to fix it, when plugport knows.
    pub help: Option<String>,
}

impl Report {
    /// Renders the report like wit-parser and rustc do: `error: <message>`, then
    /// `--> file:line:column`, the source line with `^` under the span, the related
    /// places, and `= help: ...`. With `color` the text carries ANSI colour codes. When
    /// the file cannot be read (or changed since), the location is printed without the
    /// source line.
    pub fn render(&self, color: bool) -> String {
        // The primary span's file, when it can still be read and still holds the span.
        let text = self.span.as_ref().and_then(|s| {
            let t = std::fs::read_to_string(&s.file).ok()?;
            t.get(s.range.clone()).is_some().then_some(t)
        });
        let (name, source) = match (&self.span, &text) {
            (Some(s), Some(t)) => (s.file.as_str(), t.as_str()),
            _ => ("", ""),
        };
        let file = SimpleFile::new(name, source);
        let mut message = self.message.clone();
        let mut labels = Vec::new();
        match (&self.span, &text) {
            (Some(span), Some(_)) => labels.push(Label::primary((), span.range.clone())),
            (Some(span), None) => message = format!("{span}: {message}"),
            (None, _) => {}
        }
        let mut notes = Vec::new();
        for r in &self.related {
            let shown = !labels.is_empty()
                && r.span.file == name
                && source.get(r.span.range.clone()).is_some();
            if shown {
                labels.push(
                    Label::secondary((), r.span.range.clone())
                        .with_message(format!("{} is here", r.what)),
                );
            } else {
                notes.push(format!("{} is at {}", r.what, r.span));
            }
        }
        if let Some(help) = &self.help {
            notes.push(format!("help: {help}"));
        }
        let diagnostic = Diagnostic::error()
            .with_message(&message)
            .with_labels(labels)
            .with_notes(notes.clone());
        let config = Config {
            chars: Chars::ascii(),
            ..Config::default()
        };
        let rendered = if color {
            let mut buffer = termcolor::Buffer::ansi();
            let styles = Styles::default();
            let mut writer = StylesWriter::new(&mut buffer, &styles);
            term::emit_to_write_style(&mut writer, &config, &file, &diagnostic)
                .ok()
                .and_then(|()| String::from_utf8(buffer.into_inner()).ok())
        } else {
            term::emit_into_string(&config, &file, &diagnostic).ok()
        };
        rendered.unwrap_or_else(|| {
            let mut s = format!("error: {message}\n");
            for n in notes {
                s.push_str(&format!("  = {n}\n"));
            }
            s
        })
    }

    /// A report with only a message (no place, no help): a summary line.
    pub fn headline(message: String) -> Report {
        Report {
            message,
            span: None,
            related: Vec::new(),
            help: None,
        }
    }

    /// `file:line:column: message; help` on one line (the location only when known):
    /// the short form for logs and [`std::fmt::Display`].
    pub fn short(&self) -> String {
        let mut s = match &self.span {
            Some(span) => format!("{span}: {}", self.message),
            None => self.message.clone(),
        };
        if let Some(help) = &self.help {
            s.push_str("; ");
            s.push_str(help);
        }
        s
    }

    /// The report as JSON for `--json`: `message`, `file`, `line`, `column` (the last
    /// three `null` when unknown), `help` and `related` (`[{what, file, line, column}]`).
    pub fn to_json(&self) -> serde_json::Value {
        let at = |s: Option<&SourceSpan>| {
            (
                s.map(|s| s.file.clone()),
                s.map(|s| s.line),
                s.map(|s| s.column),
            )
        };
        let (file, line, column) = at(self.span.as_ref());
        serde_json::json!({
            "message": self.message,
            "file": file,
            "line": line,
            "column": column,
            "help": self.help,
            "related": self.related.iter().map(|r| serde_json::json!({
                "what": r.what,
                "file": r.span.file,
                "line": r.span.line,
                "column": r.span.column,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Whether diagnostics written to stderr should be coloured: stderr is a terminal and
/// `NO_COLOR` is unset or empty (<https://no-color.org>).
pub fn color_for_stderr() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// wit-parser's error as a [`Report`]: the message of its parse or resolve error with
/// that error's span, the context layers (e.g. `failed to parse package: <dir>`) before
/// it. `None` when no layer carries a span.
pub(crate) fn wit_report(err: &anyhow::Error, map: &SourceMap) -> Option<Report> {
    let spans = Spans::new(map);
    let mut context = Vec::new();
    for layer in err.chain() {
        let parse = layer
            .downcast_ref::<wit_parser::ParseError>()
            .map(|e| (e.kind().to_string(), e.kind().span()));
        let found = parse.or_else(|| {
            layer
                .downcast_ref::<wit_parser::ResolveError>()
                .map(|e| (e.kind().to_string(), e.kind().span()))
        });
        match found {
            Some((message, span)) => {
                let span = spans.resolve(span)?;
                context.push(message);
                return Some(Report {
                    message: context.join(": "),
                    span: Some(span),
                    related: Vec::new(),
                    help: None,
                });
            }
            None => context.push(layer.to_string()),
        }
    }
    None
}
