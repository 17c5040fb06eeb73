//! The "Done when" of issue 9 item 3: the greeter example's C host, unchanged, opens
//! `grpc://127.0.0.1:<port>` of a plain **Python grpcio server**
//! (`tests/remote/python/greeter_server.py`) implementing the `.proto` that
//! `plugport gen --lang proto` writes for the greeter world, compiled here with
//! grpcio-tools. The server calls the host's `logger.log` import during `greet` (a bidi
//! stream, docs/remote.md "The per-world wire"), and its faults. Also: grpcio-tools
//! accepts the `.proto` of the typecov world and of every world of the large test
//! package; `plugport serve` speaks the same wire (a Python client of the typecov
//! `.proto`; the greeter and typecov hosts forced onto it).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use plugport_remote_tests::{first_line, plugport_cli};

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

/// Starts `greeter_server.py --gen <gen> --port 0 <extra>`; returns it and its URL.
fn py_greeter(gen: &Path, extra: &[&str]) -> (PyServer, String) {
    let child = Command::new("python3")
        .arg(root().join("tests/remote/python/greeter_server.py"))
        .arg("--gen")
        .arg(gen)
        .args(["--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the Python server");
    let mut server = PyServer(child); // killed on drop, also when no address comes
    let line = first_line(&mut server.0, "the Python server");
    let addr = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line of the Python server: {line:?}"));
    (server, format!("grpc://{addr}"))
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
    let (server, url) = py_greeter(&s.0, &[]);
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
    let child = Command::new(plugport_cli())
        .arg("serve")
        .arg(plugin)
        .args(["--listen", "127.0.0.1:0"])
        .env("PLUGPORT_SERVE_LOG", "1")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start plugport serve");
    let mut server = PyServer(child); // killed on drop, also when no address comes
    let line = first_line(&mut server.0, "plugport serve");
    let url = line.split_whitespace().last().unwrap().to_string();
    assert!(url.starts_with("grpc://"), "{line}");
    (server, url)
}

/// "serve and the .proto describe the same wire": a Python client written from the
/// typecov `.proto` calls `plugport serve` of the C typecov plugin, every echo function
/// with edge values, a plugin failure (UNKNOWN with the `plugport-status` trailer), a
/// value out of range (refused) and a counter's whole life (resources).
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

/// The faults of docs/remote.md on the per-world wire, with the greeter C host against
/// the Python server: a deadline, the server exiting mid-call, arguments over the message
/// limit (the next call goes on), an incompatible world (the open is refused naming it).
#[test]
fn faults_on_the_proto_wire_give_the_documented_errors() {
    let Some(dir) = examples() else {
        assert!(std::env::var_os("PLUGPORT_EXAMPLES").is_none());
        eprintln!("skipped: run scripts/build-examples.sh target/examples first");
        return;
    };
    if !python_grpc() {
        return;
    }
    let s = Scratch::new("py-faults");
    gen_and_compile(&root().join("examples/greeter/wit"), None, &s.0);
    let host = dir.join("greeter/greeter-host-c");
    let run = |url: &str, names: &[&str], env: &[(&str, &str)]| {
        let mut c = Command::new(&host);
        c.arg(url).args(names).env_remove("PLUGPORT_ISOLATION");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().expect("run greeter-host-c");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // A deadline: the call fails alone, in about the deadline.
    let (srv, url) = py_greeter(&s.0, &["--fault", "slow"]);
    let t = std::time::Instant::now();
    let (ok, out, err) = run(&url, &["Ada"], &[("PLUGPORT_CALL_TIMEOUT_MS", "300")]);
    assert!(!ok && out.contains("c host: language en"), "{out}\n{err}");
    assert!(
        err.contains("greet failed (6)")
            && err.contains("did not return within its deadline of 300 ms"),
        "{err}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "took {:?}",
        t.elapsed()
    );
    drop(srv);

    // The server exits during the call: the call fails naming the server.
    let (srv, url) = py_greeter(&s.0, &["--fault", "exit"]);
    let (ok, out, err) = run(&url, &["Ada"], &[]);
    assert!(!ok && out.contains("c host: language en"), "{out}\n{err}");
    assert!(
        err.contains("greet failed (6)") && err.contains(&url),
        "{err}"
    );
    drop(srv);

    // Arguments over the limit: nothing is sent, and the next call goes on.
    let (srv, url) = py_greeter(&s.0, &[]);
    let long = "x".repeat(3000);
    let (ok, out, err) = run(
        &url,
        &[&long, "Ada"],
        &[("PLUGPORT_MAX_MESSAGE_BYTES", "1024")],
    );
    assert!(!ok, "{out}\n{err}");
    assert!(
        err.contains("greet failed (6)") && err.contains("over the largest message of 1024 bytes"),
        "{err}"
    );
    assert!(out.contains("c host: Hello from Python, Ada!"), "{out}");
    drop(srv);

    // An incompatible world: the open is refused by the file check, naming it.
    let tc = s.0.join("typecov");
    gen_and_compile(&root().join("tests/wit/typecov.wit"), None, &tc);
    let describe = tc.join("typecov.describe.json");
    let (srv, url) = py_greeter(&s.0, &["--describe", describe.to_str().unwrap()]);
    let (ok, out, err) = run(&url, &["Ada"], &[]);
    assert!(!ok && !out.contains("loaded"), "{out}\n{err}");
    assert!(
        err.contains("cannot load plugin") && err.contains("typecov"),
        "{err}"
    );
    drop(srv);
}

/// The typecov C and C++ hosts, unchanged, forced onto the per-world wire of
/// `plugport serve` (`PLUGPORT_REMOTE_WIRE=proto`): both the host's and the server's
/// transcoding, resources included, and the plugin's calls on an object the host made
/// (`consume(foreign)`: the plugin drops the host's counter, an `ImportCall` on the
/// call's stream); every check passes, as many as with the local file, and every value
/// line is the same.
#[test]
fn typecov_hosts_pass_every_check_on_the_proto_wire_of_plugport_serve() {
    let Some(dir) = examples() else {
        assert!(std::env::var_os("PLUGPORT_EXAMPLES").is_none());
        eprintln!("skipped: run scripts/build-examples.sh target/examples first");
        return;
    };
    let ex = dir.join("typecov");
    let s = Scratch::new("proto-typecov");
    let run = |host: &Path, target: &str, wire: &str| {
        let out = Command::new(host)
            .arg(target)
            .env_remove("PLUGPORT_ISOLATION")
            .env("PLUGPORT_REMOTE_WIRE", wire)
            .output()
            .expect("run the typecov host");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let summary = |text: &str| -> (u32, u32) {
        let line = text
            .lines()
            .find(|l| l.contains(" passed, "))
            .unwrap_or_else(|| panic!("no summary line:\n{text}"));
        let n: Vec<u32> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|w| w.parse().ok())
            .collect();
        (n[0], n[1])
    };
    let mut hosts = vec![ex.join("typecov-host-c")];
    if ex.join("typecov-host-cpp").is_file() {
        hosts.push(ex.join("typecov-host-cpp"));
    }
    let mut runs = 0;
    for plugin in ["libtypecov_c.so", "libtypecov_rust.so", "libtypecov_cpp.so"] {
        if !ex.join(plugin).is_file() {
            continue;
        }
        // A server per host run, so that each run's server log is its own.
        for host in &hosts {
            let log = s.0.join("serve.log");
            let (server, url) = serve_logged(&ex.join(plugin), &log);
            let local = run(host, ex.join(plugin).to_str().unwrap(), "");
            let remote = run(host, &url, "proto");
            drop(server);
            let name = host.file_name().unwrap().to_string_lossy();
            let (passed, failed) = summary(&remote);
            assert_eq!(failed, 0, "{name} x {plugin} on the proto wire:\n{remote}");
            assert!(passed > 50, "{name} x {plugin}: only {passed} checks");
            assert_eq!(summary(&local).1, 0, "{name} x {plugin} locally:\n{local}");
            assert_eq!(
                (passed, 0),
                summary(&local),
                "{name} x {plugin}: as many checks as locally"
            );
            for line in local
                .lines()
                .filter(|l| l.starts_with("ok ") && !l.contains("->"))
            {
                assert!(
                    remote.contains(line),
                    "{name} x {plugin}: `{line}` missing on the proto wire"
                );
            }
            let log = std::fs::read_to_string(&log).unwrap();
            assert!(
                !log.contains("session"),
                "{name} x {plugin}: a session was opened:\n{log}"
            );
            runs += 1;
        }
    }
    assert!(runs >= 1, "no typecov plugin in {}", ex.display());
}

/// The greeter C host against the Python server under valgrind memcheck: the per-world
/// transcoding (DynamicMessages, the import's stream) leaks nothing and touches no
/// invalid memory, and every result the proxies allocate is released.
#[test]
fn the_greeter_c_host_on_the_proto_wire_leaks_nothing_under_valgrind() {
    let Some(dir) = examples() else {
        assert!(std::env::var_os("PLUGPORT_EXAMPLES").is_none());
        eprintln!("skipped: run scripts/build-examples.sh target/examples first");
        return;
    };
    if !python_grpc() {
        return;
    }
    let s = Scratch::new("py-valgrind");
    gen_and_compile(&root().join("examples/greeter/wit"), None, &s.0);
    let (server, url) = py_greeter(&s.0, &[]);
    let out = Command::new("valgrind")
        .args([
            "--quiet",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect",
            "--error-exitcode=99",
        ])
        .arg(dir.join("greeter/greeter-host-c"))
        .args([url.as_str(), "Ada"])
        .env_remove("PLUGPORT_ISOLATION")
        .output()
        .expect("run valgrind (scripts/install-deps.sh installs it)");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "valgrind greeter-host-c {url}: {}\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("c host: Hello from Python, Ada!"),
        "{stdout}"
    );
    drop(server);
}

/// The Python server accepts and sends messages up to what its `Describe` advertises
/// (16 MiB), not grpcio's default of 4 MiB: a raw gRPC client greets with a 6 MiB name,
/// answers the logger import (6 MiB too) and gets the 6 MiB greeting back.
#[test]
fn the_python_greeter_takes_messages_up_to_the_advertised_limit() {
    use prost_reflect::{DynamicMessage, Value};
    if !python_grpc() {
        return;
    }
    let s = Scratch::new("py-limit");
    gen_and_compile(&root().join("examples/greeter/wit"), None, &s.0);
    let (_srv, url) = py_greeter(&s.0, &[]);
    let describe: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.0.join("greeter.describe.json")).unwrap()).unwrap();
    let max = describe["max_message_bytes"].as_u64().unwrap() as usize;
    assert_eq!(max, 16 << 20);
    let (_, world) =
        plugport::descriptor::parse_world_json(describe["world_json"].as_str().unwrap()).unwrap();
    let plan = plugport::plan::Plan::new(&world).unwrap();
    let map = plugport::protomap::map_world(&world, &plan).unwrap();
    let pool = plugport::remote::protocodec::pool_of(&map).unwrap();
    let desc = |n: &str| pool.get_message_by_name(n).unwrap();
    let rpc = map.rpcs.iter().find(|r| r.method == "Greet").unwrap();
    let name = "x".repeat(6 << 20);
    let mut call = DynamicMessage::new(desc(&rpc.request));
    call.set_field_by_number(1, Value::String(name.clone()));
    let input = desc(rpc.input.as_deref().unwrap());
    let mut first = DynamicMessage::new(input.clone());
    first.set_field_by_number(1, Value::Message(call));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = rt.block_on(async {
        let ch = tonic::transport::Endpoint::from_shared(url.replace("grpc://", "http://"))
            .unwrap()
            .connect()
            .await
            .expect("connect");
        let mut g = tonic::client::Grpc::new(ch)
            .max_decoding_message_size(max + 64)
            .max_encoding_message_size(max + 64);
        g.ready().await.unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tx.send(first).unwrap();
        let path = tonic::codegen::http::uri::PathAndQuery::try_from(format!(
            "/{}/{}",
            rpc.service, rpc.method
        ))
        .unwrap();
        let codec = plugport::remote::DynCodec::new(desc(rpc.output.as_deref().unwrap()));
        let resp = g
            .streaming(
                tonic::Request::new(tokio_stream::wrappers::UnboundedReceiverStream::new(rx)),
                path,
                codec,
            )
            .await
            .expect("the 6 MiB call is taken");
        let mut inbound = resp.into_inner();
        let out = inbound.message().await.expect("an output").unwrap();
        // The logger import, with the 6 MiB name in its message: answer it.
        let ic = out.get_field_by_number(2).expect("an import call");
        let log = ic.as_message().unwrap().get_field_by_number(2).unwrap();
        let text = log
            .as_message()
            .unwrap()
            .get_field_by_number(2)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        assert!(text.len() > 6 << 20 && text.contains("from Python"));
        let ret_desc = pool.get_message_by_name(&map.full("ImportReturn")).unwrap();
        let mut ret = DynamicMessage::new(ret_desc);
        let log_resp = map.imports[0].response.clone();
        ret.set_field_by_number(2, Value::Message(DynamicMessage::new(desc(&log_resp))));
        let mut answer = DynamicMessage::new(input);
        answer.set_field_by_number(2, Value::Message(ret));
        tx.send(answer).unwrap();
        let out = inbound.message().await.expect("the result").unwrap();
        drop(tx);
        let r = out.get_field_by_number(1).expect("a result");
        let r = r.as_message().unwrap().get_field_by_number(1).unwrap();
        r.as_str().unwrap().to_string()
    });
    assert_eq!(result, format!("Hello from Python, {name}!"));
}
