//! Host bindings of the fault world (`wit/fault.wit`) and helpers of the isolation tests:
//! where the C fault plugin and the runner are, and an isolated open.

include!(concat!(env!("OUT_DIR"), "/fault.rs"));

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use plugport::isolation::{Mode, Options};

/// The C fault plugin built by build.rs.
pub fn fault_plugin() -> PathBuf {
    PathBuf::from(env!("OUT_DIR")).join("libfault_c.so")
}

/// How many notes the host's import received (all threads).
pub static NOTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static THREAD_NUMBER: u64 = {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    };
}

/// A per-thread number of the calling thread (1, 2, ...).
pub fn thread_number() -> u64 {
    THREAD_NUMBER.with(|n| *n)
}

/// The host side of the `host` import: counts notes and answers with the thread number of
/// the thread that runs it.
pub struct Host;

impl imports::host::Host for Host {
    type Token = Token;
    fn note(_msg: &str) -> u64 {
        NOTES.fetch_add(1, Ordering::Relaxed);
        thread_number()
    }
}

/// How many host tokens are alive (created and not yet dropped).
pub static LIVE_TOKENS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// The host's `token` resource: a number; counts itself in [`LIVE_TOKENS`].
pub struct Token(pub u32);

impl Token {
    /// A token handle to pass to the plugin.
    pub fn handle(v: u32) -> imports::host::Token {
        LIVE_TOKENS.fetch_add(1, Ordering::SeqCst);
        imports::host::Token::new(Token(v))
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        LIVE_TOKENS.fetch_sub(1, Ordering::SeqCst);
    }
}

impl imports::host::HostToken for Token {
    fn new(v: u32) -> Self {
        LIVE_TOKENS.fetch_add(1, Ordering::SeqCst);
        Token(v)
    }
    fn value(&self) -> u32 {
        self.0
    }
}

/// Opens `path` isolated with `options` (mode forced to process) and the runner given,
/// returning the plugin (keep it alive) and its bindings.
pub fn open_isolated(
    path: &std::path::Path,
    runner: &std::path::Path,
    mut options: Options,
) -> Result<(Arc<plugport::Plugin>, Plugin), plugport::LoadError> {
    options.mode = Mode::Process;
    options.runner = Some(runner.to_path_buf());
    let imports = Plugin::imports_table::<Host>();
    let plugin = plugport::loader::open_with_options(
        path,
        WORLD_JSON,
        imports as *const _ as *const core::ffi::c_void,
        options,
    )?;
    // SAFETY: the exports table stays valid while `plugin` lives; the caller keeps it.
    let bindings = unsafe { Plugin::from_raw_exports(plugin.exports() as *const _) };
    Ok((plugin, bindings))
}
