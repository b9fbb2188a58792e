//! The expansion names nothing the user can shadow: `Result`, `Ok`, `Option`, `String`
//! and a crate-root module `serde` are all taken here, under `#![deny(warnings)]`.
#![deny(warnings)]

use sacred::prelude::*;

#[allow(dead_code)]
type Result = ();
#[allow(dead_code)]
struct Ok;
#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
struct String;
#[allow(dead_code)]
struct Some;
#[allow(dead_code)]
struct None;
#[allow(dead_code)]
struct Vec;
#[allow(dead_code)]
struct Err;
mod serde {}
mod core {}
mod std {}

/// Counts up.
#[experiment]
fn main(
    /// how far
    #[default(3)]
    steps: u32,
    run: &Run,
    #[default(1.5)] scale: f64,
) -> u64 {
    let _ = run.seed();
    u64::from(steps) * scale as u64
}
