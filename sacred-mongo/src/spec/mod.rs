//! Where runs go: the `-m/--mongo_db` argument, parsed.
//!
//! Three forms are accepted:
//!
//! | Argument | Server | Database | Collections |
//! |---|---|---|---|
//! | `host:port` | `host:port` | `sacred` | `runs`, `metrics` |
//! | `[host:port:]db[.collection][!priority]` | `host:port` or `localhost:27017` | `db` | `runs` (or `collection`), `metrics` |
//! | `mongodb://…` or `mongodb+srv://…` | as the URI says, with its credentials and options | the URI's path, or `sacred` | `runs`, `metrics` |
//!
//! As in Sacred 0.8.7, whose `-m db.collection` is its `MongoObserver`'s (deprecated)
//! `collection` argument: `.collection` renames the runs collection only; metrics stay in
//! `metrics` (and the points past a metric document's bound in `metrics_overflow`), and
//! GridFS is always the database's bucket `fs`, where artifacts are named
//! `artifact://<runs collection>/<id>/<name>`. The names Sacred reserves (`_properties`,
//! `search_space`, `search_spaces`) and the metrics collections are refused as the runs
//! collection. The default priority is 30 (Sacred's). Sacred's `db.collection:run_id`
//! starts the queued run `run_id` in place (see `in_place`; in a URI, the path
//! `/db.runs:run_id`).
//!
//! Database and collection names follow Sacred's rule: a letter or `_`, then at most 63 of
//! `0-9 A-Z a-z # % & ' ( ) + - ; = @ [ ] ^ _ { }` (the database in a URI's path follows
//! MongoDB's own rule instead).
//!
//! This module holds [`MongoSpec`] and its accessors; `short` parses Sacred's short forms
//! (the first two rows), `uri` the URI form.

use std::fmt;

use sacred_core::secret::{MaskedUrl, mask_url};

use crate::error::{MongoError, Target};

mod in_place;
mod short;
mod uri;

/// Sacred's priority for the MongoDB observer.
pub const DEFAULT_PRIORITY: i32 = 30;
/// The database when the argument names none.
pub const DEFAULT_DATABASE: &str = "sacred";
/// The characters Sacred allows in database and collection names after the first.
const NAME_CHARS: &str = "#%&'()+-;=@[]^_{}";
/// The runs collection when the argument names none.
const RUNS: &str = "runs";
/// The metrics collection, whatever the runs collection is called (as in Sacred).
const METRICS: &str = "metrics";
/// Where a metric's points past the bound of its `metrics` document go.
const METRICS_OVERFLOW: &str = "metrics_overflow";
/// Names the runs collection cannot have: Sacred's reserved names, and the collections
/// the metrics go to.
const RESERVED: &[&str] = &[
    "_properties",
    "search_space",
    "search_spaces",
    METRICS,
    METRICS_OVERFLOW,
];

/// A MongoDB server, database and runs collection to store runs in, with the observer's
/// priority.
///
/// It holds the real URL (credentials included) for connecting, but shows only the masked
/// one: `Display`, `Debug` and [`MongoSpec::masked_url`] replace the password with `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct MongoSpec {
    url: String,
    /// The URL masked, with the secrets that must never be shown.
    masked: MaskedUrl,
    database: String,
    /// The runs collection from `-m db.collection`; `None`: `runs`.
    collection: Option<String>,
    priority: i32,
    /// The queued run to start in place (Sacred's `db.collection:run_id`), if any.
    run: Option<i64>,
}

/// Parses a `-m/--mongo_db` argument: `host:port`, `[host:port:]db[.collection][!priority]`, or
/// a `mongodb://` / `mongodb+srv://` URI (the database is its path, `sacred` when empty).
///
/// # Errors
/// [`MongoError::InvalidSpec`], naming the argument (password masked) and what was expected.
pub fn parse_spec(arg: &str) -> Result<MongoSpec, MongoError> {
    let (rest, run) = in_place::split(arg)?;
    let spec = if rest.starts_with("mongodb://") || rest.starts_with("mongodb+srv://") {
        uri::parse(&rest)
    } else {
        short::parse(&rest)
    }?;
    Ok(MongoSpec { run, ..spec })
}

impl MongoSpec {
    /// A `-m` argument that selects this server, database and runs collection again, with
    /// the password masked: Sacred's short form `host:port:db[.collection][!priority]` when
    /// the server has no credentials or options, else the URI with the database as its
    /// path (a collection cannot be given in a URI).
    pub fn argument(&self) -> String {
        let masked = self.masked_url();
        let rest = masked.strip_prefix("mongodb://").unwrap_or(&masked);
        let plain = !masked.starts_with("mongodb+srv://")
            && masked.starts_with("mongodb://")
            && !rest.contains(['@', '?', '/', ',']);
        if plain {
            let mut argument = format!("{rest}:{}", self.database);
            if let Some(collection) = &self.collection {
                argument.push('.');
                argument.push_str(collection);
            }
            if self.priority != DEFAULT_PRIORITY {
                argument.push_str(&format!("!{}", self.priority));
            }
            return argument;
        }
        let (scheme, after) = masked.split_once("://").unwrap_or(("mongodb", &masked));
        let (before_query, query) = match after.split_once('?') {
            Some((before, query)) => (before, Some(query)),
            None => (after, None),
        };
        let authority = before_query
            .split_once('/')
            .map_or(before_query, |(a, _)| a);
        let mut argument = format!("{scheme}://{authority}/{}", self.database);
        if let Some(query) = query {
            argument.push('?');
            argument.push_str(query);
        }
        argument
    }

    /// The URL with the password (and secret options) replaced by `***`.
    pub fn masked_url(&self) -> String {
        self.masked.masked().to_owned()
    }

    /// The database the runs go to.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The runs collection named with `-m db.collection`, if any.
    pub fn collection(&self) -> Option<&str> {
        self.collection.as_deref()
    }

    /// The observer's priority (`-m db!priority`; 30 by default).
    pub fn priority(&self) -> i32 {
        self.priority
    }

    /// The runs collection: `runs`, or the one `-m db.collection` names.
    pub fn runs_collection(&self) -> String {
        self.collection.as_deref().unwrap_or(RUNS).to_owned()
    }

    /// The metrics collection: always `metrics`, as in Sacred's `-m db.collection`.
    pub fn metrics_collection(&self) -> String {
        METRICS.to_owned()
    }

    /// Where the points of a metric past the bound of its `metrics` document go:
    /// `metrics_overflow`.
    pub fn overflow_collection(&self) -> String {
        METRICS_OVERFLOW.to_owned()
    }

    /// The same server with another database (the URL, and so the authentication
    /// database of a URI without `authSource`, is unchanged).
    ///
    /// # Errors
    /// [`MongoError::InvalidSpec`] when `name` breaks Sacred's rule for database names.
    pub fn with_database(mut self, name: &str) -> Result<Self, MongoError> {
        check_name(name, "database").map_err(|expected| invalid(name, expected))?;
        self.database = name.to_owned();
        Ok(self)
    }

    /// The same server and database with another runs collection (`None`: `runs`).
    ///
    /// # Errors
    /// [`MongoError::InvalidSpec`] when `collection` breaks Sacred's rule for collection
    /// names or is reserved.
    pub fn with_collection(mut self, collection: Option<&str>) -> Result<Self, MongoError> {
        if let Some(collection) = collection {
            check_collection(collection).map_err(|expected| invalid(collection, expected))?;
        }
        self.collection = collection.map(str::to_owned);
        Ok(self)
    }

    /// The same spec with another priority.
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// The queued run this spec starts in place (`-m db.runs:ID`), if any.
    pub fn run(&self) -> Option<i64> {
        self.run
    }

    /// A `-m` argument, credentials included (only for a child process of this one), that
    /// selects this server, database and runs collection with the run `id` to start in
    /// place: `mongodb://…/db.runs:ID` when the runs collection is `runs`, else Sacred's
    /// short form `host:port:db.collection:ID`.
    pub fn in_place_argument(&self, id: i64) -> String {
        in_place::argument(self, id)
    }

    /// The real URL, credentials included: only for connecting.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// `text` with every secret of this spec replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        self.masked.scrub(text)
    }
}

/// `mongodb://host:27017, database sacred, collection c` (password masked).
impl fmt::Display for MongoSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, database {}", self.masked, self.database)?;
        if let Some(collection) = &self.collection {
            write!(f, ", collection {collection}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for MongoSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MongoSpec")
            .field("url", &self.masked.masked())
            .field("database", &self.database)
            .field("collection", &self.collection)
            .field("priority", &self.priority)
            .finish_non_exhaustive()
    }
}

/// Errors name a spec by its `Display` and scrub the driver's messages with its secrets.
impl Target for MongoSpec {
    fn scrub(&self, text: &str) -> String {
        self.masked.scrub(text)
    }
}

/// The error for a malformed argument `arg`, saying what was `expected`; any credentials
/// typed into `arg` are masked in both.
fn invalid(arg: &str, expected: impl Into<String>) -> MongoError {
    let masked = mask_url(arg);
    MongoError::InvalidSpec {
        arg: masked.masked().to_owned(),
        expected: masked.scrub(&expected.into()),
    }
}

/// Sacred's rule for database and collection names.
fn check_name(name: &str, what: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || NAME_CHARS.contains(c));
    if first_ok && rest_ok && name.len() <= 64 {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a valid {what} name: it must start with a letter or `_`, followed by at \
             most 63 of the characters 0-9 A-Z a-z # % & ' ( ) + - ; = @ [ ] ^ _ {{ }}",
            name.escape_debug()
        ))
    }
}

/// Sacred's rule for collection names, and the names the runs collection cannot have.
fn check_collection(name: &str) -> Result<(), String> {
    check_name(name, "collection")?;
    if RESERVED.contains(&name) {
        return Err(format!(
            "the collection name `{name}` is reserved (for Sacred, or for the metrics); \
             choose another name for the runs collection"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod argument_tests {
    use super::*;

    #[test]
    fn the_argument_selects_the_same_database_again() {
        for (given, expected) in [
            ("127.0.0.1:27017", "127.0.0.1:27017:sacred"),
            ("lab.runs!2", "localhost:27017:lab.runs!2"),
            ("[::1]:27017:db", "[::1]:27017:db"),
            ("mongodb://h:1/exp?w=1", "mongodb://h:1/exp?w=1"),
            ("mongodb://u:pw@h:1/exp", "mongodb://u:***@h:1/exp"),
            ("mongodb://h1:1,h2:2", "mongodb://h1:1,h2:2/sacred"),
        ] {
            let spec = parse_spec(given).unwrap_or_else(|e| panic!("{e}"));
            let argument = spec.argument();
            assert_eq!(argument, expected, "{given}");
            if !argument.contains("***") {
                let again = parse_spec(&argument).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(again.database(), spec.database());
                assert_eq!(again.collection(), spec.collection());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn ok(arg: &str) -> MongoSpec {
        match parse_spec(arg) {
            Ok(spec) => spec,
            Err(e) => panic!("`{arg}` should parse: {e}"),
        }
    }

    pub(super) fn err(arg: &str) -> String {
        match parse_spec(arg) {
            Ok(spec) => panic!("`{arg}` should not parse, got {spec:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn passwords_are_masked_everywhere() {
        let arg = "mongodb://alice:s3cr%40t-pw@db1:27017,db2:27018/lab?replicaSet=rs0&\
                   authSource=admin&tls=true&authMechanismProperties=AWS_SESSION_TOKEN:tok3n";
        let spec = ok(arg);
        assert_eq!(spec.url(), arg);
        assert_eq!(spec.database(), "lab");
        let masked = spec.masked_url();
        assert_eq!(
            masked,
            "mongodb://alice:***@db1:27017,db2:27018/lab?replicaSet=rs0&authSource=admin&\
             tls=true&authMechanismProperties=***"
        );
        for shown in [
            masked,
            spec.to_string(),
            format!("{spec:?}"),
            spec.scrub("failed for s3cr@t-pw and s3cr%40t-pw and tok3n"),
        ] {
            for secret in ["s3cr", "tok3n"] {
                assert!(!shown.contains(secret), "{secret} shown in {shown}");
            }
        }
        assert_eq!(
            spec.to_string(),
            "mongodb://alice:***@db1:27017,db2:27018/lab?replicaSet=rs0&authSource=admin&\
             tls=true&authMechanismProperties=***, database lab"
        );
    }

    #[test]
    fn builders_validate() {
        let spec = ok("localhost:27017");
        let spec = spec
            .with_database("other")
            .and_then(|s| s.with_collection(Some("p")))
            .map(|s| s.with_priority(7));
        let spec = match spec {
            Ok(spec) => spec,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(spec.database(), "other");
        assert_eq!(spec.runs_collection(), "p");
        assert_eq!(spec.metrics_collection(), "metrics");
        assert_eq!(spec.priority(), 7);
        assert_eq!(
            spec.to_string(),
            "mongodb://localhost:27017, database other, collection p"
        );
        assert!(spec.clone().with_database("a.b").is_err());
        assert!(spec.clone().with_collection(Some("")).is_err());
        assert!(spec.clone().with_collection(Some("metrics")).is_err());
        let spec = spec.with_collection(None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.runs_collection(), "runs");
    }
}
