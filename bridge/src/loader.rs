//! Loading a plugin: check the file, then `dlopen` it, call its entry, keep its exports
//! (`docs/abi.md` §8).
//!
//! [`open`] reads the file into memory once, checks its descriptor against the world the
//! host was generated from (package, compatibility line, world, structure), and only then
//! loads it: no code of the plugin, not even an ELF constructor, runs before the checks
//! pass. [`check`] does the checks alone (for `plugport check`).
//!
//! # Private copies
//!
//! Every [`open`] loads the plugin from a **private copy** of the bytes it checked. On
//! Linux the copy is in memory: a sealed `memfd` named `/plugport-<pid>-<n>/<file name>`,
//! loaded through a `/proc/self/fd/` name of it (no file is written,
//! no directory created; `image` below). Elsewhere, when `PLUGPORT_TMPDIR` is set (tools
//! such as valgrind read a plugin's symbols from a file, not from a memfd), or when a
//! memfd is unavailable, it is a file in a fresh directory `plugport-<pid>-<n>` (mode
//! 0700) under `$PLUGPORT_TMPDIR` or [`std::env::temp_dir`], deleted again right after
//! `dlopen` (on Unix the mapping stays valid; on Windows the copy is deleted when the
//! plugin is closed). Always, not only when the path is already open, because:
//!
//! - `dlopen` of a path (or file) that is already loaded returns the loaded image, so two
//!   opens of one file, or two versions that share a name, would silently share one
//!   instance and its globals (scenario S2). A copy is a new file, hence a new image.
//! - The loaded bytes are exactly the checked bytes: replacing the file between the check
//!   and `dlopen`, or overwriting it in place while it is loaded (hot reload, S4), cannot
//!   affect a loaded plugin.
//! - It is cheap: one write, into memory on Linux, of bytes the loader has read anyway;
//!   and opening a file again after its plugin was unloaded loads the kept memfd of the
//!   earlier open when the bytes are the same (`image`, "Reuse"). With
//!   `scripts/callgrind-bench.sh`, open + check + close of the 16 KiB bench plugin is
//!   about 1.8 times a bare `dlopen` + `dlsym` + `dlclose` of the same file, and about
//!   2.5 times for a first open (`docs/performance.md`).
//!
//! Costs: the plugin's image is named after the copy (`/proc/self/fd/<fd>` for the
//! dynamic loader, a deleted temporary file elsewhere), so a plugin that locates files
//! next to itself with `dladdr` or `$ORIGIN` does not find its own directory; and where
//! the copy is on disk, the temporary directory must allow mapping code (set
//! `PLUGPORT_TMPDIR` when `/tmp` is `noexec`).
//!
//! With `PLUGPORT_LOAD=in-place` (Linux; read on every open, also by the C API) an open
//! loads the checked file itself when it safely can, and the private copy otherwise:
//! `in_place` (`docs/abi.md` §10, "Loading in place"), which also says why that is not the
//! default (a file written in place changes a loaded image).
//!
//! # The world of the host, byte for byte
//!
//! A generated host embeds its world as the text `{"fingerprint":"<hex>","world":<IR>}`
//! ([`descriptor::world_json`](crate::descriptor::world_json), written with the fingerprint when the bindings were
//! generated), and a plugin generated from the same world carries exactly the same bytes
//! in its descriptor. The open compares the two texts first (after the byte-level checks
//! of the blob: lengths, NULs, UTF-8, padding). When they are equal, the plugin's world
//! *is* the host's: compatibility is identity (`docs/abi.md` §9), and the open parses
//! neither text. It needs only the fingerprint and the entry and live-objects symbol
//! names, which `host::head` reads once per process and text from the first bytes of the
//! host's text (`descriptor::world_json_head`: `{"fingerprint":"<hex>","world":
//! {"package":{…},"name":"…",`; a text not of that canonical form is parsed in full
//! instead). The plugin's world is parsed (from the host's text, once per process) only
//! when someone asks for [`Plugin::descriptor`]; [`Plugin::plugin_name`],
//! [`Plugin::plugin_version`] and [`Plugin::fingerprint`] never parse. A text that differs
//! by one byte (another minor version, another world, a corrupted descriptor) is parsed,
//! validated, fingerprinted and compared in full as before, and so is every file
//! [`check`] and `plugport inspect` read.
//!
//! Why the host's text is not validated, nor its SHA-256 recomputed, on this path: rule 5
//! of `docs/abi.md` §1 is about data from the other side, and here the other side
//! contributes nothing but the statement "my world is yours", checked by comparing every
//! byte. The text itself is the host's own code: written by plugport's generator from a
//! world it validated, with the fingerprint computed from that very text (the rule of
//! `docs/abi.md` §7 holds by construction, and the generator's tests check it), compiled
//! into the host like its function tables and trusted like them: a host that passed a
//! wrong text would be as broken as one passing a wrong imports table. Nothing a plugin
//! puts in its file can make the loader act on a text the host did not provide. Checking
//! it anyway would cost what this path saves (the SHA-256 alone, with its CPU feature
//! detection, took 8 to 13 µs of a first open in a fresh process, against 47 µs for a
//! whole bare `dlopen`; `docs/performance.md`). A host text that is not a valid world
//! (hand-edited bindings) is refused with [`LoadError::HostWorld`] as soon as a plugin's
//! text differs from it, and makes [`Plugin::descriptor`] panic, naming the host's text
//! as the cause, for a plugin that carries the same bytes.
//!
//! # Lifecycle (`docs/abi.md` §10)
//!
//! - **Unload**: a [`Plugin`] is `dlclose`d when its last `Arc` is dropped. Generated
//!   Rust hosts put a clone in every object that can reach the plugin's code (the world
//!   struct, each resource), so the image stays mapped exactly as long as something can
//!   call into it. [`Plugin::image_path`] names the mapping (in `/proc/self/maps` on
//!   Linux), which lets tests see that it is gone.
//! - **Reload**: [`Plugin::reopen`] opens the file at [`Plugin::path`] again, with the same
//!   host world and imports, as a new image; the old one stays loaded while references to
//!   it live. A refused file leaves the old plugin untouched.
//! - **Live objects**: [`Plugin::live_objects`] asks the plugin how many of its resource
//!   objects are alive (optional symbol, always exported by Rust plugins); the C API
//!   reports a non-zero count at close when `PLUGPORT_DEBUG` is set.
//! - **Side by side**: every open is its own image (above), so two versions, or two copies
//!   of one file, or the old and the new file at one path, live in one process at once.
//! - **Go plugins** (Go `c-shared` libraries, [`crate::go`]) are the exception: they are
//!   recognised before `dlopen`, at most one Go plugin image is loaded per process (never
//!   in a Go host), so a second one, a second open or a reload of one is refused
//!   ([`LoadError::GoRuntime`]); and a Go image is never unloaded
//!   ([`Plugin::can_unload`]).

mod allowlist;
mod check;
mod host;
mod image;
mod in_place;

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use allowlist::{Sha256Allowlist, ALLOW_SHA256_VAR};
pub use check::{check, check_descriptor};
pub(crate) use check::{check_file, check_file_checked_by_host, CheckedFile};
use host::LazyDescriptor;
use image::{Image, Retained};
#[doc(hidden)]
pub use in_place::set_in_place_hook;
pub use in_place::LOAD_VAR;

use crate::abi::{PpStatus, PpString, PpTableHeader, ABI_VERSION, PP_OK};
use crate::compat::Compat;
use crate::descriptor::Descriptor;
use crate::error::LoadError;
use crate::go::{self, GoBuildInfo};

/// Signature of a plugin's entry (`docs/abi.md` §7):
/// `pp_status entry(uint32_t abi_version, const imports *, const exports **, pp_string *err)`.
pub type EntryFn = unsafe extern "C" fn(
    abi_version: u32,
    imports: *const c_void,
    exports: *mut *const c_void,
    err: *mut PpString,
) -> PpStatus;

/// Signature of a plugin's optional live-objects function (`docs/abi.md` §7, §10):
/// `size_t plugport_live_objects_<prefix>_<world>(void)`.
pub type LiveObjectsFn = unsafe extern "C" fn() -> usize;

/// Longest entry error message the loader reads, in bytes; longer ones are cut.
const MAX_INIT_MESSAGE: usize = 64 * 1024;

/// A loaded, initialised plugin. Dropping the last reference unloads it (`dlclose`), so
/// keep an `Arc<Plugin>` for as long as anything from the plugin (its exports table,
/// handles, function pointers) is in use.
pub struct Plugin {
    /// `Option` only so that `Drop` can close the library before deleting a copy.
    library: Option<libloading::Library>,
    path: PathBuf,
    /// Parsed in full unless the plugin carries the host's world JSON byte for byte
    /// (module docs, "The world of the host, byte for byte").
    descriptor: LazyDescriptor,
    exports: *const c_void,
    compat: Compat,
    /// What the open keeps of its image until it is unloaded: the private copy when it
    /// could not be deleted right after loading (Windows), or the memfd for reuse.
    copy: Option<Retained>,
    /// The name of the image's mapping: the private copy (gone on Unix).
    image: PathBuf,
    /// The host world JSON and imports table it was opened with, for [`Plugin::reopen`].
    expected_world_json: Arc<str>,
    imports: *const c_void,
    /// The plugin's optional `plugport_live_objects_<prefix>_<world>`, looked up at open.
    live_objects: Option<LiveObjectsFn>,
    /// Set for a Go plugin ([`crate::go`]): its image is never unloaded.
    go: Option<GoBuildInfo>,
    /// Set when the plugin runs in a child process (`crate::isolation`); `exports` is
    /// then its proxy table and `library` is `None`.
    isolated: Option<Arc<crate::isolation::Isolated>>,
    /// Set when the plugin is served elsewhere (`crate::remote`); `exports` is then its
    /// proxy table and `library` is `None`.
    backing: Option<Arc<dyn Backing>>,
    /// The SHA-256 allowlist it was opened with (after the environment), for a reload
    /// in this process.
    allow_sha256: Option<Sha256Allowlist>,
}

/// What serves a plugin that is neither loaded here nor in a child process of this
/// runtime (a remote server, `crate::remote`): kept alive by the [`Plugin`].
pub(crate) trait Backing: Send + Sync {
    /// The plugin's live-object count, asked of whatever serves it.
    fn live_objects(&self) -> Option<usize>;
    /// For downcasting to the concrete type (`crate::remote::Remote`; only the `remote`
    /// feature has one).
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    fn as_any(&self) -> &dyn std::any::Any;
}

// SAFETY: the exports table is static data of the plugin, immutable after the entry
// returned, and plugport requires every function of a plugin to be callable from any
// thread (`docs/abi.md` §5, "Threads"). The library handle is thread-safe. The imports
// pointer is only handed to a plugin's entry again by `reopen`; the host guarantees the
// table outlives the plugin, and import tables are immutable and thread-safe likewise.
unsafe impl Send for Plugin {}
// SAFETY: see `Send`: shared access only reads immutable data or calls thread-safe code.
unsafe impl Sync for Plugin {}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("path", &self.path)
            .field("plugin_name", &self.descriptor.plugin_name())
            .field("plugin_version", &self.descriptor.plugin_version())
            .field("fingerprint", &self.descriptor.fingerprint())
            .field("exports", &self.exports)
            .finish()
    }
}

impl Plugin {
    /// The plugin's exports table: a `const <prefix>_<world>_exports *`, starting with a
    /// [`PpTableHeader`] whose `size` is at least the header's. Valid while `self` lives.
    pub fn exports(&self) -> *const c_void {
        self.exports
    }

    /// The plugin's descriptor (name, version, fingerprint, world), as read from the file.
    ///
    /// For a plugin whose world JSON is the host's byte for byte, the open did not parse
    /// it (module docs, "The world of the host, byte for byte"): the first call parses the
    /// host's text (once per process and text). [`Self::plugin_name`],
    /// [`Self::plugin_version`] and [`Self::fingerprint`] never parse.
    pub fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    /// The plugin author's name for the build (`Descriptor::plugin_name`).
    pub fn plugin_name(&self) -> &str {
        self.descriptor.plugin_name()
    }

    /// The plugin author's version of the build (`Descriptor::plugin_version`).
    pub fn plugin_version(&self) -> &str {
        self.descriptor.plugin_version()
    }

    /// The fingerprint of the plugin's world (`Descriptor::fingerprint`).
    pub fn fingerprint(&self) -> &str {
        self.descriptor.fingerprint()
    }

    /// The path the plugin was opened from (not the private copy).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the plugin's world compares with the host's (`expected` = host, `found` =
    /// plugin); [`Compat::plugin_lacks`] lists the exports the plugin does not implement.
    /// Always [`Compat::is_compatible`], or the plugin would not have loaded.
    pub fn compat(&self) -> &Compat {
        &self.compat
    }

    /// The file the dynamic loader mapped: the private copy of [`Self::path`] (module
    /// docs), unique to this image. On Linux the in-memory copy
    /// `/memfd:/plugport-<pid>-<n>/<file name>`, elsewhere the file
    /// `<tmp>/plugport-<pid>-<n>/<file name>`. The copy is gone right after loading (the
    /// memfd closed, the file deleted on Unix), but the mapping keeps this name: on Linux
    /// the image's lines of `/proc/self/maps` show it (followed by ` (deleted)`) until the
    /// plugin is unloaded.
    pub fn image_path(&self) -> &Path {
        &self.image
    }

    /// How many resource objects the plugin image has created and not yet dropped, as
    /// the plugin reports it through its optional `plugport_live_objects_<prefix>_<world>`
    /// (`docs/abi.md` §7, §10): Rust plugins always export it (the export macro), C plugins
    /// may. `None` when the plugin does not export it.
    ///
    /// A debugging aid: the count is a snapshot (other threads may create or drop objects
    /// meanwhile), and it counts every object of this image, whoever holds it. In a Rust
    /// host it is 0 whenever the last `Arc<Plugin>` goes, since every resource object holds
    /// one; C hosts use it through `plugport_live_objects` and `PLUGPORT_DEBUG`.
    pub fn live_objects(&self) -> Option<usize> {
        if let Some(iso) = &self.isolated {
            return iso.live_objects();
        }
        if let Some(b) = &self.backing {
            return b.live_objects();
        }
        // SAFETY: the function's type is fixed by `docs/abi.md` §7 and the image is loaded
        // while `self` lives; it takes no arguments and only reads the plugin's counter.
        self.live_objects.map(|f| unsafe { f() })
    }

    /// The Go toolchain that built the plugin, when it is a Go `c-shared` library
    /// (recognised from its `.go.buildinfo` section before loading, [`crate::go`]).
    pub fn go_runtime(&self) -> Option<&GoBuildInfo> {
        self.go.as_ref()
    }

    /// Whether dropping the last reference unloads the image. `false` for a Go plugin:
    /// Go links c-shared libraries `DF_1_NODELETE` and its runtime cannot stop
    /// (golang/go#11100), so its image, threads and memory stay until the process exits;
    /// the loader then does not call `dlclose` at all, and [`Self::image_path`] stays in
    /// `/proc/self/maps`. Objects from it must still not be used after the drop.
    pub fn can_unload(&self) -> bool {
        self.go.is_none()
    }

    /// Opens the file at [`Self::path`] again, as it is on disk now, with the same host
    /// world and imports table as this plugin: the reload of `docs/abi.md` §10.
    ///
    /// The result is a new, independent image (its own globals, its own exports table);
    /// `self` is not affected and stays loaded while references to it live, so objects
    /// created by the old image keep working. On error (the file was replaced by an
    /// incompatible or broken one) nothing changes: keep using `self`.
    ///
    /// The host's obligation of [`open`] carries over: the imports table `self` was opened
    /// with must stay valid until the new plugin is dropped too.
    ///
    /// Errors: every [`LoadError`] of [`open`]. A Go plugin loaded in this process cannot
    /// have a second image here (a second Go runtime): its reload runs in a child process
    /// when `plugport-runner` is found, else it is [`LoadError::GoRuntime`].
    pub fn reopen(&self) -> Result<Arc<Plugin>, LoadError> {
        let options = match &self.isolated {
            // An isolated plugin reloads into a new child, with the options it was opened with.
            Some(iso) => iso.options(),
            None => crate::isolation::Options {
                allow_sha256: self.allow_sha256.clone(),
                ..Default::default()
            },
        };
        open_checked_with(
            &self.path,
            self.expected_world_json.clone(),
            self.imports,
            options.with_env(),
        )
    }

    /// What serves the plugin when it is neither in this process nor in a child process
    /// of this runtime (`crate::remote::of`).
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(crate) fn backing(&self) -> Option<&dyn Backing> {
        self.backing.as_deref()
    }

    /// The isolation state when the plugin runs in a child process (`docs/isolation.md`):
    /// its pid, restarts and last exit reason. `None` for an in-process plugin.
    pub fn isolated(&self) -> Option<&crate::isolation::Isolated> {
        self.isolated.as_deref()
    }

    /// A plugin served by a child process (`crate::isolation::open`).
    pub(crate) fn new_isolated(
        path: &Path,
        descriptor: LazyDescriptor,
        compat: Compat,
        expected_world_json: Arc<str>,
        imports: *const c_void,
        iso: Arc<crate::isolation::Isolated>,
    ) -> Arc<Plugin> {
        Arc::new(Plugin {
            library: None,
            path: path.to_path_buf(),
            descriptor,
            exports: iso.exports(),
            compat,
            copy: None,
            image: path.to_path_buf(),
            expected_world_json,
            imports,
            live_objects: None,
            go: None,
            isolated: Some(iso),
            backing: None,
            allow_sha256: None,
        })
    }

    /// A plugin served elsewhere (`crate::remote`), whose proxy exports table `exports`
    /// `backing` keeps valid.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(crate) fn new_backed(
        path: &Path,
        descriptor: Descriptor,
        compat: Compat,
        expected_world_json: Arc<str>,
        imports: *const c_void,
        exports: *const c_void,
        backing: Arc<dyn Backing>,
    ) -> Arc<Plugin> {
        Arc::new(Plugin {
            library: None,
            path: path.to_path_buf(),
            descriptor: descriptor.into(),
            exports,
            compat,
            copy: None,
            image: path.to_path_buf(),
            expected_world_json,
            imports,
            live_objects: None,
            go: None,
            isolated: None,
            backing: Some(backing),
            allow_sha256: None,
        })
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        if let Some(go) = &self.go {
            // A Go image cannot be unloaded (`DF_1_NODELETE`; its runtime keeps threads
            // running): keep the handle open instead of pretending with `dlclose`.
            if debug_enabled() {
                eprintln!(
                    "plugport: closing {} {} ({}): a Go plugin ({}) cannot be unloaded; its \
                     image stays mapped until the process exits",
                    self.descriptor.plugin_name(),
                    self.descriptor.plugin_version(),
                    self.path.display(),
                    go.describe()
                );
            }
            std::mem::forget(self.library.take());
        }
        // Unload first: on Windows the copy cannot be deleted while it is mapped, and a
        // memfd is offered for reuse only once no image of it is mapped.
        drop(self.library.take());
        if let Some(copy) = self.copy.take() {
            copy.unloaded();
        }
    }
}

/// Whether `PLUGPORT_DEBUG` is set to something other than empty or `0` (read once per
/// process): then closing reports live objects and images that stay mapped to stderr.
pub(crate) fn debug_enabled() -> bool {
    static DEBUG: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DEBUG.get_or_init(|| {
        std::env::var_os("PLUGPORT_DEBUG").is_some_and(|v| !v.is_empty() && v != "0")
    })
}

/// Opens a plugin (`docs/abi.md` §8): checks the file against the host's world, loads a
/// private copy of it (module docs), calls its entry with [`ABI_VERSION`] and `imports`,
/// and checks the exports table it returns.
///
/// - `expected_world_json`: the `{"fingerprint","world"}` text embedded in the host's
///   generated bindings ([`descriptor::world_json`](crate::descriptor::world_json) of the host's world).
/// - `imports`: the host's `const <prefix>_<world>_imports *`; the host must keep it
///   valid until the returned plugin is dropped. May be null only if the plugin does not
///   use imports.
///
/// Each call loads an independent image, also for a path that is already open.
///
/// Loading runs the plugin's native code, which plugport cannot make safe; this function
/// is not `unsafe` because every check that *can* be made is made first, and the only
/// pointer it takes (`imports`) is handed to that code, never dereferenced here. The
/// host's obligation is the one above: `imports` is a valid table of the expected world
/// (or null) and outlives the plugin.
///
/// Errors: every [`LoadError`] variant; nothing of the plugin has run unless the error is
/// [`LoadError::InitFailed`] or [`LoadError::BadExports`] (or a constructor failed in
/// [`LoadError::Dlopen`]).
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn open(
    path: &Path,
    expected_world_json: &str,
    imports: *const c_void,
) -> Result<Arc<Plugin>, LoadError> {
    open_with(path, Arc::from(expected_world_json), imports)
}

/// [`open`] with isolation options (`docs/isolation.md`): `options.mode` (after
/// `PLUGPORT_ISOLATION`, which overrides it) chooses a child process or this one.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn open_with_options(
    path: &Path,
    expected_world_json: &str,
    imports: *const c_void,
    options: crate::isolation::Options,
) -> Result<Arc<Plugin>, LoadError> {
    open_checked_with(
        path,
        Arc::from(expected_world_json),
        imports,
        options.with_env(),
    )
}

/// [`open`] in this process whatever `PLUGPORT_ISOLATION` says. `PLUGPORT_ALLOW_SHA256`
/// still applies.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn open_in_process(
    path: &Path,
    expected_world_json: &str,
    imports: *const c_void,
) -> Result<Arc<Plugin>, LoadError> {
    let allow = Sha256Allowlist::from_env();
    open_in_process_allowing(path, expected_world_json, imports, allow.as_ref())
}

/// [`open_in_process`] with the SHA-256 allowlist `allow` (`None`: any file), whatever
/// the environment says (the isolation runner loads plugins with it, with the host's
/// list).
///
/// Errors: as [`open`], and [`LoadError::NotAllowed`] when `allow` does not list the
/// digest of the bytes read.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub fn open_in_process_allowing(
    path: &Path,
    expected_world_json: &str,
    imports: *const c_void,
    allow: Option<&Sha256Allowlist>,
) -> Result<Arc<Plugin>, LoadError> {
    let checked = check_file(path, expected_world_json, allow)?;
    load_checked_in_process(
        path,
        checked,
        Arc::from(expected_world_json),
        imports,
        allow,
    )
}

/// [`open`], keeping the host world JSON for [`Plugin::reopen`]; isolated when
/// `PLUGPORT_ISOLATION=process`.
fn open_with(
    path: &Path,
    expected_world_json: Arc<str>,
    imports: *const c_void,
) -> Result<Arc<Plugin>, LoadError> {
    let options = crate::isolation::Options::default().with_env();
    open_checked_with(path, expected_world_json, imports, options)
}

/// Step 5 in this process for a checked file ([`open_in_process_allowing`], and the
/// isolation runner for a file [`check_file_checked_by_host`] accepted): the Go slot, then the private copy of the checked bytes, `dlopen`
/// and the entry, as [`open_in_process`].
pub(crate) fn load_checked_in_process(
    path: &Path,
    checked: CheckedFile,
    expected_world_json: Arc<str>,
    imports: *const c_void,
    allow: Option<&Sha256Allowlist>,
) -> Result<Arc<Plugin>, LoadError> {
    let GoPlacement::InProcess(go_slot) = reserve_go(path, &checked, None)? else {
        unreachable!("without `route`, a Go plugin is placed in this process or refused")
    };
    open_checked_in_process(
        path,
        checked,
        go_slot,
        expected_world_json,
        imports,
        allow.cloned(),
    )
}

/// The open of every mode: checks the file once, then loads it in a child process
/// (`options` say so after the environment) or in this one. A Go plugin that cannot be
/// loaded here (a Go host, or this process already holds a Go plugin: [`crate::go`])
/// goes to a child process by itself when the mode was left at its default and
/// `plugport-runner` can be found (issue 7: "routed to isolation automatically");
/// otherwise it is [`LoadError::GoRuntime`].
fn open_checked_with(
    path: &Path,
    expected_world_json: Arc<str>,
    imports: *const c_void,
    options: crate::isolation::Options,
) -> Result<Arc<Plugin>, LoadError> {
    // `grpc://` / `grpcs://`: a remote plugin (`docs/remote.md`).
    if let Some(r) = crate::remote::open_url(path, &expected_world_json, imports, &options) {
        return r;
    }
    let checked = check_file(path, &expected_world_json, options.allow_sha256.as_ref())?;
    if options.isolated() {
        return crate::isolation::open_checked(
            path,
            checked,
            expected_world_json,
            imports,
            options,
        );
    }
    let route = options.mode == crate::isolation::Mode::Default;
    match reserve_go(path, &checked, route.then_some(&options))? {
        GoPlacement::InProcess(slot) => open_checked_in_process(
            path,
            checked,
            slot,
            expected_world_json,
            imports,
            options.allow_sha256,
        ),
        GoPlacement::Isolated => {
            crate::isolation::open_checked(path, checked, expected_world_json, imports, options)
        }
    }
}

/// Where a checked file is loaded: here (holding the process's Go slot when it is a Go
/// plugin), or in a child process because a Go plugin cannot be loaded here.
enum GoPlacement {
    InProcess(Option<go::GoSlot>),
    Isolated,
}

/// Takes the process's one Go plugin slot for a Go plugin (`None` for any other). When
/// the slot is taken or the host runs Go and `route` gives the options of a default-mode
/// open whose runner can be found, answers [`GoPlacement::Isolated`] instead of the error.
///
/// Errors: [`LoadError::GoRuntime`] with the reason and the remedy.
fn reserve_go(
    path: &Path,
    checked: &CheckedFile,
    route: Option<&crate::isolation::Options>,
) -> Result<GoPlacement, LoadError> {
    let Some(info) = &checked.go else {
        return Ok(GoPlacement::InProcess(None));
    };
    match go::reserve(path) {
        Ok(slot) => Ok(GoPlacement::InProcess(Some(slot))),
        Err(_)
            if route.is_some_and(|o| {
                o.runner.is_some() || crate::isolation::runner_path().is_some()
            }) =>
        {
            Ok(GoPlacement::Isolated)
        }
        Err(reason) => Err(LoadError::GoRuntime {
            path: path.to_path_buf(),
            go_version: if info.go_version.is_empty() {
                "(version not recorded)".into()
            } else {
                info.go_version.clone()
            },
            reason,
        }),
    }
}

/// Step 5 of `docs/abi.md` §8 in this process, for a file [`check_file`] accepted;
/// `go_slot` is the process's Go slot when the file is a Go plugin.
fn open_checked_in_process(
    path: &Path,
    checked: CheckedFile,
    go_slot: Option<go::GoSlot>,
    expected_world_json: Arc<str>,
    imports: *const c_void,
    allow_sha256: Option<Sha256Allowlist>,
) -> Result<Arc<Plugin>, LoadError> {
    let CheckedFile {
        data,
        descriptor,
        compat,
        go: go_info,
        source,
        ..
    } = checked;
    // The symbols' names, made once per process and host world JSON (`host::head`).
    let symbols = host::head(path, &expected_world_json)?;

    // Step 5: only now does any code of the plugin run. In place when asked for and
    // possible (`in_place`), else from the private copy of the checked bytes.
    let in_place = match &source {
        Some((file, stamp)) if go_info.is_none() && in_place::enabled() => {
            in_place::load(path, file, stamp, &data)
        }
        _ => None,
    };
    drop(source);
    let (library, image, mut copy) = match in_place {
        Some((library, real)) => (library, real, Retained::Nothing),
        None => {
            let copy = Image::write(path, data)?;
            let library = dlopen(&copy.dlopen_path).map_err(|e| LoadError::Dlopen {
                path: path.to_path_buf(),
                message: format!(
                    "{} (loading the private copy {})",
                    error_chain(&e),
                    copy.image.display()
                ),
            })?;
            let image = copy.image.clone();
            // The mapping stays valid: close a memfd that is not kept for reuse, delete a
            // copy on disk (not on Windows).
            (library, image, copy.loaded())
        }
    };
    if let (Some(slot), Some(info)) = (go_slot, &go_info) {
        // Mapped for good: whatever happens below, this image keeps its Go runtime.
        slot.loaded(path, info);
    }
    // A failed Go plugin is not unloaded either (see `Drop for Plugin`).
    let discard = |library: libloading::Library| {
        if go_info.is_some() {
            std::mem::forget(library);
        } else {
            drop(library);
        }
    };

    // SAFETY: the symbol's type is fixed by `docs/abi.md` §7 for every plugport plugin,
    // and the descriptor just confirmed the file is one for this world.
    let entry: Option<EntryFn> = unsafe { library.get::<EntryFn>(symbols.entry.as_bytes()) }
        .ok()
        .map(|f| *f);
    let Some(entry) = entry else {
        discard(library);
        return Err(LoadError::MissingEntry {
            path: path.to_path_buf(),
            symbol: symbols.entry.trim_end_matches('\0').to_string(),
        });
    };
    // An address inside the image: after `dlclose`, whether it is still mapped.
    copy.probe_at(entry as usize);
    let mut exports: *const c_void = std::ptr::null();
    let mut err = PpString::EMPTY;
    // SAFETY: calling the plugin's entry per its contract; the out-pointers are valid.
    let status = unsafe { entry(ABI_VERSION, imports, &mut exports, &mut err) };
    if status != PP_OK {
        // The message is static storage of the plugin: copy it before unloading.
        let message = read_static_message(err);
        discard(library);
        return Err(LoadError::InitFailed {
            path: path.to_path_buf(),
            status,
            message,
        });
    }
    if let Err(reason) = check_exports(exports) {
        discard(library);
        return Err(LoadError::BadExports {
            path: path.to_path_buf(),
            reason,
        });
    }
    // SAFETY: as for the entry: the optional symbol's type is fixed by `docs/abi.md` §7.
    let live_objects: Option<LiveObjectsFn> =
        unsafe { library.get::<LiveObjectsFn>(symbols.live_objects.as_bytes()) }
            .ok()
            .map(|f| *f);
    Ok(Arc::new(Plugin {
        library: Some(library),
        path: path.to_path_buf(),
        descriptor,
        exports,
        compat,
        copy: Some(copy),
        image,
        expected_world_json,
        imports,
        live_objects,
        go: go_info,
        isolated: None,
        backing: None,
        allow_sha256,
    }))
}

/// `error: source: source...`: libloading puts `dlerror`'s text in the source.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        next = cause.source();
    }
    s
}

fn check_exports(exports: *const c_void) -> Result<(), String> {
    if exports.is_null() {
        return Err(
            "the entry returned PP_OK but left *exports NULL: expected a pointer to the \
             plugin's static exports table"
                .into(),
        );
    }
    let align = std::mem::align_of::<PpTableHeader>();
    if !(exports as usize).is_multiple_of(align) {
        return Err(format!(
            "the exports table at {exports:p} is misaligned: expected an address aligned to \
             {align} bytes"
        ));
    }
    // SAFETY: non-null and aligned; the entry promised a table that starts with a header.
    let size = unsafe { (*exports.cast::<PpTableHeader>()).size };
    let min = std::mem::size_of::<PpTableHeader>();
    if (size as usize) < min {
        return Err(format!(
            "the exports table header says size {size} bytes: expected at least {min} (the \
             size of pp_table_header itself)"
        ));
    }
    Ok(())
}

/// Copies an entry's error message (static storage of the plugin, maybe not UTF-8).
fn read_static_message(err: PpString) -> String {
    if err.ptr.is_null() || err.len == 0 {
        return String::new();
    }
    let len = err.len.min(MAX_INIT_MESSAGE);
    // SAFETY: the entry's contract: `len` bytes at `ptr` in static storage.
    let bytes = unsafe { std::slice::from_raw_parts(err.ptr, len) };
    let mut s = String::from_utf8_lossy(bytes).into_owned();
    if len < err.len {
        s.push_str(" [...]");
    }
    s
}

#[cfg(unix)]
fn dlopen(file: &Path) -> Result<libloading::Library, libloading::Error> {
    use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
    // SAFETY: loading runs the plugin's initialisers; the caller has checked the file.
    unsafe { Library::open(Some(file), RTLD_NOW | RTLD_LOCAL) }.map(Into::into)
}

#[cfg(not(unix))]
fn dlopen(file: &Path) -> Result<libloading::Library, libloading::Error> {
    // SAFETY: loading runs the plugin's initialisers; the caller has checked the file.
    unsafe { libloading::Library::new(file) }
}
