use sacred::prelude::*;

// Every mistake is reported at once.
#[experiment(nmae = "x")]
fn main(#[defualt(3)] steps: u32, #[default(1)] run: &Run, seed: f64) {
    let _ = (steps, run, seed);
}
