use sacred::prelude::*;

#[experiment]
fn main((a, b): (u32, u32)) {
    let _ = (a, b);
}
