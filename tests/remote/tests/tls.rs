//! `grpcs://` with mutual TLS (`docs/remote.md`, "Securing"): certificates made here with
//! rcgen (a CA, the server's for 127.0.0.1, a client's), `plugport serve --tls-cert
//! --tls-key --client-ca`. One test, because the host's TLS files are process-wide
//! variables (`PLUGPORT_TLS_*`).

use std::path::{Path, PathBuf};

use rcgen::ExtendedKeyUsagePurpose;

use plugport_remote_tests::pki::{ca, leaf, write, MutualTls};
use plugport_remote_tests::{fault_plugin, open_remote, Server};

fn set_client(ca: Option<&Path>, cert: Option<(&Path, &Path)>) {
    match ca {
        Some(p) => std::env::set_var("PLUGPORT_TLS_CA", p),
        None => std::env::remove_var("PLUGPORT_TLS_CA"),
    }
    match cert {
        Some((c, k)) => {
            std::env::set_var("PLUGPORT_TLS_CERT", c);
            std::env::set_var("PLUGPORT_TLS_KEY", k);
        }
        None => {
            std::env::remove_var("PLUGPORT_TLS_CERT");
            std::env::remove_var("PLUGPORT_TLS_KEY");
        }
    }
}

#[test]
fn mutual_tls_opens_with_the_right_certificates_and_refuses_the_wrong_ones() {
    let dir = std::env::temp_dir().join(format!("plugport-remote-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let authority = ca("plugport test CA");
    let other = ca("another CA");
    let (srv_cert, srv_key) = leaf(&authority, "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth);
    let (cli_cert, cli_key) = leaf(&authority, "host", ExtendedKeyUsagePurpose::ClientAuth);
    let (bad_cert, bad_key) = leaf(&other, "intruder", ExtendedKeyUsagePurpose::ClientAuth);
    let ca_pem = write(&dir, "ca.pem", &authority.pem());
    let other_pem = write(&dir, "other.pem", &other.pem());
    let (sc, sk) = (
        write(&dir, "server.pem", &srv_cert),
        write(&dir, "server.key", &srv_key),
    );
    let (cc, ck) = (
        write(&dir, "client.pem", &cli_cert),
        write(&dir, "client.key", &cli_key),
    );
    let (bc, bk) = (
        write(&dir, "bad.pem", &bad_cert),
        write(&dir, "bad.key", &bad_key),
    );

    let server = Server::start(
        &fault_plugin(),
        0,
        &[
            "--tls-cert",
            sc.to_str().unwrap(),
            "--tls-key",
            sk.to_str().unwrap(),
            "--client-ca",
            ca_pem.to_str().unwrap(),
        ],
    );
    assert!(
        server.url.starts_with("grpcs://127.0.0.1:"),
        "{}",
        server.url
    );
    let url = server.url.clone();

    // The right CA and a client certificate it signed: calls and imports work.
    set_client(Some(&ca_pem), Some((&cc, &ck)));
    {
        let (_plugin, p) = open_remote(&url, 0).expect("open grpcs:// with mutual TLS");
        assert_eq!(p.faults().inc(1).unwrap(), 2);
        assert_eq!(
            p.faults().call_host(1).unwrap(),
            plugport_isolation_tests::thread_number()
        );
    }

    let refused = |what: &str| match open_remote(&url, 0) {
        Err(e) => {
            let m = e.to_string();
            assert!(m.contains(&url), "{what}: the error names the URL: {m}");
            m
        }
        Ok(_) => panic!("{what}: the open was accepted"),
    };
    // A server certificate the host's CA did not sign.
    set_client(Some(&other_pem), Some((&cc, &ck)));
    refused("wrong CA");
    // No client certificate, or one of another CA: the server refuses the handshake.
    set_client(Some(&ca_pem), None);
    refused("no client certificate");
    set_client(Some(&ca_pem), Some((&bc, &bk)));
    refused("a client certificate of another CA");
    // grpcs:// without a CA file: a clear message before any connection.
    set_client(None, None);
    let m = refused("no CA");
    assert!(m.contains("PLUGPORT_TLS_CA"), "{m}");
    // Plaintext against the TLS server.
    set_client(None, None);
    let plain = url.replace("grpcs://", "grpc://");
    assert!(open_remote(&plain, 0).is_err(), "plaintext to a TLS server");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The `ok`/`FAIL` summary line of a typecov host: (passed, failed).
fn summary(text: &str) -> (u32, u32) {
    let line = text
        .lines()
        .rev()
        .find(|l| l.contains(" passed, "))
        .unwrap_or_else(|| panic!("no summary in:\n{text}"));
    let nums: Vec<u32> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect();
    (nums[0], nums[1])
}

/// The typecov C and C++ hosts, unchanged, against the typecov C, C++, Rust and Go plugins
/// served over `grpcs://` with mutual TLS: every check passes, the same checks as with
/// the local file, and every value line is the same. (The hosts get the TLS files in
/// their own environment; this process's is not touched.)
#[test]
fn typecov_hosts_pass_every_check_over_grpcs_with_mutual_tls() {
    let ex = std::env::var_os("PLUGPORT_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/examples"))
        .join("typecov");
    if !ex.join("typecov-host-c").is_file() {
        assert!(
            std::env::var_os("PLUGPORT_EXAMPLES").is_none(),
            "PLUGPORT_EXAMPLES is set but holds no typecov-host-c"
        );
        eprintln!("skipped: run scripts/build-examples.sh target/examples first");
        return;
    }
    let dir = std::env::temp_dir().join(format!("plugport-remote-tc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tls = MutualTls::new(&dir);
    let run = |host: &Path, target: &str| {
        let out = std::process::Command::new(host)
            .arg(target)
            .envs(tls.client_env())
            .env_remove("PLUGPORT_ISOLATION")
            .output()
            .expect("run the typecov host");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{} {target}: {}\n{text}",
            host.display(),
            out.status
        );
        text
    };
    let mut hosts = vec![ex.join("typecov-host-c")];
    if ex.join("typecov-host-cpp").is_file() {
        hosts.push(ex.join("typecov-host-cpp"));
    }
    for plugin in [
        "libtypecov_c.so",
        "libtypecov_rust.so",
        "libtypecov_cpp.so",
        "libtypecov_go.so",
    ] {
        if !ex.join(plugin).is_file() {
            continue;
        }
        let server = Server::start(&ex.join(plugin), 0, &tls.server_args());
        for host in &hosts {
            let local = run(host, ex.join(plugin).to_str().unwrap());
            let remote = run(host, &server.url);
            let name = host.file_name().unwrap().to_string_lossy();
            let (passed, failed) = summary(&remote);
            assert_eq!(failed, 0, "{name} x {plugin} over grpcs://:\n{remote}");
            assert!(passed > 50, "{name} x {plugin}: only {passed} checks");
            assert_eq!((passed, failed), summary(&local), "{name} x {plugin}");
            // Every value check gives the same line (refusals of invalid arguments are
            // the proxy's own message, as isolated).
            for line in local
                .lines()
                .filter(|l| l.starts_with("ok ") && !l.contains("->"))
            {
                assert!(
                    remote.contains(line),
                    "{name} x {plugin}: `{line}` missing remote"
                );
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
