//! The workloads of `scripts/callgrind-bench.sh` (docs/performance.md, "Instructions per
//! call"): each runs one kind of call `n` times in a loop of its own, so that the script
//! can count instructions per call under `valgrind --tool=callgrind` as
//! `(Ir(2n) - Ir(n)) / n` (start-up, loading and exit cancel out), plus the load cycle in
//! microseconds with its floor measured in the same run.
//!
//! ```text
//! callgrind-bench <workload> <n>     run <workload> n times (see WORKLOADS)
//! callgrind-bench load <cycles>      open+check+close vs bare dlopen+dlsym+dlclose, µs
//! callgrind-bench load-only <kind> <cycles>
//!                                    one kind of load cycle only (bare, same, new,
//!                                    inplace), for profilers
//! callgrind-bench first-open <samples>
//!                                    the first open in fresh processes, plugport (default
//!                                    and PLUGPORT_LOAD=in-place) and bare dlopen
//!                                    alternately, medians
//! callgrind-bench list               the workload names, one a line
//! ```
//!
//! Both bench plugins are loaded before every workload, whatever it is, so that runs of
//! one workload with `n` and `2n` differ only by the loop. The Rust plugin is
//! `target/release/libbench_rust.so` (`cargo build --release -p bench-plugin-rust`) or
//! `$PLUGPORT_BENCH_RUST_PLUGIN`; the C plugin is built by this crate's build script.

include!(concat!(env!("OUT_DIR"), "/bench.rs"));

use plugport::abi::{PpStatus, PpString, PP_OK};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Every workload: its name and what it measures (printed by the script).
const WORKLOADS: &[(&str, &str)] = &[
    (
        "raw-c",
        "floor: the C plugin's add slot called raw through its pointer",
    ),
    (
        "host-c",
        "Rust host -> C plugin add(u64,u64) through generated bindings",
    ),
    (
        "raw-rust",
        "the Rust plugin's add trampoline called raw through its pointer",
    ),
    (
        "host-rust",
        "Rust host -> Rust plugin add(u64,u64) through generated bindings",
    ),
    ("malloc-copy-free", "floor: malloc(64) + memcpy + free"),
    (
        "raw-string-c",
        "the C plugin's make-string(64) slot raw, released through its dealloc, no check",
    ),
    (
        "string-c",
        "Rust host <- C plugin make-string(64), owned result, dropped",
    ),
    (
        "raw-string-rust",
        "the Rust plugin's make-string(64) trampoline raw, released through its dealloc, no check",
    ),
    (
        "string-rust",
        "Rust host <- Rust plugin make-string(64), owned result, dropped",
    ),
];

type AddFn = unsafe extern "C" fn(u64, u64, *mut u64, *mut PpString) -> PpStatus;
type MakeStringFn = unsafe extern "C" fn(u32, *mut PpString, *mut PpString) -> PpStatus;
type DeallocFn = unsafe extern "C" fn(*mut std::ffi::c_void, usize, usize);

extern "C" {
    fn malloc(size: usize) -> *mut u8;
    fn free(ptr: *mut u8);
}

fn rust_plugin() -> PathBuf {
    std::env::var_os("PLUGPORT_BENCH_RUST_PLUGIN").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/release/libbench_rust.so"),
        PathBuf::from,
    )
}

fn c_plugin() -> PathBuf {
    PathBuf::from(env!("OUT_DIR")).join("libbench_c.so")
}

/// The raw `add` slot of a loaded plugin's `calls` table.
fn add_slot(p: &Bench) -> AddFn {
    // SAFETY: the plugin is loaded and checked; its exports and `calls` tables are valid
    // (the bench plugins provide every slot).
    let t = unsafe { &*(*p.exports_table()).calls };
    t.add.expect("add slot")
}

#[inline(never)]
fn raw_loop(f: AddFn, n: u64) -> u64 {
    let mut sum = 0u64;
    for i in 0..n {
        let (mut r, mut e) = (0u64, PpString::EMPTY);
        // SAFETY: a valid slot called per docs/abi.md §5.
        if unsafe { f(black_box(i), 1, &mut r, &mut e) } == PP_OK {
            sum = sum.wrapping_add(r);
        }
    }
    sum
}

/// The raw `make_string` slot and the table's `dealloc` of a loaded plugin.
fn make_string_slot(p: &Bench) -> (MakeStringFn, DeallocFn) {
    // SAFETY: as in `add_slot`.
    let t = unsafe { &*(*p.exports_table()).calls };
    (
        t.make_string.expect("make_string slot"),
        t.header.dealloc.expect("dealloc"),
    )
}

/// What receiving an owned 64-byte string costs with no check at all: the callee's own
/// work (its malloc and fill) and the release through its dealloc.
#[inline(never)]
fn raw_string_loop((f, dealloc): (MakeStringFn, DeallocFn), n: u64) -> u64 {
    let mut sum = 0u64;
    for _ in 0..n {
        let (mut r, mut e) = (PpString::EMPTY, PpString::EMPTY);
        // SAFETY: a valid slot called per docs/abi.md §5; its result released once,
        // through the table's dealloc (§6).
        unsafe {
            if f(black_box(64), &mut r, &mut e) == PP_OK {
                sum = sum.wrapping_add(u64::from(*r.ptr.cast::<u8>().add(r.len - 1)));
                dealloc(r.ptr as *mut std::ffi::c_void, r.len, 1);
            }
        }
    }
    sum
}

#[inline(never)]
fn host_loop(p: &Bench, n: u64) -> u64 {
    let mut sum = 0u64;
    for i in 0..n {
        if let Ok(r) = p.calls().add(black_box(i), 1) {
            sum = sum.wrapping_add(r);
        }
    }
    sum
}

#[inline(never)]
fn string_loop(p: &Bench, n: u64) -> u64 {
    let mut sum = 0u64;
    for _ in 0..n {
        if let Ok(s) = p.calls().make_string(black_box(64)) {
            sum = sum.wrapping_add(u64::from(*s.as_bytes().last().unwrap_or(&0)));
        }
    }
    sum
}

#[inline(never)]
fn malloc_loop(src: &[u8], n: u64) -> u64 {
    let mut sum = 0u64;
    for _ in 0..n {
        // SAFETY: malloc/free of the C library, `len` bytes copied into a fresh block.
        unsafe {
            let p = black_box(malloc(src.len()));
            if p.is_null() {
                return 0;
            }
            std::ptr::copy_nonoverlapping(src.as_ptr(), p, src.len());
            sum = sum.wrapping_add(u64::from(*p.add(src.len() - 1)));
            free(p);
        }
    }
    sum
}

/// Median of per-cycle microseconds over `rounds` batches of `batch` cycles.
fn median_us(samples: &mut [f64]) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

/// Open+check+close against bare dlopen+dlsym+dlclose of the same file, interleaved in
/// batches so that both see the same machine; prints the medians and the ratio. Then the
/// same for opens that cannot reuse the image file of an earlier open (each of 20 copies
/// of the plugin opened in turn, more than the loader keeps; `loader/image.rs`, "Reuse"):
/// what the first open of a plugin file costs.
fn load(path: &Path, cycles: u64) {
    let batch = 20u64;
    let rounds = (cycles / batch).max(1);
    let symbol = b"plugport_entry_bench_calls_v1_bench\0";
    let dir = std::env::temp_dir().join(format!("callgrind-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let copies: Vec<std::path::PathBuf> = (0..batch)
        .map(|i| {
            let c = dir.join(format!(
                "{i}-{}",
                path.file_name().unwrap().to_string_lossy()
            ));
            std::fs::copy(path, &c).expect("copy the plugin");
            c
        })
        .collect();
    let (mut bare, mut ours, mut fresh, mut in_place) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..batch {
            // SAFETY: the C bench plugin's only constructors are the C runtime's.
            let lib = unsafe { libloading::Library::new(black_box(path)) }.expect("dlopen");
            // SAFETY: only the address is taken, never called.
            let f = unsafe { lib.get::<unsafe extern "C" fn()>(symbol) }.map(|f| *f);
            black_box(f.is_ok());
            drop(lib);
        }
        bare.push(t.elapsed().as_secs_f64() * 1e6 / batch as f64);
        let t = Instant::now();
        for _ in 0..batch {
            let p = Bench::load(black_box(path)).expect("plugport open");
            drop(p);
        }
        ours.push(t.elapsed().as_secs_f64() * 1e6 / batch as f64);
        let t = Instant::now();
        for c in &copies {
            let p = Bench::load(black_box(c)).expect("plugport open");
            drop(p);
        }
        fresh.push(t.elapsed().as_secs_f64() * 1e6 / batch as f64);
        // This program is single-threaded: nothing reads the environment meanwhile.
        std::env::set_var(plugport::loader::LOAD_VAR, "in-place");
        let t = Instant::now();
        for _ in 0..batch {
            let p = Bench::load(black_box(path)).expect("plugport open");
            drop(p);
        }
        in_place.push(t.elapsed().as_secs_f64() * 1e6 / batch as f64);
        std::env::remove_var(plugport::loader::LOAD_VAR);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (b, o, f, i) = (
        median_us(&mut bare),
        median_us(&mut ours),
        median_us(&mut fresh),
        median_us(&mut in_place),
    );
    println!("load-floor  {b:10.1} us  bare dlopen+dlsym+dlclose (libloading)");
    println!(
        "load-open   {o:10.1} us  plugport open+check+close  ({:.2} x floor)",
        o / b
    );
    println!(
        "load-new    {f:10.1} us  plugport open+check+close, no image file to reuse  ({:.2} x floor)",
        f / b
    );
    println!(
        "load-inpl   {i:10.1} us  plugport open+check+close, PLUGPORT_LOAD=in-place  ({:.2} x floor)",
        i / b
    );
}

/// Only one kind of load cycle, `cycles` times, for profilers (`perf record`, `strace -c`,
/// callgrind): `bare` (dlopen+dlsym+dlclose), `same` (plugport open+check+close of one
/// file), `new` (of 20 copies in turn: first opens) or `inplace` (`same` with
/// `PLUGPORT_LOAD=in-place`). Prints the mean µs per cycle.
fn load_only(path: &Path, kind: &str, cycles: u64) -> Result<(), String> {
    let symbol = b"plugport_entry_bench_calls_v1_bench\0";
    let dir = std::env::temp_dir().join(format!("callgrind-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let copies: Vec<PathBuf> = (0..20)
        .map(|i| {
            let c = dir.join(format!(
                "{i}-{}",
                path.file_name().unwrap().to_string_lossy()
            ));
            std::fs::copy(path, &c).map(|_| c)
        })
        .collect::<Result<_, _>>()
        .map_err(|e| format!("copy the plugin: {e}"))?;
    if kind == "inplace" {
        std::env::set_var(plugport::loader::LOAD_VAR, "in-place");
    }
    let t = Instant::now();
    for i in 0..cycles {
        match kind {
            "bare" => {
                // SAFETY: the C bench plugin's only constructors are the C runtime's.
                let lib = unsafe { libloading::Library::new(black_box(path)) }.expect("dlopen");
                // SAFETY: only the address is taken, never called.
                let f = unsafe { lib.get::<unsafe extern "C" fn()>(symbol) }.map(|f| *f);
                black_box(f.is_ok());
            }
            "same" | "inplace" => drop(Bench::load(black_box(path)).expect("plugport open")),
            "new" => {
                let c = &copies[(i % 20) as usize];
                drop(Bench::load(black_box(c)).expect("plugport open"));
            }
            _ => {
                return Err(format!(
                    "unknown load kind `{kind}` (bare, same, new or inplace)"
                ))
            }
        }
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / cycles.max(1) as f64;
    let _ = std::fs::remove_dir_all(&dir);
    println!("load-only-{kind} {us:10.1} us per cycle");
    Ok(())
}

/// The first open in a fresh process, the issue's "first open in a fresh process at most
/// 2x libloading's": `samples` times, alternately, a new process of this program opens the
/// C bench plugin once with a bare `dlopen` + `dlsym` + `dlclose` (libloading) or with
/// plugport's open + check + close, timing only that (not its own start-up); prints the
/// medians and their ratio. Everything plugport does once per process (the light check of
/// the host's world JSON, the first memfd) is in its figure; a third process of each round
/// parses the world JSON in full before it starts the clock (what an open of a plugin whose
/// world JSON is not the host's byte for byte parses), and a fourth opens with
/// `PLUGPORT_LOAD=in-place`.
fn first_open(path: &Path, samples: u64) -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
    let run = |kind: &str| -> Result<f64, String> {
        let mut cmd = std::process::Command::new(&me);
        if kind == "inplace" {
            cmd.env(plugport::loader::LOAD_VAR, "in-place");
        } else {
            cmd.env_remove(plugport::loader::LOAD_VAR);
        }
        let out = cmd
            .args(["first-open-child", kind])
            .arg(path)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", me.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.trim().parse::<f64>().map_err(|_| {
            format!(
                "first-open-child {kind} failed: {}{}",
                text,
                String::from_utf8_lossy(&out.stderr)
            )
        })
    };
    let (mut bare, mut ours, mut warm, mut in_place) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..samples.max(1) {
        bare.push(run("bare")?);
        ours.push(run("plugport")?);
        warm.push(run("warm")?);
        in_place.push(run("inplace")?);
    }
    let (b, o, w, i) = (
        median_us(&mut bare),
        median_us(&mut ours),
        median_us(&mut warm),
        median_us(&mut in_place),
    );
    println!(
        "first-floor {b:10.1} us  first bare dlopen+dlsym+dlclose in a fresh process (libloading)"
    );
    println!(
        "first-open  {o:10.1} us  first plugport open+check+close in a fresh process  ({:.2} x floor)",
        o / b
    );
    println!(
        "first-warm  {w:10.1} us  the same, the world JSON parsed in full before the clock starts  ({:.2} x floor)",
        w / b
    );
    println!(
        "first-inpl  {i:10.1} us  the same as first-open, PLUGPORT_LOAD=in-place  ({:.2} x floor)",
        i / b
    );
    Ok(())
}

/// One open of `path` of `kind`, timed; prints µs. `bare`: libloading; `plugport`:
/// plugport's open + check + close; `warm`: the same after the world JSON was parsed;
/// `inplace`: as `plugport` (the parent sets `PLUGPORT_LOAD=in-place`).
fn first_open_child(kind: &str, path: &Path) -> Result<(), String> {
    let symbol = b"plugport_entry_bench_calls_v1_bench\0";
    if kind == "warm" {
        // What the first open costs beyond parsing and validating the world JSON, which
        // happens once per process and world text (`descriptor::parse_world_json_cached`).
        black_box(plugport::descriptor::parse_world_json_cached(WORLD_JSON).is_ok());
    }
    let t = Instant::now();
    match kind {
        "bare" => {
            // SAFETY: the C bench plugin's only constructors are the C runtime's.
            let lib = unsafe { libloading::Library::new(path) }.map_err(|e| e.to_string())?;
            // SAFETY: only the address is taken, never called.
            let f = unsafe { lib.get::<unsafe extern "C" fn()>(symbol) }.map(|f| *f);
            black_box(f.is_ok());
            drop(lib);
        }
        "plugport" | "warm" | "inplace" => drop(Bench::load(path).map_err(|e| e.to_string())?),
        _ => {
            return Err(format!(
                "unknown kind `{kind}` (bare, plugport, warm or inplace)"
            ))
        }
    }
    println!("{}", t.elapsed().as_secs_f64() * 1e6);
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: callgrind-bench <workload> <n> | load <cycles> | load-only bare|same|new|inplace <cycles> | first-open <samples> | list";
    if let [w, kind, p] = args.as_slice() {
        if w == "first-open-child" {
            if let Err(e) = first_open_child(kind, Path::new(p)) {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
            return ExitCode::SUCCESS;
        }
    }
    if let [w, n] = args.as_slice() {
        if w == "first-open" {
            let r = n
                .parse::<u64>()
                .map_err(|_| format!("<samples> must be a whole number, not `{n}`"))
                .and_then(|n| first_open(&c_plugin(), n));
            if let Err(e) = r {
                eprintln!("{usage}\n{e}");
                return ExitCode::FAILURE;
            }
            return ExitCode::SUCCESS;
        }
    }
    if let [w, kind, n] = args.as_slice() {
        if w == "load-only" {
            let r = n
                .parse::<u64>()
                .map_err(|_| format!("<cycles> must be a whole number, not `{n}`"))
                .and_then(|n| load_only(&c_plugin(), kind, n));
            if let Err(e) = r {
                eprintln!("{usage}\n{e}");
                return ExitCode::from(2);
            }
            return ExitCode::SUCCESS;
        }
    }
    let (what, n) = match args.as_slice() {
        [w] if w == "list" => {
            for (name, about) in WORKLOADS {
                println!("{name}\t{about}");
            }
            return ExitCode::SUCCESS;
        }
        [w, n] => match n.parse::<u64>() {
            Ok(n) => (w.as_str(), n),
            Err(_) => {
                eprintln!("{usage}\n<n> must be a whole number, not `{n}`");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    if what == "load" {
        load(&c_plugin(), n);
        return ExitCode::SUCCESS;
    }
    if !WORKLOADS.iter().any(|(name, _)| *name == what) {
        eprintln!("{usage}\nunknown workload `{what}`; `callgrind-bench list` names them");
        return ExitCode::from(2);
    }
    let rust_path = rust_plugin();
    let rust = match Bench::load(&rust_path) {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "cannot load the Rust bench plugin {}: {e}\nbuild it with `cargo build --release -p bench-plugin-rust`",
                rust_path.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let cplug = Bench::load(c_plugin()).expect("load the C bench plugin");
    let src = [b'x'; 64];
    let sum = match what {
        "raw-c" => raw_loop(add_slot(&cplug), n),
        "host-c" => host_loop(&cplug, n),
        "raw-rust" => raw_loop(add_slot(&rust), n),
        "host-rust" => host_loop(&rust, n),
        "malloc-copy-free" => malloc_loop(black_box(&src), n),
        "raw-string-c" => raw_string_loop(make_string_slot(&cplug), n),
        "string-c" => string_loop(&cplug, n),
        "raw-string-rust" => raw_string_loop(make_string_slot(&rust), n),
        "string-rust" => string_loop(&rust, n),
        _ => unreachable!("checked above"),
    };
    black_box(sum);
    ExitCode::SUCCESS
}
