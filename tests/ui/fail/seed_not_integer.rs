use sacred::prelude::*;

#[experiment]
fn main(#[default(String::new())] seed: String) {
    let _ = seed;
}
