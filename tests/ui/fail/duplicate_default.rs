use sacred::prelude::*;

#[experiment]
fn main(
    #[default(1)]
    #[default(2)]
    steps: u32,
) {
    let _ = steps;
}
