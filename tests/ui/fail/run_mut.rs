use sacred::prelude::*;

#[experiment]
fn main(run: &mut Run) {
    let _ = run;
}
