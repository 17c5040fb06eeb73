//! The host package `<world>`: Load, World, clients of the exported interfaces, proxies
//! of the plugin's resources, and the host's imports (Go interfaces the host implements,
//! reached from C through one of [`SLOTS`] static imports tables).

use plugport::ir::snake;

use super::callee::Impl;
use super::caller::{self, method_name};
use super::side;
use super::{Ctx, Dir, Owner};

/// How many plugins of one world a Go host can have open at once: each open plugin uses
/// one of this many static imports tables (an imports slot takes no context pointer, so
/// the table says which Imports a call belongs to).
pub const SLOTS: usize = 32;

pub(crate) fn generate(ctx: &Ctx) -> (String, String, String) {
    (main_file(ctx), export_file(ctx), c_file(ctx))
}

fn main_file(ctx: &Ctx) -> String {
    let w = ctx.world;
    let mut pre = format!(
        "#cgo pkg-config: plugport\n#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n#include \"plugport.h\"\n#include \"{}.h\"\n\nextern uintptr_t gp_imports_table(int n);\n",
        ctx.world_snake
    );
    pre += &side::c_calls(ctx);
    pre += &format!(
        "typedef struct gp_open_out {{\n    int32_t code;\n    uintptr_t plugin;\n    uintptr_t message;\n}} gp_open_out;\n// plugport_open_ex with the fields of plugport_open_options after size (loader.Options.Fields).\nstatic gp_open_out gp_open(const char *path, int slot, uint32_t f0, uint32_t f1, uint32_t f2, uint32_t f3, uint32_t f4, uint32_t f5, uint32_t f6, uint32_t f7, uint32_t f8, const char *allow) {{\n    static const uint8_t expected[] = {{{up}_{wu}_WORLD_JSON_BYTES}};\n    plugport_open_options opts;\n    gp_open_out o;\n    plugport_plugin *p = NULL;\n    memset(&opts, 0, sizeof opts);\n    opts.size = (uint32_t)sizeof opts;\n    opts.isolation = f0;\n    opts.call_timeout_ms = f1;\n    opts.max_restarts = f2;\n    opts.start_timeout_ms = f3;\n    opts.drain_timeout_ms = f4;\n    opts.max_address_space_mb = f5;\n    opts.max_cpu_seconds = f6;\n    opts.idle_timeout_ms = f7;\n    opts.max_open_files = f8;\n    opts.allow_sha256 = allow;\n    o.code = plugport_open_ex(path, expected, sizeof expected, (const {imp} *)gp_imports_table(slot), &opts, &p);\n    o.plugin = (uintptr_t)p;\n    o.message = 0;\n    if (o.code != 0) {{\n        const char *m = plugport_last_error();\n        o.message = m == NULL ? 0 : (uintptr_t)strdup(m);\n    }}\n    return o;\n}}\n",
        up = ctx.upper,
        wu = ctx.world_snake.to_ascii_uppercase(),
        imp = ctx.names.imports()
    );
    let mut body = side::go_common(ctx);
    // Imported interfaces: implemented by the host.
    let fields = side::implementation_fields(ctx, Dir::Import);
    for (dir, i) in ctx.interfaces() {
        if dir == Dir::Import {
            let doc = format!(
                "// {} is the host's implementation of the imported interface `{}`: the plugin\n// calls it, from any thread. A returned error becomes PP_ERR_PANIC with its message\n// (PP_ERR_INVALID_ARGUMENT when it wraps plugport.ErrInvalidArgument); a panic is\n// recovered into PP_ERR_PANIC.\n",
                ctx.go.iface(dir, &i.name),
                i.name
            );
            body += &side::implemented_interface(ctx, i, dir, &doc);
        } else {
            body += &caller::client(ctx, i, Dir::Export);
        }
    }
    body += "// Imports is what the host provides to the plugin (the world's imports); every field\n// must be set.\ntype Imports struct {\n";
    for (n, t, what) in &fields {
        body += &format!("\t// {n} implements the {what}.\n\t{n} {t}\n");
    }
    body += "}\n\nfunc (imp *Imports) check() error {\n";
    for (n, _, _) in &fields {
        body += &format!(
            "\tif imp.{n} == nil {{\n\t\treturn errors.New(\"{}.Load: Imports.{n} is nil\")\n\t}}\n",
            ctx.pkg
        );
    }
    body += "\treturn nil\n}\n\n";
    body += &format!(
        "// gpSlotCount open plugins at most: each uses one static imports table.
const gpSlotCount = {SLOTS}

var (
	gpSlots  [gpSlotCount]atomic.Pointer[Imports]
	gpSlotMu sync.Mutex
)

func gpImports(slot C.int) *Imports {{
	imp := gpSlots[int(slot)].Load()
	if imp == nil {{
		panic(\"plugport: a call through the imports of a closed World\")
	}}
	return imp
}}

func gpTakeSlot(imp Imports) (int, error) {{
	gpSlotMu.Lock()
	defer gpSlotMu.Unlock()
	for i := range gpSlots {{
		if gpSlots[i].Load() == nil {{
			gpSlots[i].Store(&imp)
			return i, nil
		}}
	}}
	return 0, fmt.Errorf(\"{pkg}.Load: %d plugins of this world are open already (the most a Go host can have at once)\", gpSlotCount)
}}

// World is an open plugin of world `{wit}`. Its calls are safe from many goroutines at
// once; Reload, ReleasePrevious and Close must not run while calls are in flight.
type World struct {{
	p    *loader.Plugin
	slot int
	once sync.Once
}}

// Load opens, checks and initialises the plugin at path with libplugport
// (plugport_open): the loader checks the plugin's descriptor against this package's world
// before any plugin code runs. Errors are *plugport.LoadError (errors.Is with
// plugport.ErrIncompatible, plugport.ErrNotAPlugin, ...).
func Load(path string, imports Imports) (*World, error) {{
	return LoadWithOptions(path, imports, loader.Options{{}})
}}

// LoadWithOptions is Load with the options of plugport_open_ex (docs/isolation.md): where
// the plugin runs (loader.Process: in a child process, behind the same API), the per-call
// deadline, restart limit, drain and idle times, the child's limits, and the SHA-256
// allowlist of plugin files.
// PLUGPORT_ISOLATION, PLUGPORT_CALL_TIMEOUT_MS and PLUGPORT_IDLE_TIMEOUT_MS override them.
func LoadWithOptions(path string, imports Imports, opts loader.Options) (*World, error) {{
	if err := imports.check(); err != nil {{
		return nil, err
	}}
	slot, err := gpTakeSlot(imports)
	if err != nil {{
		return nil, err
	}}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	f := opts.Fields()
	var callow *C.char
	if a := opts.AllowList(); len(a) > 0 {{
		callow = C.CString(a)
		defer C.free(unsafe.Pointer(callow))
	}}
	o := C.gp_open(cpath, C.int(slot), C.uint32_t(f[0]), C.uint32_t(f[1]), C.uint32_t(f[2]), C.uint32_t(f[3]), C.uint32_t(f[4]), C.uint32_t(f[5]), C.uint32_t(f[6]), C.uint32_t(f[7]), C.uint32_t(f[8]), callow)
	p, err := loader.Adopt(int32(o.code), uintptr(o.plugin), uintptr(o.message), path)
	if err != nil {{
		gpSlots[slot].Store(nil)
		return nil, err
	}}
	return &World{{p: p, slot: slot}}, nil
}}

// Plugin is the loaded plugin: name, version, fingerprint, live objects.
func (w *World) Plugin() *loader.Plugin {{\n\treturn w.p\n}}

// Reload loads the file now at the plugin's path in place (docs/abi.md §10): new calls
// reach the new image; resources made before keep the old one, which stays loaded until
// ReleasePrevious or Close. A refused file leaves the old image serving.
func (w *World) Reload() error {{\n\treturn w.p.Reload()\n}}

// ReleasePrevious unloads the images Reload replaced; call it only when no resource or
// result from them is in use.
func (w *World) ReleasePrevious() int {{\n\treturn w.p.ReleasePrevious()\n}}

// Close unloads the plugin (every image). Close every resource first. Closing twice
// does nothing.
func (w *World) Close() {{
	w.once.Do(func() {{
		w.p.Close()
		gpSlots[w.slot].Store(nil)
	}})
}}

",
        pkg = ctx.pkg,
        wit = w.name
    );
    let mut used: Vec<String> = ["Plugin", "Reload", "ReleasePrevious", "Close"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (dir, i) in ctx.interfaces() {
        if dir == Dir::Export {
            let name = ctx.go.iface(Dir::Export, &i.name);
            used.push(name.to_string());
            body += &format!(
                "// {name} is the plugin's interface `{}` (its current image's table).\nfunc (w *World) {name}() {name} {{\n\treturn {name}{{t: uintptr(C.gp_get_{}(C.uintptr_t(w.p.Exports())))}}\n}}\n\n",
                i.name,
                snake(&i.name)
            );
        }
    }
    for slot in ctx
        .slots
        .iter()
        .filter(|s| matches!(s.owner, Owner::World) && s.dir == Dir::Export)
    {
        let mut m = method_name(ctx, slot.f);
        while used.contains(&m) {
            m.push('_');
        }
        used.push(m.clone());
        let doc = format!("// {m} calls the plugin's function `{}`.\n", slot.what);
        body += &caller::go_method(
            ctx,
            slot,
            "w *World",
            &m,
            "C.uintptr_t(w.p.Exports())",
            "",
            &doc,
        );
        body += &format!(
            "// Has{m} says whether the plugin provides `{}`.\nfunc (w *World) Has{m}() bool {{\n\treturn C.gp_has_{}(C.uintptr_t(w.p.Exports())) != 0\n}}\n\n",
            slot.what, slot.key
        );
    }

    let doc = format!(
        "// Package {pkg} is the Go host binding of {package}, world `{name}`: Load opens a\n// plugin of the world through libplugport (any plugin language), World calls it.\n// Generated by `plugport gen --lang go-host`; see docs/go.md.\npackage {pkg}\n\n",
        pkg = ctx.pkg,
        package = w.package,
        name = w.name
    );
    side::main_file(ctx, &doc, &pre, &body)
}

fn export_file(ctx: &Ctx) -> String {
    side::export_file(ctx, Impl::HostSlot, "")
}

fn c_file(ctx: &Ctx) -> String {
    let mut out = side::c_prologue(ctx, "");
    // One set of imports tables per slot.
    let (mut m, world_members) = side::c_tables(ctx, Dir::Import, true);
    let imp = ctx.names.imports();
    let mut all = vec![side::table_header(ctx, &imp)];
    all.extend(world_members);
    m += &format!(
        "static const {imp} gp_imports_##N = {{{}}};\n",
        all.join(", ")
    );
    out += "#define GP_SLOT(N) \\\n";
    for line in m.lines() {
        out += &format!("    {line} \\\n");
    }
    out += "\n";
    for n in 0..SLOTS {
        out += &format!("GP_SLOT({n})\n");
    }
    out += &format!("\nstatic const void *const gp_imports_all[{SLOTS}] = {{\n");
    for n in 0..SLOTS {
        out += &format!("    &gp_imports_{n},\n");
    }
    out += &format!(
        "}};\n\nuintptr_t gp_imports_table(int n) {{\n    return n >= 0 && n < {SLOTS} ? (uintptr_t)gp_imports_all[n] : 0;\n}}\n"
    );
    out
}
