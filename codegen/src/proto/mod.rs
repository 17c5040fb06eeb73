//! `plugport gen --lang proto`: the per-world gRPC wire of a world as `.proto` files, for
//! a plugin written as a gRPC server in any language (`docs/remote.md`, "The per-world
//! wire"). The mapping itself is the runtime's ([`plugport::protomap`]), so the files
//! written here and the messages a host builds at run time are the same by construction.
//!
//! Three files:
//! - `<world>.proto`: the world's services and messages ([`plugport::protomap::render`]);
//! - `plugport_remote.proto`: the `plugport.remote.v1.Plugin` service, whose `Describe` a
//!   server must answer (with `wire: "proto"`);
//! - `<world>.describe.json`: the fields of that answer (`plugin_name` and
//!   `plugin_version` to fill in; `world_json` is the world with its fingerprint, as the
//!   host checks it).

use plugport::ir::World;
use plugport::plan::Plan;

use crate::GeneratedFile;

/// The name of the file holding the `plugport.remote.v1.Plugin` service.
pub const REMOTE_PROTO: &str = "plugport_remote.proto";

/// The three files of the world, or why the world has no protobuf mapping (a type kind
/// not mapped yet, named).
pub fn generate(world: &World) -> Result<Vec<GeneratedFile>, String> {
    let plan = Plan::new(world)?;
    let map = plugport::protomap::map_world(world, &plan)?;
    let stem = map
        .file
        .name
        .clone()
        .unwrap_or_else(|| format!("{}.proto", world.name));
    let describe = serde_json::json!({
        "abi_version": plugport::abi::ABI_VERSION,
        "plugin_name": format!("{}-proto", world.name),
        "plugin_version": world.package.version.clone().unwrap_or_else(|| "0.0.0".into()),
        "world_json": plugport::descriptor::world_json(world),
        "wire_version": plugport::wire::WIRE_VERSION,
        "max_message_bytes": plugport::remote::DEFAULT_MAX_MESSAGE_BYTES,
        "wire": "proto",
    });
    Ok(vec![
        GeneratedFile {
            name: stem.clone(),
            contents: plugport::protomap::render(&map.file),
        },
        GeneratedFile {
            name: REMOTE_PROTO.into(),
            contents: plugport::remote::pb::PROTO.to_string(),
        },
        GeneratedFile {
            name: format!("{}.describe.json", stem.trim_end_matches(".proto")),
            contents: serde_json::to_string_pretty(&describe).expect("json") + "\n",
        },
    ])
}
