//! The plugin file side of a world (`docs/abi.md` section 7): the world JSON as bytes,
//! the entry prototype, the `<PREFIX>_<W>_EXPORT(NAME, VERSION, INIT)` macro that gives a
//! C plugin its descriptor blob and entry, the optional `<PREFIX>_<W>_LIVE_OBJECTS(COUNT)`
//! (section 10), and the C host helpers that load a plugin
//! through the runtime header (`plugport.h`).

use plugport::ir::{snake, World};

use super::tables::{push_spaces, wrap};
use super::Ctx;
use crate::names::{c_upper, CNames};

/// Bytes per line of the world JSON byte-list macro.
const BYTES_PER_LINE: usize = 16;

/// The world JSON a descriptor carries: `{"fingerprint":"<hex>","world":<canonical IR>}`.
pub fn world_json(world: &World) -> String {
    plugport::descriptor::world_json(world)
}

/// The C names this part of the header defines, besides the symbols of [`CNames`].
pub(super) struct WorldNames {
    /// `<PREFIX>_<WORLD>_WORLD_JSON_LEN`, `_BYTES` (a byte list) and `_STR` (a string
    /// literal, which compilers read about ten times faster).
    pub len_macro: String,
    pub bytes_macro: String,
    pub str_macro: String,
    /// `<PREFIX>_<WORLD>_EXPORT` and `_LIVE_OBJECTS`.
    pub export_macro: String,
    pub live_macro: String,
    /// The struct tag of the descriptor blob the `EXPORT` macro defines.
    pub blob: String,
    /// The C host helpers `<prefix>_<world>_open`, `_open_ex` and `_exports_of`.
    pub open: String,
    pub open_ex: String,
    pub exports_of: String,
}

impl WorldNames {
    pub(super) fn new(names: &CNames) -> WorldNames {
        let lower = format!("{}_{}", names.prefix, snake(&names.world.name));
        let upper = c_upper(&lower);
        WorldNames {
            len_macro: format!("{upper}_WORLD_JSON_LEN"),
            bytes_macro: format!("{upper}_WORLD_JSON_BYTES"),
            str_macro: format!("{upper}_WORLD_JSON_STR"),
            export_macro: format!("{upper}_EXPORT"),
            live_macro: format!("{upper}_LIVE_OBJECTS"),
            blob: format!("{}_blob", names.descriptor()),
            open: format!("{lower}_open"),
            open_ex: format!("{lower}_open_ex"),
            exports_of: format!("{lower}_exports_of"),
        }
    }
}

/// Everything of section 7 for the world of `ctx`.
pub(super) fn emit(ctx: &Ctx) -> String {
    let world = ctx.world;
    let WorldNames {
        len_macro,
        bytes_macro,
        str_macro,
        export_macro,
        live_macro,
        blob,
        open,
        open_ex,
        exports_of,
    } = WorldNames::new(&ctx.names);
    let exports = ctx.names.exports();
    let imports = ctx.names.imports();
    let entry = ctx.names.entry();
    let descriptor = ctx.names.descriptor();
    let json = world_json(world);
    let entry_params = [
        "uint32_t abi_version".to_string(),
        format!("const {imports} *imports"),
        format!("const {exports} **exports"),
        "pp_string *err".to_string(),
    ];

    let mut out = String::new();
    out += "/* ---- Plugin file: world JSON, entry, descriptor (docs/abi.md section 7) ---- */\n\n";
    out += "/* The world JSON every plugin of this world carries, and hosts compare with:\n";
    out += " * {\"fingerprint\":\"<sha-256 of the IR>\",\"world\":<IR>}, without a NUL. */\n";
    out += &format!("#define {len_macro} {}\n", json.len());
    out += &format!("#define {bytes_macro} \\\n");
    // `0x7b, 0x22, …`, BYTES_PER_LINE a line, written without a `format!` per byte (a
    // world of 1,000 functions has a 100 KB JSON).
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(json.len() * 6 + json.len() / BYTES_PER_LINE * 8);
    for (i, chunk) in json.as_bytes().chunks(BYTES_PER_LINE).enumerate() {
        if i > 0 {
            out += ", \\\n";
        }
        out += "    ";
        for (j, b) in chunk.iter().enumerate() {
            if j > 0 {
                out += ", ";
            }
            out.push_str("0x");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
    out += "\n\n";
    out +=
        "/* The same bytes as one string literal (what the EXPORT macro and the C host helpers\n";
    out += " * use: a compiler reads it about ten times faster than the byte list). */\n";
    out += &format!("#define {str_macro} \\\n");
    string_literal_lines(&mut out, json.as_bytes());
    out += "\n";
    out += OVERLENGTH;

    out += "/* The plugin entry, the one symbol the loader requires (defined by the macro\n";
    out += " * below in a C plugin). */\n";
    out += &wrap(&format!("pp_status {entry}("), &entry_params, ");");
    out += "\n";

    out += &format!(
        "/* {export_macro}(NAME, VERSION, INIT) defines, in a C plugin,
 * the descriptor blob {descriptor} (in section .plugport)
 * and the entry {entry}.
 * NAME and VERSION are string literals: the plugin's own name and version. INIT is
 *   pp_status INIT(const {imports} *imports,
 *                  const {exports} **exports, pp_string *err);
 * which checks imports->header.size, keeps the imports pointer, sets *exports to a static
 * table and returns PP_OK, or returns PP_ERR_INIT with *err pointing at a static message.
 * Use it once, at file scope, without a trailing semicolon. */
"
    );
    let mut macro_lines = vec![
        format!("#define {export_macro}(NAME, VERSION, INIT)"),
        format!("    struct {blob} {{"),
        "        char magic[8];".into(),
        "        uint32_t abi_version;".into(),
        "        uint32_t name_len;".into(),
        "        uint32_t version_len;".into(),
        "        uint32_t world_len;".into(),
        "        char name[sizeof(NAME)];".into(),
        "        char version[sizeof(VERSION)];".into(),
        format!("        unsigned char world[{len_macro} + 1];"),
        "    };".into(),
        format!("    PP_EXTERN_DECL PP_EXPORT const struct {blob}"),
        format!("        {descriptor};"),
        "    PP_OVERLENGTH_STRINGS_BEGIN".into(),
        format!("    PP_DESCRIPTOR_SECTION const struct {blob}"),
        format!("        {descriptor} = {{"),
        "        {'P', 'L', 'U', 'G', 'P', 'O', 'R', 'T'},".into(),
        "        1u,".into(),
        "        (uint32_t)(sizeof(NAME) - 1),".into(),
        "        (uint32_t)(sizeof(VERSION) - 1),".into(),
        format!("        (uint32_t){len_macro},"),
        "        NAME,".into(),
        "        VERSION,".into(),
        format!("        {str_macro}"),
        "    };".into(),
        "    PP_OVERLENGTH_STRINGS_END".into(),
    ];
    macro_lines.push(format!("    PP_EXPORT pp_status {entry}("));
    let params = wrap("        ", &entry_params, ") {");
    macro_lines.extend(params.lines().map(String::from));
    macro_lines.extend([
        "        static const char pp_bad_abi[] =".into(),
        "            \"plugport: the plugin implements ABI version 1\";".into(),
        "        static const char pp_bad_args[] =".into(),
        "            \"plugport: entry called without imports or exports\";".into(),
        "        if (abi_version != 1u) {".into(),
        "            if (err != NULL) {".into(),
        "                err->ptr = pp_bad_abi;".into(),
        "                err->len = sizeof pp_bad_abi - 1;".into(),
        "            }".into(),
        "            return PP_ERR_INIT;".into(),
        "        }".into(),
        "        if (imports == NULL || exports == NULL ||".into(),
        "            imports->header.size < (uint32_t)sizeof(pp_table_header)) {".into(),
        "            if (err != NULL) {".into(),
        "                err->ptr = pp_bad_args;".into(),
        "                err->len = sizeof pp_bad_args - 1;".into(),
        "            }".into(),
        "            return PP_ERR_INIT;".into(),
        "        }".into(),
        "        return INIT(imports, exports, err);".into(),
        "    }".into(),
    ]);
    out += &continued(&macro_lines);
    out += "\n";

    let live = ctx.names.live_objects();
    out += &format!(
        "/* Optional (docs/abi.md sections 7 and 10): how many resource objects the plugin has
 * created and not yet dropped. Hosts read it through plugport_live_objects, and with
 * PLUGPORT_DEBUG set plugport_close reports objects still alive. The EXPORT macro cannot
 * count a C plugin's objects; a C plugin that counts them defines this function with
 *   {live_macro}(COUNT)
 * at file scope, without a trailing semicolon, where COUNT is the plugin's
 *   size_t COUNT(void);
 * (thread-safe; the count goes up where the plugin creates a handle's self and down in the
 * vtable's drop). Without it the count is unknown to the host. */
size_t {live}(void);
"
    );
    out += &continued(&[
        format!("#define {live_macro}(COUNT)"),
        format!("    PP_EXPORT size_t {live}(void) {{"),
        "        return COUNT();".into(),
        "    }".into(),
    ]);
    out += "\n";

    out += &format!(
        "/* C hosts, when the runtime header (plugport.h) was included first:
 *   {open} loads and checks a plugin of this world (0 on success);
 *   {open_ex} the same with plugport_open_options (NULL: the default open; isolation,
 *   deadlines, limits, SHA-256 allowlist: docs/isolation.md);
 *   {exports_of} gives the exports table of a loaded plugin. */
#ifdef PLUGPORT_RUNTIME_H
{open_fn}    PP_OVERLENGTH_STRINGS_BEGIN
    static const uint8_t expected[] = {str_macro};
    PP_OVERLENGTH_STRINGS_END
    return plugport_open(path, expected, {len_macro}, imports, out);
}}
{open_ex_fn}    PP_OVERLENGTH_STRINGS_BEGIN
    static const uint8_t expected[] = {str_macro};
    PP_OVERLENGTH_STRINGS_END
    return plugport_open_ex(path, expected, {len_macro}, imports, options, out);
}}
{exports_of_fn}    return (const {exports} *)plugport_exports(p);
}}
#endif /* PLUGPORT_RUNTIME_H */
",
        open_fn = wrap(
            &format!("static inline int32_t {open}("),
            &[
                "const char *path".to_string(),
                format!("const {imports} *imports"),
                "plugport_plugin **out".to_string(),
            ],
            ") {"
        ),
        open_ex_fn = wrap(
            &format!("static inline int32_t {open_ex}("),
            &[
                "const char *path".to_string(),
                format!("const {imports} *imports"),
                "const plugport_open_options *options".to_string(),
                "plugport_plugin **out".to_string(),
            ],
            ") {"
        ),
        exports_of_fn = wrap(
            &format!("static inline const {exports} *{exports_of}("),
            &["const plugport_plugin *p".to_string()],
            ") {"
        ),
    );
    out
}

/// `PP_OVERLENGTH_STRINGS_BEGIN` / `_END` around a definition initialised with the world
/// JSON's string literal: C99 compilers need only accept 4,095 characters in one literal
/// (`-pedantic` warns beyond), and every compiler plugport supports accepts more. The
/// pragmas are the C99 `_Pragma` operator, for GCC and Clang; other compilers get nothing.
const OVERLENGTH: &str =
    "/* Around a definition initialised with a world JSON string literal (longer than the
 * 4,095 characters C99 requires compilers to accept; GCC and Clang accept any length). */
#ifndef PP_OVERLENGTH_STRINGS_BEGIN
#if defined(__GNUC__) || defined(__clang__)
#define PP_OVERLENGTH_STRINGS_BEGIN                                         \\
    _Pragma(\"GCC diagnostic push\")                                        \\
    _Pragma(\"GCC diagnostic ignored \\\"-Woverlength-strings\\\"\")
#define PP_OVERLENGTH_STRINGS_END _Pragma(\"GCC diagnostic pop\")
#else
#define PP_OVERLENGTH_STRINGS_BEGIN
#define PP_OVERLENGTH_STRINGS_END
#endif
#endif

";

/// Bytes of the world JSON per line of the string-literal macro.
const STR_BYTES_PER_LINE: usize = 64;

/// `bytes` as adjacent C string literals, one line each, continued with ` \` (none after
/// the last line). Printable ASCII stays as it is except `\`, `\"` and `?` (a `??`
/// trigraph in C99); every other byte is a three-digit octal escape, which cannot absorb
/// the character after it.
pub fn string_literal_lines(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len() + bytes.len() / STR_BYTES_PER_LINE * 10);
    for (i, chunk) in bytes.chunks(STR_BYTES_PER_LINE).enumerate() {
        if i > 0 {
            out.push_str(" \\\n");
        }
        out.push_str("    \"");
        for &b in chunk {
            match b {
                b'\\' | b'"' | b'?' => {
                    out.push('\\');
                    out.push(char::from(b));
                }
                0x20..=0x7e => out.push(char::from(b)),
                _ => {
                    out.push('\\');
                    out.push(char::from(b'0' + (b >> 6)));
                    out.push(char::from(b'0' + ((b >> 3) & 7)));
                    out.push(char::from(b'0' + (b & 7)));
                }
            }
        }
        out.push('"');
    }
    out.push('\n');
}

/// Macro lines joined with ` \` continuations (none after the last line), aligned in one
/// column unless a line is too long for it.
pub(super) fn continued(lines: &[String]) -> String {
    let width = lines
        .iter()
        .map(|l| l.len())
        .filter(|n| *n < 98)
        .max()
        .unwrap_or(0);
    // One buffer, padded by hand: `format!("{l:width$}")` per line cost a tenth of a header.
    let mut out = String::with_capacity(lines.iter().map(|l| l.len().max(width) + 3).sum());
    for (i, l) in lines.iter().enumerate() {
        out.push_str(l);
        if i + 1 == lines.len() {
            out.push('\n');
        } else {
            push_spaces(&mut out, width.saturating_sub(l.chars().count()));
            out.push_str(" \\\n");
        }
    }
    out
}
