//! Compiler-message tests of `#[experiment]` and `#[named_config]`: every diagnostic the
//! macros emit has a `fail` case with its expected `.stderr`, and the `pass` cases build
//! and run. The toolchain is pinned (`rust-toolchain.toml`) so the messages stay stable.
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
