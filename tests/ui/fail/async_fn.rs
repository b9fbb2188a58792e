use sacred::prelude::*;

#[experiment]
async fn main(#[default(1)] steps: u32) {
    let _ = steps;
}
