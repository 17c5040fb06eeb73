//! The host's own world JSON, and the descriptor of a plugin that carries it byte for
//! byte (the loader's module docs, "The world of the host, byte for byte").
//!
//! A generated host embeds its world as the text `{"fingerprint":"<hex>","world":<IR>}`
//! ([`crate::descriptor::world_json`]), computed when its bindings were generated. A
//! plugin generated from the same world carries the same bytes in its descriptor. When
//! the two texts are equal, the plugin's world *is* the host's: compatibility is identity
//! (`docs/abi.md` §9), and the loader needs of the text only the fingerprint and the entry
//! and live-objects symbol names. [`head`] finds those once per process and text without
//! parsing the IR into a [`World`]; [`LazyDescriptor`] parses it only if someone asks for
//! the plugin's [`Descriptor`] with its world.

use std::ops::Deref;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use crate::descriptor::{self, BlobHead, Descriptor};
use crate::error::LoadError;
use crate::ir::World;

/// What the loader needs of a host world JSON text, read by
/// [`descriptor::world_json_head`] without parsing the IR.
pub(crate) struct HostHead {
    /// The text itself.
    pub(crate) text: Arc<str>,
    /// Its fingerprint, as the text declares it.
    pub(crate) fingerprint: String,
    /// [`World::entry_symbol`], NUL-terminated (so that `libloading` passes it to `dlsym`
    /// without a copy).
    pub(crate) entry: String,
    /// [`World::live_objects_symbol`], NUL-terminated.
    pub(crate) live_objects: String,
}

/// How many distinct host texts [`head`] keeps (a process has one or a few host worlds).
const MAX_HEADS: usize = 64;

/// The [`HostHead`] of the host world JSON `text`, once per process and text (later
/// calls compare the text with the kept ones: a `memcmp`). The fingerprint and the names
/// are read from the text's first bytes ([`descriptor::world_json_head`]: no parse, no
/// SHA-256); a text not in that canonical form is parsed and checked in full instead
/// ([`descriptor::parse_world_json_cached`]).
///
/// Errors: [`LoadError::HostWorld`] when the full parse refuses the text. A text whose
/// head reads may still be refused by the full parse when a plugin's text differs from
/// it (the loader's module docs).
pub(crate) fn head(path: &Path, text: &str) -> Result<Arc<HostHead>, LoadError> {
    static SEEN: Mutex<Vec<Arc<HostHead>>> = Mutex::new(Vec::new());
    let find = |list: &[Arc<HostHead>]| list.iter().find(|h| *h.text == *text).cloned();
    if let Some(h) = find(&SEEN.lock().unwrap_or_else(|e| e.into_inner())) {
        return Ok(h);
    }
    let (fingerprint, package, name) = match descriptor::world_json_head(text) {
        Some(h) => (h.fingerprint, h.package, h.name),
        None => {
            let parsed =
                descriptor::parse_world_json_cached(text).map_err(|e| LoadError::HostWorld {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                })?;
            (
                parsed.0.clone(),
                parsed.1.package.clone(),
                parsed.1.name.clone(),
            )
        }
    };
    // The symbol names are the IR's (`World::entry_symbol`): made from the package and
    // the world's name only, so a world with just those gives the same names.
    let names = World {
        package,
        name,
        types: Vec::new(),
        imports: Vec::new(),
        exports: Vec::new(),
    };
    let h = Arc::new(HostHead {
        text: Arc::from(text),
        fingerprint,
        entry: format!("{}\0", names.entry_symbol()),
        live_objects: format!("{}\0", names.live_objects_symbol()),
    });
    let mut list = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(kept) = find(&list) {
        return Ok(kept);
    }
    if list.len() < MAX_HEADS {
        list.push(h.clone());
    }
    Ok(h)
}

/// A plugin's [`Descriptor`], parsed when first asked for. A plugin whose world JSON is
/// the host's byte for byte has its name, version and fingerprint at once and its world
/// parsed from the host's text only on the first [`Deref`] (what `Plugin::descriptor`
/// does); any other plugin's descriptor was parsed and checked in full by the open.
pub(crate) struct LazyDescriptor {
    plugin_name: String,
    plugin_version: String,
    fingerprint: String,
    /// The host's world JSON, which the plugin carries byte for byte, until parsed.
    text: Option<Arc<str>>,
    parsed: OnceLock<Descriptor>,
}

impl LazyDescriptor {
    /// The descriptor of a plugin whose world JSON `blob.world_json` is exactly
    /// `host.text`.
    pub(crate) fn identical(blob: &BlobHead<'_>, host: &HostHead) -> LazyDescriptor {
        debug_assert_eq!(blob.world_json, &*host.text);
        LazyDescriptor {
            plugin_name: blob.plugin_name.to_string(),
            plugin_version: blob.plugin_version.to_string(),
            fingerprint: host.fingerprint.clone(),
            text: Some(host.text.clone()),
            parsed: OnceLock::new(),
        }
    }

    /// The plugin author's name for the build, without parsing the world.
    pub(crate) fn plugin_name(&self) -> &str {
        &self.plugin_name
    }

    /// The plugin author's version of the build, without parsing the world.
    pub(crate) fn plugin_version(&self) -> &str {
        &self.plugin_version
    }

    /// The world's fingerprint, without parsing the world.
    pub(crate) fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

impl From<Descriptor> for LazyDescriptor {
    fn from(d: Descriptor) -> LazyDescriptor {
        LazyDescriptor {
            plugin_name: d.plugin_name.clone(),
            plugin_version: d.plugin_version.clone(),
            fingerprint: d.fingerprint.clone(),
            text: None,
            parsed: OnceLock::from(d),
        }
    }
}

impl Deref for LazyDescriptor {
    type Target = Descriptor;

    /// The descriptor, parsing the host's world JSON the first time for a plugin that
    /// carries it byte for byte.
    ///
    /// Panics only when that text, the host's own generated world JSON, has the canonical
    /// head [`head`] reads but is not a valid world ([`descriptor::parse_world_json`]: a
    /// wrong fingerprint, an invalid IR): a host built with hand-edited bindings, the
    /// host's own defect, which no plugin can cause (the plugin's text adds nothing to the
    /// host's). Any plugin whose text differs from such a host's is refused at open with
    /// [`LoadError::HostWorld`].
    fn deref(&self) -> &Descriptor {
        self.parsed.get_or_init(|| {
            let text = self
                .text
                .as_deref()
                .expect("a descriptor without its parse keeps the text to parse");
            let parsed = descriptor::parse_world_json_cached(text).unwrap_or_else(|e| {
                panic!(
                    "the host's own generated world JSON (which the plugin {} {} carries \
                     byte for byte) is invalid: {e}; regenerate the host's bindings",
                    self.plugin_name, self.plugin_version
                )
            });
            Descriptor {
                abi_version: crate::abi::ABI_VERSION,
                plugin_name: self.plugin_name.clone(),
                plugin_version: self.plugin_version.clone(),
                fingerprint: parsed.0.clone(),
                world: parsed.1.clone(),
            }
        })
    }
}
