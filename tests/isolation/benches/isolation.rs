//! `cargo bench -p plugport-isolation-tests --bench isolation` (docs/performance.md,
//! "Process isolation"): an isolated call round trip against a raw `socketpair`
//! ping-pong of the same frame sizes between two processes, measured in the same run and
//! with the same CPU placement (run the whole command under `taskset -c 0` to pin both
//! processes to one core: the child inherits the affinity); a 64 KiB `list<u8>`
//! argument against the same floor for 64 KiB; and the start-up of a plugin process,
//! from open to the first answer (against a bare spawn + wait of `/bin/true`), and where
//! it goes (open, first call, close: printed at the end).

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command};

use criterion::{criterion_group, Criterion};
use plugport_isolation_tests::{fault_plugin, open_isolated, Options};

/// Frame sizes of `inc(u32) -> u32` on the wire: a 32-byte header plus the LEB128
/// argument (1 byte for the values used) each way.
const SCALAR_REQUEST: usize = 33;
const SCALAR_REPLY: usize = 33;
const BIG: usize = 64 * 1024;
/// `count(list<u8>)` with 64 KiB: header, a 3-byte LEB128 length, the bytes.
const BIG_REQUEST: usize = 32 + 3 + BIG;

fn runner() -> PathBuf {
    // The bench binary is in target/release/deps; cargo builds the test runner bin next
    // to it only for tests, so use the runtime's plugport-runner (built by
    // `cargo build --release -p plugport --bin plugport-runner`) or $PLUGPORT_RUNNER.
    plugport::isolation::runner_path().expect(
        "plugport-runner not found: cargo build --release -p plugport --bin plugport-runner",
    )
}

/// The echo peer of the floor: reads `request` bytes, answers `reply` bytes, forever.
fn echo_server() -> ! {
    let request: usize = std::env::var("ECHO_REQUEST").unwrap().parse().unwrap();
    let reply: usize = std::env::var("ECHO_REPLY").unwrap().parse().unwrap();
    // SAFETY: fd 3 is the socket the parent passed.
    let mut s = unsafe { UnixStream::from_raw_fd(3) };
    let mut buf = vec![0u8; request];
    let out = vec![7u8; reply];
    loop {
        if s.read_exact(&mut buf).is_err() {
            std::process::exit(0);
        }
        if s.write_all(&out).is_err() {
            std::process::exit(0);
        }
    }
}

/// Starts the echo peer in a new process (this binary, exec'd again) for frames of
/// `request` and `reply` bytes.
fn echo_peer(request: usize, reply: usize) -> (UnixStream, Child) {
    let (mine, theirs) = UnixStream::pair().unwrap();
    let fd = theirs.as_raw_fd();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env("ECHO_SERVER", "1")
        .env("ECHO_REQUEST", request.to_string())
        .env("ECHO_REPLY", reply.to_string());
    // SAFETY: dup2 is async-signal-safe; runs between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().unwrap();
    drop(theirs);
    (mine, child)
}

fn ping_pong(c: &mut Criterion, name: &str, request: usize, reply: usize) {
    let (mut s, mut child) = echo_peer(request, reply);
    let out = vec![1u8; request];
    let mut back = vec![0u8; reply];
    c.bench_function(name, |b| {
        b.iter(|| {
            s.write_all(&out).unwrap();
            s.read_exact(&mut back).unwrap();
        })
    });
    drop(s);
    let _ = child.wait();
}

fn calls(c: &mut Criterion) {
    let (_plugin, p) =
        open_isolated(&fault_plugin(), &runner(), Options::default()).expect("open isolated");
    ping_pong(
        c,
        "socketpair ping-pong 33 B / 33 B",
        SCALAR_REQUEST,
        SCALAR_REPLY,
    );
    c.bench_function("isolated inc(u32) -> u32", |b| {
        b.iter(|| p.faults().inc(std::hint::black_box(5)).unwrap())
    });
    ping_pong(
        c,
        "socketpair ping-pong 64 KiB / 33 B",
        BIG_REQUEST,
        SCALAR_REPLY,
    );
    let data = vec![9u8; BIG];
    c.bench_function("isolated count(64 KiB list<u8>)", |b| {
        b.iter(|| p.faults().count(std::hint::black_box(&data)).unwrap())
    });
}

fn startup(c: &mut Criterion) {
    let mut g = c.benchmark_group("startup");
    g.sample_size(20);
    // The floor: a process that does nothing, started and reaped the same way.
    g.bench_function("spawn + wait of /bin/true (floor)", |b| {
        b.iter(|| {
            let st = Command::new("/bin/true").status().unwrap();
            assert!(st.success());
        })
    });
    // From the open to the first answer (the close, outside the timing, is below).
    g.bench_function("open isolated + first call", |b| {
        b.iter_custom(|n| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..n {
                let t = std::time::Instant::now();
                let (plugin, p) = open_isolated(&fault_plugin(), &runner(), Options::default())
                    .expect("open isolated");
                assert_eq!(p.faults().inc(1).unwrap(), 2);
                total += t.elapsed();
                drop(p);
                drop(plugin);
            }
            total
        })
    });
    g.bench_function("open isolated + first call + close", |b| {
        b.iter(|| {
            let (plugin, p) = open_isolated(&fault_plugin(), &runner(), Options::default())
                .expect("open isolated");
            assert_eq!(p.faults().inc(1).unwrap(), 2);
            drop(p);
            drop(plugin);
        })
    });
    g.finish();
}

/// Median and 99th percentile of single round trips (criterion reports means of batches,
/// which hide the tail): 20,000 timed calls each, after 2,000 untimed ones.
fn percentiles() {
    fn stats(name: &str, mut f: impl FnMut()) {
        for _ in 0..2_000 {
            f();
        }
        let mut t: Vec<u128> = (0..20_000)
            .map(|_| {
                let s = std::time::Instant::now();
                f();
                s.elapsed().as_nanos()
            })
            .collect();
        t.sort_unstable();
        let at = |q: f64| t[((t.len() as f64 * q) as usize).min(t.len() - 1)] as f64 / 1000.0;
        println!(
            "{name:<40} p50 {:>8.2} µs   p99 {:>8.2} µs",
            at(0.50),
            at(0.99)
        );
    }
    let (_plugin, p) =
        open_isolated(&fault_plugin(), &runner(), Options::default()).expect("open isolated");
    let (mut s, mut child) = echo_peer(SCALAR_REQUEST, SCALAR_REPLY);
    let (out, mut back) = (vec![1u8; SCALAR_REQUEST], vec![0u8; SCALAR_REPLY]);
    stats("socketpair ping-pong 33 B / 33 B", || {
        s.write_all(&out).unwrap();
        s.read_exact(&mut back).unwrap();
    });
    stats("isolated inc(u32) -> u32", || {
        p.faults().inc(std::hint::black_box(5)).unwrap();
    });
    drop(s);
    let _ = child.wait();
}

/// Where the start-up goes, host side: median and 90th percentile over 200 starts of
/// the open (spawn, handshake, the child's checks and load, until `Ready`), the first
/// call (its connection made and passed, a thread started in the child), and the close
/// (the child drains, exits and is reaped).
fn startup_phases() {
    let mut phases: [Vec<u128>; 3] = Default::default();
    for _ in 0..200 {
        let t0 = std::time::Instant::now();
        let (plugin, p) =
            open_isolated(&fault_plugin(), &runner(), Options::default()).expect("open isolated");
        let t1 = std::time::Instant::now();
        assert_eq!(p.faults().inc(1).unwrap(), 2);
        let t2 = std::time::Instant::now();
        drop(p);
        drop(plugin);
        let t3 = std::time::Instant::now();
        phases[0].push((t1 - t0).as_nanos());
        phases[1].push((t2 - t1).as_nanos());
        phases[2].push((t3 - t2).as_nanos());
    }
    for (name, mut t) in ["open (until Ready)", "first call", "close"]
        .into_iter()
        .zip(phases)
    {
        t.sort_unstable();
        println!(
            "start-up phase {name:<22} p50 {:>8.1} µs   p90 {:>8.1} µs",
            t[t.len() / 2] as f64 / 1000.0,
            t[t.len() * 9 / 10] as f64 / 1000.0
        );
    }
}

criterion_group!(benches, calls, startup);

fn main() {
    if std::env::var_os("ECHO_SERVER").is_some() {
        echo_server();
    }
    if std::env::var_os("STARTUP_PHASES_ONLY").is_some() {
        // `STARTUP_PHASES_ONLY=1 cargo bench ... --bench isolation`: the phases alone.
        startup_phases();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    percentiles();
    startup_phases();
}
