//! The SHA-256 allowlist of an open (issue 8, "Security basics"; `docs/isolation.md`,
//! "Allowlist"; `docs/errors.md`, "NotAllowed"), after go-plugin's `SecureConfig`: a
//! plugin file whose SHA-256 is not listed is refused, in-process and isolated alike,
//! before any of its code runs.
//!
//! The digest is taken of the bytes the loader checks and loads (the one bounded read of
//! [`crate::descriptor::read_plugin_file`], whose private copy is what `dlopen` maps),
//! never of a second read of the path, so a file replaced between the hash and the load
//! cannot slip through. An isolated open hashes twice: the host before it starts any
//! process, and the runner on its own read, which is the one it loads.
//!
//! Where the list comes from: [`crate::isolation::Options::allow_sha256`] (the Rust
//! option), `plugport_open_options.allow_sha256` (C), and the variable
//! `PLUGPORT_ALLOW_SHA256=<hex>[,<hex>…]`, which **replaces** the open's list when it is
//! set and not empty, like every other `PLUGPORT_*` variable over its option. A variable
//! that does not parse refuses every open of the process (fail closed), naming the entry.

use sha2::{Digest, Sha256};
use std::path::Path;

use crate::error::LoadError;

/// The variable that sets (replaces) the allowlist of every open of the process.
pub const ALLOW_SHA256_VAR: &str = "PLUGPORT_ALLOW_SHA256";

/// The SHA-256 digests of the plugin files an open accepts, and where they came from.
///
/// Built with [`Sha256Allowlist::parse`] (`<hex>[,<hex>…]`: 64 hex digits each, either
/// case, spaces around an entry allowed) or [`Sha256Allowlist::from_digests`]. An empty
/// list accepts no file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sha256Allowlist {
    digests: Vec<[u8; 32]>,
    /// Where the list came from, for messages (`the open's allow_sha256 option`,
    /// `PLUGPORT_ALLOW_SHA256`).
    source: String,
    /// Set when the variable did not parse: every file is refused with this reason.
    invalid: Option<String>,
}

impl Sha256Allowlist {
    /// Parses `<hex>[,<hex>…]`: each entry 64 hexadecimal digits (a SHA-256 digest, upper
    /// or lower case), entries separated by commas, ASCII spaces around an entry ignored.
    ///
    /// Errors: a message naming the first bad entry (its 1-based position and text) and
    /// what was expected; an empty text or an empty entry (`a,,b`) is an error too.
    pub fn parse(text: &str) -> Result<Sha256Allowlist, String> {
        let mut digests = Vec::new();
        for (i, entry) in text.split(',').enumerate() {
            let e = entry.trim();
            let digest = parse_hex(e).ok_or_else(|| {
                let shown: String = e.chars().take(80).collect();
                format!(
                    "entry {} {shown:?} is not a SHA-256 digest: expected 64 hexadecimal \
                     digits{}",
                    i + 1,
                    if e.is_empty() {
                        " (found an empty entry)".to_string()
                    } else {
                        format!(" (found {} characters)", e.chars().count())
                    }
                )
            })?;
            digests.push(digest);
        }
        Ok(Sha256Allowlist {
            digests,
            source: "the open's allow_sha256 option".into(),
            invalid: None,
        })
    }

    /// A list of raw digests.
    pub fn from_digests(digests: impl IntoIterator<Item = [u8; 32]>) -> Sha256Allowlist {
        Sha256Allowlist {
            digests: digests.into_iter().collect(),
            source: "the open's allow_sha256 option".into(),
            invalid: None,
        }
    }

    /// The list `PLUGPORT_ALLOW_SHA256` sets, when it is set and not blank. A value that
    /// does not parse gives a list that refuses every file, naming the variable and the
    /// bad entry (fail closed: a typo must not turn the check off).
    pub fn from_env() -> Option<Sha256Allowlist> {
        let v = std::env::var_os(ALLOW_SHA256_VAR)?;
        let v = v.to_string_lossy();
        if v.trim().is_empty() {
            return None;
        }
        Some(match Sha256Allowlist::parse(&v) {
            Ok(mut l) => {
                l.source = ALLOW_SHA256_VAR.into();
                l
            }
            Err(e) => Sha256Allowlist {
                digests: Vec::new(),
                source: ALLOW_SHA256_VAR.into(),
                invalid: Some(format!("{ALLOW_SHA256_VAR} is malformed: {e}")),
            },
        })
    }

    /// The digests, in the order given.
    pub fn digests(&self) -> &[[u8; 32]] {
        &self.digests
    }

    /// The digests as lower-case hex, comma-separated (what [`Self::parse`] reads).
    pub fn to_hex_list(&self) -> String {
        self.digests
            .iter()
            .map(|d| hex(d))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Checks `data`, the bytes of the file at `path` that the loader is about to check
    /// and load, against the list.
    ///
    /// Errors: [`LoadError::NotAllowed`] with the file's digest when it is not listed (or
    /// the list came from a malformed variable).
    pub fn check(&self, path: &Path, data: &[u8]) -> Result<(), LoadError> {
        let digest: [u8; 32] = Sha256::digest(data).into();
        let reason = match &self.invalid {
            Some(why) => why.clone(),
            None if self.digests.contains(&digest) => return Ok(()),
            None => format!(
                "it is not among the {} digest{} allowed by {}",
                self.digests.len(),
                if self.digests.len() == 1 { "" } else { "s" },
                self.source
            ),
        };
        Err(LoadError::NotAllowed {
            path: path.to_path_buf(),
            sha256: hex(&digest),
            reason,
        })
    }

    /// The JSON the host sends the runner at the handshake (the list after the
    /// environment), and back.
    pub(crate) fn to_wire(&self) -> serde_json::Value {
        serde_json::json!({
            "digests": self.to_hex_list(),
            "source": self.source,
            "invalid": self.invalid,
        })
    }

    /// See [`Self::to_wire`]; `None` for `null`. A list that does not parse refuses every
    /// file.
    pub(crate) fn from_wire(v: &serde_json::Value) -> Option<Sha256Allowlist> {
        if v.is_null() {
            return None;
        }
        let source = v["source"].as_str().unwrap_or("the host").to_string();
        let text = v["digests"].as_str().unwrap_or_default();
        let parsed = if text.is_empty() {
            Ok(Sha256Allowlist::from_digests([]))
        } else {
            Sha256Allowlist::parse(text)
        };
        let invalid = v["invalid"].as_str().map(str::to_string);
        Some(match parsed {
            Ok(l) => Sha256Allowlist {
                digests: l.digests,
                source,
                invalid,
            },
            Err(e) => Sha256Allowlist {
                digests: Vec::new(),
                source,
                invalid: Some(format!("the host sent a malformed allowlist: {e}")),
            },
        })
    }
}

/// Lower-case hex of a digest.
pub fn hex(d: &[u8]) -> String {
    use std::fmt::Write;
    d.iter()
        .fold(String::with_capacity(d.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn parse_hex(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let nib = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (nib(b[2 * i])? << 4) | nib(b[2 * i + 1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_lists_and_refuses_malformed_entries() {
        let l = Sha256Allowlist::parse(&format!(" {EMPTY} ,{}", EMPTY.to_uppercase())).unwrap();
        assert_eq!(l.digests().len(), 2);
        assert_eq!(l.digests()[0], l.digests()[1]);
        assert_eq!(l.to_hex_list(), format!("{EMPTY},{EMPTY}"));
        for (bad, says) in [
            ("", "entry 1 \"\""),
            ("abc", "found 3 characters"),
            (&format!("{EMPTY},,{EMPTY}")[..], "entry 2 \"\""),
            (&EMPTY.replace('e', "g")[..], "entry 1"),
            (&format!("{EMPTY}0")[..], "found 65 characters"),
        ] {
            let e = Sha256Allowlist::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad:?}: {e}");
        }
    }

    #[test]
    fn checks_the_digest_of_the_given_bytes() {
        let l = Sha256Allowlist::parse(EMPTY).unwrap();
        assert!(l.check(Path::new("x.so"), b"").is_ok());
        let e = l.check(Path::new("x.so"), b"a").unwrap_err();
        let LoadError::NotAllowed { sha256, .. } = &e else {
            panic!("{e}")
        };
        assert_eq!(
            sha256,
            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
        );
        assert!(
            e.to_string().contains("not among the 1 digest allowed"),
            "{e}"
        );
        let wired = Sha256Allowlist::from_wire(&l.to_wire()).unwrap();
        assert_eq!(wired, l);
        assert!(Sha256Allowlist::from_digests([])
            .check(Path::new("x.so"), b"")
            .is_err());
    }
}
