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
