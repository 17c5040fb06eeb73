//! A tiny indenting writer for generated Rust code.

/// Accumulates lines, indenting by the nesting of `{` … `}` opened with [`Out::open`].
pub(crate) struct Out {
    text: String,
    depth: usize,
}

impl Out {
    pub(crate) fn new() -> Self {
        Out {
            text: String::new(),
            depth: 0,
        }
    }

    /// Writes one or more lines at the current indentation. A line that starts with `}`
    /// is dedented, one that ends with `{` indents the following ones.
    pub(crate) fn line(&mut self, s: &str) {
        for l in s.lines() {
            let t = l.trim();
            if t.is_empty() {
                self.text.push('\n');
                continue;
            }
            let closes = t.starts_with('}') || t.starts_with(')') || t.starts_with(']');
            if closes {
                self.depth = self.depth.saturating_sub(1);
            }
            for _ in 0..self.depth {
                self.text.push_str("    ");
            }
            self.text.push_str(t);
            self.text.push('\n');
            if t.ends_with('{') || t.ends_with('(') || t.ends_with('[') {
                self.depth += 1;
            }
        }
        if s.is_empty() {
            self.text.push('\n');
        }
    }

    /// `head {` and indent.
    pub(crate) fn open(&mut self, head: &str) {
        self.line(&format!("{head} {{"));
    }

    /// `}` and dedent.
    pub(crate) fn close(&mut self) {
        self.line("}");
    }

    /// A line that closes one block and opens another: `} else {`, `) -> T {`.
    pub(crate) fn close_open(&mut self, s: &str) {
        self.line(&format!("{s} {{"));
    }

    /// A closing line with more than `}`: `});`, `};`.
    pub(crate) fn close_with(&mut self, s: &str) {
        self.line(s);
    }

    pub(crate) fn finish(self) -> String {
        self.text
    }
}
