use sacred::prelude::*;

#[experiment]
fn main(&self, #[default(1)] steps: u32) {
    let _ = steps;
}
