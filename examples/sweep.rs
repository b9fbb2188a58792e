//! A learning-rate sweep to browse with `runs`: fits a line to noisy points by gradient
//! descent and logs the loss at every step.
//!
//! ```text
//! cargo run --example sweep -- with lr=0.01
//! cargo run --example sweep -- with lr=0.1 momentum=0.5
//! cargo run --example sweep -- runs ls
//! cargo run --example sweep -- runs diff 1 2
//! cargo run --example sweep --features plot -- runs plot training.loss -o loss.png --log-y
//! ```

use sacred::prelude::*;

/// Fits `y = a·x + b` to 64 noisy points of `y = 2x + 1` by gradient descent.
#[experiment(name = "sweep")]
fn main(
    /// learning rate
    #[default(0.05)]
    lr: f64,
    /// momentum of the updates
    #[default(0.0)]
    momentum: f64,
    /// gradient steps
    #[default(100)]
    steps: u32,
    run: &Run,
) -> f64 {
    let mut noise = run.rng_for("data");
    let points: Vec<(f64, f64)> = (0..64)
        .map(|i| {
            let x = f64::from(i) / 32.0 - 1.0;
            // Uniform noise in [-0.25, 0.25).
            #[allow(clippy::cast_precision_loss)]
            let e = (noise.next_u64() >> 11) as f64 / (1_u64 << 53) as f64 - 0.5;
            (x, 2.0 * x + 1.0 + e * 0.5)
        })
        .collect();
    let n = points.len() as f64;
    let loss = run.metric("training.loss");
    let (mut a, mut b, mut va, mut vb) = (0.0, 0.0, 0.0, 0.0);
    let mut last = f64::NAN;
    for _ in 0..steps {
        let (mut ga, mut gb, mut sum) = (0.0, 0.0, 0.0);
        for (x, y) in &points {
            let err = a * x + b - y;
            ga += 2.0 * err * x / n;
            gb += 2.0 * err / n;
            sum += err * err / n;
        }
        loss.log(sum);
        last = sum;
        va = momentum * va - lr * ga;
        vb = momentum * vb - lr * gb;
        a += va;
        b += vb;
    }
    run.log_scalar("fit.a", a);
    run.log_scalar("fit.b", b);
    last
}
