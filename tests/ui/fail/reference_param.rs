use sacred::prelude::*;

#[experiment]
fn main(name: &str) {
    let _ = name;
}
