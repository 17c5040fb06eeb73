//! Remote scalar call latency over loopback (`docs/performance.md`, "Remote plugins"),
//! plaintext and TLS, beside a bare tonic unary ping of about the same size and the
//! isolated local call,
//! measured in the same run, twice: unpinned, and with this process and every server it
//! starts on one core (CPU 0; children inherit the affinity).
//!
//! `cargo build --release -p plugport-codegen -p plugport --bins && cargo bench -p
//! plugport-remote-tests`. Prints p50 / p99 / mean of `N` calls after a warm-up.
//! Each row is one call of `faults.inc(x)` (a u32 in, a u32 out), checked.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plugport::remote::pb::{self, DescribeReply, FrameStream, Handler};
use plugport_remote_tests::{fault_plugin, open_remote, profile_dir, Server};

const N: usize = 20_000;
const WARMUP: usize = 2_000;

struct Stats {
    p50: f64,
    p99: f64,
    mean: f64,
}

fn measure(mut f: impl FnMut(u32)) -> Stats {
    for i in 0..WARMUP {
        f(i as u32);
    }
    let mut t = Vec::with_capacity(N);
    for i in 0..N {
        let s = Instant::now();
        f(i as u32);
        t.push(s.elapsed());
    }
    let mean = t.iter().sum::<Duration>().as_secs_f64() * 1e6 / N as f64;
    t.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    Stats {
        p50: us(t[N / 2]),
        p99: us(t[N * 99 / 100]),
        mean,
    }
}

fn row(placement: &str, what: &str, s: &Stats) {
    println!(
        "{placement:<9} {what:<44} p50 {:>7.1} µs  p99 {:>7.1} µs  mean {:>7.1} µs",
        s.p50, s.p99, s.mean
    );
}

/// The bare ping server: `Describe` answers a 12-byte reply at once.
struct Ping;

impl Handler for Ping {
    fn describe(&self) -> Result<DescribeReply, tonic::Status> {
        Ok(DescribeReply {
            abi_version: 1,
            plugin_name: "pingpong".into(),
            ..Default::default()
        })
    }
    fn session(&self, _: tonic::Streaming<pb::Frame>) -> Result<FrameStream, tonic::Status> {
        Err(tonic::Status::unimplemented("ping only"))
    }
    fn limits(&self) -> (usize, usize) {
        (1 << 20, 1 << 20)
    }
}

fn ping_server() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", l.local_addr().unwrap().port());
        let incoming =
            tokio_stream::StreamExt::map(tokio_stream::wrappers::TcpListenerStream::new(l), |s| {
                s.inspect(|s| {
                    let _ = s.set_nodelay(true);
                })
            });
        tonic::transport::Server::builder()
            .add_service(pb::PluginServer(Arc::new(Ping)))
            .serve_with_incoming(incoming)
            .await
            .unwrap();
    });
}

fn pin_to_cpu0() {
    // SAFETY: a zeroed cpu_set_t with one bit set, for this process.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        assert_eq!(
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set),
            0
        );
    }
}

fn run(placement: &str) {
    if placement == "one core" {
        pin_to_cpu0();
    }
    // Bare tonic unary ping, server in another process (this bench binary).
    let mut ping = std::process::Command::new(std::env::current_exe().unwrap())
        .env("PLUGPORT_BENCH_ROLE", "ping")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let port: u16 = {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(ping.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        line.trim().parse().unwrap()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ch = rt.block_on(async {
        tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
            .unwrap()
            .tcp_nodelay(true)
            .connect()
            .await
            .unwrap()
    });
    let s = measure(|_| {
        let r = rt.block_on(async {
            let mut g = tonic::client::Grpc::new(ch.clone());
            g.ready().await.unwrap();
            g.unary(
                tonic::Request::new(pb::DescribeRequest {}),
                tonic::codegen::http::uri::PathAndQuery::from_static(pb::DESCRIBE_PATH),
                tonic_prost::ProstCodec::<pb::DescribeRequest, DescribeReply>::default(),
            )
            .await
        });
        assert_eq!(r.unwrap().into_inner().plugin_name, "pingpong");
    });
    row(placement, "bare tonic unary ping (12-byte reply)", &s);
    let _ = ping.kill();
    let _ = ping.wait();

    for (what, extra) in [
        ("remote inc, server instance isolated", &[][..]),
        (
            "remote inc, server instance in-process",
            &["--in-process"][..],
        ),
    ] {
        let server = Server::start(&fault_plugin(), 0, extra);
        let (_plugin, p) = open_remote(&server.url, 0).expect("open");
        let f = p.faults();
        let s = measure(|x| assert_eq!(f.inc(x).unwrap(), x + 1));
        row(placement, what, &s);
    }

    // The same over TLS (server certificate only; the CA through PLUGPORT_TLS_CA).
    {
        let dir = std::env::temp_dir().join(format!("plugport-bench-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca =
            rcgen::CertifiedIssuer::self_signed(ca, rcgen::KeyPair::generate().unwrap()).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let (ca_pem, cert_pem, key_pem) =
            (dir.join("ca.pem"), dir.join("s.pem"), dir.join("s.key"));
        std::fs::write(&ca_pem, ca.pem()).unwrap();
        std::fs::write(&cert_pem, cert.pem()).unwrap();
        std::fs::write(&key_pem, key.serialize_pem()).unwrap();
        std::env::set_var("PLUGPORT_TLS_CA", &ca_pem);
        let server = Server::start(
            &fault_plugin(),
            0,
            &[
                "--tls-cert",
                cert_pem.to_str().unwrap(),
                "--tls-key",
                key_pem.to_str().unwrap(),
            ],
        );
        let (_plugin, p) = open_remote(&server.url, 0).expect("open grpcs://");
        let f = p.faults();
        let s = measure(|x| assert_eq!(f.inc(x).unwrap(), x + 1));
        row(placement, "remote inc over TLS, instance isolated", &s);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    let (_plugin, p) = plugport_isolation_tests::open_isolated(
        &fault_plugin(),
        &profile_dir().join("plugport-runner"),
        plugport::isolation::Options::default(),
    )
    .expect("open isolated");
    let f = p.faults();
    let s = measure(|x| assert_eq!(f.inc(x).unwrap(), x + 1));
    row(placement, "isolated local inc (socketpair)", &s);
}

fn main() {
    match std::env::var("PLUGPORT_BENCH_ROLE").as_deref() {
        Ok("ping") => return ping_server(),
        Ok(p @ ("unpinned" | "one core")) => return run(p),
        _ => {}
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    assert!(Path::new(&fault_plugin()).is_file());
    println!("remote: {N} calls after {WARMUP} warm-up calls each");
    for placement in ["unpinned", "one core"] {
        let st = std::process::Command::new(std::env::current_exe().unwrap())
            .env("PLUGPORT_BENCH_ROLE", placement)
            .status()
            .unwrap();
        assert!(st.success(), "{placement}: {st}");
    }
}
