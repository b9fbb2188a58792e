//! [`TestDb`]: a database of the test server for one test, dropped when the test ends.

use std::future::{Future, IntoFuture};
use std::time::Duration;

use futures_util::TryStreamExt;
use mongodb::bson::{Document, doc};
use mongodb::{Client, Database};

use sacred_core::secret::mask_url;

use super::{fresh_db_name, server_url, url_with_db};
use crate::env::HOW_TO;

/// A database of its own for one test, on the server of `SACRED_TEST_MONGO_URL`, with a
/// name no other test uses ([`fresh_db_name`]); dropped when it goes out of scope, passed
/// or failed, so that none pile up on a real `mongod`. Also raw access to its documents,
/// through the driver, for checks independent of the code under test.
pub struct TestDb {
    name: String,
    url: String,
    runtime: tokio::runtime::Runtime,
    db: Database,
}

impl TestDb {
    /// A fresh database for the test `test` (a name for it, kept in the database's);
    /// panics, saying how to get a server, when there is none or it does not answer.
    pub fn new(test: &str) -> Self {
        let server = server_url();
        let masked = mask_url(&server);
        let name = fresh_db_name(test);
        let url = url_with_db(&server, &name);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let db = runtime.block_on(async {
            let mut options = mongodb::options::ClientOptions::parse(&url)
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "SACRED_TEST_MONGO_URL={masked}: {}; {HOW_TO}",
                        masked.scrub(&e.to_string())
                    )
                });
            options.server_selection_timeout = Some(Duration::from_secs(5));
            let client = Client::with_options(options).expect("a MongoDB client");
            let db = client.database(&name);
            if let Err(e) = db.run_command(doc! { "ping": 1 }).await {
                panic!(
                    "SACRED_TEST_MONGO_URL={masked}: the server does not answer ({}); {HOW_TO}",
                    masked.scrub(&e.to_string())
                );
            }
            db
        });
        Self {
            name,
            url,
            runtime,
            db,
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server's URL with this database ([`MongoUrl::with_db`](super::MongoUrl::with_db)):
    /// what `-m` takes.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The driver's handle of the database, for what the helpers below do not do; run its
    /// futures with [`TestDb::block_on`].
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Runs `future` (of the driver) to its end.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The documents of `collection` matching `filter`, by `_id`.
    pub fn find(&self, collection: &str, filter: Document) -> Vec<Document> {
        self.block_on(async {
            self.db
                .collection::<Document>(collection)
                .find(filter)
                .sort(doc! { "_id": 1 })
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap()
        })
    }

    /// The one document of `collection` matching `filter`; panics unless there is exactly
    /// one.
    pub fn one(&self, collection: &str, filter: Document) -> Document {
        let mut found = self.find(collection, filter.clone());
        assert_eq!(found.len(), 1, "{collection} {filter}: {found:?}");
        found.remove(0)
    }

    /// How many documents of `collection` match `filter`.
    pub fn count(&self, collection: &str, filter: Document) -> u64 {
        self.block_on(async {
            self.db
                .collection::<Document>(collection)
                .count_documents(filter)
                .await
                .unwrap()
        })
    }

    /// Applies `update` to the first document of `collection` matching `filter`.
    pub fn update(&self, collection: &str, filter: Document, update: Document) {
        self.block_on(async {
            self.db
                .collection::<Document>(collection)
                .update_one(filter, update)
                .await
                .unwrap();
        });
    }

    /// Inserts `document` into `collection`.
    pub fn insert(&self, collection: &str, document: Document) {
        self.block_on(async {
            self.db
                .collection::<Document>(collection)
                .insert_one(document)
                .await
                .unwrap();
        });
    }

    /// The names and keys of the indexes of `collection`.
    pub fn indexes(&self, collection: &str) -> Vec<(String, Document)> {
        self.block_on(async {
            let models: Vec<mongodb::IndexModel> = self
                .db
                .collection::<Document>(collection)
                .list_indexes()
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            models
                .into_iter()
                .map(|m| {
                    let name = m.options.and_then(|o| o.name).unwrap_or_default();
                    (name, m.keys)
                })
                .collect()
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = self.runtime.block_on(self.db.drop().into_future());
    }
}
