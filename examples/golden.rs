//! The golden experiment: the Rust twin of the Python experiment that wrote Sacred's
//! reference records, exercising everything a run records. Its `mode` chooses the ending:
//!
//! ```text
//! cargo run --example golden -- -F runs with lr=0.0001 optimizer.name=sgd seed=42
//! cargo run --example golden -- -F runs with small mode=fail seed=7
//! cargo run --example golden -- -F runs with mode=wait   # then press Ctrl-C
//! ```

use std::time::Duration;

use sacred::ArtifactOptions;
use sacred::prelude::*;
use sacred::serde::{Deserialize, Serialize};
use sacred::serde_json::{Value, json};

/// The optimiser: a nested table of the config.
#[derive(Debug, Serialize, Deserialize)]
#[serde(crate = "sacred::serde")]
struct Optimizer {
    name: String,
    betas: Vec<f64>,
}

/// Smaller batches.
#[named_config]
fn small() -> Value {
    json!({ "batch_size": 8 })
}

/// Golden reference experiment: exercises the features whose stored records must match
/// Sacred's.
#[experiment(name = "golden", named_configs(small))]
fn main(
    /// samples per step
    #[default(32)]
    batch_size: u32,
    /// learning rate
    #[default(0.001)]
    lr: f64,
    #[default(3)] steps: u32,
    #[default(Optimizer { name: "adam".into(), betas: vec![0.9, 0.999] })] optimizer: Optimizer,
    /// ok | fail | panic | thread-panic | wait | paced | steady | odd | child | threads |
    /// progress | interleave | spam | many
    #[default(String::from("ok"))]
    mode: String,
    /// the data file, opened as a resource
    #[default(String::from(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data.csv")))]
    data: String,
    run: &Run,
) -> Result<Value, String> {
    println!("starting {batch_size} {lr} {}", optimizer.name);
    for s in 0..steps {
        run.log_scalar_at("training.loss", 1.0 / f64::from(s + 1), u64::from(s));
        run.log_scalar("training.acc", 0.5 + 0.1 * f64::from(s));
    }
    let model = std::env::temp_dir().join(format!("golden-model-{}.bin", std::process::id()));
    std::fs::write(&model, b"\x00\x01weights").map_err(|e| e.to_string())?;
    let options = ArtifactOptions::new()
        .name("model.bin")
        .metadata(json!({ "epoch": steps }))
        .map_err(|e| e.to_string())?;
    run.add_artifact_with(&model, options)
        .map_err(|e| e.to_string())?;
    run.add_artifact_bytes("summary.txt", format!("steps={steps}\n"))
        .map_err(|e| e.to_string())?;
    let _data = run.open_resource(&data).map_err(|e| e.to_string())?;
    tracing::info!(rows = 2, "loaded the data");
    tracing::debug!("a detail for -l DEBUG");
    run.set_info("notes", json!({ "best_step": steps.saturating_sub(1) }))
        .map_err(|e| e.to_string())?;
    match mode.as_str() {
        "fail" => return Err("planned failure".to_owned()),
        "panic" => panic!("planned panic"),
        "thread-panic" => {
            // A thread of the experiment panics; the run goes on without it.
            let joined = std::thread::spawn(|| panic!("a worker thread gave up")).join();
            println!("the worker thread ended: panicked = {}", joined.is_err());
        }
        "wait" => {
            println!("waiting for a signal");
            eprintln!("ready");
            std::thread::sleep(Duration::from_secs(600));
        }
        "paced" => {
            // Five seconds of a point every 0.1 s, for the tests of stores that go away.
            eprintln!("ready");
            let paced = run.metric("paced");
            for i in 0..50 {
                paced.log(f64::from(i));
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        "steady" => {
            // `steps` seconds of a point every 0.1 s and a line every second, for the tests
            // of stores that go away for longer.
            eprintln!("ready");
            let steady = run.metric("steady");
            for i in 0..steps * 10 {
                if i % 10 == 0 {
                    println!("second {}", i / 10);
                }
                steady.log(f64::from(i));
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        "odd" => {
            // Metric names that are operators or paths elsewhere, and output that is not
            // UTF-8: stored as they are, or as close as the store allows.
            for (i, name) in ["$loss", "val.acc", ""].into_iter().enumerate() {
                run.log_scalar(name, i as f64);
            }
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            out.write_all(b"caf\xe9 \xff\xfe bytes\n")
                .and_then(|()| out.write_all("after the bytes\n".as_bytes()))
                .and_then(|()| out.flush())
                .map_err(|e| e.to_string())?;
        }
        "interleave" => {
            // Standard output and error in turns, for the order of the record.
            for i in 0..200 {
                println!("out {i}");
                eprintln!("err {i}");
            }
        }
        "spam" => {
            // About 20 MB of output, for the tests of stores with size limits.
            let line = "x".repeat(90);
            for i in 0..200_000 {
                println!("spam line {i:06} {line}");
            }
        }
        "many" => {
            // More points than one MongoDB metric document holds.
            let points = run.metric("many.points");
            for i in 0..250_000 {
                points.log(f64::from(i) * 0.5);
            }
        }
        "progress" => {
            for i in 0..=4 {
                print!("\rprogress {}%", i * 25);
            }
            println!();
        }
        "child" => {
            let status = std::process::Command::new("sh")
                .args(["-c", "echo from a child process"])
                .status()
                .map_err(|e| e.to_string())?;
            println!("child exited with {status}");
        }
        "threads" => {
            let loss = run.metric("threads.loss");
            std::thread::scope(|scope| {
                for t in 0..4 {
                    let loss = loss.clone();
                    scope.spawn(move || {
                        for i in 0..250 {
                            loss.log(f64::from(t * 1000 + i));
                        }
                    });
                }
            });
        }
        _ => {}
    }
    let _ = std::fs::remove_file(&model);
    Ok(json!({ "acc": 0.7, "rnd": run.rng().random_range(0..1000) }))
}
