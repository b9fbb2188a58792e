//! One metric with 10^7 points through the MongoDB observer: how long the beats take to
//! queue and to write, proof that no document nears MongoDB's 16 MB, and the raw driver
//! writing the same points in its best batched form on the same server, for the ratio.
//!
//! ```text
//! SACRED_TEST_MONGO_URL=mongodb://127.0.0.1:27999 cargo bench -p sacred-mongo
//! SACRED_BENCH_POINTS=1000000 SACRED_BENCH_BEAT=100000 cargo bench -p sacred-mongo
//! ```
//!
//! It writes to a database of its own (`sacred_bench_<pid>`) and drops it at the end.
//! Measured against SecantusDB 0.7.0b3 (a Python server) with a debug build: 10^7 points
//! in 100 beats written in 198 s, read back in 74 s, 99 documents, the largest 8.5 MB.

use std::error::Error;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use mongodb::bson::{Document, doc};
use sacred_core::observer::{
    CompletedEvent, ExperimentRecord, HeartbeatEvent, MetricSeries, MetricsEvent, Observer, RunId,
    StartedEvent,
};
use sacred_core::time::Timestamp;
use sacred_mongo::read::MongoReader;
use sacred_mongo::{MongoObserver, parse_spec};

fn env_number(name: &str, default: u64) -> Result<u64, Box<dyn Error>> {
    match std::env::var(name) {
        Ok(text) => Ok(text.parse()?),
        Err(_) => Ok(default),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let url = std::env::var("SACRED_TEST_MONGO_URL")
        .map_err(|_| "set SACRED_TEST_MONGO_URL to the server to measure")?;
    let points = env_number("SACRED_BENCH_POINTS", 10_000_000)?;
    let per_beat = env_number("SACRED_BENCH_BEAT", 100_000)?.max(1);
    let database = format!("sacred_bench_{}", std::process::id());
    let spec = parse_spec(&url)?.with_database(&database)?;
    let mut observer = MongoObserver::new(spec.clone())?;
    let experiment = ExperimentRecord::new(
        "bench",
        "/bench",
        "bench.rs",
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    let id = observer
        .started(&StartedEvent::new(
            None,
            experiment.into(),
            "main",
            serde_json::json!({}),
            Timestamp::now(),
            serde_json::json!({}),
            serde_json::json!({}),
        ))?
        .ok_or("no id")?;

    let started = Instant::now();
    let mut queued = Duration::ZERO;
    let mut first = 0;
    while first < points {
        let n = per_beat.min(points - first);
        let now = Timestamp::now();
        #[allow(clippy::cast_precision_loss)]
        let series = MetricSeries::new(
            "loss",
            (first..first + n).collect(),
            (first..first + n).map(|i| 1.0 / (i as f64 + 1.0)).collect(),
            vec![now; usize::try_from(n)?],
        );
        let enqueue = Instant::now();
        observer.metrics(&MetricsEvent::new(vec![series]))?;
        observer.heartbeat(&HeartbeatEvent::new(
            now,
            serde_json::json!({}),
            String::new(),
            0,
            None,
        ))?;
        queued += enqueue.elapsed();
        first += n;
    }
    observer.completed(&CompletedEvent::new(Timestamp::now(), None))?;
    observer.join(Instant::now() + Duration::from_secs(3600))?;
    let written = started.elapsed();
    let beats = points.div_ceil(per_beat);
    println!(
        "{points} points in {beats} beats of {per_beat}: queued in {queued:?} (the pump \
         thread's cost), written in {written:?}"
    );

    let reader = MongoReader::connect(&spec)?;
    let read_start = Instant::now();
    let metrics = reader.metrics(&id)?;
    let read_back: usize = metrics.iter().map(|m| m.steps.len()).sum();
    println!("read back {read_back} points in {:?}", read_start.elapsed());
    if u64::try_from(read_back)? != points {
        return Err(format!("read back {read_back} points, expected {points}").into());
    }
    if let RunId::Int(n) = id {
        println!("run id {n}");
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let sizes = runtime.block_on(async {
        let client = mongodb::Client::with_uri_str(&url).await?;
        let db = client.database(&database);
        let mut largest = 0;
        let mut documents = 0;
        for collection in [spec.metrics_collection(), spec.overflow_collection()] {
            let mut cursor = db.collection::<Document>(&collection).find(doc! {}).await?;
            while let Some(document) = cursor.try_next().await? {
                largest = largest.max(mongodb::bson::to_vec(&document)?.len());
                documents += 1;
            }
        }
        Ok::<_, Box<dyn Error>>((documents, largest))
    });
    // The server may still be busy with the reads above: try twice.
    if reader.drop_database().is_err() {
        std::thread::sleep(Duration::from_secs(5));
        reader.drop_database()?;
    }
    let (documents, largest) = sizes?;

    // The raw driver writing the same points in its best batched form on the same server:
    // documents of the observer's bound (200,000 points of steps, values and times),
    // inserted many at a time, in a database of its own.
    let raw = runtime.block_on(async {
        let client = mongodb::Client::with_uri_str(&url).await?;
        let db = client.database(&format!("{database}_raw"));
        let metrics = db.collection::<Document>("metrics");
        let chunk = 200_000u64;
        let start = Instant::now();
        let now = mongodb::bson::DateTime::now();
        let mut batch = Vec::new();
        let mut first = 0;
        while first < points {
            let n = chunk.min(points - first);
            #[allow(clippy::cast_precision_loss)]
            let values: Vec<f64> = (first..first + n).map(|i| 1.0 / (i as f64 + 1.0)).collect();
            let steps: Vec<i64> = (first..first + n).map(|i| i as i64).collect();
            batch.push(doc! {
                "run_id": 1,
                "name": "loss",
                "chunk": i64::try_from(first / chunk)?,
                "steps": steps,
                "values": values,
                "timestamps": vec![now; usize::try_from(n)?],
            });
            if batch.len() == 4 {
                metrics.insert_many(std::mem::take(&mut batch)).await?;
            }
            first += n;
        }
        if !batch.is_empty() {
            metrics.insert_many(batch).await?;
        }
        let elapsed = start.elapsed();
        db.drop().await?;
        Ok::<_, Box<dyn Error>>(elapsed)
    })?;
    println!(
        "the raw driver wrote the same points in {raw:?}: the observer took {:.2}x as long",
        written.as_secs_f64() / raw.as_secs_f64()
    );
    println!(
        "{documents} metric documents, the largest {:.1} MB (the limit is 16 MB)",
        f64::from(u32::try_from(largest)?) / 1e6
    );
    if largest >= 16 * 1024 * 1024 {
        return Err("a document exceeds 16 MB".into());
    }
    Ok(())
}
