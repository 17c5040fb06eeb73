//! Opens of a URL list are balanced over its servers (`docs/remote.md`, "Opening"): each
//! open starts at the next server in turn, so the sessions, and the instances the servers
//! load for them, spread evenly; a server that does not answer is skipped. The only test
//! of this binary: the round-robin counter is the process's.

use plugport_remote_tests::{fault_plugin, open_remote, Server};

#[test]
fn opens_of_a_url_list_spread_over_its_servers_and_skip_a_dead_one() {
    let a = Server::start(&fault_plugin(), 0, &[]);
    let b = Server::start(&fault_plugin(), 0, &[]);
    let list = format!("{},{}", a.url, b.url);
    let opens: Vec<_> = (0..6)
        .map(|_| open_remote(&list, 0).expect("open the list"))
        .collect();
    let on = |url: &str| {
        opens
            .iter()
            .filter(|(plugin, _)| plugport::remote::of(plugin).unwrap().url() == url)
            .count()
    };
    assert_eq!(
        (on(&a.url), on(&b.url)),
        (3, 3),
        "six opens over two servers"
    );
    for (i, (_, p)) in opens.iter().enumerate() {
        let v = i as u32 * 10;
        assert_eq!(p.faults().inc(v).unwrap(), v + 1, "open {i} answers");
    }
    drop(opens);

    // A list whose first server is gone: every open lands on the live one.
    let mut dead = Server::start(&fault_plugin(), 0, &[]);
    let dead_url = dead.url.clone();
    dead.kill();
    let list = format!("{dead_url},{}", b.url);
    for i in 0..3 {
        let (plugin, p) = open_remote(&list, 0).expect("open skips the dead server");
        assert_eq!(
            plugport::remote::of(&plugin).unwrap().url(),
            b.url,
            "open {i}"
        );
        assert_eq!(p.faults().inc(i).unwrap(), i + 1);
    }
}
