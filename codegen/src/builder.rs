//! The build-script API: generate plugport bindings from WIT at build time, the way
//! `cxx-build` or `cbindgen` are used.
//!
//! ```no_run
//! // build.rs of a plugin written in Rust
//! fn main() -> Result<(), plugport_codegen::builder::BuildError> {
//!     plugport_codegen::Builder::new("wit/greeter.wit") // a .wit file or a directory
//!         .world("greeter") // optional when the package has one world
//!         .rust_guest() // or .rust_host() for the host side
//!         .write_rust_to_out_dir("greeter.rs")?; // then include!(concat!(env!("OUT_DIR"), "/greeter.rs"))
//!     Ok(())
//! }
//! ```
//!
//! When run inside a build script (`OUT_DIR` is set), every write prints
//! `cargo:rerun-if-changed=` for the WIT path and for every WIT file that was read, so
//! cargo reruns the script when the interface changes.
//!
//! With [`Builder::baseline`] the build applies the check of `plugport gen`: a world that
//! breaks its baseline within one compatibility line (a function, method, field or case
//! removed, renamed, reordered or re-typed) fails the build with the message
//! `plugport gen` gives ([`BuildError::Breaking`]).
//!
//! ```no_run
//! // build.rs: the released interface is checked in as wit/greeter.world.json
//! // (written by `plugport gen`), or as the WIT of the last release.
//! fn main() -> Result<(), plugport_codegen::builder::BuildError> {
//!     plugport_codegen::Builder::new("wit/greeter.wit")
//!         .baseline("wit/greeter.world.json")
//!         .rust_guest()
//!         .write_rust_to_out_dir("greeter.rs")?;
//!     Ok(())
//! }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use crate::baseline::{self, BaselineError, Class, Verdict};
use crate::frontend::{self, FrontendError, Loaded};
use crate::rust::Side;
use crate::GeneratedFile;

/// Why a [`Builder`] could not produce its files.
///
/// `Debug` prints the same text as `Display`, so `fn main() -> Result<(), BuildError>`
/// in a build script shows a readable message (with WIT file:line) rather than a struct
/// dump.
#[derive(thiserror::Error)]
pub enum BuildError {
    /// Reading the WIT or converting it to plugport IR failed (see [`FrontendError`]).
    /// Shown in the long form ([`FrontendError::render`]): source lines with a caret.
    #[error("{}", .0.render(false).trim_end())]
    Frontend(#[from] FrontendError),
    /// The baseline given to [`Builder::baseline`] cannot be read.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// The world breaks its baseline within one compatibility line. Displayed as
    /// `plugport gen` prints it ([`baseline::render_breaking`]): each breaking item at its
    /// place in the WIT, then the message (every breaking item with its old and new form,
    /// and the version to bump to).
    #[error("{}", baseline::render_breaking(.reports, .message, false).trim_end())]
    Breaking {
        /// The message, as [`baseline::breaking_message`] words it.
        message: String,
        /// The breaking items located in the WIT ([`baseline::breaking_reports`]).
        reports: Vec<frontend::Report>,
    },
    /// Rust bindings were requested without choosing a side.
    #[error(
        "no Rust side chosen: call `.rust_guest()` (plugin side) or `.rust_host()` (host \
         side) before writing Rust bindings"
    )]
    NoRustSide,
    /// `write_rust_to_out_dir` was called outside a build script.
    #[error(
        "OUT_DIR is not set: `write_rust_to_out_dir` is meant for build scripts; use \
         `write_rust` with an explicit path elsewhere"
    )]
    NoOutDir,
    /// A file or directory could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Configures binding generation for one WIT world. Cheap to clone; every `write_*`
/// method reads the WIT again, so one builder can write several outputs.
#[derive(Clone, Debug)]
pub struct Builder {
    wit: PathBuf,
    world: Option<String>,
    side: Option<Side>,
    baseline: Option<PathBuf>,
    allow_breaking: bool,
}

impl Builder {
    /// A builder for the WIT at `wit`: a `.wit` file or a directory holding a WIT package
    /// (with an optional `deps/`). Relative paths are relative to the current directory,
    /// which for a build script is the package's manifest directory.
    pub fn new(wit: impl AsRef<Path>) -> Builder {
        Builder {
            wit: wit.as_ref().to_path_buf(),
            world: None,
            side: None,
            baseline: None,
            allow_breaking: false,
        }
    }

    /// Compares the world with a baseline before generating, as `plugport gen
    /// --baseline` does: `path` is a world JSON written by `plugport gen`
    /// (`<world>.world.json`, ending in `.json`) or the WIT (file or package directory)
    /// of the previous release. A baseline of another package or compatibility line is
    /// not compared (a build script notes it with `cargo:warning`).
    ///
    /// Errors (of every `write_*` and [`Builder::load`]): [`BuildError::Breaking`] when
    /// the world breaks the baseline within its compatibility line (unless
    /// [`Builder::allow_breaking`]); [`BuildError::Baseline`] when the baseline cannot be
    /// read.
    pub fn baseline(mut self, path: impl AsRef<Path>) -> Builder {
        self.baseline = Some(path.as_ref().to_path_buf());
        self
    }

    /// Generates even when the world breaks its [`Builder::baseline`] (`plugport gen
    /// --allow-breaking`); a build script then prints the breaking items as
    /// `cargo:warning`s.
    pub fn allow_breaking(mut self, allow: bool) -> Builder {
        self.allow_breaking = allow;
        self
    }

    /// Selects the world by its WIT name. Without it the main package must define exactly
    /// one world.
    pub fn world(mut self, name: impl Into<String>) -> Builder {
        self.world = Some(name.into());
        self
    }

    /// Rust bindings for the plugin side: the plugin implements the exports and calls the
    /// imports ([`Side::Guest`]).
    pub fn rust_guest(self) -> Builder {
        self.rust_side(Side::Guest)
    }

    /// Rust bindings for the host side: the host loads plugins, calls their exports and
    /// implements the imports ([`Side::Host`]).
    pub fn rust_host(self) -> Builder {
        self.rust_side(Side::Host)
    }

    /// Chooses the side of the Rust bindings explicitly.
    pub fn rust_side(mut self, side: Side) -> Builder {
        self.side = Some(side);
        self
    }

    /// Reads the WIT and returns the world's IR and the files read, after the
    /// [`Builder::baseline`] check when one is set. In a build script it prints
    /// `cargo:rerun-if-changed` for the WIT path, every file read and the baseline.
    ///
    /// Errors: [`BuildError::Frontend`] when the WIT cannot be read or is refused;
    /// [`BuildError::Baseline`] and [`BuildError::Breaking`] as [`Builder::baseline`].
    pub fn load(&self) -> Result<Loaded, BuildError> {
        let in_build_script = std::env::var_os("OUT_DIR").is_some();
        if in_build_script {
            // Also on failure: the script reruns once the WIT is fixed.
            println!("cargo:rerun-if-changed={}", self.wit.display());
            if let Some(b) = &self.baseline {
                println!("cargo:rerun-if-changed={}", b.display());
            }
        }
        let loaded = frontend::load(&self.wit, self.world.as_deref())?;
        if in_build_script {
            for source in &loaded.sources {
                println!("cargo:rerun-if-changed={}", source.display());
            }
        }
        if let Some(path) = &self.baseline {
            self.check_baseline(path, &loaded, in_build_script)?;
        }
        Ok(loaded)
    }

    /// The check of `plugport gen --baseline <path>`, with its message.
    fn check_baseline(
        &self,
        path: &Path,
        loaded: &Loaded,
        in_build_script: bool,
    ) -> Result<(), BuildError> {
        let world = &loaded.world;
        let old = baseline::load_baseline(path, &world.name)?;
        let warn = |line: String| {
            if in_build_script {
                println!("cargo:warning={line}");
            }
        };
        match baseline::judge(&old, world, self.allow_breaking) {
            Verdict::Unrelated(why) => {
                warn(format!("not compared with {}: {why}", path.display()));
                Ok(())
            }
            Verdict::Refuse(ev) => Err(BuildError::Breaking {
                message: baseline::breaking_message(
                    &ev,
                    path,
                    "`Builder::allow_breaking(true)` generates anyway",
                ),
                reports: baseline::breaking_reports(&ev, world, &loaded.places),
            }),
            Verdict::Accept(ev) => {
                if ev.class() == Class::Breaking {
                    warn(format!(
                        "{} breaks the baseline {} ({}) within compatibility line {} \
                         (generating anyway: allow_breaking):",
                        ev.new,
                        ev.old,
                        path.display(),
                        baseline::line_name(&ev.old)
                    ));
                    for item in ev.breaking_items() {
                        for line in item.to_string().lines() {
                            warn(format!("  {line}"));
                        }
                    }
                }
                Ok(())
            }
        }
    }

    /// Generates the Rust bindings (in memory) for the chosen side.
    ///
    /// Errors: [`BuildError::NoRustSide`] when neither [`Builder::rust_guest`] nor
    /// [`Builder::rust_host`] was called; [`BuildError::Frontend`] as [`Builder::load`].
    pub fn rust_bindings(&self) -> Result<GeneratedFile, BuildError> {
        let side = self.side.ok_or(BuildError::NoRustSide)?;
        let loaded = self.load()?;
        Ok(crate::rust::generate(&loaded.world, side))
    }

    /// Generates the C header (in memory); its name is `<world>.h` (snake_case).
    ///
    /// Errors: [`BuildError::Frontend`] as [`Builder::load`].
    pub fn c_header(&self) -> Result<GeneratedFile, BuildError> {
        let loaded = self.load()?;
        Ok(crate::c::generate(&loaded.world))
    }

    /// Writes the Rust bindings to `path` (creating its directory) and returns the path.
    /// The file is left untouched when its contents would not change.
    ///
    /// Errors: as [`Builder::rust_bindings`], and [`BuildError::Io`].
    pub fn write_rust(&self, path: impl AsRef<Path>) -> Result<PathBuf, BuildError> {
        let file = self.rust_bindings()?;
        write_if_changed(path.as_ref(), &file.contents)?;
        Ok(path.as_ref().to_path_buf())
    }

    /// Writes the Rust bindings to `$OUT_DIR/<file_name>` and returns that path; include
    /// them with `include!(concat!(env!("OUT_DIR"), "/<file_name>"));`.
    ///
    /// Errors: [`BuildError::NoOutDir`] outside a build script; otherwise as
    /// [`Builder::write_rust`].
    pub fn write_rust_to_out_dir(&self, file_name: &str) -> Result<PathBuf, BuildError> {
        let out_dir = std::env::var_os("OUT_DIR").ok_or(BuildError::NoOutDir)?;
        self.write_rust(Path::new(&out_dir).join(file_name))
    }

    /// Writes the C header into directory `dir` (created if missing) under the name the C
    /// back end gives it (`<world>.h`, e.g. `greeter.h`), and returns its path. The file is
    /// left untouched when its contents would not change.
    ///
    /// Errors: [`BuildError::Frontend`] as [`Builder::load`], and [`BuildError::Io`].
    pub fn write_c_header(&self, dir: impl AsRef<Path>) -> Result<PathBuf, BuildError> {
        let file = self.c_header()?;
        let path = dir.as_ref().join(&file.name);
        write_if_changed(&path, &file.contents)?;
        Ok(path)
    }
}

/// Writes `contents` to `path` unless the file already has exactly these contents (so
/// that build systems watching modification times do not rebuild for nothing), through
/// [`write_atomic`]. Errors: as [`write_atomic`].
pub fn write_if_changed(path: &Path, contents: &str) -> Result<(), BuildError> {
    if std::fs::read(path).ok().as_deref() == Some(contents.as_bytes()) {
        return Ok(());
    }
    write_atomic(path, contents)
}

/// Writes `contents` to `path` atomically, creating its directory if needed: the text
/// goes to a temporary file in the same directory (tempfile), which is then renamed over
/// `path`, so a reader (a compiler running in parallel, an editor) sees the old file or
/// the new one, never a half-written one, and a failed write leaves the old file as it
/// was. The file gets the mode `fs::write` would give it (0666 less the umask). Errors:
/// [`BuildError::Io`] naming `path` when the directory cannot be created or written.
pub fn write_atomic(path: &Path, contents: &str) -> Result<(), BuildError> {
    use std::io::Write;
    let io = |source| BuildError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(io)?;
            dir
        }
        None => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".plugport-").suffix(".tmp");
    // A temporary file is private (0600); a generated file gets the mode `fs::write`
    // would give it: 0666 less the umask.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir).map_err(io)?;
    tmp.write_all(contents.as_bytes()).map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::write_if_changed;

    #[test]
    fn generated_files_are_replaced_atomically_and_only_when_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/dir/w.rs");
        write_if_changed(&path, "one").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one");

        // A second name for the file as it is now: an in-place write would change what
        // it shows, a rename of a new file over `path` does not.
        let old = dir.path().join("old.rs");
        std::fs::hard_link(&path, &old).unwrap();
        write_if_changed(&path, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "one");

        // The same contents again: the file is left alone (same inode, so not rewritten).
        std::fs::remove_file(&old).unwrap();
        std::fs::hard_link(&path, &old).unwrap();
        write_if_changed(&path, "two").unwrap();
        std::fs::write(&old, "touched through the link").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "touched through the link"
        );

        // The mode a plain write gives, not a temporary file's private 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let plain = dir.path().join("plain");
            std::fs::write(&plain, "").unwrap();
            let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode();
            assert_eq!(mode(&path), mode(&plain));
            std::fs::remove_file(&plain).unwrap();
        }

        // No temporary file is left behind.
        let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["w.rs"]);
    }

    #[test]
    fn a_directory_that_cannot_be_made_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        let path = file.join("w.rs");
        let e = write_if_changed(&path, "x").unwrap_err();
        assert!(e.to_string().contains("a-file/w.rs"), "{e}");
        assert_eq!(std::fs::read(&file).unwrap(), b"");
    }
}
