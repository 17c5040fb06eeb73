//! libffi descriptions of the C slot signatures of a world, computed from its
//! [`Plan`](crate::plan::Plan) (so from `plugport::layout`, the layout code the generator
//! uses too).
//!
//! Scalars map to their libffi scalar types. Every other value (strings, lists, options,
//! results, variants, records, tuples, handles) is passed by value as a C struct, and
//! libffi must see a struct with the same size, alignment and, for the x86-64 System V
//! and AArch64 conventions, the same register classes as the C compiler does. libffi has
//! no unions, so the struct handed to it is not the C struct member for member but an
//! equivalent: the value's bytes are split into eightbytes, and each eightbyte becomes
//! floating-point members (`float`/`double`) when every scalar that any case of the value
//! can put in it is floating-point, and integer members of the value's alignment
//! otherwise. That is exactly the eightbyte classification of the System V ABI (a union's
//! eightbyte is INTEGER as soon as one member's is), and a struct over 16 bytes is passed
//! in memory, where only size and alignment matter.

use libffi::middle::Type as FfiType;

use crate::ir::Type;
use crate::plan::{Plan, Scalar, Shape};

/// What may occupy a byte of a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    None,
    Int,
    F32,
    F64,
}

/// The libffi type of a parameter of WIT type `ty`.
pub fn param_type(plan: &Plan, ty: Type) -> FfiType {
    let node = plan.node(ty);
    if let Shape::Scalar(s) = node.shape {
        return scalar(s);
    }
    match node.shape {
        Shape::Enum { tag_bytes, .. } => return uint(tag_bytes),
        Shape::Flags { bytes, .. } => return uint(bytes),
        _ => {}
    }
    let size = node.layout.size as usize;
    let align = node.layout.align.clamp(1, 8);
    let mut classes = vec![Class::None; size];
    mark(plan, ty, 0, &mut classes);
    let mut fields = Vec::new();
    for chunk_start in (0..size).step_by(8) {
        let chunk_end = (chunk_start + 8).min(size);
        let chunk = &classes[chunk_start..chunk_end];
        let float = chunk
            .iter()
            .all(|c| matches!(c, Class::None | Class::F32 | Class::F64))
            && chunk.iter().any(|c| matches!(c, Class::F32 | Class::F64));
        if float {
            if chunk[0] == Class::F64 {
                fields.push(FfiType::f64());
            } else {
                for _ in (chunk_start..chunk_end).step_by(4) {
                    fields.push(FfiType::f32());
                }
            }
        } else {
            for _ in (chunk_start..chunk_end).step_by(align as usize) {
                fields.push(uint(align));
            }
        }
    }
    FfiType::structure(fields)
}

fn scalar(s: Scalar) -> FfiType {
    match s {
        Scalar::Bool | Scalar::U8 => FfiType::u8(),
        Scalar::S8 => FfiType::i8(),
        Scalar::S16 => FfiType::i16(),
        Scalar::U16 => FfiType::u16(),
        Scalar::S32 => FfiType::i32(),
        Scalar::U32 | Scalar::Char => FfiType::u32(),
        Scalar::S64 => FfiType::i64(),
        Scalar::U64 => FfiType::u64(),
        Scalar::F32 => FfiType::f32(),
        Scalar::F64 => FfiType::f64(),
    }
}

fn uint(bytes: u64) -> FfiType {
    match bytes {
        1 => FfiType::u8(),
        2 => FfiType::u16(),
        4 => FfiType::u32(),
        _ => FfiType::u64(),
    }
}

fn set(classes: &mut [Class], at: usize, len: usize, c: Class) {
    for x in classes.iter_mut().skip(at).take(len) {
        *x = match (*x, c) {
            (Class::Int, _) | (_, Class::Int) => Class::Int,
            (Class::None, c) => c,
            (old, Class::None) => old,
            (_, c) => c,
        };
    }
}

/// Marks the bytes every case of a value of `ty` at `at` may occupy with their class.
fn mark(plan: &Plan, ty: Type, at: usize, classes: &mut [Class]) {
    let node = plan.node(ty);
    match &node.shape {
        Shape::Scalar(Scalar::F32) => set(classes, at, 4, Class::F32),
        Shape::Scalar(Scalar::F64) => set(classes, at, 8, Class::F64),
        Shape::Scalar(_) | Shape::Enum { .. } | Shape::Flags { .. } => {
            set(classes, at, node.layout.size as usize, Class::Int)
        }
        Shape::String | Shape::List { .. } | Shape::Map { .. } | Shape::Handle { .. } => {
            set(classes, at, 16, Class::Int)
        }
        // An array member classifies as its elements in a row (System V, AAPCS64).
        Shape::FixedList {
            elem,
            elem_layout,
            len,
        } => {
            for i in 0..*len as usize {
                mark(plan, *elem, at + i * elem_layout.size as usize, classes);
            }
        }
        Shape::Option {
            some,
            payload_offset,
        } => {
            set(classes, at, 1, Class::Int);
            mark(plan, *some, at + *payload_offset as usize, classes);
        }
        Shape::Result {
            ok,
            err,
            payload_offset,
        } => {
            set(classes, at, 1, Class::Int);
            for t in [ok, err].into_iter().flatten() {
                mark(plan, *t, at + *payload_offset as usize, classes);
            }
        }
        Shape::Variant {
            tag_bytes,
            payload_offset,
            cases,
        } => {
            set(classes, at, *tag_bytes as usize, Class::Int);
            for t in cases.iter().flatten() {
                mark(plan, *t, at + *payload_offset as usize, classes);
            }
        }
        Shape::Record { fields } => {
            for f in fields {
                mark(plan, f.ty, at + f.offset as usize, classes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Field, PackageName, TypeDef, TypeDefKind, World};

    fn record(fields: &[Type]) -> TypeDef {
        TypeDef {
            name: Some("r".into()),
            interface: Some("i".into()),
            kind: TypeDefKind::Record {
                fields: fields
                    .iter()
                    .enumerate()
                    .map(|(i, t)| Field {
                        name: format!("f{i}"),
                        ty: *t,
                    })
                    .collect(),
            },
            location: None,
        }
    }

    /// The libffi element types of `ty`'s struct, as (size, is_float) pairs.
    fn elements(plan: &Plan, ty: Type) -> Vec<(usize, bool)> {
        let t = param_type(plan, ty);
        // SAFETY: a struct type built by `param_type`: `elements` is a NULL-terminated
        // array of valid ffi_type pointers.
        unsafe {
            let raw = &*t.as_raw_ptr();
            let mut out = Vec::new();
            let mut p = raw.elements;
            while !(*p).is_null() {
                let e = &**p;
                let float = e.type_ == libffi::raw::FFI_TYPE_FLOAT
                    || e.type_ == libffi::raw::FFI_TYPE_DOUBLE;
                out.push((e.size, float));
                p = p.add(1);
            }
            out
        }
    }

    #[test]
    fn eightbytes_get_the_system_v_classes() {
        let world = World {
            package: PackageName {
                namespace: "t".into(),
                name: "p".into(),
                version: Some("1.0.0".into()),
            },
            name: "w".into(),
            types: vec![
                record(&[Type::F32, Type::F32]),            // 0: one SSE eightbyte
                record(&[Type::F32, Type::U32]),            // 1: mixed: INTEGER
                record(&[Type::U8, Type::F64]),             // 2: INTEGER, SSE
                record(&[Type::F64, Type::F64, Type::F64]), // 3: memory (24 bytes)
                TypeDef {
                    name: None,
                    interface: None,
                    kind: TypeDefKind::Option { ty: Type::F32 },
                    location: None,
                }, // 4: tag and float share an eightbyte: INTEGER
                record(&[Type::F32, Type::F32, Type::F32]), // 5: SSE, SSE
            ],
            imports: vec![],
            exports: vec![],
        };
        let plan = Plan::new(&world).unwrap();
        assert_eq!(elements(&plan, Type::Id(0)), [(4, true), (4, true)]);
        assert_eq!(elements(&plan, Type::Id(1)), [(4, false), (4, false)]);
        assert_eq!(elements(&plan, Type::Id(2)), [(8, false), (8, true)]);
        assert_eq!(
            elements(&plan, Type::Id(3)),
            [(8, true), (8, true), (8, true)]
        );
        assert_eq!(elements(&plan, Type::Id(4)), [(4, false), (4, false)]);
        assert_eq!(
            elements(&plan, Type::Id(5)),
            [(4, true), (4, true), (4, true)]
        );
        // Strings are two integer words.
        assert_eq!(elements(&plan, Type::String), [(8, false), (8, false)]);
    }
}
