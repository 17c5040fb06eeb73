//! Fallible constructors (`docs/abi.md` §5) between a C plugin and the Rust host, across
//! `dlopen`: a constructor's slot answers `result<own<r>, E>`, so a refusal is an answer
//! (`Ok(Err(e))`) carrying its error payload (a string, nothing, a variant) and creates
//! nothing, while an accepted construction hands over a handle that works and is dropped
//! exactly once.

use plugport_constructs_tests::fallible::exports::api::Why;
use plugport_constructs_tests::fallible::Fallible;
use plugport_constructs_tests::FALLIBLE_C;

#[test]
fn constructors_answer_handles_or_their_errors_and_nothing_leaks() {
    let p = Fallible::load(FALLIBLE_C).expect("the C plugin loads");
    let api = p.api();
    let live = || p.live_objects().expect("the C plugin counts its objects");
    assert_eq!(live(), 0);

    let c = api.conn_new("db:5432").unwrap().expect("a conn is made");
    assert_eq!(c.addr().unwrap(), "db:5432");
    let refused = api.conn_new("").unwrap();
    assert_eq!(refused.err().as_deref(), Some("an empty address"));

    let n = api.name_new("Ada").unwrap().expect("a name is made");
    assert_eq!(n.text().unwrap(), "Ada");
    assert!(
        api.name_new("ada").unwrap().is_err(),
        "refused without a payload"
    );

    let k = api.checked_new(7).unwrap().expect("7 is accepted");
    assert_eq!(k.get().unwrap(), 7);
    assert!(matches!(api.checked_new(0).unwrap(), Err(Why::Empty)));
    assert!(matches!(
        api.checked_new(1000).unwrap(),
        Err(Why::TooLong(1000))
    ));

    // Only the three accepted objects exist, and dropping them ends them.
    assert_eq!(live(), 3);
    drop((c, n, k));
    assert_eq!(live(), 0);
}
