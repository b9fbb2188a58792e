//! Taking a given id (`-i`) before the run starts, so that of runs started at once with the
//! same id exactly one gets it, before any body runs.
//!
//! The claim inserts a placeholder document under the id; `_id` is unique, so of concurrent
//! inserts one succeeds and the others get a duplicate key error (the id exists: the run is
//! refused). The run's start then replaces the placeholder, matched by `_id` and a token
//! only this observer knows (`claim.token`), with Sacred's document: nothing of the claim
//! is left. The placeholder exists for the moments between the two, and looks like what it
//! is, a run that has not started:
//!
//! ```text
//! {_id: "same", status: "QUEUED", meta: {comment: "…"}, info: {}, artifacts: [],
//!  resources: [], claim: {token: ObjectId(…), pid: 4242, time: Date(…)}}
//! ```
//!
//! `QUEUED` is the status Sacred gives a run that exists but has not started, so readers of
//! Sacred's schema already handle documents with that status and without `start_time`,
//! `heartbeat` or `result`; dashboards never show it as running, dead or completed. `info`,
//! `artifacts` and `resources` are there, empty, because some readers (incense) index them
//! in every run. `meta.comment` (Omniboard's "notes") says what the document is.
//!
//! A process that ends between its claim and its start (another observer refused the id,
//! `-e` found a dirty repository) removes its placeholder when the observer is dropped. One
//! that is killed in that moment leaves it: the id stays taken (a later `-i` with it is
//! refused, exit 2) until the document, recognisable by its `claim` field, is removed;
//! `sync` of that run removes it too (a placeholder made before the run started can only
//! be this run's, or one whose run never started).
//!
//! When the server cannot be reached, the claim is not made and the run is not refused (a
//! server that is down never stops a run: it starts into its journal, and its start falls
//! back to an insert, now or when the observer is retried, or `sync` sends it later).

use mongodb::bson::oid::ObjectId;
use mongodb::bson::{Bson, DateTime, Document, doc};
use sacred_core::observer::RunId;

use super::Worker;
use crate::connect::timed;
use crate::encode::{id_bson, int};
use crate::error::MongoError;

/// An id this observer claimed: the placeholder is `{_id: id, claim.token: token}`. Also
/// kept when the claim got no answer (it may have been written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    pub(crate) id: RunId,
    pub(crate) token: ObjectId,
}

impl Claim {
    /// The filter matching the placeholder of this claim, and nothing else.
    pub(crate) fn filter(&self) -> Document {
        doc! { "_id": id_bson(&self.id), "claim.token": self.token }
    }
}

/// The placeholder document of a claim.
fn placeholder(claim: &Claim) -> Document {
    let pid = std::process::id();
    doc! {
        "_id": id_bson(&claim.id),
        "status": "QUEUED",
        "meta": {
            "comment": format!(
                "run id claimed by process {pid} for a run about to start; that run's \
                 document replaces this one when it starts. If this one stays, the run \
                 never started: remove it to use the id again."
            ),
        },
        "info": {},
        "artifacts": [],
        "resources": [],
        "claim": {
            "token": claim.token,
            "pid": int(i64::from(pid)),
            "time": DateTime::now(),
        },
    }
}

impl Worker {
    /// Claims `id` for the run about to start: inserts its placeholder. A duplicate key is
    /// [`MongoError::IdExists`]. A server that cannot be reached is no error (the run must
    /// start anyway); the claim is kept in case the placeholder was written. A server that
    /// refuses the insert (a user that may only read) gets the id checked instead.
    pub(super) async fn claim_id(&mut self, id: &RunId) -> Result<(), MongoError> {
        self.release_claim().await;
        let claim = Claim {
            id: id.clone(),
            token: ObjectId::new(),
        };
        let inserted = timed(
            self.limits.operation_timeout,
            self.runs.insert_one(placeholder(&claim)),
        )
        .await;
        match inserted {
            Ok(_) => {
                self.hold(claim);
                Ok(())
            }
            Err(f) if f.is_duplicate_key() => Err(self.id_exists(id)),
            Err(f) if f.is_rejection() => match self.check_id(id).await {
                Err(e @ MongoError::IdExists { .. }) => Err(e),
                _ => Ok(()),
            },
            Err(_) => {
                self.hold(claim);
                Ok(())
            }
        }
    }

    fn hold(&mut self, claim: Claim) {
        self.claim = Some(claim);
        self.backlog
            .claim_held
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// The claim is used up (the run's document replaced the placeholder) or given up.
    pub(super) fn forget_claim(&mut self) -> Option<Claim> {
        self.backlog
            .claim_held
            .store(false, std::sync::atomic::Ordering::SeqCst);
        self.claim.take()
    }

    /// The claim of `id`, if this observer holds one.
    pub(super) fn claim_of(&self, id: &RunId) -> Option<&Claim> {
        self.claim.as_ref().filter(|c| &c.id == id)
    }

    /// Removes the placeholder of the id this observer claimed, if any (best effort: a
    /// placeholder that cannot be removed stays, and says what it is).
    pub(super) async fn release_claim(&mut self) {
        if let Some(claim) = self.forget_claim() {
            let _ = timed(
                self.limits.operation_timeout,
                self.runs.delete_one(claim.filter()),
            )
            .await;
        }
    }

    /// Stores `document`, the first document of a run given the id `id`, over this
    /// observer's placeholder of `id` (replaced whole, matched by its token). `None` when it
    /// holds no claim of `id` or the placeholder is not there (the claim got no answer):
    /// the caller inserts the document.
    pub(super) async fn take_over_claim(
        &mut self,
        id: &RunId,
        document: Document,
    ) -> Result<Option<RunId>, MongoError> {
        let Some(claim) = self.claim_of(id).cloned() else {
            return Ok(None);
        };
        let replaced = timed(
            self.limits.operation_timeout,
            self.runs.replace_one(claim.filter(), document),
        )
        .await
        // The claim stays: the observer is tried again, and takes it over then.
        .map_err(|f| self.error("store the run over the placeholder of its id", f))?;
        self.forget_claim();
        Ok((replaced.matched_count == 1).then(|| id.clone()))
    }

    /// What `replace_run` does with the placeholder of a claim found under the run's id
    /// (`claim`, the placeholder's `claim` field): this observer's own is kept for the
    /// start to take over (`Ok`); one made before the run started (`start_millis`) is
    /// removed (its run never started, or it is this run's); a later one belongs to another
    /// run, which is an error.
    pub(super) async fn replace_placeholder(
        &mut self,
        id: &RunId,
        claim: &Document,
        start_millis: i64,
    ) -> Result<(), MongoError> {
        let token = claim.get_object_id("token").ok();
        if token.is_some() && self.claim_of(id).map(|c| c.token) == token {
            return Ok(());
        }
        let made = claim.get_datetime("time").ok().copied();
        if made.is_some_and(|t| t.timestamp_millis() <= start_millis) {
            let mut filter = doc! { "_id": id_bson(id) };
            filter.insert("claim.token", token.map_or(Bson::Null, Bson::ObjectId));
            timed(self.limits.operation_timeout, self.runs.delete_one(filter))
                .await
                .map_err(|f| self.error("remove the placeholder of a run that never started", f))?;
            return Ok(());
        }
        Err(MongoError::Database {
            target: self.spec.to_string(),
            action: format!("replace run {id}"),
            message: format!(
                "the id {id} is claimed by another run about to start (a placeholder document \
                 with a `claim` field, made at {}, after this run started)",
                made.map_or_else(|| "an unknown time".to_owned(), |t| t.to_string())
            ),
        })
    }
}
