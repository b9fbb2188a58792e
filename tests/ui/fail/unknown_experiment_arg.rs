use sacred::prelude::*;

#[experiment(nmae = "quick")]
fn main() {}
