//! The runtime's plan places every byte where the C compiler does: for every type of
//! every test world, `sizeof`, alignment, member offsets, tag and element sizes; for every
//! function table, `sizeof` and each slot's offset (the probes of `build.rs`).

use plugport::ir::Type;
use plugport::plan::{Plan, Shape};
use plugport_wire_tests::probe;

/// The members and extras `build.rs` probes for a node, as the plan predicts them.
fn predicted(shape: &Shape) -> (Vec<u64>, Vec<u64>) {
    match shape {
        Shape::Record { fields } => (fields.iter().map(|f| f.offset).collect(), vec![]),
        Shape::Option { payload_offset, .. } => (vec![0, *payload_offset], vec![]),
        Shape::Result {
            ok,
            err,
            payload_offset,
        } => {
            let mut m = vec![0];
            if ok.is_some() || err.is_some() {
                m.push(*payload_offset);
            }
            (m, vec![])
        }
        Shape::Variant {
            tag_bytes,
            payload_offset,
            cases,
        } => {
            let mut m = vec![0];
            if cases.iter().any(Option::is_some) {
                m.push(*payload_offset);
            }
            (m, vec![*tag_bytes])
        }
        Shape::List { elem_layout, .. } => (vec![0, 8], vec![elem_layout.size, elem_layout.align]),
        Shape::Map {
            entry_layout,
            value_offset,
            ..
        } => (
            vec![0, 8],
            vec![entry_layout.size, entry_layout.align, *value_offset],
        ),
        Shape::FixedList { elem_layout, .. } => (vec![0], vec![elem_layout.size]),
        Shape::Handle { .. } => (vec![0, 8], vec![]),
        Shape::Scalar(_) | Shape::String | Shape::Enum { .. } | Shape::Flags { .. } => {
            (vec![], vec![])
        }
    }
}

#[test]
fn plan_offsets_equal_the_c_compilers_for_every_type_and_table() {
    let mut problems = Vec::new();
    let mut checked_types = 0;
    let mut checked_slots = 0;
    for (module, json, types, tables) in probe::worlds() {
        let world: plugport::ir::World = serde_json::from_str(json).expect("IR JSON");
        let plan = Plan::new(&world).expect("valid world");

        let mut it = types.iter().copied();
        let mut seen = 0;
        while let Some(id) = it.next() {
            let mut take = |n: u64| -> Vec<u64> { (0..n).map(|_| it.next().unwrap()).collect() };
            let head = take(3);
            let (size, align, n) = (head[0], head[1], head[2]);
            let members = take(n);
            let k = take(1)[0];
            let extras = take(k);
            let node = plan.node(Type::Id(id as usize));
            let name = format!("{module} type #{id}");
            if (node.layout.size, node.layout.align) != (size, align) {
                problems.push(format!(
                    "{name}: plan size/align {:?}, C ({size}, {align})",
                    node.layout
                ));
            }
            let (m, e) = predicted(&node.shape);
            if m != members {
                problems.push(format!("{name}: plan offsets {m:?}, C {members:?}"));
            }
            if e != extras {
                problems.push(format!("{name}: plan tag/element {e:?}, C {extras:?}"));
            }
            seen += 1;
        }
        assert_eq!(seen, plan.type_count(), "{module}: one probe per type");
        checked_types += seen;

        let mut it = tables.iter().copied();
        for t in plan.tables() {
            let size = it.next().expect("table probe");
            let n = it.next().expect("slot count");
            let offsets: Vec<u64> = (0..n).map(|_| it.next().unwrap()).collect();
            if size != t.size {
                problems.push(format!(
                    "{module} {}: plan size {}, C {size}",
                    t.c_name, t.size
                ));
            }
            let plan_offsets: Vec<u64> = t.slots.iter().map(|s| s.offset).collect();
            if plan_offsets != offsets {
                problems.push(format!(
                    "{module} {}: plan slot offsets {plan_offsets:?}, C {offsets:?}",
                    t.c_name
                ));
            }
            checked_slots += t.slots.len();
        }
        assert!(it.next().is_none(), "{module}: one probe per table");
    }
    eprintln!("{checked_types} types and {checked_slots} slots compared");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The worlds are not trivial: a probe list that came out empty would pass above.
    assert!(checked_types >= 70, "only {checked_types} types probed");
    assert!(checked_slots >= 50, "only {checked_slots} slots probed");
}
