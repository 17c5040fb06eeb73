//! A small emitter of C++ classes whose members are defined out of class, after every
//! class is complete (so classes may use each other in any order).

/// One member function.
pub(super) struct Method {
    pub ret: String,
    pub name: String,
    /// `(type, name)` pairs.
    pub params: Vec<(String, String)>,
    /// After the parameter list: `const noexcept`, `noexcept`, ...
    pub qual: String,
    pub is_static: bool,
    /// `None`: a pure virtual function.
    pub body: Option<String>,
    /// A comment for the declaration.
    pub doc: Option<String>,
}

impl Method {
    pub(super) fn new(ret: impl Into<String>, name: impl Into<String>) -> Method {
        Method {
            ret: ret.into(),
            name: name.into(),
            params: Vec::new(),
            qual: "noexcept".into(),
            is_static: false,
            body: None,
            doc: None,
        }
    }
    pub(super) fn params(mut self, p: Vec<(String, String)>) -> Method {
        self.params = p;
        self
    }
    pub(super) fn qual(mut self, q: &str) -> Method {
        self.qual = q.into();
        self
    }
    pub(super) fn static_(mut self) -> Method {
        self.is_static = true;
        self
    }
    pub(super) fn body(mut self, b: impl Into<String>) -> Method {
        self.body = Some(b.into());
        self
    }
    pub(super) fn doc(mut self, d: impl Into<String>) -> Method {
        self.doc = Some(d.into());
        self
    }
}

/// One class (or struct) in namespace `ns`.
pub(super) struct Class {
    pub ns: String,
    pub name: String,
    /// Guard macro suffix: classes shared by the headers of several worlds of one package
    /// are defined once.
    pub guard: String,
    pub base: Option<String>,
    pub doc: String,
    /// Lines of the public section written as they are (data members, trivial inline
    /// functions, nested types).
    pub public: Vec<String>,
    pub methods: Vec<Method>,
    /// Lines of the private section.
    pub private: Vec<String>,
    pub private_methods: Vec<Method>,
}

impl Class {
    pub(super) fn new(ns: &str, name: &str, guard: &str) -> Class {
        Class {
            ns: ns.into(),
            name: name.into(),
            guard: guard.into(),
            base: None,
            doc: String::new(),
            public: Vec::new(),
            methods: Vec::new(),
            private: Vec::new(),
            private_methods: Vec::new(),
        }
    }

    pub(super) fn forward(&self) -> String {
        let rel = self.rel_ns();
        if rel.is_empty() {
            format!("class {};", self.name)
        } else {
            format!("namespace {rel} {{ class {}; }}", self.name)
        }
    }

    /// The namespace relative to the package's (the forward declarations are inside it).
    fn rel_ns(&self) -> String {
        // The package namespace has three parts: namespace::name::line.
        let parts: Vec<&str> = self.ns.split("::").collect();
        parts[3.min(parts.len())..].join("::")
    }

    fn decl(m: &Method) -> String {
        let params: Vec<String> = m.params.iter().map(|(t, n)| format!("{t} {n}")).collect();
        let mut s = String::new();
        if let Some(d) = &m.doc {
            s += &format!("    /* {d} */\n");
        }
        let stat = if m.is_static { "static " } else { "" };
        match &m.body {
            None => {
                s += &format!(
                    "    virtual {} {}({}) = 0;\n",
                    m.ret,
                    m.name,
                    params.join(", ")
                )
            }
            Some(_) => {
                s += &format!(
                    "    {stat}{} {}({}) {};\n",
                    m.ret,
                    m.name,
                    params.join(", "),
                    m.qual
                )
            }
        }
        s
    }

    pub(super) fn definition(&self) -> String {
        let mut s = format!(
            "#ifndef PLUGPORT_CPP_CLASS_{g}\n#define PLUGPORT_CPP_CLASS_{g}\nnamespace {} {{\n",
            self.ns,
            g = self.guard
        );
        if !self.doc.is_empty() {
            s += &format!("/* {} */\n", self.doc);
        }
        match &self.base {
            Some(b) => s += &format!("class {} : public {b} {{\n  public:\n", self.name),
            None => s += &format!("class {} {{\n  public:\n", self.name),
        }
        for l in &self.public {
            s += &format!("    {l}\n");
        }
        for m in &self.methods {
            s += &Self::decl(m);
        }
        if !self.private.is_empty() || !self.private_methods.is_empty() {
            s += "\n  private:\n";
            for l in &self.private {
                s += &format!("    {l}\n");
            }
            for m in &self.private_methods {
                s += &Self::decl(m);
            }
        }
        s += "};\n} // namespace\n#endif\n\n";
        s
    }

    pub(super) fn members(&self) -> String {
        let mut s = String::new();
        for m in self.methods.iter().chain(&self.private_methods) {
            let Some(body) = &m.body else { continue };
            let params: Vec<String> = m.params.iter().map(|(t, n)| format!("{t} {n}")).collect();
            s += &format!(
                "inline {} {}::{}::{}({}) {} {{\n{}}}\n",
                m.ret,
                self.ns,
                self.name,
                m.name,
                params.join(", "),
                m.qual,
                indent(body)
            );
        }
        if s.is_empty() {
            return s;
        }
        format!(
            "#ifndef PLUGPORT_CPP_MEMBERS_{g}\n#define PLUGPORT_CPP_MEMBERS_{g}\n{s}#endif\n\n",
            g = self.guard
        )
    }
}

/// Indents every line of a function body by four spaces.
fn indent(body: &str) -> String {
    body.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("    {l}\n")
            }
        })
        .collect()
}
