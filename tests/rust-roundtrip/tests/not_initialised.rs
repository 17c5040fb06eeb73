//! A guest that calls an import before any host ran its entry gets `NotInitialised`
//! (its own process: the entry stores the imports in a static).

use plugport::CallError;
use rust_roundtrip::greeter_guest::imports::logger::{has_log, log, Level};

#[test]
fn imports_before_the_entry_are_not_initialised() {
    assert_eq!(
        log(Level::Warn, "too early"),
        Err(CallError::NotInitialised)
    );
    assert!(!has_log());
}
