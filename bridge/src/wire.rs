//! The isolation wire codec: C values of a world to bytes and back, driven by its
//! [`Plan`] (issue 8, item 4; the format is specified in `docs/isolation.md`, "Wire
//! encoding").
//!
//! [`Codec::encode`] reads a C value from memory by its layout and appends its encoding;
//! [`Codec::decode`] (or a [`Decoder`] for several values in one frame) checks an
//! encoding and writes the C value, allocating its strings and lists through a
//! caller-given [`Allocator`]; [`Codec::release`] frees such a value again. Handles cross
//! as ids: the caller's [`Handles`] maps a handle to a [`HandleId`] when encoding and
//! back when decoding.
//!
//! The decoder validates exactly what an in-process receiver validates (`docs/abi.md`
//! §1.5, §3): UTF-8 of strings, `char` scalar values, `bool` bytes, option, result,
//! variant and enum discriminants, flags bits; and it never trusts a length before
//! checking it against the rest of the frame, so a frame of `n` bytes cannot make it
//! allocate more than a fixed multiple of `n` (the multiple is the largest ratio of a
//! type's C size to its smallest encoding in the world), nor more than
//! [`Limits::max_alloc`] in all. On any error nothing it allocated stays allocated, no
//! handle it obtained stays owned, and the output value is all zero.
//!
//! The encoder validates too: a value it cannot represent (a `bool` of 2, a tag out of
//! range, an unknown flag bit, an invalid `char`, a non-empty list with a `NULL`
//! pointer) is an error, never garbage on the wire.

use std::alloc::Layout as StdLayout;
use std::ffi::c_void;

use crate::ir::{Type, TypeId};
use crate::plan::{Plan, Scalar, Shape};

mod decode;
pub use decode::Decoder;

/// The version of the encoding described in `docs/isolation.md`. Both processes state it
/// at the handshake; a change to the encoding of any value changes it.
pub const WIRE_VERSION: u32 = 1;

/// Default nesting limit of [`Limits`]: twice the deepest type a validated world may
/// have (`descriptor::MAX_TYPE_DEPTH`), so that it never stops a value of a valid plan
/// and still bounds the recursion of a hand-made one.
pub const MAX_DEPTH: usize = 2 * crate::descriptor::MAX_TYPE_DEPTH;

/// Bounds of one encode or decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How many compound values (list, option, result, variant, record, tuple) may nest.
    pub max_depth: usize,
    /// How many bytes a decode may allocate in all, for one frame.
    pub max_alloc: usize,
}

impl Default for Limits {
    /// [`MAX_DEPTH`] and 1 GiB.
    fn default() -> Self {
        Limits {
            max_depth: MAX_DEPTH,
            max_alloc: 1 << 30,
        }
    }
}

/// An error of [`Codec::encode`] or of decoding: what was wrong and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("wire value, byte {at}: {kind}")]
pub struct WireError {
    /// Offset in the frame: for a decode, where the offending item starts; for an
    /// encode, how many bytes of the frame were written before the offending item.
    pub at: usize,
    /// What was wrong.
    pub kind: ErrorKind,
}

/// What [`WireError`] found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The frame ends inside a value.
    #[error("the frame ends inside a value: {needed} more bytes needed")]
    Truncated {
        /// At least this many more bytes.
        needed: usize,
    },
    /// A string's or list's length needs more bytes than the frame has left.
    #[error(
        "a length of {len} needs at least {min_bytes} bytes, but the frame has {remaining} left"
    )]
    LengthPastFrame {
        /// The length read, in elements (bytes for a string).
        len: u64,
        /// The fewest bytes `len` elements take on the wire.
        min_bytes: u64,
        /// The bytes left in the frame.
        remaining: usize,
    },
    /// A LEB128 integer is longer than its type allows or out of its type's range.
    #[error("an integer encoding is too long or out of range for its type")]
    BadInteger,
    /// A string is not UTF-8.
    #[error("a string is not valid UTF-8")]
    BadUtf8,
    /// A `char` is not a Unicode scalar value (decode: its bytes are not one UTF-8
    /// encoded scalar; encode: `value` is a surrogate or above 0x10FFFF).
    #[error("a char is not a Unicode scalar value{}", .value.map(|v| format!(" ({v:#x})")).unwrap_or_default())]
    BadChar {
        /// The refused value, when it could be read as one (encode).
        value: Option<u32>,
    },
    /// A `bool` that is neither 0 nor 1.
    #[error("a bool is {0}: expected 0 or 1")]
    BadBool(u8),
    /// A discriminant (option, result, variant or enum) out of range.
    #[error("discriminant {tag} of a type with {cases} cases")]
    BadTag {
        /// The discriminant found.
        tag: u64,
        /// How many cases the type has (2 for option and result).
        cases: u64,
    },
    /// Flags with bits set beyond the type's flags.
    #[error("flags bits {bits:#x} set beyond the {count} flags of the type")]
    BadFlags {
        /// The whole flags value.
        bits: u64,
        /// How many flags the type has.
        count: u32,
    },
    /// Values nest deeper than [`Limits::max_depth`].
    #[error("values nest deeper than {limit} levels")]
    TooDeep {
        /// The nesting limit.
        limit: usize,
    },
    /// Bytes are left in the frame after the last value.
    #[error("{count} bytes left after the last value")]
    TrailingBytes {
        /// How many bytes are left.
        count: usize,
    },
    /// The allocator returned NULL.
    #[error("out of memory allocating {size} bytes")]
    OutOfMemory {
        /// The refused allocation, bytes.
        size: usize,
    },
    /// The frame would make the decoder allocate more than [`Limits::max_alloc`].
    #[error("decoding would allocate more than the limit of {limit} bytes")]
    AllocLimit {
        /// The limit, bytes.
        limit: usize,
    },
    /// The [`Handles`] callback refused a handle or id.
    #[error("handle: {0}")]
    Handle(String),
    /// Encode: a non-empty string or list with a `NULL` pointer.
    #[error("a string or list of {len} elements has a NULL pointer")]
    NullPointer {
        /// The value's length, elements.
        len: u64,
    },
    /// Encode: a string or list longer than the wire allows (2^32 - 1 elements) or than
    /// memory can hold.
    #[error("a string or list of {len} elements is too long for the wire")]
    TooLong {
        /// The value's length, elements.
        len: u64,
    },
}

/// Allocates the memory of decoded values. `dealloc` receives exactly what `alloc` was
/// asked for, like `pp_dealloc_fn` (`docs/abi.md` §2).
pub trait Allocator {
    /// `size` (> 0) bytes aligned to `align` (a power of two), or NULL when out of memory.
    fn alloc(&mut self, size: usize, align: usize) -> *mut u8;
    /// Frees what [`Allocator::alloc`] returned for this `size` and `align`.
    ///
    /// # Safety
    /// `ptr` came from this allocator's `alloc(size, align)` and was not freed since.
    unsafe fn dealloc(&mut self, ptr: *mut u8, size: usize, align: usize);
}

/// Rust's global allocator.
#[derive(Clone, Copy, Debug, Default)]
pub struct Global;

impl Allocator for Global {
    fn alloc(&mut self, size: usize, align: usize) -> *mut u8 {
        match StdLayout::from_size_align(size, align) {
            // SAFETY: `size > 0` (the trait's contract) and the layout is valid.
            Ok(l) if size > 0 => unsafe { std::alloc::alloc(l) },
            _ => std::ptr::null_mut(),
        }
    }
    unsafe fn dealloc(&mut self, ptr: *mut u8, size: usize, align: usize) {
        if let Ok(l) = StdLayout::from_size_align(size, align) {
            // SAFETY: the trait's contract: `ptr` came from `alloc` with this layout.
            unsafe { std::alloc::dealloc(ptr, l) }
        }
    }
}

/// A resource handle as C holds it: `{void *self; const vtable *vtable;}`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawHandle {
    /// The object, as its implementer made it; never NULL in a valid handle.
    pub self_: *mut c_void,
    /// The resource's vtable (a `pp_table_header`, then `drop` and the methods).
    pub vtable: *const c_void,
}

/// What a handle is on the wire: an id and a generation counter, so that an id reused
/// after its object ended is not mistaken for the old object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HandleId {
    /// The slot of the handle in the sender's table.
    pub id: u64,
    /// How many times the slot was reused before; a stale id has an older generation.
    pub generation: u32,
}

/// Maps handles to ids and back. `resource` is the resource's type id; `own` is false for
/// `borrow<R>`.
pub trait Handles {
    /// Encoding: the id that stands for `handle`. For `own`, ownership passes with it.
    fn id_of(&mut self, resource: TypeId, own: bool, handle: RawHandle)
        -> Result<HandleId, String>;
    /// Decoding: the handle that `id` stands for (an error for an id that is unknown or
    /// of an ended object).
    fn handle_of(&mut self, resource: TypeId, own: bool, id: HandleId)
        -> Result<RawHandle, String>;
    /// Releasing an owned value: ends an `own` handle that [`Handles::handle_of`] gave.
    fn release(&mut self, resource: TypeId, handle: RawHandle);
}

/// [`Handles`] for worlds without resources: every handle is an error.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHandles;

impl Handles for NoHandles {
    fn id_of(&mut self, _: TypeId, _: bool, _: RawHandle) -> Result<HandleId, String> {
        Err("this codec carries no handles".into())
    }
    fn handle_of(&mut self, _: TypeId, _: bool, _: HandleId) -> Result<RawHandle, String> {
        Err("this codec carries no handles".into())
    }
    fn release(&mut self, _: TypeId, _: RawHandle) {}
}

/// The codec of one world: its plan plus the smallest encoding of every type (which
/// bounds list lengths against the frame).
pub struct Codec<'p> {
    plan: &'p Plan,
    /// `min_wire[i]`: fewest bytes any value of `Type::Id(i)` encodes to.
    min_wire: Vec<u64>,
    limits: Limits,
}

type R<T> = Result<T, WireError>;

fn err<T>(at: usize, kind: ErrorKind) -> R<T> {
    Err(WireError { at, kind })
}

/// Reads a `T` at `p`.
///
/// # Safety
/// `p` points at `size_of::<T>()` readable bytes (any alignment).
unsafe fn rd<T: Copy>(p: *const u8) -> T {
    // SAFETY: the caller's contract; `read_unaligned` needs no alignment.
    unsafe { std::ptr::read_unaligned(p.cast::<T>()) }
}

/// Writes a `T` at `p`.
///
/// # Safety
/// `p` points at `size_of::<T>()` writable bytes (any alignment).
unsafe fn wr<T>(p: *mut u8, v: T) {
    // SAFETY: the caller's contract; `write_unaligned` needs no alignment.
    unsafe { std::ptr::write_unaligned(p.cast::<T>(), v) }
}

/// Reads an unsigned integer of `bytes` (1, 2, 4 or 8) bytes at `p`.
///
/// # Safety
/// `p` points at `bytes` readable bytes.
unsafe fn rd_uint(p: *const u8, bytes: u64) -> u64 {
    // SAFETY: the caller's contract covers the widths read here.
    unsafe {
        match bytes {
            1 => rd::<u8>(p) as u64,
            2 => rd::<u16>(p) as u64,
            4 => rd::<u32>(p) as u64,
            _ => rd::<u64>(p),
        }
    }
}

/// Writes `v` as an unsigned integer of `bytes` bytes at `p` (`v` fits).
///
/// # Safety
/// `p` points at `bytes` writable bytes.
unsafe fn wr_uint(p: *mut u8, bytes: u64, v: u64) {
    // SAFETY: the caller's contract covers the widths written here.
    unsafe {
        match bytes {
            1 => wr(p, v as u8),
            2 => wr(p, v as u16),
            4 => wr(p, v as u32),
            _ => wr(p, v),
        }
    }
}

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        let done = (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0);
        if done {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// Reads a `{ptr, len}` pair (a string or list) at `p`.
///
/// # Safety
/// `p` points at 16 readable bytes.
unsafe fn rd_slice(p: *const u8) -> (*const u8, usize) {
    // SAFETY: the caller's contract: ptr at 0, len at 8 (`docs/abi.md` §3).
    unsafe { (rd::<*const u8>(p), rd::<usize>(p.add(8))) }
}

impl<'p> Codec<'p> {
    /// The codec of `plan`, with the default [`Limits`].
    pub fn new(plan: &'p Plan) -> Codec<'p> {
        let mut memo = vec![None; plan.type_count()];
        for id in 0..plan.type_count() {
            min_wire(plan, Type::Id(id), &mut memo);
        }
        Codec {
            plan,
            min_wire: memo.into_iter().map(|m| m.expect("computed")).collect(),
            limits: Limits::default(),
        }
    }

    /// The same codec with other limits.
    pub fn with_limits(mut self, limits: Limits) -> Codec<'p> {
        self.limits = limits;
        self
    }

    /// The plan this codec follows.
    pub fn plan(&self) -> &'p Plan {
        self.plan
    }

    /// Fewest bytes any value of `ty` encodes to.
    pub fn min_encoded_len(&self, ty: Type) -> u64 {
        match ty {
            Type::Id(id) => self.min_wire[id],
            t => builtin_min(t),
        }
    }

    /// Appends the encoding of the C value of type `ty` at `value` to `out`. On error,
    /// `out` may hold part of the encoding (the caller discards the frame).
    ///
    /// # Safety
    /// `value` points at a readable C value of `ty` laid out as the plan says
    /// (`docs/abi.md` §3), and every string and list in it with `len > 0` and a non-NULL
    /// `ptr` points at `len` readable elements. Tags, bools, chars and flags may be
    /// anything: they are checked.
    pub unsafe fn encode<H: Handles + ?Sized>(
        &self,
        ty: Type,
        value: *const u8,
        handles: &mut H,
        out: &mut Vec<u8>,
    ) -> Result<(), WireError> {
        // SAFETY: forwarded contract.
        unsafe { self.enc(ty, value, handles, out, 0) }
    }

    /// [`Codec::encode`] at nesting `depth`.
    ///
    /// # Safety
    /// As [`Codec::encode`].
    unsafe fn enc<H: Handles + ?Sized>(
        &self,
        ty: Type,
        p: *const u8,
        h: &mut H,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> R<()> {
        let node = self.plan.node(ty);
        let at = out.len();
        if depth > self.limits.max_depth {
            return err(
                at,
                ErrorKind::TooDeep {
                    limit: self.limits.max_depth,
                },
            );
        }
        // SAFETY (whole match): `p` points at a readable value of `ty` (the contract of
        // `encode`), so every read at an offset inside `node.layout.size` is in bounds,
        // and the child pointers handed down point at the children the plan places
        // there. Slices are read only after their `ptr`/`len` were checked as the
        // contract requires.
        unsafe {
            match &node.shape {
                Shape::Scalar(s) => match s {
                    Scalar::Bool => {
                        let b = rd::<u8>(p);
                        if b > 1 {
                            return err(at, ErrorKind::BadBool(b));
                        }
                        out.push(b);
                    }
                    Scalar::S8 | Scalar::U8 => out.push(rd::<u8>(p)),
                    Scalar::S16 => sleb(out, rd::<i16>(p) as i64),
                    Scalar::S32 => sleb(out, rd::<i32>(p) as i64),
                    Scalar::S64 => sleb(out, rd::<i64>(p)),
                    Scalar::U16 => uleb(out, rd::<u16>(p) as u64),
                    Scalar::U32 => uleb(out, rd::<u32>(p) as u64),
                    Scalar::U64 => uleb(out, rd::<u64>(p)),
                    Scalar::F32 => out.extend_from_slice(&rd::<u32>(p).to_le_bytes()),
                    Scalar::F64 => out.extend_from_slice(&rd::<u64>(p).to_le_bytes()),
                    Scalar::Char => {
                        let v = rd::<u32>(p);
                        let c = char::from_u32(v).ok_or(WireError {
                            at,
                            kind: ErrorKind::BadChar { value: Some(v) },
                        })?;
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                },
                Shape::String => {
                    let (ptr, len) = checked_slice(p, 1, at)?;
                    let bytes = bytes(ptr, len);
                    if simdutf8::basic::from_utf8(bytes).is_err() {
                        return err(at, ErrorKind::BadUtf8);
                    }
                    uleb(out, bytes.len() as u64);
                    out.extend_from_slice(bytes);
                }
                Shape::List { elem, elem_layout } => {
                    let (ptr, len) = checked_slice(p, elem_layout.size as usize, at)?;
                    uleb(out, len as u64);
                    match elem {
                        // Bytes are their own encoding (and have no padding).
                        Type::U8 | Type::S8 => out.extend_from_slice(bytes(ptr, len)),
                        _ => {
                            for i in 0..len {
                                let e = ptr.add(i * elem_layout.size as usize);
                                self.enc(*elem, e, h, out, depth + 1)?;
                            }
                        }
                    }
                }
                Shape::Map {
                    key,
                    value,
                    entry_layout,
                    value_offset,
                } => {
                    // As a list of entries: the count, then each key and its value. Keys
                    // cross as they are; duplicates are the receiving language's to refuse.
                    let (ptr, len) = checked_slice(p, entry_layout.size as usize, at)?;
                    uleb(out, len as u64);
                    for i in 0..len {
                        let e = ptr.add(i * entry_layout.size as usize);
                        self.enc(*key, e, h, out, depth + 1)?;
                        self.enc(*value, e.add(*value_offset as usize), h, out, depth + 1)?;
                    }
                }
                Shape::FixedList {
                    elem,
                    elem_layout,
                    len,
                } => {
                    // N elements inline, no length on the wire (both sides know N).
                    match elem {
                        Type::U8 | Type::S8 => out.extend_from_slice(bytes(p, *len as usize)),
                        _ => {
                            for i in 0..*len as usize {
                                let e = p.add(i * elem_layout.size as usize);
                                self.enc(*elem, e, h, out, depth + 1)?;
                            }
                        }
                    }
                }
                Shape::Option {
                    some,
                    payload_offset,
                } => {
                    let tag = rd::<u8>(p);
                    if tag > 1 {
                        return err(at, bad_tag(tag as u64, 2));
                    }
                    out.push(tag);
                    if tag == 1 {
                        let v = p.add(*payload_offset as usize);
                        self.enc(*some, v, h, out, depth + 1)?;
                    }
                }
                Shape::Result {
                    ok,
                    err: e,
                    payload_offset,
                } => {
                    let tag = rd::<u8>(p);
                    if tag > 1 {
                        return err(at, bad_tag(tag as u64, 2));
                    }
                    out.push(tag);
                    let side = if tag == 0 { ok } else { e };
                    if let Some(t) = side {
                        let v = p.add(*payload_offset as usize);
                        self.enc(*t, v, h, out, depth + 1)?;
                    }
                }
                Shape::Variant {
                    tag_bytes,
                    payload_offset,
                    cases,
                } => {
                    let tag = rd_uint(p, *tag_bytes);
                    let Some(case) = cases.get(tag as usize) else {
                        return err(at, bad_tag(tag, cases.len() as u64));
                    };
                    uleb(out, tag);
                    if let Some(t) = case {
                        let v = p.add(*payload_offset as usize);
                        self.enc(*t, v, h, out, depth + 1)?;
                    }
                }
                Shape::Enum { tag_bytes, cases } => {
                    let tag = rd_uint(p, *tag_bytes);
                    if tag >= *cases as u64 {
                        return err(at, bad_tag(tag, *cases as u64));
                    }
                    uleb(out, tag);
                }
                Shape::Flags { bytes, count, mask } => {
                    let bits = rd_uint(p, *bytes);
                    if bits & !mask != 0 {
                        return err(
                            at,
                            ErrorKind::BadFlags {
                                bits: bits & !mask,
                                count: *count,
                            },
                        );
                    }
                    out.extend_from_slice(&bits.to_le_bytes()[..flag_bytes(*count)]);
                }
                Shape::Record { fields } => {
                    for f in fields {
                        self.enc(f.ty, p.add(f.offset as usize), h, out, depth + 1)?;
                    }
                }
                Shape::Handle { resource, own } => {
                    let raw = rd::<RawHandle>(p);
                    let id = h.id_of(*resource, *own, raw).map_err(|m| WireError {
                        at,
                        kind: ErrorKind::Handle(m),
                    })?;
                    uleb(out, id.id);
                    uleb(out, id.generation as u64);
                }
            }
        }
        Ok(())
    }

    /// Decodes `frame`, which must hold exactly one value of `ty`, into `*out`: see
    /// [`Decoder::value`] and [`Decoder::finish`].
    ///
    /// # Safety
    /// As [`Decoder::value`].
    pub unsafe fn decode<A: Allocator + ?Sized, H: Handles + ?Sized>(
        &self,
        ty: Type,
        frame: &[u8],
        out: *mut u8,
        alloc: &mut A,
        handles: &mut H,
    ) -> Result<(), WireError> {
        let mut d = Decoder::new(self, frame);
        // SAFETY: forwarded contract.
        unsafe { d.value(ty, out, alloc, handles)? };
        if let Err(e) = d.finish() {
            // SAFETY: `out` holds the value just decoded with `alloc` and `handles`, and
            // has its type's size (the contract of `Decoder::value`).
            unsafe {
                self.release(ty, out, alloc, handles);
                std::ptr::write_bytes(out, 0, self.plan.node(ty).layout.size as usize);
            }
            return Err(e);
        }
        Ok(())
    }

    /// Releases a value that [`Codec::decode`] wrote (`docs/abi.md` §6): frees its strings
    /// and lists through `alloc`, with the size and alignment they were allocated with,
    /// and ends its `own` handles through `handles`; then zeroes what it freed. Damaged
    /// values leak rather than crash, as in the C helpers: invalid discriminants are not
    /// followed, NULL pointers and impossible lengths are not freed.
    ///
    /// # Safety
    /// `value` points at a writable C value of `ty` whose memory came from `alloc` (as
    /// [`Codec::decode`] leaves it, or all zero).
    pub unsafe fn release<A: Allocator + ?Sized, H: Handles + ?Sized>(
        &self,
        ty: Type,
        value: *mut u8,
        alloc: &mut A,
        handles: &mut H,
    ) {
        let node = self.plan.node(ty);
        if !node.owns {
            return;
        }
        // SAFETY (whole match): `value` points at a writable value of `ty` (contract), so
        // reads and writes inside its layout are in bounds; list buffers are walked only
        // when their pointer is non-NULL and their byte size fits, as allocated.
        unsafe {
            match &node.shape {
                Shape::String => {
                    let (ptr, len) = rd_slice(value);
                    if len > 0 && !ptr.is_null() {
                        alloc.dealloc(ptr as *mut u8, len, 1);
                    }
                    wr(value, std::ptr::null::<u8>());
                    wr(value.add(8), 0usize);
                }
                Shape::List { elem, elem_layout } => {
                    let (ptr, len) = rd_slice(value);
                    let size = elem_layout.size as usize;
                    if let Some(bytes) = len.checked_mul(size) {
                        if len > 0 && !ptr.is_null() && bytes <= isize::MAX as usize {
                            if self.plan.node(*elem).owns {
                                for i in 0..len {
                                    let e = (ptr as *mut u8).add(i * size);
                                    self.release(*elem, e, alloc, handles);
                                }
                            }
                            alloc.dealloc(ptr as *mut u8, bytes, elem_layout.align as usize);
                        }
                    }
                    wr(value, std::ptr::null::<u8>());
                    wr(value.add(8), 0usize);
                }
                Shape::Map {
                    key,
                    value: val,
                    entry_layout,
                    value_offset,
                } => {
                    let (ptr, len) = rd_slice(value);
                    let size = entry_layout.size as usize;
                    if let Some(bytes) = len.checked_mul(size) {
                        if len > 0 && !ptr.is_null() && bytes <= isize::MAX as usize {
                            for i in 0..len {
                                let e = (ptr as *mut u8).add(i * size);
                                self.release(*key, e, alloc, handles);
                                let v = e.add(*value_offset as usize);
                                self.release(*val, v, alloc, handles);
                            }
                            alloc.dealloc(ptr as *mut u8, bytes, entry_layout.align as usize);
                        }
                    }
                    wr(value, std::ptr::null::<u8>());
                    wr(value.add(8), 0usize);
                }
                Shape::FixedList {
                    elem,
                    elem_layout,
                    len,
                } => {
                    for i in 0..*len as usize {
                        let e = value.add(i * elem_layout.size as usize);
                        self.release(*elem, e, alloc, handles);
                    }
                }
                Shape::Option {
                    some,
                    payload_offset,
                } => {
                    if rd::<u8>(value) == 1 {
                        let v = value.add(*payload_offset as usize);
                        self.release(*some, v, alloc, handles);
                    }
                }
                Shape::Result {
                    ok,
                    err: e,
                    payload_offset,
                } => {
                    let side = match rd::<u8>(value) {
                        0 => ok,
                        1 => e,
                        _ => &None,
                    };
                    if let Some(t) = side {
                        let v = value.add(*payload_offset as usize);
                        self.release(*t, v, alloc, handles);
                    }
                }
                Shape::Variant {
                    tag_bytes,
                    payload_offset,
                    cases,
                } => {
                    let tag = rd_uint(value, *tag_bytes);
                    if let Some(Some(t)) = cases.get(tag as usize) {
                        let v = value.add(*payload_offset as usize);
                        self.release(*t, v, alloc, handles);
                    }
                }
                Shape::Record { fields } => {
                    for f in fields {
                        self.release(f.ty, value.add(f.offset as usize), alloc, handles);
                    }
                }
                Shape::Handle { resource, own } => {
                    let raw = rd::<RawHandle>(value);
                    if *own && !raw.self_.is_null() && !raw.vtable.is_null() {
                        handles.release(*resource, raw);
                    }
                    wr(
                        value,
                        RawHandle {
                            self_: std::ptr::null_mut(),
                            vtable: std::ptr::null(),
                        },
                    );
                }
                Shape::Scalar(_) | Shape::Enum { .. } | Shape::Flags { .. } => {}
            }
        }
    }
}

/// The `{ptr, len}` of the string or list at `p` whose elements are `elem_size` bytes,
/// checked as [`Codec::encode`] requires: at most `u32::MAX` elements, no NULL pointer
/// unless empty, a byte size that fits in `isize`. Returns the pointer (NULL when empty)
/// and the length in elements.
///
/// # Safety
/// `p` points at a readable `{ptr, len}`.
unsafe fn checked_slice(p: *const u8, elem_size: usize, at: usize) -> R<(*const u8, usize)> {
    // SAFETY: the caller's contract.
    let (ptr, len) = unsafe { rd_slice(p) };
    if len > u32::MAX as usize {
        return err(at, ErrorKind::TooLong { len: len as u64 });
    }
    if len == 0 {
        return Ok((std::ptr::null(), 0));
    }
    if ptr.is_null() {
        return err(at, ErrorKind::NullPointer { len: len as u64 });
    }
    match len.checked_mul(elem_size) {
        Some(bytes) if bytes <= isize::MAX as usize => Ok((ptr, len)),
        _ => err(at, ErrorKind::TooLong { len: len as u64 }),
    }
}

/// The `len` bytes at `ptr` (from [`checked_slice`] with 1-byte elements).
///
/// # Safety
/// `ptr` is NULL with `len == 0`, or points at `len` readable, initialised bytes.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: non-NULL (`checked_slice`), `len <= isize::MAX`, readable (contract).
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

fn bad_tag(tag: u64, cases: u64) -> ErrorKind {
    ErrorKind::BadTag { tag, cases }
}

/// Bytes of the wire form of flags with `count` members: `ceil(count / 8)`.
fn flag_bytes(count: u32) -> usize {
    count.div_ceil(8) as usize
}

fn builtin_min(ty: Type) -> u64 {
    match ty {
        Type::F32 => 4,
        Type::F64 => 8,
        // One byte each: bool, s8, u8, a LEB128 integer, a UTF-8 char, a string's length.
        _ => 1,
    }
}

/// Fewest bytes a value of `ty` encodes to (memoised per type id).
fn min_wire(plan: &Plan, ty: Type, memo: &mut [Option<u64>]) -> u64 {
    let Type::Id(id) = ty else {
        return builtin_min(ty);
    };
    if let Some(m) = memo[id] {
        return m;
    }
    let mut min = |t: &Option<Type>| t.map_or(0, |t| min_wire(plan, t, memo));
    let m = match &plan.node(ty).shape {
        // An alias of a built-in type (`type name = string`) has an id and the built-in's
        // shape.
        Shape::Scalar(Scalar::F32) => 4,
        Shape::Scalar(Scalar::F64) => 8,
        Shape::Scalar(_) | Shape::String => 1,
        Shape::List { .. } | Shape::Map { .. } | Shape::Enum { .. } => 1,
        Shape::FixedList { elem, len, .. } => min(&Some(*elem)).saturating_mul(*len as u64),
        Shape::Option { .. } => 1,
        Shape::Result { ok, err, .. } => 1 + min(ok).min(min(err)),
        Shape::Variant { cases, .. } => 1 + cases.iter().map(&mut min).min().unwrap_or(0),
        Shape::Flags { count, .. } => flag_bytes(*count) as u64,
        Shape::Record { fields } => fields.iter().map(|f| min(&Some(f.ty))).sum(),
        // The id and the generation, one LEB128 byte each at least.
        Shape::Handle { .. } => 2,
    };
    memo[id] = Some(m);
    m
}
