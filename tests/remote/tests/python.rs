//! The "Done when" of issue 9 item 3: the greeter example's C host, unchanged, opens
//! `grpc://127.0.0.1:<port>` of a plain **Python grpcio server**
//! (`tests/remote/python/greeter_server.py`) implementing the `.proto` that
//! `plugport gen --lang proto` writes for the greeter world, compiled here with
//! grpcio-tools. The server calls the host's `logger.log` import during `greet` (a bidi
//! stream, docs/remote.md "The per-world wire"). Also: grpcio-tools accepts the `.proto`
//! of the typecov world and of every world of the large test package.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use plugport_remote_tests::plugport_cli;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether Python with grpcio and grpcio-tools is here. In CI (`PLUGPORT_EXAMPLES` set by
/// scripts/test.sh, whose install-deps.sh installs them) their absence is a failure.
fn python_grpc() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import grpc, grpc_tools"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("PLUGPORT_EXAMPLES").is_none(),
            "python3 with grpcio and grpcio-tools is missing (scripts/install-deps.sh \
             installs them)"
        );
        eprintln!("skipped: python3 with grpcio and grpcio-tools is missing");
    }
    ok
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("plugport-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("scratch dir");
        Scratch(d)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `plugport gen <wit> --lang proto -o <out>` (with `--world`), then grpcio-tools on
/// every `.proto` written; panics with their messages when either refuses.
fn gen_and_compile(wit: &Path, world: Option<&str>, out: &Path) {
    let mut gen = Command::new(plugport_cli());
    gen.arg("gen")
        .arg(wit)
        .args(["--lang", "proto", "-o"])
        .arg(out);
    if let Some(w) = world {
        gen.args(["--world", w]);
    }
    let o = gen.output().expect("run plugport gen");
    assert!(
        o.status.success(),
        "plugport gen --lang proto {}: {}",
        wit.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let protos: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().into_string().unwrap();
            n.ends_with(".proto").then_some(n)
        })
        .collect();
    assert_eq!(
        protos.len(),
        2,
        "the world's .proto and plugport_remote.proto: {protos:?}"
    );
    let o = Command::new("python3")
        .args(["-m", "grpc_tools.protoc", "-I."])
        .args(["--python_out=.", "--grpc_python_out=."])
        .args(&protos)
        .current_dir(out)
        .output()
        .expect("run grpc_tools.protoc");
    assert!(
        o.status.success() && o.stderr.is_empty(),
        "grpcio-tools refused the .proto of {} ({world:?}): {}",
        wit.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn grpcio_tools_accepts_the_proto_of_typecov_and_the_large_worlds() {
    if !python_grpc() {
        return;
    }
    let s = Scratch::new("proto-accept");
    let cases: [(&str, Option<&str>); 4] = [
        ("tests/wit/typecov.wit", None),
        ("tests/wit/large", Some("proxy")),
        ("tests/wit/large", Some("command")),
        ("tests/wit/large", Some("worker")),
    ];
    for (i, (wit, world)) in cases.iter().enumerate() {
        let out = s.0.join(format!("w{i}"));
        gen_and_compile(&root().join(wit), *world, &out);
        let pb2 = std::fs::read_dir(&out)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with("_pb2.py")
            })
            .count();
        assert_eq!(pb2, 2, "{wit} {world:?}: two Python modules");
    }
}

/// A running Python server; killed when dropped.
struct PyServer(Child);

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn examples() -> Option<PathBuf> {
    let dir = std::env::var_os("PLUGPORT_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/examples"));
    dir.join("greeter/greeter-host-c").is_file().then_some(dir)
}

#[test]
fn the_greeter_c_host_unchanged_calls_a_python_grpc_greeter_with_its_logger_import() {
    let Some(dir) = examples() else {
        assert!(
            std::env::var_os("PLUGPORT_EXAMPLES").is_none(),
            "PLUGPORT_EXAMPLES is set but holds no greeter-host-c"
        );
        eprintln!("skipped: run scripts/build-examples.sh target/examples first");
        return;
    };
    if !python_grpc() {
        return;
    }
    let s = Scratch::new("py-greeter");
    gen_and_compile(&root().join("examples/greeter/wit"), None, &s.0);
    let mut child = Command::new("python3")
        .arg(root().join("tests/remote/python/greeter_server.py"))
        .arg("--gen")
        .arg(&s.0)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the Python server");
    let stdout = child.stdout.take().unwrap();
    let server = PyServer(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the Python server printed no address within 30 s");
    let addr = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line of the Python server: {line:?}"));
    let url = format!("grpc://{addr}");
    let host = dir.join("greeter/greeter-host-c");
    let run = |target: &str| {
        let out = Command::new(&host)
            .args([target, "世界", "Ada"])
            .env_remove("PLUGPORT_ISOLATION")
            .output()
            .expect("run greeter-host-c");
        assert!(
            out.status.success(),
            "greeter-host-c {target}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let remote = run(&url);
    let expected = [
        "c host: loaded greeter-python 1.0.0",
        "c host: language en",
        "  [c host log info] greeting 世界 from Python",
        "c host: Hello from Python, 世界!",
        "  [c host log info] greeting Ada from Python",
        "c host: Hello from Python, Ada!",
    ];
    let lines: Vec<&str> = remote.lines().collect();
    let mut at = 0;
    for want in expected {
        at += lines[at..]
            .iter()
            .position(|l| *l == want)
            .unwrap_or_else(|| panic!("{want:?} missing (in order) from:\n{remote}"))
            + 1;
    }
    // The same kind of answers as the local English plugin: a line for every line.
    let local = run(dir.join("greeter/libgreeter_en.so").to_str().unwrap());
    assert_eq!(
        local.lines().count(),
        lines.len(),
        "local:\n{local}\nremote:\n{remote}"
    );
    drop(server);
}

/// `plugport serve` with `PLUGPORT_SERVE_LOG=1`, its stderr in `log`; the URL it prints.
fn serve_logged(plugin: &Path, log: &Path) -> (PyServer, String) {
    let mut child = Command::new(plugport_cli())
        .arg("serve")
        .arg(plugin)
        .args(["--listen", "127.0.0.1:0"])
        .env("PLUGPORT_SERVE_LOG", "1")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start plugport serve");
    let stdout = child.stdout.take().unwrap();
    let server = PyServer(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("plugport serve printed no address within 30 s");
    let url = line.split_whitespace().last().unwrap().to_string();
    assert!(url.starts_with("grpc://"), "{line}");
    (server, url)
}

/// "serve and the .proto describe the same wire": a Python client written from the
/// typecov `.proto` calls `plugport serve` of the C typecov plugin, every echo function
/// with edge values, a plugin failure (UNKNOWN with the `plugport-status` trailer), a
/// value out of range (refused) and a resource call (not carried yet).
#[test]
fn plugport_serve_answers_a_python_client_of_the_typecov_proto() {
    let Some(dir) = examples() else {
        assert!(std::env::var_os("PLUGPORT_EXAMPLES").is_none());
        eprintln!("skipped: run scripts/build-examples.sh target/examples first");
        return;
    };
    if !python_grpc() {
        return;
    }
    let s = Scratch::new("py-typecov");
    gen_and_compile(&root().join("tests/wit/typecov.wit"), None, &s.0);
    let (server, url) = serve_logged(&dir.join("typecov/libtypecov_c.so"), &s.0.join("serve.log"));
    let out = Command::new("python3")
        .arg(root().join("tests/remote/python/typecov_client.py"))
        .arg("--gen")
        .arg(&s.0)
        .arg("--target")
        .arg(url.trim_start_matches("grpc://"))
        .output()
        .expect("run the Python client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("checks passed"),
        "typecov_client.py: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let n: u32 = stdout.split_whitespace().next().unwrap().parse().unwrap();
    assert!(n >= 60, "{stdout}");
    drop(server);
}

/// The greeter C host, unchanged, forced to the per-world wire
/// (`PLUGPORT_REMOTE_WIRE=proto`), prints from `plugport serve` what it prints from the
/// local file, logger import included; the server's log shows that no session was
/// opened, and that the per-world services served the calls.
#[test]
fn the_greeter_c_host_on_the_proto_wire_of_plugport_serve_prints_the_same() {
    let Some(dir) = examples() else {
        assert!(std::env::var_os("PLUGPORT_EXAMPLES").is_none());
        eprintln!("skipped: run scripts/build-examples.sh target/examples first");
        return;
    };
    let s = Scratch::new("proto-serve");
    let plugin = dir.join("greeter/libgreeter_zh.so");
    let log = s.0.join("serve.log");
    let (server, url) = serve_logged(&plugin, &log);
    let host = dir.join("greeter/greeter-host-c");
    let run = |target: &str, wire: &str| {
        let out = Command::new(&host)
            .args([target, "世界", "Ada"])
            .env_remove("PLUGPORT_ISOLATION")
            .env("PLUGPORT_REMOTE_WIRE", wire)
            .output()
            .expect("run greeter-host-c");
        assert!(
            out.status.success(),
            "greeter-host-c {target}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let local = run(plugin.to_str().unwrap(), "");
    let remote = run(&url, "proto");
    assert_eq!(remote, local);
    assert!(
        remote.contains("host log"),
        "the logger import ran: {remote}"
    );
    drop(server);
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("per-world services' instance loaded") && !log.contains("session"),
        "the calls went to the per-world services, not a session:\n{log}"
    );
}
