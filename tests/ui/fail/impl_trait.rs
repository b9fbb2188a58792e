use sacred::prelude::*;

#[experiment]
fn main(steps: impl Into<u32>) {
    let _ = steps.into();
}
