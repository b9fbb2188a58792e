use sacred::prelude::*;

#[experiment]
fn main<T: Default>(#[default(1)] steps: u32) {
    let _ = (steps, T::default());
}
