//! Live objects (`docs/abi.md` §10): a plugin reports how many of its resource objects are
//! alive through its optional `plugport_live_objects_<prefix>_<world>`. Rust plugins get it
//! from the export macro, the C codec plugin defines it with the header's
//! `EXAMPLE_CODEC_V1_CODEC_LIVE_OBJECTS`, the C greeter plugin does not (count unknown).
//!
//! From Rust the count is read through the generated world struct (`live_objects()`);
//! from C through `plugport_live_objects`, by `tests/lifecycle/c/live_objects_host.c`
//! (built by `scripts/build-examples.sh`), which also shows the `PLUGPORT_DEBUG` report of
//! objects still alive at `plugport_release_previous` and `plugport_close`.

use std::path::Path;
use std::process::Command;

use lifecycle::{artefact, codec, v1_0, zh_plugin, Host};

fn codec_plugins() -> [(&'static str, std::path::PathBuf); 2] {
    [
        ("codec-rust", artefact("codec/libcodec_rust.so")),
        ("codec-c", artefact("codec/libcodec_c.so")),
    ]
}

#[test]
fn both_codec_plugins_count_their_decoders() {
    for (name, path) in codec_plugins() {
        let plugin = codec::Codec::load(&path).unwrap();
        let loaded = plugin.plugin().unwrap().clone();
        assert_eq!(plugin.live_objects(), Some(0), "{name}");
        let mut decoders: Vec<_> = (0..3)
            .map(|_| plugin.framing().decoder_new(1024).unwrap())
            .collect();
        assert_eq!(plugin.live_objects(), Some(3), "{name}");
        assert_eq!(loaded.live_objects(), Some(3), "{name}: the loader agrees");
        // Calls do not change the count.
        let wire = [0, 0, 0, 7, 0, 0, 0, 3, 1, 2, 3];
        assert_eq!(decoders[0].push(&wire).unwrap(), Ok(1), "{name}");
        assert_eq!(plugin.live_objects(), Some(3), "{name}");
        decoders.pop();
        assert_eq!(plugin.live_objects(), Some(2), "{name}");
        // The world struct goes first; the decoders keep the image (and its count).
        drop(plugin);
        assert_eq!(loaded.live_objects(), Some(2), "{name}");
        decoders.clear();
        assert_eq!(loaded.live_objects(), Some(0), "{name}");
    }
}

#[test]
fn a_reload_starts_a_new_count() {
    for (name, path) in codec_plugins() {
        let mut plugin = codec::Codec::load(&path).unwrap();
        let old = plugin.framing().decoder_new(64).unwrap();
        let old_image = plugin.plugin().unwrap().clone();
        plugin.reload().unwrap();
        assert_eq!(plugin.live_objects(), Some(0), "{name}: the new image");
        assert_eq!(old_image.live_objects(), Some(1), "{name}: the old image");
        let new = plugin.framing().decoder_new(64).unwrap();
        assert_eq!(plugin.live_objects(), Some(1), "{name}");
        drop(old);
        assert_eq!(old_image.live_objects(), Some(0), "{name}");
        assert_eq!(plugin.live_objects(), Some(1), "{name}");
        drop(new);
        assert_eq!(plugin.live_objects(), Some(0), "{name}");
    }
}

#[test]
fn a_plugin_without_resources_says_zero_and_one_without_the_function_says_none() {
    let rust = v1_0::Greeter::load::<Host>(artefact("greeter/libgreeter_en.so")).unwrap();
    assert_eq!(rust.live_objects(), Some(0));
    let dir = tempfile::tempdir().unwrap();
    let c = v1_0::Greeter::load::<Host>(zh_plugin(dir.path(), false)).unwrap();
    assert_eq!(c.live_objects(), None);
    assert_eq!(c.plugin().unwrap().live_objects(), None);
}

/// Runs the C host on `plugin` in `mode` (`leak` or `clean`), with `PLUGPORT_DEBUG` set
/// to `debug` or unset; returns its stdout and the `plugport:` lines of its stderr.
fn c_host(plugin: &Path, mode: &str, debug: Option<&str>) -> (String, Vec<String>) {
    let host = artefact("lifecycle/live-objects-host-c");
    let mut cmd = Command::new(&host);
    cmd.arg(plugin).arg(mode).env_remove("PLUGPORT_DEBUG");
    if let Some(v) = debug {
        cmd.env("PLUGPORT_DEBUG", v);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", host.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{} {} {mode} failed:\n{stdout}{stderr}",
        host.display(),
        plugin.display()
    );
    let report = stderr
        .lines()
        .filter(|l| l.starts_with("plugport:"))
        .map(String::from)
        .collect();
    (stdout, report)
}

fn steps(closing: i64) -> String {
    format!(
        "open live=0\nthree live=3\ndropped live=2\nreloaded live=2\nnew live=3\n\
         released live=1\nclosing live={closing}\nnull live=-1\n"
    )
}

#[test]
fn a_c_host_reads_the_count_and_plugport_debug_reports_objects_still_alive() {
    for (name, path) in codec_plugins() {
        let shown = path.display();
        let (stdout, report) = c_host(&path, "leak", Some("1"));
        assert_eq!(stdout, steps(1), "{name}");
        assert_eq!(
            report,
            [
                format!(
                    "plugport: releasing {name} 1.0.0 ({shown}, replaced by a reload): 2 \
                     objects still alive"
                ),
                format!("plugport: closing {name} 1.0.0 ({shown}): 1 object still alive"),
            ],
            "{name}"
        );

        // Without PLUGPORT_DEBUG the same leaks go unreported.
        let (stdout, report) = c_host(&path, "leak", None);
        assert_eq!(stdout, steps(1), "{name}");
        assert!(report.is_empty(), "{name}: {report:?}");

        // A host that drops everything gets no report.
        let (stdout, report) = c_host(&path, "clean", Some("1"));
        assert_eq!(stdout, steps(0), "{name}");
        assert!(report.is_empty(), "{name}: {report:?}");
    }
}
