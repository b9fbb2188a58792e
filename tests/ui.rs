//! Compiler-message tests of `#[experiment]` and `#[named_config]`: every diagnostic the
//! macros emit has a `fail` case with its expected `.stderr`, and the `pass` cases build
//! and run. The toolchain is pinned (`rust-toolchain.toml`) so the messages stay stable.
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test --test ui`.

// Test helpers may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// Compiler messages list the trait implementations in scope, which optional features
// change: the snapshots are taken without them, and the test command runs this file
// without features (`cargo test -p sacred --test ui`).
#[cfg(not(feature = "mongo"))]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
