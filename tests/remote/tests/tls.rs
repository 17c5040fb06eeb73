//! `grpcs://` with mutual TLS (`docs/remote.md`, "Securing"): certificates made here with
//! rcgen (a CA, the server's for 127.0.0.1, a client's), `plugport serve --tls-cert
//! --tls-key --client-ca`. One test, because the host's TLS files are process-wide
//! variables (`PLUGPORT_TLS_*`).

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};

use plugport_remote_tests::{fault_plugin, open_remote, Server};

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

/// A leaf certificate for `san` signed by `ca`, for `usage`: (cert PEM, key PEM).
fn leaf(
    ca: &CertifiedIssuer<'static, KeyPair>,
    san: &str,
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let mut p = CertificateParams::new(vec![san.to_string()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, san);
    p.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, ca).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

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
