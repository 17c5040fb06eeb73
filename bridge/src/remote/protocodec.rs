//! Values between plugport's wire encoding (`docs/isolation.md`, "Wire encoding") and the
//! per-world protobuf messages of [`crate::protomap`], as `prost_reflect`
//! [`DynamicMessage`]s over the world's descriptor: the host's transcoding at the point
//! where the session transport would send `CALL` bytes and receive `RETURN` bytes.
//!
//! Every value from the other side is checked as the wire decoder checks it (`docs/abi.md`
//! §1.5): `u8`/`u16`/`s8`/`s16` in range, `char` a Unicode scalar value, an enum number
//! below the case count, exactly one case of a `result` or `variant` set. An error names
//! the function and the item.

use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, ReflectMessage, Value};

use crate::ir::{Type, TypeId};
use crate::plan::{Plan, Scalar, Shape};
use crate::protomap::{ProtoMap, Rep, Rpc};

/// The transcoder of one world.
pub struct ProtoCodec<'a> {
    /// The world's mapping.
    pub map: &'a ProtoMap,
    /// The world's value plan.
    pub plan: &'a Plan,
    /// The pool of the mapping's descriptor ([`pool_of`]).
    pub pool: &'a DescriptorPool,
}

/// The descriptor pool of a mapping.
pub fn pool_of(map: &ProtoMap) -> Result<DescriptorPool, String> {
    DescriptorPool::from_file_descriptor_set(prost_reflect::prost_types::FileDescriptorSet {
        file: vec![map.file.clone()],
    })
    .map_err(|e| format!("the world's protobuf descriptor is refused: {e}"))
}

struct Reader<'b> {
    b: &'b [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let v = *self
            .b
            .get(self.at)
            .ok_or_else(|| "the value ends early".to_string())?;
        self.at += 1;
        Ok(v)
    }
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if self.b.len() - self.at < n {
            return Err("the value ends early".into());
        }
        let s = &self.b[self.at..self.at + n];
        self.at += n;
        Ok(s)
    }
    fn uleb(&mut self, bits: u32) -> Result<u64, String> {
        let mut v: u64 = 0;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift >= 64 || (shift > 0 && shift + 7 > 64 && (b & 0x7f) >> (64 - shift) != 0) {
                return Err("an integer is too long".into());
            }
            v |= ((b & 0x7f) as u64) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        if bits < 64 && v >> bits != 0 {
            return Err(format!("an integer is out of range for {bits} bits"));
        }
        Ok(v)
    }
    fn sleb(&mut self, bits: u32) -> Result<i64, String> {
        let mut v: i64 = 0;
        let mut shift = 0;
        let mut b;
        loop {
            b = self.byte()?;
            if shift >= 64 {
                return Err("an integer is too long".into());
            }
            v |= ((b & 0x7f) as i64) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        if shift < 64 && b & 0x40 != 0 {
            v |= -1i64 << shift;
        }
        let (lo, hi) = (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1);
        if (v as i128) < lo || (v as i128) > hi {
            return Err(format!("an integer is out of range for {bits} bits"));
        }
        Ok(v)
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
        if (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0) {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

impl<'a> ProtoCodec<'a> {
    fn desc(&self, full: &str) -> Result<MessageDescriptor, String> {
        self.pool
            .get_message_by_name(full)
            .ok_or_else(|| format!("no message {full} in the world's descriptor"))
    }

    fn msg_of(&self, rep: &Rep) -> Result<DynamicMessage, String> {
        match rep {
            Rep::Message(m) => Ok(DynamicMessage::new(self.desc(m)?)),
            other => Err(format!(
                "expected a message representation, found {other:?}"
            )),
        }
    }

    fn set(m: &mut DynamicMessage, n: u32, v: Value) -> Result<(), String> {
        m.try_set_field_by_number(n, v)
            .map_err(|e| format!("field {n}: {e}"))
    }

    /// The encodings of values of `types`, concatenated in `bytes`, as message `full`
    /// with the values in fields `first..`.
    pub fn to_message(
        &self,
        full: &str,
        first: u32,
        types: &[Type],
        bytes: &[u8],
    ) -> Result<DynamicMessage, String> {
        let mut m = DynamicMessage::new(self.desc(full)?);
        let mut r = Reader { b: bytes, at: 0 };
        for (i, t) in types.iter().enumerate() {
            let v = self.read(*t, false, &mut r, 0)?;
            Self::set(&mut m, first + i as u32, v)?;
        }
        if r.at != bytes.len() {
            return Err(format!(
                "{} bytes left after the last value",
                bytes.len() - r.at
            ));
        }
        Ok(m)
    }

    /// Message `m`'s fields `first..` as the concatenated encodings of values of `types`.
    pub fn from_message(
        &self,
        m: &DynamicMessage,
        first: u32,
        types: &[Type],
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        for (i, t) in types.iter().enumerate() {
            let n = first + i as u32;
            let v = m
                .get_field_by_number(n)
                .ok_or_else(|| format!("{} has no field {n}", m.descriptor().full_name()))?;
            self.write(*t, &v, false, out, 0)
                .map_err(|e| format!("field {n} of {}: {e}", m.descriptor().full_name()))?;
        }
        Ok(())
    }

    fn read(&self, ty: Type, single: bool, r: &mut Reader, depth: usize) -> Result<Value, String> {
        if depth > crate::wire::MAX_DEPTH {
            return Err("values nest too deep".into());
        }
        let v = self.read_field(ty, r, depth)?;
        if single {
            if let Rep::Repeated(_) = self.map.rep(ty) {
                let mut w = self.msg_of(&self.map.single(ty))?;
                Self::set(&mut w, 1, v)?;
                return Ok(Value::Message(w));
            }
        }
        Ok(v)
    }

    fn read_field(&self, ty: Type, r: &mut Reader, depth: usize) -> Result<Value, String> {
        let node = self.plan.node(ty);
        Ok(match &node.shape {
            Shape::Scalar(s) => match s {
                Scalar::Bool => match r.byte()? {
                    0 => Value::Bool(false),
                    1 => Value::Bool(true),
                    b => return Err(format!("a bool is {b}")),
                },
                Scalar::S8 => Value::I32(r.byte()? as i8 as i32),
                Scalar::S16 => Value::I32(r.sleb(16)? as i32),
                Scalar::S32 => Value::I32(r.sleb(32)? as i32),
                Scalar::S64 => Value::I64(r.sleb(64)?),
                Scalar::U8 => Value::U32(r.byte()? as u32),
                Scalar::U16 => Value::U32(r.uleb(16)? as u32),
                Scalar::U32 => Value::U32(r.uleb(32)? as u32),
                Scalar::U64 => Value::U64(r.uleb(64)?),
                Scalar::F32 => Value::F32(f32::from_le_bytes(r.take(4)?.try_into().expect("4"))),
                Scalar::F64 => Value::F64(f64::from_le_bytes(r.take(8)?.try_into().expect("8"))),
                Scalar::Char => {
                    let b0 = r.byte()?;
                    let n = match b0 {
                        0..=0x7f => 1,
                        0xc0..=0xdf => 2,
                        0xe0..=0xef => 3,
                        0xf0..=0xf7 => 4,
                        _ => return Err("a char is not UTF-8".into()),
                    };
                    let mut buf = vec![b0];
                    buf.extend_from_slice(r.take(n - 1)?);
                    let s = std::str::from_utf8(&buf).map_err(|_| "a char is not UTF-8")?;
                    Value::U32(s.chars().next().expect("one char") as u32)
                }
            },
            Shape::String => {
                let n = r.uleb(32)? as usize;
                let s = std::str::from_utf8(r.take(n)?).map_err(|_| "a string is not UTF-8")?;
                Value::String(s.to_string())
            }
            Shape::List { elem, .. } => {
                let n = r.uleb(32)? as usize;
                if self.plan.node(*elem).shape == Shape::Scalar(Scalar::U8) {
                    Value::Bytes(r.take(n)?.to_vec().into())
                } else {
                    if n > r.b.len() - r.at {
                        return Err(format!("a list of {n} elements is longer than its frame"));
                    }
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.read(*elem, true, r, depth + 1)?);
                    }
                    Value::List(items)
                }
            }
            Shape::Map { key, value, .. } => {
                let n = r.uleb(32)? as usize;
                if n > r.b.len() - r.at {
                    return Err(format!("a map of {n} entries is longer than its frame"));
                }
                let Rep::Repeated(entry) = self.map.rep(ty) else {
                    return Err("a map's field is not repeated".into());
                };
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    let mut e = self.msg_of(&entry)?;
                    let k = self.read(*key, false, r, depth + 1)?;
                    Self::set(&mut e, 1, k)?;
                    let v = self.read(*value, false, r, depth + 1)?;
                    Self::set(&mut e, 2, v)?;
                    items.push(Value::Message(e));
                }
                Value::List(items)
            }
            Shape::FixedList { elem, len, .. } => {
                let n = *len as usize;
                if self.plan.node(*elem).shape == Shape::Scalar(Scalar::U8) {
                    Value::Bytes(r.take(n)?.to_vec().into())
                } else {
                    let mut items = Vec::with_capacity(n.min(r.b.len() - r.at));
                    for _ in 0..n {
                        items.push(self.read(*elem, true, r, depth + 1)?);
                    }
                    Value::List(items)
                }
            }
            Shape::Option { some, .. } => {
                let mut m = self.msg_of(&self.map.rep(ty))?;
                match r.byte()? {
                    0 => {}
                    1 => Self::set(&mut m, 1, self.read(*some, true, r, depth + 1)?)?,
                    t => return Err(format!("an option's tag is {t}")),
                }
                Value::Message(m)
            }
            Shape::Result { ok, err, .. } => {
                let mut m = self.msg_of(&self.map.rep(ty))?;
                let (n, payload) = match r.byte()? {
                    0 => (1, ok),
                    1 => (2, err),
                    t => return Err(format!("a result's tag is {t}")),
                };
                let v = self.payload(*payload, &m, n, r, depth)?;
                Self::set(&mut m, n, v)?;
                Value::Message(m)
            }
            Shape::Variant { cases, .. } => {
                let mut m = self.msg_of(&self.map.rep(ty))?;
                let c = r.uleb(32)? as usize;
                let payload = cases
                    .get(c)
                    .ok_or_else(|| format!("case {c} of a variant of {} cases", cases.len()))?;
                let n = c as u32 + 1;
                let v = self.payload(*payload, &m, n, r, depth)?;
                Self::set(&mut m, n, v)?;
                Value::Message(m)
            }
            Shape::Enum { cases, .. } => {
                let c = r.uleb(32)?;
                if c >= *cases as u64 {
                    return Err(format!("case {c} of an enum of {cases} cases"));
                }
                Value::EnumNumber(c as i32)
            }
            Shape::Flags { count, .. } => {
                let mut m = self.msg_of(&self.map.rep(ty))?;
                let bytes = r.take(count.div_ceil(8) as usize)?.to_vec();
                for i in 0..bytes.len() * 8 {
                    if bytes[i / 8] >> (i % 8) & 1 == 1 {
                        if i >= *count as usize {
                            return Err(format!("flag bit {i} of {count} flags"));
                        }
                        Self::set(&mut m, i as u32 + 1, Value::Bool(true))?;
                    }
                }
                Value::Message(m)
            }
            Shape::Record { fields } => {
                let mut m = self.msg_of(&self.map.rep(ty))?;
                for (i, f) in fields.iter().enumerate() {
                    let v = self.read(f.ty, false, r, depth + 1)?;
                    Self::set(&mut m, i as u32 + 1, v)?;
                }
                Value::Message(m)
            }
            Shape::Handle { resource, .. } => Value::U64(self.read_handle(*resource, r)?),
        })
    }

    /// A wire handle (id, generation) as the proto handle: `generation << 32 | id`. The
    /// id's bit 0 says whose object it is (`isolation::handles`: 0 the plugin's, 1 the
    /// host's); ids past 2^32 have no proto form.
    fn read_handle(&self, _resource: TypeId, r: &mut Reader) -> Result<u64, String> {
        let id = r.uleb(64)?;
        let generation = r.uleb(32)?;
        if id > u32::MAX as u64 {
            return Err(format!("handle id {id} is beyond 2^32"));
        }
        Ok(generation << 32 | id)
    }

    fn write_handle(&self, _resource: TypeId, v: u64, out: &mut Vec<u8>) {
        uleb(out, v & 0xffff_ffff);
        uleb(out, v >> 32);
    }

    /// A call's wire-encoded arguments (a method's object first) as its request.
    pub fn args_to_message(&self, rpc: &Rpc, bytes: &[u8]) -> Result<DynamicMessage, String> {
        let mut m = DynamicMessage::new(self.desc(&rpc.request)?);
        let mut r = Reader { b: bytes, at: 0 };
        let first = match rpc.self_resource {
            Some(res) => {
                let h = self
                    .read_handle(res, &mut r)
                    .map_err(|e| format!("the object: {e}"))?;
                Self::set(&mut m, 1, Value::U64(h))?;
                2
            }
            None => 1,
        };
        for (i, t) in rpc.params.iter().enumerate() {
            let v = self.read(*t, false, &mut r, 0)?;
            Self::set(&mut m, first + i as u32, v)?;
        }
        if r.at != bytes.len() {
            return Err(format!(
                "{} bytes left after the last value",
                bytes.len() - r.at
            ));
        }
        Ok(m)
    }

    /// A request as the call's wire-encoded arguments (a method's object first).
    pub fn message_to_args(
        &self,
        rpc: &Rpc,
        m: &DynamicMessage,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let first = match rpc.self_resource {
            Some(res) => {
                let v = m
                    .get_field_by_number(1)
                    .and_then(|v| v.as_u64())
                    .ok_or("the object (field 1, self) is not a uint64")?;
                self.write_handle(res, v, out);
                2
            }
            None => 1,
        };
        self.from_message(m, first, &rpc.params, out)
    }

    /// The value of a result's or variant's case `n` with payload type `payload`
    /// (the `Unit` message without one).
    fn payload(
        &self,
        payload: Option<Type>,
        m: &DynamicMessage,
        n: u32,
        r: &mut Reader,
        depth: usize,
    ) -> Result<Value, String> {
        match payload {
            Some(t) => self.read(t, true, r, depth + 1),
            None => {
                let f = m
                    .descriptor()
                    .get_field(n)
                    .ok_or_else(|| format!("no field {n}"))?;
                let d = f
                    .kind()
                    .as_message()
                    .cloned()
                    .ok_or_else(|| format!("field {n} is not a message"))?;
                Ok(Value::Message(DynamicMessage::new(d)))
            }
        }
    }

    fn write(
        &self,
        ty: Type,
        v: &Value,
        single: bool,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), String> {
        if depth > crate::wire::MAX_DEPTH {
            return Err("values nest too deep".into());
        }
        if single {
            if let Rep::Repeated(_) = self.map.rep(ty) {
                let w = v.as_message().ok_or("expected a list's wrapper message")?;
                let inner = w
                    .get_field_by_number(1)
                    .ok_or("the wrapper has no field 1")?;
                return self.write_field(ty, &inner, out, depth);
            }
        }
        self.write_field(ty, v, out, depth)
    }

    fn write_field(
        &self,
        ty: Type,
        v: &Value,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), String> {
        let node = self.plan.node(ty);
        let u32_of = |v: &Value| {
            v.as_u32()
                .ok_or_else(|| format!("expected a uint32, found {v:?}"))
        };
        let i32_of = |v: &Value| {
            v.as_i32()
                .ok_or_else(|| format!("expected a sint32, found {v:?}"))
        };
        let msg = |v: &'_ Value| -> Result<DynamicMessage, String> {
            v.as_message()
                .cloned()
                .ok_or_else(|| format!("expected a message, found {v:?}"))
        };
        match &node.shape {
            Shape::Scalar(s) => match s {
                Scalar::Bool => out.push(v.as_bool().ok_or("expected a bool")? as u8),
                Scalar::S8 => {
                    let x = i32_of(v)?;
                    let x = i8::try_from(x).map_err(|_| format!("{x} is out of range for s8"))?;
                    out.push(x as u8)
                }
                Scalar::S16 => {
                    let x = i32_of(v)?;
                    let x = i16::try_from(x).map_err(|_| format!("{x} is out of range for s16"))?;
                    sleb(out, x as i64)
                }
                Scalar::S32 => sleb(out, i32_of(v)? as i64),
                Scalar::S64 => sleb(out, v.as_i64().ok_or("expected a sint64")?),
                Scalar::U8 => {
                    let x = u32_of(v)?;
                    let x = u8::try_from(x).map_err(|_| format!("{x} is out of range for u8"))?;
                    out.push(x)
                }
                Scalar::U16 => {
                    let x = u32_of(v)?;
                    let x = u16::try_from(x).map_err(|_| format!("{x} is out of range for u16"))?;
                    uleb(out, x as u64)
                }
                Scalar::U32 => uleb(out, u32_of(v)? as u64),
                Scalar::U64 => uleb(out, v.as_u64().ok_or("expected a uint64")?),
                Scalar::F32 => {
                    out.extend_from_slice(&v.as_f32().ok_or("expected a float")?.to_le_bytes())
                }
                Scalar::F64 => {
                    out.extend_from_slice(&v.as_f64().ok_or("expected a double")?.to_le_bytes())
                }
                Scalar::Char => {
                    let x = u32_of(v)?;
                    let c = char::from_u32(x)
                        .ok_or_else(|| format!("{x:#x} is not a Unicode scalar value (char)"))?;
                    let mut b = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut b).as_bytes())
                }
            },
            Shape::String => {
                let s = v.as_str().ok_or("expected a string")?;
                uleb(
                    out,
                    u32::try_from(s.len()).map_err(|_| "a string over 4 GiB")? as u64,
                );
                out.extend_from_slice(s.as_bytes());
            }
            Shape::List { elem, .. } => {
                if self.plan.node(*elem).shape == Shape::Scalar(Scalar::U8) {
                    let b = v.as_bytes().ok_or("expected bytes")?;
                    uleb(
                        out,
                        u32::try_from(b.len()).map_err(|_| "a list over 2^32")? as u64,
                    );
                    out.extend_from_slice(b);
                } else {
                    let items = v.as_list().ok_or("expected a repeated field")?;
                    uleb(
                        out,
                        u32::try_from(items.len()).map_err(|_| "a list over 2^32")? as u64,
                    );
                    for (i, it) in items.iter().enumerate() {
                        self.write(*elem, it, true, out, depth + 1)
                            .map_err(|e| format!("element {i}: {e}"))?;
                    }
                }
            }
            Shape::Map { key, value, .. } => {
                let items = v.as_list().ok_or("expected the map's repeated entries")?;
                uleb(
                    out,
                    u32::try_from(items.len()).map_err(|_| "a map over 2^32 entries")? as u64,
                );
                for (i, it) in items.iter().enumerate() {
                    let e = msg(it)?;
                    let k = e.get_field_by_number(1).ok_or("an entry without key")?;
                    self.write(*key, &k, false, out, depth + 1)
                        .map_err(|e| format!("entry {i} key: {e}"))?;
                    let x = e.get_field_by_number(2).ok_or("an entry without value")?;
                    self.write(*value, &x, false, out, depth + 1)
                        .map_err(|e| format!("entry {i} value: {e}"))?;
                }
            }
            Shape::FixedList { elem, len, .. } => {
                if self.plan.node(*elem).shape == Shape::Scalar(Scalar::U8) {
                    let b = v.as_bytes().ok_or("expected bytes")?;
                    if b.len() != *len as usize {
                        return Err(format!("a list<u8, {len}> of {} bytes", b.len()));
                    }
                    out.extend_from_slice(b);
                } else {
                    let items = v.as_list().ok_or("expected a repeated field")?;
                    if items.len() != *len as usize {
                        return Err(format!(
                            "a fixed-length list of {len} elements has {}",
                            items.len()
                        ));
                    }
                    for (i, it) in items.iter().enumerate() {
                        self.write(*elem, it, true, out, depth + 1)
                            .map_err(|e| format!("element {i}: {e}"))?;
                    }
                }
            }
            Shape::Option { some, .. } => {
                let m = msg(v)?;
                if m.has_field_by_number(1) {
                    out.push(1);
                    let x = m.get_field_by_number(1).ok_or("no field value")?;
                    self.write(*some, &x, true, out, depth + 1)?;
                } else {
                    out.push(0);
                }
            }
            Shape::Result { ok, err, .. } => {
                let m = msg(v)?;
                let (tag, n, p) = if m.has_field_by_number(1) {
                    (0, 1, ok)
                } else if m.has_field_by_number(2) {
                    (1, 2, err)
                } else {
                    return Err(format!(
                        "{}: neither ok nor err is set",
                        m.descriptor().full_name()
                    ));
                };
                out.push(tag);
                if let Some(t) = p {
                    let x = m.get_field_by_number(n).ok_or("no field")?;
                    self.write(*t, &x, true, out, depth + 1)?;
                }
            }
            Shape::Variant { cases, .. } => {
                let m = msg(v)?;
                let c = (0..cases.len())
                    .find(|c| m.has_field_by_number(*c as u32 + 1))
                    .ok_or_else(|| format!("{}: no case is set", m.descriptor().full_name()))?;
                uleb(out, c as u64);
                if let Some(t) = cases[c] {
                    let x = m.get_field_by_number(c as u32 + 1).ok_or("no field")?;
                    self.write(t, &x, true, out, depth + 1)?;
                }
            }
            Shape::Enum { cases, .. } => {
                let n = v.as_enum_number().ok_or("expected an enum")?;
                if n < 0 || n as u32 >= *cases {
                    return Err(format!("enum number {n} of an enum of {cases} cases"));
                }
                uleb(out, n as u64);
            }
            Shape::Flags { count, .. } => {
                let m = msg(v)?;
                let mut bytes = vec![0u8; count.div_ceil(8) as usize];
                for i in 0..*count as usize {
                    let b = m
                        .get_field_by_number(i as u32 + 1)
                        .and_then(|x| x.as_bool())
                        .unwrap_or(false);
                    if b {
                        bytes[i / 8] |= 1 << (i % 8);
                    }
                }
                out.extend_from_slice(&bytes);
            }
            Shape::Record { fields } => {
                let m = msg(v)?;
                for (i, f) in fields.iter().enumerate() {
                    let x = m
                        .get_field_by_number(i as u32 + 1)
                        .ok_or_else(|| format!("no field {}", i + 1))?;
                    self.write(f.ty, &x, false, out, depth + 1)
                        .map_err(|e| format!("field {}: {e}", i + 1))?;
                }
            }
            Shape::Handle { resource, .. } => {
                let v = v.as_u64().ok_or("expected a uint64 handle")?;
                self.write_handle(*resource, v, out)
            }
        }
        Ok(())
    }
}
