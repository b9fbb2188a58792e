use sacred::prelude::*;

#[experiment]
fn main(#[defualt(3)] steps: u32) {
    let _ = steps;
}
