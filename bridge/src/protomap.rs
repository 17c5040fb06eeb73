//! The IR -> protobuf mapping of a world: the one place that decides what every WIT type
//! is on the per-world gRPC wire (issue 9 item 3, `docs/remote.md`, "The per-world
//! wire"). `plugport gen --lang proto` prints its [`FileDescriptorProto`] as `.proto`
//! text ([`render`]); the host's runtime (`remote::protowire`) builds a
//! `prost_reflect::DescriptorPool` from the same descriptor and transcodes values with
//! the [`ProtoMap`]'s tables, so a host carries no per-world compiled code.
//!
//! The mapping (the table in `docs/remote.md` is its documentation):
//!
//! | WIT | protobuf |
//! |---|---|
//! | `bool` | `bool` |
//! | `u8` `u16` `u32` | `uint32` (range-checked on arrival) |
//! | `s8` `s16` `s32` | `sint32` (range-checked on arrival) |
//! | `u64` / `s64` | `uint64` / `sint64` |
//! | `f32` / `f64` | `optional float` / `optional double` (explicit presence, so that -0.0 crosses) |
//! | `char` | `uint32`, a Unicode scalar value (checked on arrival) |
//! | `string` | `string` |
//! | `list<u8>` | `bytes` |
//! | `list<T>` | `repeated T`; where a single field is needed (in a `oneof`, a list of lists) a message `ListT { repeated T items = 1; }` |
//! | `record` | a message, fields numbered from 1 in WIT order |
//! | `tuple<A, B>` | a message `TupleAB { A f0 = 1; B f1 = 2; }` |
//! | `option<T>` | a message `OptionT { optional T value = 1; }` (`T` a list: its `List*` wrapper): `none` is the message without `value`, or no message |
//! | `result<T, E>` | a message `ResultTE { oneof value { T ok = 1; E err = 2; } }` (`Unit` for a missing side) |
//! | `variant` | a message with `oneof value`, case `i` is field `i + 1` (`Unit` for a case without payload) |
//! | `enum` | a proto `enum`, value `i` is case `i`, named `ENUMNAME_CASE` |
//! | `flags` | a message of `bool`s, flag `i` is field `i + 1` |
//! | `own<R>` / `borrow<R>` | `uint64`, a handle id: the low 32 bits the id in its owner's table (bit 0: 0 the plugin's object, 1 the host's), the high 32 bits its generation |
//!
//! Functions: one service per exported interface (named after it), one per resource of
//! an exported interface (its methods and `Drop`), and one named after the world for its
//! own exported functions. Each function is an rpc with a `<Service><Rpc>Request` (the
//! parameters, fields numbered from 1; a method's object is field 1, `self`, and the
//! parameters follow) and a `<Service><Rpc>Response` (`result = 1`, absent without one).
//! When the world has imports or exports a resource, every rpc is a bidi stream of
//! `<Service><Rpc>Input` / `<Service><Rpc>Output` messages that carry the call, the
//! result and the world's `ImportCall` / `ImportReturn` messages; otherwise rpcs are
//! unary. `ImportCall` carries the imported functions, then the methods and `Drop` of
//! every exported resource: the calls the plugin makes on an object the host made
//! (its own implementation of a plugin's resource, passed to the plugin), which the host
//! serves like imports.
//!
//! Names are derived from WIT names (kebab-case to `PascalCase` for messages, services
//! and rpcs, `snake_case` for fields); anonymous types are named after their structure
//! (`OptionString`, `ListU32`); a name already taken gets a suffix (a type `_<id>`, a
//! function's message a number, a service `Service`).

use std::collections::{HashMap, HashSet};

use prost_types::field_descriptor_proto::{Label, Type as PType};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, MethodDescriptorProto, OneofDescriptorProto, ServiceDescriptorProto,
};

use crate::ir::{FunctionKind, Type, TypeDefKind, TypeId, World, WorldItem};

mod render;
use crate::plan::{Plan, SlotKind, TableKind};
pub use render::render;

/// How a value of a type appears as a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rep {
    /// A scalar field of this protobuf type (`bool`, `uint32`, ..., `string`, `bytes`).
    Scalar(PType),
    /// A message field; the fully qualified name without the leading dot.
    Message(String),
    /// An enum field; the fully qualified name without the leading dot.
    Enum(String),
    /// A repeated field of the element's single representation.
    Repeated(Box<Rep>),
}

/// One function on the per-world wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rpc {
    /// Index of the function's table in `Plan::tables` order, as the isolation frames
    /// name it.
    pub table: u32,
    /// The function's slot in that table.
    pub slot: u32,
    /// Fully qualified service name (`example.greeter.greeter.Greet`).
    pub service: String,
    /// The rpc's name (`Greet`); the gRPC path is `/<service>/<method>`.
    pub method: String,
    /// Fully qualified name of the request message (the parameters).
    pub request: String,
    /// Fully qualified name of the response message (the result).
    pub response: String,
    /// The host -> server stream message (`<Service><Rpc>Input`), when the world has
    /// imports.
    pub input: Option<String>,
    /// The server -> host stream message (`<Service><Rpc>Output`), when the world has
    /// imports.
    pub output: Option<String>,
    /// A method of a resource: the request's field 1 is the object's handle id.
    pub has_self: bool,
    /// The resource of a method or `Drop` (the object in field 1).
    pub self_resource: Option<TypeId>,
    /// The parameter types in order (request fields from 1, or 2 after `self`).
    pub params: Vec<Type>,
    /// The result type (the response's field 1).
    pub result: Option<Type>,
}

/// The mapping of one world.
#[derive(Clone, Debug)]
pub struct ProtoMap {
    /// The `.proto` file, as a descriptor.
    pub file: FileDescriptorProto,
    /// The protobuf package (`example.greeter.greeter`).
    pub package: String,
    /// True when the world has imports or exported resources: rpcs are bidi streams.
    pub streaming: bool,
    /// The exported functions (the host calls them).
    pub rpcs: Vec<Rpc>,
    /// What the server calls on the host with `ImportCall`: the imported functions, then
    /// (in `rpcs` order) the methods and `Drop` of the exported resources, called on
    /// objects the host made. Entry `i` is field `i + 2` of `ImportCall`'s and
    /// `ImportReturn`'s oneof.
    pub imports: Vec<Rpc>,
    /// Field representation of every type id.
    reps: Vec<Rep>,
    /// Single (non-repeated) representation of every type id.
    singles: Vec<Rep>,
}

impl ProtoMap {
    /// The field representation of `ty`.
    pub fn rep(&self, ty: Type) -> Rep {
        match ty {
            Type::Id(id) => self.reps[id].clone(),
            b => Rep::Scalar(builtin(b)),
        }
    }
    /// The single (non-repeated) representation of `ty`: a list as its `List*` wrapper.
    pub fn single(&self, ty: Type) -> Rep {
        match ty {
            Type::Id(id) => self.singles[id].clone(),
            b => Rep::Scalar(builtin(b)),
        }
    }
    /// The fully qualified name of a message of this package.
    pub fn full(&self, name: &str) -> String {
        format!("{}.{}", self.package, name)
    }
    /// The rpc of an exported slot.
    pub fn rpc(&self, table: u32, slot: u32) -> Option<&Rpc> {
        self.rpcs
            .iter()
            .find(|r| r.table == table && r.slot == slot)
    }
}

fn builtin(t: Type) -> PType {
    match t {
        Type::Bool => PType::Bool,
        Type::S8 | Type::S16 | Type::S32 => PType::Sint32,
        Type::S64 => PType::Sint64,
        Type::U8 | Type::U16 | Type::U32 | Type::Char => PType::Uint32,
        Type::U64 => PType::Uint64,
        Type::F32 => PType::Float,
        Type::F64 => PType::Double,
        Type::String => PType::String,
        Type::Id(_) => unreachable!("a built-in type"),
    }
}

/// `kebab-case` to `PascalCase`.
pub fn pascal(s: &str) -> String {
    s.split(['-', '_', '.', ':', '/'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// `kebab-case` to `snake_case`.
pub fn snake(s: &str) -> String {
    s.replace('-', "_")
}

fn builtin_name(t: Type) -> &'static str {
    match t {
        Type::Bool => "Bool",
        Type::S8 => "S8",
        Type::S16 => "S16",
        Type::S32 => "S32",
        Type::S64 => "S64",
        Type::U8 => "U8",
        Type::U16 => "U16",
        Type::U32 => "U32",
        Type::U64 => "U64",
        Type::F32 => "F32",
        Type::F64 => "F64",
        Type::Char => "Char",
        Type::String => "String",
        Type::Id(_) => unreachable!("a built-in type"),
    }
}

struct Builder<'w> {
    world: &'w World,
    package: String,
    taken: HashSet<String>,
    /// Message or enum name of each type id that has one.
    names: Vec<Option<String>>,
    reps: Vec<Option<Rep>>,
    singles: Vec<Option<Rep>>,
    messages: Vec<DescriptorProto>,
    enums: Vec<EnumDescriptorProto>,
    /// `List*` wrappers made, by type id.
    wrappers: HashMap<TypeId, String>,
    unit: bool,
}

fn field(name: &str, number: i32, rep: &Rep, oneof: Option<i32>) -> FieldDescriptorProto {
    let (label, inner) = match rep {
        Rep::Repeated(e) => (Label::Repeated, &**e),
        r => (Label::Optional, r),
    };
    let (ty, type_name) = match inner {
        Rep::Scalar(t) => (*t, None),
        Rep::Message(m) => (PType::Message, Some(format!(".{m}"))),
        Rep::Enum(e) => (PType::Enum, Some(format!(".{e}"))),
        Rep::Repeated(_) => unreachable!("a repeated field's element is single"),
    };
    // `float` and `double` fields have explicit presence (`optional`) so that -0.0 is
    // sent: prost-reflect 0.16 drops an implicit-presence float equal to 0.0, -0.0 too.
    let float = matches!(ty, PType::Float | PType::Double);
    FieldDescriptorProto {
        name: Some(name.to_string()),
        number: Some(number),
        label: Some(label as i32),
        r#type: Some(ty as i32),
        type_name,
        oneof_index: oneof,
        json_name: None,
        proto3_optional: (float && oneof.is_none() && label == Label::Optional).then_some(true),
        ..Default::default()
    }
}

/// A message; `oneof` names its one real oneof (fields with `oneof_index` 0). Fields
/// marked `proto3_optional` get their synthetic oneofs (`_<field>`), after the real one.
fn message(
    name: &str,
    mut fields: Vec<FieldDescriptorProto>,
    oneof: Option<&str>,
) -> DescriptorProto {
    let mut oneof_decl: Vec<OneofDescriptorProto> = oneof
        .map(|o| OneofDescriptorProto {
            name: Some(o.to_string()),
            options: None,
        })
        .into_iter()
        .collect();
    for f in fields.iter_mut().filter(|f| f.proto3_optional()) {
        f.oneof_index = Some(oneof_decl.len() as i32);
        oneof_decl.push(OneofDescriptorProto {
            name: Some(format!("_{}", f.name())),
            options: None,
        });
    }
    DescriptorProto {
        name: Some(name.to_string()),
        field: fields,
        oneof_decl,
        ..Default::default()
    }
}

impl<'w> Builder<'w> {
    fn resolve(&self, mut ty: Type) -> Type {
        while let Type::Id(id) = ty {
            match &self.world.ty(id).kind {
                TypeDefKind::Alias { ty: t } => ty = *t,
                _ => break,
            }
        }
        ty
    }

    /// A readable name for `ty`, as a part of an anonymous type's name.
    fn part(&self, ty: Type) -> String {
        let ty = self.resolve(ty);
        let Type::Id(id) = ty else {
            return builtin_name(ty).to_string();
        };
        let def = self.world.ty(id);
        if let Some(n) = &def.name {
            return self.names[id].clone().unwrap_or_else(|| pascal(n));
        }
        match &def.kind {
            TypeDefKind::Option { ty } => format!("Option{}", self.part(*ty)),
            TypeDefKind::List { ty } => format!("List{}", self.part(*ty)),
            TypeDefKind::Result { ok, err } => format!(
                "Result{}{}",
                ok.map_or("Unit".to_string(), |t| self.part(t)),
                err.map_or("Unit".to_string(), |t| self.part(t))
            ),
            TypeDefKind::Tuple { types } => {
                format!(
                    "Tuple{}",
                    types.iter().map(|t| self.part(*t)).collect::<String>()
                )
            }
            TypeDefKind::Own { resource } | TypeDefKind::Borrow { resource } => {
                self.part(Type::Id(*resource))
            }
            TypeDefKind::Map { key, value } => {
                format!("Map{}{}", self.part(*key), self.part(*value))
            }
            TypeDefKind::FixedList { ty, len } => format!("Array{len}{}", self.part(*ty)),
            _ => format!("T{id}"),
        }
    }

    /// Takes `want` as the name of type `id`: `Anon<id>` when longer than 80
    /// characters, `<want>_<id>` when taken.
    fn take(&mut self, want: String, id: TypeId) -> String {
        let want = if want.len() > 80 {
            format!("Anon{id}")
        } else {
            want
        };
        let name = if self.taken.contains(&want) {
            format!("{want}_{id}")
        } else {
            want
        };
        self.taken.insert(name.clone());
        name
    }

    /// Takes `want` as the name of a function's message or a service: `<want>2`,
    /// `<want>3`, ... when taken.
    fn take_other(&mut self, want: String) -> String {
        let mut name = want.clone();
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{want}{n}");
            n += 1;
        }
        self.taken.insert(name.clone());
        name
    }

    fn full(&self, name: &str) -> String {
        format!("{}.{}", self.package, name)
    }

    fn unit(&mut self) -> Rep {
        if !self.unit {
            self.unit = true;
            self.messages.push(message("Unit", vec![], None));
        }
        Rep::Message(self.full("Unit"))
    }

    fn rep(&self, ty: Type) -> Rep {
        match ty {
            Type::Id(id) => self.reps[id].clone().expect("types come after their parts"),
            b => Rep::Scalar(builtin(b)),
        }
    }

    fn single(&self, ty: Type) -> Rep {
        match ty {
            Type::Id(id) => self.singles[id]
                .clone()
                .expect("types come after their parts"),
            b => Rep::Scalar(builtin(b)),
        }
    }

    /// Maps type `id` (its parts are mapped: the IR lists types after their parts).
    fn map_type(&mut self, id: TypeId) -> Result<(), String> {
        let def = self.world.ty(id);
        let named = def.name.as_ref().map(|n| pascal(n));
        let msg_name = |b: &mut Self, structural: String| -> String {
            let want = named.clone().unwrap_or(structural);
            b.take(want, id)
        };
        #[allow(unreachable_patterns)]
        let rep = match &def.kind {
            TypeDefKind::Alias { ty } => {
                let (r, s) = (self.rep(*ty), self.single(*ty));
                self.reps[id] = Some(r);
                self.singles[id] = Some(s);
                return Ok(());
            }
            TypeDefKind::Record { fields } => {
                let name = msg_name(self, format!("T{id}"));
                let fs = fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| field(&snake(&f.name), i as i32 + 1, &self.rep(f.ty), None))
                    .collect();
                self.messages.push(message(&name, fs, None));
                self.names[id] = Some(name.clone());
                Rep::Message(self.full(&name))
            }
            TypeDefKind::Tuple { types } => {
                let structural = self.part(Type::Id(id));
                let name = msg_name(self, structural);
                let fs = types
                    .iter()
                    .enumerate()
                    .map(|(i, t)| field(&format!("f{i}"), i as i32 + 1, &self.rep(*t), None))
                    .collect();
                self.messages.push(message(&name, fs, None));
                self.names[id] = Some(name.clone());
                Rep::Message(self.full(&name))
            }
            TypeDefKind::Flags { flags } => {
                let name = msg_name(self, format!("Flags{id}"));
                let fs = flags
                    .iter()
                    .enumerate()
                    .map(|(i, f)| field(&snake(f), i as i32 + 1, &Rep::Scalar(PType::Bool), None))
                    .collect();
                self.messages.push(message(&name, fs, None));
                self.names[id] = Some(name.clone());
                Rep::Message(self.full(&name))
            }
            TypeDefKind::Enum { cases } => {
                let name = msg_name(self, format!("Enum{id}"));
                let prefix = pascal_to_screaming(&name);
                self.enums.push(EnumDescriptorProto {
                    name: Some(name.clone()),
                    value: cases
                        .iter()
                        .enumerate()
                        .map(|(i, c)| EnumValueDescriptorProto {
                            name: Some(format!("{prefix}_{}", snake(c).to_ascii_uppercase())),
                            number: Some(i as i32),
                            options: None,
                        })
                        .collect(),
                    ..Default::default()
                });
                self.names[id] = Some(name.clone());
                Rep::Enum(self.full(&name))
            }
            TypeDefKind::Variant { cases } => {
                let name = msg_name(self, format!("Variant{id}"));
                let mut fs = Vec::new();
                for (i, c) in cases.iter().enumerate() {
                    let r = match c.ty {
                        Some(t) => self.single(t),
                        None => self.unit(),
                    };
                    fs.push(field(&snake(&c.name), i as i32 + 1, &r, Some(0)));
                }
                self.messages.push(message(&name, fs, Some("value")));
                self.names[id] = Some(name.clone());
                Rep::Message(self.full(&name))
            }
            TypeDefKind::Option { ty } => {
                let structural = self.part(Type::Id(id));
                let name = msg_name(self, structural);
                // `optional`: explicit presence, so that `none` is an empty message
                // wherever the option sits (a repeated field, a oneof).
                let single = self.single(*ty);
                let mut f = field("value", 1, &single, None);
                if !matches!(single, Rep::Message(_)) {
                    f.proto3_optional = Some(true);
                }
                self.messages.push(message(&name, vec![f], None));
                self.names[id] = Some(name.clone());
                Rep::Message(self.full(&name))
            }
            TypeDefKind::Result { ok, err } => {
                let structural = self.part(Type::Id(id));
                let name = msg_name(self, structural);
                let ok = match ok {
                    Some(t) => self.single(*t),
                    None => self.unit(),
                };
                let err = match err {
                    Some(t) => self.single(*t),
                    None => self.unit(),
                };
                let fs = vec![field("ok", 1, &ok, Some(0)), field("err", 2, &err, Some(0))];
                self.messages.push(message(&name, fs, Some("value")));
                self.names[id] = Some(name.clone());
                Rep::Message(self.full(&name))
            }
            TypeDefKind::List { ty } => {
                let elem = self.resolve(*ty);
                if elem == Type::U8 {
                    Rep::Scalar(PType::Bytes)
                } else {
                    Rep::Repeated(Box::new(self.single(*ty)))
                }
            }
            TypeDefKind::Map { key, value } => {
                // The entries in order, duplicates as they are: `repeated <Map>Entry
                // {key = 1; value = 2;}`, which is also the wire form of a proto
                // `map<K, V>` field (a server may declare it so).
                let structural = format!("{}Entry", self.part(Type::Id(id)));
                let want = named.clone().map_or(structural, |n| format!("{n}Entry"));
                let name = self.take(want, id);
                let fs = vec![
                    field("key", 1, &self.rep(*key), None),
                    field("value", 2, &self.rep(*value), None),
                ];
                self.messages.push(message(&name, fs, None));
                Rep::Repeated(Box::new(Rep::Message(self.full(&name))))
            }
            TypeDefKind::FixedList { ty, .. } => {
                // As `list<T>` (`bytes` for `u8`); the count is checked on arrival.
                if self.resolve(*ty) == Type::U8 {
                    Rep::Scalar(PType::Bytes)
                } else {
                    Rep::Repeated(Box::new(self.single(*ty)))
                }
            }
            TypeDefKind::Resource | TypeDefKind::Own { .. } | TypeDefKind::Borrow { .. } => {
                Rep::Scalar(PType::Uint64)
            }
            other => {
                return Err(format!(
                    "type {} ({other:?}) is refused: not yet mapped to protobuf",
                    def.name.clone().unwrap_or_else(|| format!("#{id}"))
                ))
            }
        };
        let single = match &rep {
            Rep::Repeated(_) => {
                // A wrapper, made when first needed.
                let structural = self.part(Type::Id(id));
                let name = match self.wrappers.get(&id) {
                    Some(n) => n.clone(),
                    None => {
                        let n = msg_name(self, structural);
                        self.messages
                            .push(message(&n, vec![field("items", 1, &rep, None)], None));
                        self.wrappers.insert(id, n.clone());
                        n
                    }
                };
                Rep::Message(self.full(&name))
            }
            r => r.clone(),
        };
        self.reps[id] = Some(rep);
        self.singles[id] = Some(single);
        Ok(())
    }
}

fn pascal_to_screaming(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// The protobuf package of a world: `<namespace>.<package>.<world>` in `snake_case`.
pub fn package_of(world: &World) -> String {
    format!(
        "{}.{}.{}",
        snake(&world.package.namespace),
        snake(&world.package.name),
        snake(&world.name)
    )
}

/// Maps `world` (with its `plan`) to protobuf. Errors name a type kind that has no
/// mapping yet.
pub fn map_world(world: &World, plan: &Plan) -> Result<ProtoMap, String> {
    let package = package_of(world);
    let n = world.types.len();
    let mut b = Builder {
        world,
        package: package.clone(),
        taken: HashSet::new(),
        names: vec![None; n],
        reps: vec![None; n],
        singles: vec![None; n],
        messages: Vec::new(),
        enums: Vec::new(),
        wrappers: HashMap::new(),
        unit: false,
    };
    // Named types first take their own names; anonymous ones then get structural ones.
    for id in 0..n {
        b.map_type(id)?;
    }
    // Which interfaces are exported; resources belong to their interface.
    let exported: HashSet<&str> = world
        .exports
        .iter()
        .filter_map(|i| match i {
            WorldItem::Interface(i) => Some(i.name.as_str()),
            _ => None,
        })
        .collect();
    // Streams when the server may call the host: imports, or methods and drops of
    // host-made objects of an exported resource.
    let streaming = !world.imports.is_empty()
        || plan.tables().any(|t| match &t.kind {
            TableKind::Vtable(r) => world
                .ty(*r)
                .interface
                .as_deref()
                .is_some_and(|i| exported.contains(i)),
            _ => false,
        });
    let mut services: Vec<(String, Vec<MethodDescriptorProto>)> = Vec::new();
    let mut rpcs = Vec::new();
    let mut imports = Vec::new();
    for (ti, table) in plan.tables().enumerate() {
        let (svc_base, is_export) = match &table.kind {
            TableKind::Interface(name) => (pascal(name), exported.contains(name.as_str())),
            TableKind::Vtable(r) => {
                let def = world.ty(*r);
                (
                    pascal(def.name.as_deref().unwrap_or("resource")),
                    exported.contains(def.interface.as_deref().unwrap_or("")),
                )
            }
            TableKind::World { exports } => (pascal(&world.name), *exports),
        };
        // An exported table is a service and takes its name (`<Name>Service` when a
        // type has it); an imported one only prefixes its functions' messages.
        let svc = if !is_export {
            svc_base
        } else if b.taken.contains(&svc_base) {
            b.take_other(format!("{svc_base}Service"))
        } else {
            b.take_other(svc_base)
        };
        for (si, slot) in table.slots.iter().enumerate() {
            let (method, has_self, params, result) = match &slot.kind {
                SlotKind::Interface(_) => continue,
                SlotKind::Drop => ("Drop".to_string(), true, vec![], None),
                SlotKind::Function(f) => {
                    let m = match f.kind {
                        FunctionKind::Freestanding | FunctionKind::Method(_) => pascal(&f.wit_name),
                        FunctionKind::Constructor(r) => {
                            format!("{}New", pascal(world.ty(r).name.as_deref().unwrap_or("")))
                        }
                        FunctionKind::Static(r) => format!(
                            "{}{}",
                            pascal(world.ty(r).name.as_deref().unwrap_or("")),
                            pascal(&f.wit_name)
                        ),
                    };
                    (
                        m,
                        f.has_self,
                        f.params.iter().map(|p| p.ty).collect::<Vec<_>>(),
                        f.result,
                    )
                }
            };
            let names: Vec<String> = match &slot.kind {
                SlotKind::Function(f) => {
                    // WIT parameter names, from the IR function of this slot.
                    find_param_names(world, &table.kind, f)
                }
                _ => vec![],
            };
            let base = format!("{svc}{method}");
            let req_name = b.take_other(format!("{base}Request"));
            let resp_name = b.take_other(format!("{base}Response"));
            let first = if has_self { 2 } else { 1 };
            let mut fs = Vec::new();
            if has_self {
                fs.push(field("self", 1, &Rep::Scalar(PType::Uint64), None));
            }
            for (i, t) in params.iter().enumerate() {
                let nm = names.get(i).cloned().unwrap_or_else(|| format!("p{i}"));
                fs.push(field(&snake(&nm), first + i as i32, &b.rep(*t), None));
            }
            b.messages.push(message(&req_name, fs, None));
            let rfs = result
                .map(|t| vec![field("result", 1, &b.rep(t), None)])
                .unwrap_or_default();
            b.messages.push(message(&resp_name, rfs, None));
            let mut rpc = Rpc {
                table: ti as u32,
                slot: si as u32,
                self_resource: match table.kind {
                    TableKind::Vtable(r) => Some(r),
                    _ => None,
                },
                service: b.full(&svc),
                method: method.clone(),
                request: b.full(&req_name),
                response: b.full(&resp_name),
                input: None,
                output: None,
                has_self,
                params,
                result,
            };
            if is_export {
                if streaming {
                    let inp = b.take_other(format!("{base}Input"));
                    let out = b.take_other(format!("{base}Output"));
                    let import_return = Rep::Message(b.full("ImportReturn"));
                    let import_call = Rep::Message(b.full("ImportCall"));
                    b.messages.push(message(
                        &inp,
                        vec![
                            field("call", 1, &Rep::Message(rpc.request.clone()), Some(0)),
                            field("import_return", 2, &import_return, Some(0)),
                        ],
                        Some("msg"),
                    ));
                    b.messages.push(message(
                        &out,
                        vec![
                            field("result", 1, &Rep::Message(rpc.response.clone()), Some(0)),
                            field("import_call", 2, &import_call, Some(0)),
                        ],
                        Some("msg"),
                    ));
                    rpc.input = Some(b.full(&inp));
                    rpc.output = Some(b.full(&out));
                }
                let (i, o) = (
                    rpc.input.clone().unwrap_or(rpc.request.clone()),
                    rpc.output.clone().unwrap_or(rpc.response.clone()),
                );
                let m = MethodDescriptorProto {
                    name: Some(method),
                    input_type: Some(format!(".{i}")),
                    output_type: Some(format!(".{o}")),
                    client_streaming: streaming.then_some(true),
                    server_streaming: streaming.then_some(true),
                    options: None,
                };
                match services.iter_mut().find(|(n, _)| *n == svc) {
                    Some((_, ms)) => ms.push(m),
                    None => services.push((svc.clone(), vec![m])),
                }
                rpcs.push(rpc);
            } else {
                imports.push(rpc);
            }
        }
    }
    if streaming {
        // The plugin's calls on host-made objects, after the imports.
        imports.extend(rpcs.iter().filter(|r| r.has_self).cloned());
        let short = |s: &str| s.rsplit('.').next().unwrap_or(s).to_string();
        let mut call = Vec::new();
        let mut ret = vec![field("error", 1, &Rep::Scalar(PType::String), Some(0))];
        let mut used: HashSet<String> = HashSet::from(["error".to_string()]);
        for (i, r) in imports.iter().enumerate() {
            let want = snake(&pascal_to_screaming(
                short(&r.request).trim_end_matches("Request"),
            ))
            .to_ascii_lowercase();
            let mut nm = want.clone();
            let mut k = 2;
            while !used.insert(nm.clone()) {
                nm = format!("{want}_{k}");
                k += 1;
            }
            call.push(field(
                &nm,
                i as i32 + 2,
                &Rep::Message(r.request.clone()),
                Some(0),
            ));
            ret.push(field(
                &nm,
                i as i32 + 2,
                &Rep::Message(r.response.clone()),
                Some(0),
            ));
        }
        let ic = b.take_other("ImportCall".into());
        let ir = b.take_other("ImportReturn".into());
        b.messages.push(message(&ic, call, Some("call")));
        b.messages.push(message(&ir, ret, Some("result")));
    }
    let reps = b.reps.into_iter().map(|r| r.expect("mapped")).collect();
    let singles = b.singles.into_iter().map(|r| r.expect("mapped")).collect();
    let file = FileDescriptorProto {
        name: Some(format!("{}.proto", snake(&world.name))),
        package: Some(package.clone()),
        message_type: b.messages,
        enum_type: b.enums,
        service: services
            .into_iter()
            .map(|(name, method)| ServiceDescriptorProto {
                name: Some(name),
                method,
                options: None,
            })
            .collect(),
        syntax: Some("proto3".into()),
        ..Default::default()
    };
    Ok(ProtoMap {
        file,
        package,
        streaming,
        rpcs,
        imports,
        reps,
        singles,
    })
}

/// The WIT parameter names of the function of a slot (the plan keeps C names).
fn find_param_names(world: &World, kind: &TableKind, f: &crate::plan::FunctionPlan) -> Vec<String> {
    let mut fns: Vec<&crate::ir::Function> = Vec::new();
    for item in world.imports.iter().chain(&world.exports) {
        match item {
            WorldItem::Interface(i) => {
                let same = match kind {
                    TableKind::Interface(n) => *n == i.name,
                    TableKind::Vtable(_) => true,
                    TableKind::World { .. } => false,
                };
                if same {
                    fns.extend(&i.functions);
                }
            }
            WorldItem::Function(g) => {
                if matches!(kind, TableKind::World { .. }) {
                    fns.push(g);
                }
            }
        }
    }
    fns.into_iter()
        .find(|g| g.name == f.wit_name && g.kind == f.kind)
        .map(|g| g.params.iter().map(|p| p.name.clone()).collect())
        .unwrap_or_else(|| f.params.iter().map(|p| p.name.clone()).collect())
}
