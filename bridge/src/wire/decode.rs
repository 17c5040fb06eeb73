//! The decoder of the wire codec: frames to C values (`docs/isolation.md`, "What the
//! decoder checks").

use super::{
    bad_tag, err, flag_bytes, wr, wr_uint, Allocator, Codec, ErrorKind, HandleId, Handles,
    WireError, R,
};
use crate::ir::Type;
use crate::layout::Layout;
use crate::plan::{Node, Scalar, Shape};

/// Decodes the values of one frame, in order (a function's parameters are the
/// concatenation of their encodings).
pub struct Decoder<'c, 'p, 'f> {
    codec: &'c Codec<'p>,
    frame: &'f [u8],
    pos: usize,
    allocated: usize,
}

impl<'c, 'p, 'f> Decoder<'c, 'p, 'f> {
    /// A decoder at the start of `frame`.
    pub fn new(codec: &'c Codec<'p>, frame: &'f [u8]) -> Self {
        Decoder {
            codec,
            frame,
            pos: 0,
            allocated: 0,
        }
    }

    /// How many bytes of the frame were consumed.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Checks that the whole frame was consumed ([`ErrorKind::TrailingBytes`]).
    pub fn finish(self) -> Result<(), WireError> {
        match self.frame.len() - self.pos {
            0 => Ok(()),
            count => err(self.pos, ErrorKind::TrailingBytes { count }),
        }
    }

    /// Decodes the next value, of type `ty`, into `*out`, allocating its strings and
    /// lists (`len > 0` only, `docs/abi.md` §3) with `alloc` and turning handle ids into
    /// handles with `handles`. On error, everything allocated for this value is freed,
    /// every `own` handle obtained is released, and `*out` is all zero.
    ///
    /// # Safety
    /// `out` points at `plan.node(ty).layout.size` writable bytes, aligned for the type.
    /// (They need not be initialised.)
    pub unsafe fn value<A: Allocator + ?Sized, H: Handles + ?Sized>(
        &mut self,
        ty: Type,
        out: *mut u8,
        alloc: &mut A,
        handles: &mut H,
    ) -> Result<(), WireError> {
        let size = self.codec.plan.node(ty).layout.size as usize;
        // SAFETY: `out` has `size` writable bytes (contract). An all-zero value owns
        // nothing, so `release` below may walk whatever part `dec` filled in: `dec`
        // writes only checked discriminants and complete pointers.
        unsafe {
            std::ptr::write_bytes(out, 0, size);
            let r = self.dec(ty, out, alloc, handles, 0);
            if r.is_err() {
                self.codec.release(ty, out, alloc, handles);
                std::ptr::write_bytes(out, 0, size);
            }
            r
        }
    }

    fn remaining(&self) -> usize {
        self.frame.len() - self.pos
    }

    fn take(&mut self, n: usize) -> R<&'f [u8]> {
        if n > self.remaining() {
            return err(
                self.pos,
                ErrorKind::Truncated {
                    needed: n - self.remaining(),
                },
            );
        }
        let s = &self.frame[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn byte(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }

    /// An unsigned LEB128 integer of at most `bits` bits: at most `ceil(bits / 7)` bytes
    /// (`docs/isolation.md`).
    fn uleb(&mut self, bits: u32) -> R<u64> {
        let start = self.pos;
        let mut v: u128 = 0;
        for i in 0..bits.div_ceil(7) {
            let b = self.byte()?;
            v |= ((b & 0x7f) as u128) << (7 * i);
            if b & 0x80 == 0 {
                return if v >> bits == 0 {
                    Ok(v as u64)
                } else {
                    err(start, ErrorKind::BadInteger)
                };
            }
        }
        err(start, ErrorKind::BadInteger)
    }

    /// A signed LEB128 integer of at most `bits` bits.
    fn sleb(&mut self, bits: u32) -> R<i64> {
        let start = self.pos;
        let mut v: i128 = 0;
        for i in 0..bits.div_ceil(7) {
            let b = self.byte()?;
            v |= ((b & 0x7f) as i128) << (7 * i);
            if b & 0x80 == 0 {
                let shift = 7 * (i + 1);
                if b & 0x40 != 0 {
                    v |= -1i128 << shift;
                }
                let (min, max) = (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1);
                return if (min..=max).contains(&v) {
                    Ok(v as i64)
                } else {
                    err(start, ErrorKind::BadInteger)
                };
            }
        }
        err(start, ErrorKind::BadInteger)
    }

    /// A length prefix, checked against what is left of the frame: `len` items of at
    /// least `min` bytes each (at least 1) must fit.
    fn length(&mut self, min: u64) -> R<usize> {
        let start = self.pos;
        let len = self.uleb(32)?;
        let min_bytes = len.saturating_mul(min.max(1));
        if min_bytes > self.remaining() as u64 {
            return err(
                start,
                ErrorKind::LengthPastFrame {
                    len,
                    min_bytes,
                    remaining: self.remaining(),
                },
            );
        }
        Ok(len as usize)
    }

    /// `size` bytes aligned to `align` from `alloc`, within [`Limits::max_alloc`].
    fn alloc<A: Allocator + ?Sized>(
        &mut self,
        alloc: &mut A,
        size: usize,
        align: usize,
        at: usize,
    ) -> R<*mut u8> {
        let limit = self.codec.limits.max_alloc;
        if size > limit || self.allocated > limit - size {
            return err(at, ErrorKind::AllocLimit { limit });
        }
        let p = alloc.alloc(size, align);
        if p.is_null() {
            return err(at, ErrorKind::OutOfMemory { size });
        }
        self.allocated += size;
        Ok(p)
    }

    /// The zeroed buffer of `len` elements of `layout` (`len` > 0) of a list or map at
    /// `out`, allocated through [`Decoder::alloc`], with `{ptr, len}` written to `out`
    /// (so the caller's cleanup releases it if an element fails). Errors: `TooLong` when
    /// the byte size overflows `isize` (`len` is at most the frame's length, so it cannot
    /// on a 64-bit target; checked anyway), and those of [`Decoder::alloc`].
    ///
    /// # Safety
    /// `out` points at 16 writable bytes (a `{ptr, len}` pair).
    unsafe fn elements<A: Allocator + ?Sized>(
        &mut self,
        alloc: &mut A,
        out: *mut u8,
        len: usize,
        layout: Layout,
        at: usize,
    ) -> R<*mut u8> {
        let bytes = len
            .checked_mul(layout.size as usize)
            .filter(|b| *b <= isize::MAX as usize)
            .ok_or(WireError {
                at,
                kind: ErrorKind::TooLong { len: len as u64 },
            })?;
        let buf = self.alloc(alloc, bytes, layout.align as usize, at)?;
        std::ptr::write_bytes(buf, 0, bytes);
        wr(out, buf);
        wr(out.add(8), len);
        Ok(buf)
    }

    /// [`Decoder::value`] at nesting `depth`, without the cleanup on error (the caller's).
    ///
    /// # Safety
    /// `out` points at `plan.node(ty).layout.size` writable bytes that are zero or were
    /// written by this decoder.
    unsafe fn dec<A: Allocator + ?Sized, H: Handles + ?Sized>(
        &mut self,
        ty: Type,
        out: *mut u8,
        alloc: &mut A,
        h: &mut H,
        depth: usize,
    ) -> R<()> {
        let codec = self.codec;
        let node: &Node = codec.plan.node(ty);
        let at = self.pos;
        let limit = codec.limits.max_depth;
        if depth > limit {
            return err(at, ErrorKind::TooDeep { limit });
        }
        // SAFETY (whole match): `out` points at `node.layout.size` writable bytes, all
        // zero or filled by this decoder (the contract of `value`, kept for children,
        // which get pointers to their offsets inside `out` or inside a buffer freshly
        // allocated for `len * size` bytes). Writes stay inside those bounds.
        unsafe {
            match &node.shape {
                Shape::Scalar(s) => match s {
                    Scalar::Bool => {
                        let b = self.byte()?;
                        if b > 1 {
                            return err(at, ErrorKind::BadBool(b));
                        }
                        wr(out, b);
                    }
                    Scalar::S8 | Scalar::U8 => wr(out, self.byte()?),
                    Scalar::S16 => wr(out, self.sleb(16)? as i16),
                    Scalar::S32 => wr(out, self.sleb(32)? as i32),
                    Scalar::S64 => wr(out, self.sleb(64)?),
                    Scalar::U16 => wr(out, self.uleb(16)? as u16),
                    Scalar::U32 => wr(out, self.uleb(32)? as u32),
                    Scalar::U64 => wr(out, self.uleb(64)?),
                    Scalar::F32 => {
                        let b = self.take(4)?;
                        wr(out, u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                    }
                    Scalar::F64 => {
                        let b: [u8; 8] = self.take(8)?.try_into().expect("8 bytes");
                        wr(out, u64::from_le_bytes(b));
                    }
                    Scalar::Char => wr(out, self.char()?),
                },
                Shape::String => {
                    let len = self.length(1)?;
                    let bytes = self.take(len)?;
                    if simdutf8::basic::from_utf8(bytes).is_err() {
                        return err(at, ErrorKind::BadUtf8);
                    }
                    if len > 0 {
                        let p = self.alloc(alloc, len, 1, at)?;
                        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, len);
                        wr(out, p);
                        wr(out.add(8), len);
                    }
                }
                Shape::List { elem, elem_layout } => {
                    let len = self.length(codec.min_encoded_len(*elem))?;
                    if len == 0 {
                        return Ok(());
                    }
                    let size = elem_layout.size as usize;
                    let buf = self.elements(alloc, out, len, *elem_layout, at)?;
                    match elem {
                        Type::U8 | Type::S8 => {
                            let src = self.take(len)?;
                            std::ptr::copy_nonoverlapping(src.as_ptr(), buf, len);
                        }
                        _ => {
                            for i in 0..len {
                                self.dec(*elem, buf.add(i * size), alloc, h, depth + 1)?;
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
                    let min = codec
                        .min_encoded_len(*key)
                        .saturating_add(codec.min_encoded_len(*value));
                    let len = self.length(min)?;
                    if len == 0 {
                        return Ok(());
                    }
                    let size = entry_layout.size as usize;
                    let buf = self.elements(alloc, out, len, *entry_layout, at)?;
                    for i in 0..len {
                        let e = buf.add(i * size);
                        self.dec(*key, e, alloc, h, depth + 1)?;
                        let v = e.add(*value_offset as usize);
                        self.dec(*value, v, alloc, h, depth + 1)?;
                    }
                }
                Shape::FixedList {
                    elem,
                    elem_layout,
                    len,
                } => {
                    let n = *len as usize;
                    match elem {
                        Type::U8 | Type::S8 => {
                            let src = self.take(n)?;
                            std::ptr::copy_nonoverlapping(src.as_ptr(), out, n);
                        }
                        _ => {
                            for i in 0..n {
                                let e = out.add(i * elem_layout.size as usize);
                                self.dec(*elem, e, alloc, h, depth + 1)?;
                            }
                        }
                    }
                }
                Shape::Option {
                    some,
                    payload_offset,
                } => {
                    let tag = self.byte()?;
                    if tag > 1 {
                        return err(at, bad_tag(tag as u64, 2));
                    }
                    wr(out, tag);
                    if tag == 1 {
                        let v = out.add(*payload_offset as usize);
                        self.dec(*some, v, alloc, h, depth + 1)?;
                    }
                }
                Shape::Result {
                    ok,
                    err: e,
                    payload_offset,
                } => {
                    let tag = self.byte()?;
                    if tag > 1 {
                        return err(at, bad_tag(tag as u64, 2));
                    }
                    wr(out, tag);
                    let side = if tag == 0 { ok } else { e };
                    if let Some(t) = side {
                        let v = out.add(*payload_offset as usize);
                        self.dec(*t, v, alloc, h, depth + 1)?;
                    }
                }
                Shape::Variant {
                    tag_bytes,
                    payload_offset,
                    cases,
                } => {
                    let tag = self.uleb(32)?;
                    let Some(case) = cases.get(tag as usize) else {
                        return err(at, bad_tag(tag, cases.len() as u64));
                    };
                    wr_uint(out, *tag_bytes, tag);
                    if let Some(t) = case {
                        let v = out.add(*payload_offset as usize);
                        self.dec(*t, v, alloc, h, depth + 1)?;
                    }
                }
                Shape::Enum { tag_bytes, cases } => {
                    let tag = self.uleb(32)?;
                    if tag >= *cases as u64 {
                        return err(at, bad_tag(tag, *cases as u64));
                    }
                    wr_uint(out, *tag_bytes, tag);
                }
                Shape::Flags { bytes, count, mask } => {
                    let raw = self.take(flag_bytes(*count))?;
                    let mut le = [0u8; 8];
                    le[..raw.len()].copy_from_slice(raw);
                    let bits = u64::from_le_bytes(le);
                    if bits & !mask != 0 {
                        return err(
                            at,
                            ErrorKind::BadFlags {
                                bits: bits & !mask,
                                count: *count,
                            },
                        );
                    }
                    wr_uint(out, *bytes, bits);
                }
                Shape::Record { fields } => {
                    for f in fields {
                        self.dec(f.ty, out.add(f.offset as usize), alloc, h, depth + 1)?;
                    }
                }
                Shape::Handle { resource, own } => {
                    let id = self.uleb(64)?;
                    let generation = self.uleb(32)? as u32;
                    let raw = h
                        .handle_of(*resource, *own, HandleId { id, generation })
                        .map_err(|m| WireError {
                            at,
                            kind: ErrorKind::Handle(m),
                        })?;
                    wr(out, raw);
                }
            }
        }
        Ok(())
    }

    /// One `char`: the UTF-8 encoding of one Unicode scalar value, 1 to 4 bytes.
    fn char(&mut self) -> R<u32> {
        let at = self.pos;
        let bad = WireError {
            at,
            kind: ErrorKind::BadChar { value: None },
        };
        let width = match self.frame.get(self.pos) {
            None => return err(at, ErrorKind::Truncated { needed: 1 }),
            Some(0x00..=0x7f) => 1,
            Some(0xc2..=0xdf) => 2,
            Some(0xe0..=0xef) => 3,
            Some(0xf0..=0xf4) => 4,
            Some(_) => return Err(bad),
        };
        let bytes = self.take(width)?;
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.chars().next().expect("one char") as u32),
            Err(_) => Err(bad),
        }
    }
}
