use sacred::prelude::*;

#[experiment]
fn main(#[default("many")] steps: u32) {
    let _ = steps;
}
