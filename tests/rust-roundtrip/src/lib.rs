//! Round-trip tests of the Rust back end, in one process: the guest bindings of each test
//! world (implemented here) are reached through the host bindings of the same world, by
//! calling the generated entry function directly (no `dlopen`) and wrapping the exports
//! table it returns with `from_raw_exports`. The tests are in `tests/`.
#![deny(warnings)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// Guest (plugin) bindings of `test:typecov`.
pub mod typecov_guest {
    include!(concat!(env!("OUT_DIR"), "/typecov_guest.rs"));
}
/// Host bindings of `test:typecov`.
pub mod typecov_host {
    include!(concat!(env!("OUT_DIR"), "/typecov_host.rs"));
}
/// Guest bindings of `example:greeter` (it has imports: the host's logger).
pub mod greeter_guest {
    include!(concat!(env!("OUT_DIR"), "/greeter_guest.rs"));
}
/// Host bindings of `example:greeter`.
pub mod greeter_host {
    include!(concat!(env!("OUT_DIR"), "/greeter_host.rs"));
}
/// Guest bindings of `test:edge` (`wit/edge.wit`): host-implemented resources, nested
/// handles, Rust keywords as names.
pub mod edge_guest {
    include!(concat!(env!("OUT_DIR"), "/edge_guest.rs"));
}
/// Host bindings of `test:edge`.
pub mod edge_host {
    include!(concat!(env!("OUT_DIR"), "/edge_host.rs"));
}
/// Guest bindings of `test:handles` (`wit/handles.wit`): lists and options of owned and
/// borrowed handles of one resource.
pub mod handles_guest {
    include!(concat!(env!("OUT_DIR"), "/handles_guest.rs"));
}
/// Host bindings of `test:handles`.
pub mod handles_host {
    include!(concat!(env!("OUT_DIR"), "/handles_host.rs"));
}
/// Guest bindings of `test:worldres` (`tests/wit/accept/worldres.wit`): a resource
/// declared at world level, implemented by the host.
pub mod worldres_guest {
    include!(concat!(env!("OUT_DIR"), "/worldres_guest.rs"));
}
/// Host bindings of `test:worldres`.
pub mod worldres_host {
    include!(concat!(env!("OUT_DIR"), "/worldres_host.rs"));
}
/// Guest bindings of `example:codec`.
pub mod codec_guest {
    include!(concat!(env!("OUT_DIR"), "/codec_guest.rs"));
}
/// Host bindings of `example:codec`.
pub mod codec_host {
    include!(concat!(env!("OUT_DIR"), "/codec_host.rs"));
}

// ---- typecov: a guest that echoes everything -------------------------------------------

use typecov_guest::exports::store;

/// The typecov plugin.
pub struct Typecov;

/// Counters alive in the plugin (the `live` function).
pub static LIVE: AtomicU32 = AtomicU32::new(0);

/// The `counter` resource.
pub struct Counter(Mutex<i64>);

impl Drop for Counter {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Counter {
    fn make(v: i64) -> Self {
        LIVE.fetch_add(1, Ordering::SeqCst);
        Counter(Mutex::new(v))
    }
}

/// What the last `sink` call received.
pub static SINK: Mutex<Option<(u8, String, Vec<u64>)>> = Mutex::new(None);

/// The `echo` interface, shared with the typecov plugin (`tests/typecov/plugin-rust`).
mod typecov_echo {
    use super::Typecov;
    use crate::typecov_guest::exports;

    /// `sink` records what it received in [`SINK`](super::SINK).
    fn on_sink(a: u8, b: &str, c: &[u64]) {
        let mut last = super::SINK.lock().unwrap_or_else(|p| p.into_inner());
        *last = Some((a, b.to_string(), c.to_vec()));
    }

    include!("../../typecov/plugin-rust/src/echo.rs");
}

impl store::Guest for Typecov {
    type Counter = Counter;

    fn peek(c: &Counter) -> i64 {
        *c.0.lock().unwrap()
    }
    fn consume(c: Counter) -> i64 {
        let v = *c.0.lock().unwrap();
        drop(c);
        v
    }
    fn live() -> u32 {
        LIVE.load(Ordering::SeqCst)
    }
}

impl store::GuestCounter for Counter {
    fn new(start: i64) -> Self {
        Counter::make(start)
    }
    fn add(&self, delta: i64) -> i64 {
        let mut v = self.0.lock().unwrap();
        *v += delta;
        *v
    }
    fn get(&self) -> i64 {
        *self.0.lock().unwrap()
    }
    fn zero() -> Self {
        Counter::make(0)
    }
}

impl typecov_guest::exports::Guest for Typecov {
    fn version() -> String {
        "typecov-roundtrip 1.0".to_string()
    }
}

typecov_guest::export_typecov!(Typecov, name: "typecov-roundtrip", version: "1.2.3", bindings: crate::typecov_guest);

// ---- greeter: a guest that calls its host's logger -------------------------------------

/// The greeter plugin: logs through the host, then greets.
pub struct Greeter;

impl greeter_guest::exports::greet::Guest for Greeter {
    fn greet(name: &str) -> String {
        use greeter_guest::imports::logger::{log, Level};
        log(Level::Info, &format!("greeting {name}")).expect("host logger");
        format!("Hello, {name}!")
    }
    fn language() -> String {
        "en".into()
    }
}

greeter_guest::export_greeter!(Greeter, name: "greeter-roundtrip", version: "0.1.0", bindings: crate::greeter_guest);

// ---- codec: the example's framing codec ------------------------------------------------

use codec_guest::exports::framing::{self, CodecError, Frame};

/// The codec plugin.
pub struct Codec;

/// A decoder: buffered bytes and decoded frames.
pub struct Decoder {
    max_frame: u32,
    state: Mutex<(Vec<u8>, std::collections::VecDeque<Frame>)>,
}

impl framing::Guest for Codec {
    type Decoder = Decoder;
    fn encode(frame: Frame) -> Result<Vec<u8>, CodecError> {
        let len = u32::try_from(frame.payload.len())
            .map_err(|_| CodecError::FrameTooLarge(frame.payload.len() as u64))?;
        let mut out = Vec::with_capacity(8 + frame.payload.len());
        out.extend_from_slice(&frame.stream.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&frame.payload);
        Ok(out)
    }
}

/// A decoder made with this `max-frame` panics when dropped (the `drop` trampoline must
/// catch it).
pub const PANIC_ON_DROP: u32 = 13;

impl Drop for Decoder {
    fn drop(&mut self) {
        if self.max_frame == PANIC_ON_DROP {
            panic!("decoder dropped");
        }
    }
}

impl framing::GuestDecoder for Decoder {
    fn new(max_frame: u32) -> Self {
        Decoder {
            max_frame,
            state: Mutex::new(Default::default()),
        }
    }
    fn push(&self, data: &[u8]) -> Result<u32, CodecError> {
        let mut st = self.state.lock().unwrap();
        st.0.extend_from_slice(data);
        loop {
            if st.0.len() < 8 {
                break;
            }
            let stream = u32::from_be_bytes(st.0[0..4].try_into().unwrap());
            let len = u32::from_be_bytes(st.0[4..8].try_into().unwrap());
            if len > self.max_frame {
                st.0.clear();
                return Err(CodecError::FrameTooLarge(u64::from(len)));
            }
            if st.0.len() < 8 + len as usize {
                break;
            }
            let payload = st.0[8..8 + len as usize].to_vec();
            st.0.drain(..8 + len as usize);
            st.1.push_back(Frame { stream, payload });
        }
        Ok(st.1.len() as u32)
    }
    fn pull(&self) -> Option<Frame> {
        self.state.lock().unwrap().1.pop_front()
    }
    fn finish(&self) -> Result<(), CodecError> {
        match self.state.lock().unwrap().0.len() {
            0 => Ok(()),
            n => Err(CodecError::Truncated(n as u32)),
        }
    }
}

codec_guest::export_codec!(Codec, name: "codec-roundtrip", version: "1.0.0", bindings: crate::codec_guest);

// ---- edge: the guest calls resources the host implements -------------------------------

use edge_guest::exports::keywords::{self, Crate, Dyn, Impl, Match, Super};

/// The edge plugin.
pub struct Edge;

impl keywords::Guest for Edge {
    fn r#mod(
        r#ref: Match,
        r#in: Crate,
        r#mut: Impl,
        r#where: Super,
        r#let: Dyn,
    ) -> (Match, Crate, Impl, Super, Dyn) {
        (r#ref, r#in, r#mut, r#where, r#let)
    }
    fn nothing() -> Result<(), ()> {
        Err(())
    }
    fn only_err(fail: bool) -> Result<(), String> {
        if fail {
            Err("failed as asked".into())
        } else {
            Ok(())
        }
    }
}

impl edge_guest::exports::Guest for Edge {
    fn run(n: u32) -> Result<u32, String> {
        use edge_guest::imports::host_res::{self, Holder};
        let e = |e: plugport::CallError| e.to_string();
        let a = host_res::blob_new(&[1, 2, 3]).map_err(e)?;
        let b = host_res::blob_new(&[4]).map_err(e)?;
        a.append(&b).map_err(e)?;
        if a.size().map_err(e)? != 4 {
            return Err("append did not append".into());
        }
        // Both handles move to the host; the merged blob comes back.
        let merged = host_res::blob_merge(a, b).map_err(e)?;
        let many = host_res::make_many(n).map_err(e)?;
        let mut total = 0;
        for b in &many {
            total += b.size().map_err(e)?;
        }
        let h = Holder {
            name: "holder".into(),
            item: Some(merged),
        };
        let back = host_res::unwrap(h)
            .map_err(e)?
            .ok_or("unwrap lost the blob")?;
        edge_guest::imports::log_line(&format!("run {n}: {} live", host_res::live().map_err(e)?))
            .map_err(e)?;
        Ok(back.size().map_err(e)? + total)
    }
}

use edge_guest::exports::owned::{self, Parcel, Wrap};

/// Tokens alive in the plugin (`owned.live`).
pub static TOKENS: AtomicU32 = AtomicU32::new(0);

/// The plugin's `token`.
pub struct TokenImpl(u32);

impl TokenImpl {
    /// A new token, counted in [`TOKENS`].
    pub fn make(id: u32) -> Self {
        TOKENS.fetch_add(1, Ordering::SeqCst);
        TokenImpl(id)
    }
}

impl Drop for TokenImpl {
    fn drop(&mut self) {
        TOKENS.fetch_sub(1, Ordering::SeqCst);
    }
}

impl owned::GuestToken for TokenImpl {
    fn new(id: u32) -> Self {
        TokenImpl::make(id)
    }
    fn id(&self) -> u32 {
        self.0
    }
    fn absorb(&self, other: Self) -> u32 {
        self.0 + other.0
    }
}

/// The plugin's `gate`: its constructor is fallible.
pub struct GateImpl(bool);

impl owned::GuestGate for GateImpl {
    fn new(open: bool) -> Result<owned::Gate, String> {
        if open {
            Ok(owned::Gate::new(GateImpl(open)))
        } else {
            Err("a closed gate cannot be made".into())
        }
    }
    fn is_open(&self) -> bool {
        self.0
    }
}

impl owned::Guest for Edge {
    type Token = TokenImpl;
    type Gate = GateImpl;
    fn merge(a: TokenImpl, b: TokenImpl) -> TokenImpl {
        TokenImpl::make(a.0 + b.0)
    }
    fn open_parcel(p: Parcel) -> Option<owned::Token> {
        p.item
    }
    fn count(items: Vec<owned::Token>) -> u32 {
        items.len() as u32
    }
    fn sum_ids(items: Vec<std::mem::ManuallyDrop<owned::Token>>) -> u32 {
        // Borrowed: the handles stay the caller's (ManuallyDrop: nothing is dropped here).
        items
            .iter()
            .map(|t| t.get::<TokenImpl>().map_or(1000, |t| t.0))
            .sum()
    }
    fn nested(
        w: Wrap,
        pair: (owned::Token, String),
        res: Result<owned::Token, Parcel>,
        flag: bool,
    ) -> u32 {
        let n = match w {
            Wrap::None => 0,
            Wrap::One(_) => 1,
            Wrap::Parcels(p) => p.len() as u32,
        };
        drop((pair, res));
        n + u32::from(flag)
    }
    fn make_parcels(n: u32) -> Vec<Parcel> {
        (0..n)
            .map(|i| Parcel {
                label: format!("p{i}"),
                item: Some(owned::Token::new(TokenImpl::make(i))),
            })
            .collect()
    }
    fn live() -> u32 {
        TOKENS.load(Ordering::SeqCst)
    }
}

edge_guest::export_edge!(Edge, name: "edge", version: "0.2.0", bindings: crate::edge_guest);

// ---- handles: lists and options of own<z> and borrow<z> ------------------------------

use handles_guest::exports::store as handles_store;

/// The handles plugin.
pub struct Handles;

/// The `z` resource: a value.
pub struct Z(u32);

impl handles_store::GuestZ for Z {
    fn new(v: u32) -> Self {
        Z(v)
    }
    fn get(&self) -> u32 {
        self.0
    }
}

impl handles_store::Guest for Handles {
    type Z = Z;
    fn make_all(n: u32) -> Vec<handles_store::Z> {
        (0..n).map(|i| handles_store::Z::new(Z(i * 10))).collect()
    }
    fn sum_all(items: Vec<std::mem::ManuallyDrop<handles_store::Z>>) -> u32 {
        items
            .iter()
            .map(|z| z.get::<Z>().expect("a z of this plugin").0)
            .sum()
    }
    fn maybe(item: Option<std::mem::ManuallyDrop<handles_store::Z>>) -> Option<handles_store::Z> {
        item.map(|z| handles_store::Z::new(Z(z.get::<Z>().expect("a z of this plugin").0 + 1)))
    }
}

handles_guest::export_handles!(Handles, name: "handles", version: "1.0.0", bindings: crate::handles_guest);

/// Guest bindings of `test:collections` (`tests/wit/accept/collections.wit`): maps and
/// fixed-length lists (issue 11, A.1 and A.2).
pub mod collections_guest {
    include!(concat!(env!("OUT_DIR"), "/collections_guest.rs"));
}
/// Host bindings of `test:collections`.
pub mod collections_host {
    include!(concat!(env!("OUT_DIR"), "/collections_host.rs"));
}

// ---- collections: maps and fixed-length lists (the same answers as the C plugin of
// tests/constructs/c/collections.c) ------------------------------------------------------

use collections_guest::exports::kv as collections_kv;

/// The collections plugin.
pub struct Collections;

/// Counters alive in the collections plugin.
pub static COUNTERS: AtomicU32 = AtomicU32::new(0);

/// The `counter` resource: a value.
pub struct CounterImpl(u32);

impl CounterImpl {
    fn make(v: u32) -> collections_kv::Counter {
        COUNTERS.fetch_add(1, Ordering::SeqCst);
        collections_kv::Counter::new(CounterImpl(v))
    }
}

impl Drop for CounterImpl {
    fn drop(&mut self) {
        COUNTERS.fetch_sub(1, Ordering::SeqCst);
    }
}

impl collections_kv::GuestCounter for CounterImpl {
    fn value(&self) -> u32 {
        self.0
    }
}

type Map<K, V> = std::collections::BTreeMap<K, V>;

impl collections_kv::Guest for Collections {
    type Counter = CounterImpl;
    fn counts(m: Map<String, u32>) -> Map<String, u32> {
        m.into_iter().map(|(k, v)| (k, v + 1)).collect()
    }
    fn places(m: Map<String, collections_kv::Pixel>) -> Map<String, collections_kv::Pixel> {
        m
    }
    fn by_id(m: Map<u64, Option<String>>) -> Map<u64, Option<String>> {
        m
    }
    fn by_char(m: Map<char, bool>) -> u32 {
        m.iter()
            .map(|(k, v)| u32::from(*v) + if *k as u32 > 0xFFFF { 1000 } else { 0 })
            .sum()
    }
    fn quad(v: [u8; 4]) -> [u8; 4] {
        [v[3], v[2], v[1], v[0]]
    }
    fn pair(v: [String; 2]) -> [String; 2] {
        let [a, b] = v;
        [b, a]
    }
    fn floats(ok: bool) -> Result<[f32; 3], String> {
        if ok {
            Ok([1.5, -0.0, 3.25])
        } else {
            Err("no floats".into())
        }
    }
    fn grid(g: [[i16; 2]; 3]) -> [[i16; 2]; 3] {
        g.map(|row| row.map(|x| -x))
    }
    fn counters(m: Map<String, collections_kv::Counter>) -> [collections_kv::Counter; 2] {
        let sum = m
            .values()
            .map(|c| c.get::<CounterImpl>().expect("a counter of this plugin").0)
            .sum();
        [CounterImpl::make(m.len() as u32), CounterImpl::make(sum)]
    }
}

collections_guest::export_collections!(Collections, name: "collections", version: "1.0.0", bindings: crate::collections_guest);

// ---- worldres: a resource declared at world level, implemented by the host -------------

use worldres_guest::imports::worldres::{self as wr, Counter as WrCounter};

/// The worldres plugin: every counter it uses is the host's (`docs/abi.md` §5,
/// "Resources declared at world level").
pub struct WorldRes;

/// The value of a host call; a failed call fails the plugin's function (a panic becomes
/// `PP_ERR_PANIC` with the message).
fn must<T>(r: Result<T, plugport::rt::CallError>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// A vtable the host did not make, for `forge`.
static FORGED_VT: worldres_guest::ffi::test_worldres_v1_worldres_counter_vtable =
    worldres_guest::ffi::test_worldres_v1_worldres_counter_vtable {
        header: plugport::abi::PpTableHeader {
            size: std::mem::size_of::<worldres_guest::ffi::test_worldres_v1_worldres_counter_vtable>(
            ) as u32,
            version: 0x0001_0000,
            dealloc: Some(plugport::abi::rust_dealloc),
        },
        drop: Some(forged_drop),
        get: None,
        add: None,
    };

/// The forged object's `drop`: it owns nothing.
unsafe extern "C" fn forged_drop(_: *mut std::ffi::c_void) {}

impl worldres_guest::exports::Guest for WorldRes {
    fn make(start: u32) -> WrCounter {
        must(wr::counter_new(start))
    }
    fn take(c: WrCounter) -> u32 {
        must(c.get())
    }
    fn look(c: &WrCounter) -> u32 {
        must(c.get())
    }
    fn sum(
        items: Vec<WrCounter>,
        views: Vec<std::mem::ManuallyDrop<WrCounter>>,
        extra: Option<WrCounter>,
    ) -> u32 {
        items
            .iter()
            .chain(views.iter().map(|v| &**v))
            .chain(extra.iter())
            .map(|c| must(c.get()))
            .sum()
    }
    fn wrap(label: &str, start: Option<u32>) -> worldres_guest::Slot {
        worldres_guest::Slot {
            label: label.to_string(),
            item: start.map(|s| must(wr::counter_new(s))),
        }
    }
    fn open(s: worldres_guest::Slot) -> Option<WrCounter> {
        if s.label == "drop" {
            None
        } else {
            s.item
        }
    }
    fn lend(start: u32) -> u32 {
        let a = must(wr::counter_new(start));
        let seen = must(worldres_guest::imports::peek(&a));
        let b = must(wr::counter_new(seen * 10));
        let merged = must(wr::counter_merge(&a, b));
        must(merged.add(1))
    }
    fn forge() -> String {
        static OBJECT: u8 = 0;
        let raw = worldres_guest::ffi::test_worldres_v1_worldres_counter {
            self_: &OBJECT as *const u8 as *mut std::ffi::c_void,
            vtable: &FORGED_VT,
        };
        // SAFETY: a handle with a valid vtable whose `drop` does nothing.
        let fake = unsafe { WrCounter::from_raw(raw) }.expect("non-null");
        let b = must(wr::counter_new(5));
        match wr::counter_merge(&fake, b) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }
}

worldres_guest::export_worldres!(WorldRes, name: "worldres-rust", version: "1.0.0", bindings: crate::worldres_guest);
