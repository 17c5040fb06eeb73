//! Throwaway certificates for the TLS tests, made with rcgen: a CA, leaf certificates
//! signed by it, and [`MutualTls`], the set of PEM files a `plugport serve` with
//! `--tls-cert --tls-key --client-ca` and a host with `PLUGPORT_TLS_*` need.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};

/// A self-signed certificate authority named `name`.
pub fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
}

/// A leaf certificate for `san` signed by `ca`, for `usage`: (cert PEM, key PEM).
pub fn leaf(
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

/// Writes `text` to `dir/name`; returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The PEM files of mutual TLS on loopback: one CA, a server certificate for 127.0.0.1,
/// a client certificate.
pub struct MutualTls {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl MutualTls {
    /// Makes the certificates and writes them into `dir` (which must exist).
    pub fn new(dir: &Path) -> MutualTls {
        let authority = ca("plugport test CA");
        let (sc, sk) = leaf(&authority, "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth);
        let (cc, ck) = leaf(&authority, "host", ExtendedKeyUsagePurpose::ClientAuth);
        MutualTls {
            ca: write(dir, "ca.pem", &authority.pem()),
            server_cert: write(dir, "server.pem", &sc),
            server_key: write(dir, "server.key", &sk),
            client_cert: write(dir, "client.pem", &cc),
            client_key: write(dir, "client.key", &ck),
        }
    }

    /// The `plugport serve` arguments: `--tls-cert`, `--tls-key`, `--client-ca`.
    pub fn server_args(&self) -> Vec<&str> {
        vec![
            "--tls-cert",
            self.server_cert.to_str().unwrap(),
            "--tls-key",
            self.server_key.to_str().unwrap(),
            "--client-ca",
            self.ca.to_str().unwrap(),
        ]
    }

    /// The host's environment: `PLUGPORT_TLS_CA`, `PLUGPORT_TLS_CERT`, `PLUGPORT_TLS_KEY`.
    pub fn client_env(&self) -> [(&'static str, &Path); 3] {
        [
            ("PLUGPORT_TLS_CA", &self.ca),
            ("PLUGPORT_TLS_CERT", &self.client_cert),
            ("PLUGPORT_TLS_KEY", &self.client_key),
        ]
    }
}
