//! Packaging tests of plugport for C and C++ projects; the tests are in `tests/install.rs`.
