//! End-to-end tests live in `tests/`; see `scripts/test.sh`, which builds the examples first.
