//! The MongoDB observer of `sacred`: runs stored as Python Sacred 0.8.7 stores them
//! (`format: "MongoObserver-0.7.0"`), so the tools that read Sacred's schema (Omniboard,
//! incense) read them, and a small API to read them back.
//!
//! ```no_run
//! use sacred_mongo::{MongoObserver, parse_spec};
//! use sacred_mongo::read::{MongoReader, RunFilter};
//!
//! # fn main() -> Result<(), sacred_mongo::MongoError> {
//! // `-m 127.0.0.1:27017:my_db`, `-m my_db.collection!40`, or a full URI with credentials.
//! let spec = parse_spec("mongodb://user:secret@db.example.org/research?authSource=admin")?;
//! println!("{spec}"); // mongodb://user:***@db.example.org/research?authSource=admin, database research
//! let observer = MongoObserver::new(spec.clone())?; // a `sacred_core::observer::Observer`
//! # drop(observer);
//! let reader = MongoReader::connect(&spec)?;
//! for run in reader.list_runs(&RunFilter { status: Some("COMPLETED".into()), ..RunFilter::default() })? {
//!     println!("{:?} {:?}", run.get("_id"), run.get("result"));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Design
//!
//! The runtime calls observers from its pump thread. [`MongoObserver`] only puts each event
//! into a bounded queue; one dedicated thread owns a current-thread tokio runtime and the
//! `mongodb::Client` and writes the events in order. `started`, `queued`, `check_id` and
//! `claim_id` wait for the worker's answer (the run's id); `join` waits for the queue to
//! drain until its deadline and reports the writes that failed.
//!
//! What is written, per collection:
//! - `runs` (or the collection `-m db.collection` names): Sacred's document, inserted at
//!   the start with all of Sacred's start fields, then updated field by field (`$set`,
//!   `$push`), never replaced, so dashboards keep their own fields (`omniboard.tags`). A beat sets `heartbeat`, and
//!   `info` and `result` only when they changed. `captured_out` keeps the last
//!   [`Limits::captured_out_bytes`] bytes and is appended on the server (a pipeline update
//!   with `$concat`, cut with `$substrBytes` on a character boundary computed by the
//!   observer); servers without pipeline updates get the kept tail with `$set`.
//!
//!   An id given with `-i` is claimed before the run starts (`claim_id`): a placeholder
//!   document `{_id, status: "QUEUED", meta: {comment}, info: {}, artifacts: [],
//!   resources: [], claim: {token, pid, time}}` is inserted, so of runs started at once
//!   with the same id exactly one gets it (the others get a duplicate key and are refused
//!   before their body runs, exit 2). The run's start replaces the placeholder, matched by
//!   `_id` and `claim.token`, with Sacred's document: nothing of the claim is left. A claim
//!   of a run that does not start is removed when the observer is dropped; one left by a
//!   process killed between claim and start keeps the id taken until it is removed (or
//!   that run's `sync` replaces it). A server that cannot be reached refuses no claim: the
//!   run starts into its journal and is stored later.
//!
//!   No run document nears MongoDB's 16 MB: before each write the observer knows the size
//!   of the document it leaves (it tracks every field it wrote). When it would pass 16 MiB
//!   less 1 MiB and the room of `captured_out`, the largest of `config`, `info`,
//!   `result`, `fail_trace`, `host`, `meta` and `experiment` move to GridFS until it fits,
//!   each as `<field>://<runs>/<id>` holding the BSON document `{value: <the field>}`, and
//!   the field holds `{"_gridfs": {"file_id", "filename", "bytes", "format": "bson"}}`
//!   instead. [`read::MongoReader`] loads such fields back. A field that is small again at
//!   a later write is written in place and its file removed; `replace_run` removes the
//!   files with the run. Readers that know only Sacred's schema (Omniboard, incense) see
//!   the marker.
//! - `metrics` (whatever the runs collection is called, as in Sacred): Sacred's `{run_id,
//!   name, steps, values, timestamps}`, one `$push … $each` per metric and beat, upserted, with an index on
//!   `{run_id, name}`. At most [`Limits::metric_points`] points per document; later points
//!   are inserted into `metrics_overflow` as `{run_id, name, chunk, steps, values,
//!   timestamps}` documents of at most as many points (a unique index on
//!   `{run_id, name, chunk}` makes a repeated write harmless), and the metric document gets
//!   `overflow: true` and `count`. No document nears MongoDB's 16 MB.
//! - GridFS bucket `fs`: sources (stored once per absolute path and md5, the md5 in
//!   `metadata.md5`), artifacts (`artifact://<runs>/<id>/<name>`, with `contentType` and
//!   `metadata`), and the whole output (`captured_out://<runs>/<id>`, streamed during the
//!   run, referenced from the run as `captured_out_file` when it ends).
//!
//! Passwords never reach a record, a log line or an error: [`MongoSpec`] shows a masked URL
//! and every driver message is scrubbed of the URL's secrets.
//!
//! The modules, each using only modules named before it: `error` ([`MongoError`], and what
//! a failed driver operation means), `limits` ([`Limits`], and the count of queued writes
//! the observer shares with its worker), `spec` ([`MongoSpec`]; `spec::short` and
//! `spec::uri` parse the two forms of `-m`), `connect` (a client for a spec, and one
//! operation under a time limit), `encode` and `output` (Sacred's BSON types, the kept
//! tail of the output), `spill` (the size of fields, and the format of those moved to
//! GridFS), `worker` (the writing thread; `worker::claim` takes given ids,
//! `worker::spill` keeps the document small), `observer` ([`MongoObserver`]) and [`read`]
//! ([`read::MongoReader`]), and `runs` ([`MongoRuns`], the reader of the `runs` commands).
//! The reader shares `connect` and `spill` with the worker, not
//! the worker itself.

mod connect;
mod encode;
mod error;
mod limits;
mod observer;
mod output;
pub mod read;
mod runs;
mod spec;
mod spill;
mod store;
mod worker;

pub use error::MongoError;
pub use limits::Limits;
pub use observer::MongoObserver;
pub use runs::MongoRuns;
pub use spec::{DEFAULT_DATABASE, DEFAULT_PRIORITY, MongoSpec, parse_spec};
pub use store::MongoStore;

/// The BSON types of the documents [`read::MongoReader`] returns (the driver's `bson` 2).
pub use mongodb::bson;
