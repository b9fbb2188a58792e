use sacred::prelude::*;

#[experiment]
fn main(run: &Run, #[default(1)] steps: u32, again: &Run) {
    let _ = (run, steps, again);
}
