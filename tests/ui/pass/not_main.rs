//! An experiment function with another name keeps it; the program calls `run_from` itself.
#![deny(warnings)]

use sacred::prelude::*;

/// Adds one.
#[experiment(config = AddConfig)]
pub fn add_one(#[default(1)] x: i64, #[default(2)] seed: usize) -> Result<i64, String> {
    let _ = seed;
    Ok(x + 1)
}

fn main() {
    assert_eq!(add_one(1, 0), Ok(2));
    let env = sacred::Env::captured(std::env::temp_dir());
    let outcome = sacred::run_from::<AddConfig, _, _>(["add_one"], &env);
    assert!(outcome.is_ok());
}
