//! Where runs go: the `-m/--mongo_db` argument, parsed.
//!
//! Three forms are accepted:
//!
//! | Argument | Server | Database | Collections |
//! |---|---|---|---|
//! | `host:port` | `host:port` | `sacred` | `runs`, `metrics` |
//! | `[host:port:]db[.prefix][!priority]` | `host:port` or `localhost:27017` | `db` | `runs`, `metrics`, or `prefix_runs`, `prefix_metrics` |
//! | `mongodb://…` or `mongodb+srv://…` | as the URI says, with its credentials and options | the URI's path, or `sacred` | `runs`, `metrics` |
//!
//! GridFS is always the bucket `fs`, shared by all prefixes, as in Sacred. The default
//! priority is 30 (Sacred's). Sacred's `db.collection:run_id` (overwrite an existing run)
//! is not supported yet and is refused with a clear error.
//!
//! Database and prefix names follow Sacred's rule: a letter or `_`, then at most 63 of
//! `0-9 A-Z a-z # % & ' ( ) + - ; = @ [ ] ^ _ { }`. When the short form has two parts and
//! the second is a port number (at most 65535), it is `host:port` (`mongo.lan:27017` is a
//! server, not the database `mongo` with prefix `lan`).

use std::fmt;

use sacred_core::secret::{MaskedUrl, mask_url};

use crate::error::MongoError;

/// Sacred's priority for the MongoDB observer.
pub const DEFAULT_PRIORITY: i32 = 30;
/// The database when the argument names none.
pub const DEFAULT_DATABASE: &str = "sacred";
/// The server when the argument names none.
const DEFAULT_HOST: &str = "localhost:27017";
/// The characters Sacred allows in database and collection names after the first.
const NAME_CHARS: &str = "#%&'()+-;=@[]^_{}";

/// A MongoDB server, database and collection prefix to store runs in, with the observer's
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
    prefix: Option<String>,
    priority: i32,
}

/// Parses a `-m/--mongo_db` argument: `host:port`, `[host:port:]db[.prefix][!priority]`, or
/// a `mongodb://` / `mongodb+srv://` URI (the database is its path, `sacred` when empty).
///
/// # Errors
/// [`MongoError::InvalidSpec`], naming the argument (password masked) and what was expected.
pub fn parse_spec(arg: &str) -> Result<MongoSpec, MongoError> {
    if arg.starts_with("mongodb://") || arg.starts_with("mongodb+srv://") {
        parse_uri(arg)
    } else {
        parse_short(arg)
    }
}

impl MongoSpec {
    /// The URL with the password (and secret options) replaced by `***`.
    pub fn masked_url(&self) -> String {
        self.masked.masked().to_owned()
    }

    /// The database the runs go to.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The collection prefix (`-m db.prefix`), if any.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// The observer's priority (`-m db!priority`; 30 by default).
    pub fn priority(&self) -> i32 {
        self.priority
    }

    /// The runs collection: `runs`, or `<prefix>_runs`.
    pub fn runs_collection(&self) -> String {
        self.prefixed("runs")
    }

    /// The metrics collection: `metrics`, or `<prefix>_metrics`.
    pub fn metrics_collection(&self) -> String {
        self.prefixed("metrics")
    }

    /// Where the points of a metric past the bound of its `metrics` document go:
    /// `metrics_overflow`, or `<prefix>_metrics_overflow`.
    pub fn overflow_collection(&self) -> String {
        self.prefixed("metrics_overflow")
    }

    /// The same server with another database (the URL, and so the authentication
    /// database of a URI without `authSource`, is unchanged).
    ///
    /// # Errors
    /// [`MongoError::InvalidSpec`] when `name` breaks Sacred's rule for database names.
    pub fn with_database(mut self, name: &str) -> Result<Self, MongoError> {
        check_name(name, "database").map_err(|expected| MongoError::InvalidSpec {
            arg: name.to_owned(),
            expected,
        })?;
        self.database = name.to_owned();
        Ok(self)
    }

    /// The same server and database with another collection prefix (`None`: none).
    ///
    /// # Errors
    /// [`MongoError::InvalidSpec`] when `prefix` breaks Sacred's rule for collection names.
    pub fn with_prefix(mut self, prefix: Option<&str>) -> Result<Self, MongoError> {
        if let Some(prefix) = prefix {
            check_name(prefix, "collection prefix").map_err(|expected| {
                MongoError::InvalidSpec {
                    arg: prefix.to_owned(),
                    expected,
                }
            })?;
        }
        self.prefix = prefix.map(str::to_owned);
        Ok(self)
    }

    /// The same spec with another priority.
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// The real URL, credentials included: only for connecting.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// `text` with every secret of this spec replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        self.masked.scrub(text)
    }

    fn prefixed(&self, name: &str) -> String {
        match &self.prefix {
            Some(prefix) => format!("{prefix}_{name}"),
            None => name.to_owned(),
        }
    }
}

/// `mongodb://host:27017, database sacred, prefix p` (password masked).
impl fmt::Display for MongoSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, database {}", self.masked, self.database)?;
        if let Some(prefix) = &self.prefix {
            write!(f, ", prefix {prefix}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for MongoSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MongoSpec")
            .field("url", &self.masked.masked())
            .field("database", &self.database)
            .field("prefix", &self.prefix)
            .field("priority", &self.priority)
            .finish_non_exhaustive()
    }
}

/// The error for a malformed short-form argument.
fn invalid(arg: &str, expected: impl Into<String>) -> MongoError {
    MongoError::InvalidSpec {
        arg: arg.to_owned(),
        expected: expected.into(),
    }
}

/// What the short form looks like, for error messages.
const SHORT_FORMS: &str = "expected `host:port`, `[host:port:]db_name[.prefix][!priority]` or a \
                           `mongodb://` URI";

fn parse_short(arg: &str) -> Result<MongoSpec, MongoError> {
    if arg.is_empty() {
        return Err(invalid(arg, format!("it is empty; {SHORT_FORMS}")));
    }
    let (body, priority) = match arg.split_once('!') {
        Some((body, priority)) => {
            let priority = priority.parse::<i32>().map_err(|_| {
                invalid(
                    arg,
                    format!("the priority after `!` must be an integer, not `{priority}`"),
                )
            })?;
            (body, priority)
        }
        None => (arg, DEFAULT_PRIORITY),
    };
    let (host, rest) = split_host(arg, body)?;
    let (database, prefix) = match rest {
        None => (DEFAULT_DATABASE.to_owned(), None),
        Some(rest) => parse_db_part(arg, rest)?,
    };
    let url = format!("mongodb://{}", host.unwrap_or(DEFAULT_HOST));
    Ok(MongoSpec {
        masked: mask_url(&url),
        url,
        database,
        prefix,
        priority,
    })
}

/// Splits `[host:port:]rest` (or `host:port` alone) into the server and the rest.
fn split_host<'a>(
    arg: &str,
    body: &'a str,
) -> Result<(Option<&'a str>, Option<&'a str>), MongoError> {
    // `[::1]:27017[:db]`: an IPv6 address in brackets.
    if body.starts_with('[')
        && let Some(end) = body.find("]:")
    {
        let after = &body[end + 2..];
        let (port, rest) = match after.split_once(':') {
            Some((port, rest)) => (port, Some(rest)),
            None => (after, None),
        };
        check_port(arg, port)?;
        let host = &body[..end + 2 + port.len()];
        return Ok((Some(host), rest));
    }
    let parts: Vec<&str> = body.split(':').collect();
    match parts.as_slice() {
        [rest] => Ok((None, Some(rest))),
        [host, port] if is_port(port) => {
            check_host(arg, host)?;
            Ok((Some(body), None))
        }
        [db, run_id] if run_id.bytes().all(|b| b.is_ascii_digit()) && db.contains('.') => {
            Err(overwrite_unsupported(arg))
        }
        [host, port, rest] => {
            check_host(arg, host)?;
            check_port(arg, port)?;
            Ok((Some(&body[..host.len() + 1 + port.len()]), Some(rest)))
        }
        [_, _, _, run_id] if run_id.bytes().all(|b| b.is_ascii_digit()) => {
            Err(overwrite_unsupported(arg))
        }
        _ => Err(invalid(
            arg,
            format!("it has {} `:`-separated parts; {SHORT_FORMS}", parts.len()),
        )),
    }
}

fn overwrite_unsupported(arg: &str) -> MongoError {
    invalid(
        arg,
        "Sacred's `db.collection:run_id` form (overwrite an existing run) is not supported yet; \
         leave out `:run_id`",
    )
}

fn is_port(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 5
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p))
}

fn check_port(arg: &str, port: &str) -> Result<(), MongoError> {
    if is_port(port) {
        Ok(())
    } else {
        Err(invalid(
            arg,
            format!("the port must be a number from 1 to 65535, not `{port}`; {SHORT_FORMS}"),
        ))
    }
}

fn check_host(arg: &str, host: &str) -> Result<(), MongoError> {
    let ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            arg,
            format!(
                "`{host}` is not a host name (letters, digits, `-`, `.`, `_`); for credentials \
                 or options give a `mongodb://` URI"
            ),
        ))
    }
}

/// `db[.prefix]`.
fn parse_db_part(arg: &str, rest: &str) -> Result<(String, Option<String>), MongoError> {
    let (database, prefix) = match rest.split_once('.') {
        Some((database, prefix)) => (database, Some(prefix)),
        None => (rest, None),
    };
    check_name(database, "database").map_err(|e| invalid(arg, e))?;
    if let Some(prefix) = prefix {
        check_name(prefix, "collection prefix").map_err(|e| invalid(arg, e))?;
    }
    Ok((database.to_owned(), prefix.map(str::to_owned)))
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

/// A `mongodb://` or `mongodb+srv://` URI.
fn parse_uri(arg: &str) -> Result<MongoSpec, MongoError> {
    let spec = MongoSpec {
        url: arg.to_owned(),
        masked: mask_url(arg),
        database: DEFAULT_DATABASE.to_owned(),
        prefix: None,
        priority: DEFAULT_PRIORITY,
    };
    let masked = spec.masked_url();
    let parsed = mongodb::options::ConnectionString::parse(arg).map_err(|e| {
        invalid(
            &masked,
            format!(
                "expected a MongoDB connection string \
                 (mongodb://[user:password@]host[:port][,host…][/database][?options]): {}",
                spec.scrub(&e.to_string())
            ),
        )
    })?;
    let database = match parsed.default_database {
        Some(database) => {
            check_uri_database(&database).map_err(|e| invalid(&masked, e))?;
            database
        }
        None => DEFAULT_DATABASE.to_owned(),
    };
    Ok(MongoSpec { database, ..spec })
}

/// MongoDB's own rule for database names (the URI form is not held to Sacred's).
fn check_uri_database(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 63 || name.contains(['/', '\\', '.', ' ', '"', '$', '\0']) {
        Err(format!(
            "the database `{}` in the URI's path is not a valid database name (1 to 63 \
             characters, none of / \\ . space \" $)",
            name.escape_debug()
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(arg: &str) -> MongoSpec {
        match parse_spec(arg) {
            Ok(spec) => spec,
            Err(e) => panic!("`{arg}` should parse: {e}"),
        }
    }

    fn err(arg: &str) -> String {
        match parse_spec(arg) {
            Ok(spec) => panic!("`{arg}` should not parse, got {spec:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn host_and_port_alone() {
        let spec = ok("127.0.0.1:27017");
        assert_eq!(spec.url(), "mongodb://127.0.0.1:27017");
        assert_eq!(spec.database(), "sacred");
        assert_eq!(spec.prefix(), None);
        assert_eq!(spec.priority(), 30);
        assert_eq!(spec.runs_collection(), "runs");
        assert_eq!(spec.metrics_collection(), "metrics");
        assert_eq!(spec.overflow_collection(), "metrics_overflow");
        let spec = ok("mongo.lan:2000");
        assert_eq!(spec.url(), "mongodb://mongo.lan:2000");
        assert_eq!(spec.database(), "sacred");
    }

    #[test]
    fn database_alone_uses_localhost() {
        let spec = ok("sacred_research");
        assert_eq!(spec.url(), "mongodb://localhost:27017");
        assert_eq!(spec.database(), "sacred_research");
        assert_eq!(spec.priority(), 30);
    }

    #[test]
    fn host_port_database_prefix_priority() {
        let spec = ok("127.0.0.1:27017:sacred_research.queued!2");
        assert_eq!(spec.url(), "mongodb://127.0.0.1:27017");
        assert_eq!(spec.database(), "sacred_research");
        assert_eq!(spec.prefix(), Some("queued"));
        assert_eq!(spec.priority(), 2);
        assert_eq!(spec.runs_collection(), "queued_runs");
        assert_eq!(spec.metrics_collection(), "queued_metrics");
        assert_eq!(spec.overflow_collection(), "queued_metrics_overflow");
        assert_eq!(ok("db!-5").priority(), -5);
        assert_eq!(ok("db.p").prefix(), Some("p"));
        assert_eq!(ok("_x#%&'()+-;=@[]^_{}").database(), "_x#%&'()+-;=@[]^_{}");
    }

    #[test]
    fn ipv6_host() {
        let spec = ok("[::1]:27017:db");
        assert_eq!(spec.url(), "mongodb://[::1]:27017");
        assert_eq!(spec.database(), "db");
        assert_eq!(ok("[::1]:27017").url(), "mongodb://[::1]:27017");
    }

    #[test]
    fn bad_short_forms_say_what_was_expected() {
        let e = err("");
        assert!(e.contains("it is empty"), "{e}");
        let e = err("1db");
        assert!(e.contains("`1db` is not a valid database name"), "{e}");
        assert!(e.contains("start with a letter or `_`"), "{e}");
        let e = err("db.pre.fix");
        assert!(
            e.contains("`pre.fix` is not a valid collection prefix name"),
            "{e}"
        );
        let e = err("db!high");
        assert!(
            e.contains("priority after `!` must be an integer, not `high`"),
            "{e}"
        );
        let e = err("host:99999:db");
        assert!(
            e.contains("port must be a number from 1 to 65535, not `99999`"),
            "{e}"
        );
        let e = err("a:b:c:d:e");
        assert!(e.contains("5 `:`-separated parts"), "{e}");
        let e = err(&format!("d{}", "x".repeat(64)));
        assert!(e.contains("at most 63"), "{e}");
        let e = err("db.runs:1234567");
        assert!(e.contains("not supported yet"), "{e}");
        let e = err("localhost:27017:db.runs:12");
        assert!(e.contains("not supported yet"), "{e}");
        let e = err("user@host:27017:db");
        assert!(e.contains("mongodb://"), "{e}");
        assert!(
            e.starts_with("invalid MongoDB argument `user@host:27017:db`"),
            "{e}"
        );
    }

    #[test]
    fn uri_database_is_the_path() {
        let spec = ok("mongodb://127.0.0.1:27999");
        assert_eq!(spec.database(), "sacred");
        assert_eq!(spec.url(), "mongodb://127.0.0.1:27999");
        let spec = ok("mongodb://127.0.0.1:27999/exp?serverSelectionTimeoutMS=100");
        assert_eq!(spec.database(), "exp");
        assert_eq!(spec.prefix(), None);
        assert_eq!(spec.priority(), 30);
        let spec = ok("mongodb+srv://u:p@cluster0.example.net/research?retryWrites=true");
        assert_eq!(spec.database(), "research");
        assert_eq!(
            spec.masked_url(),
            "mongodb+srv://u:***@cluster0.example.net/research?retryWrites=true"
        );
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
    fn bad_uris_are_reported_masked() {
        let e = err("mongodb://bob:hunter2@host:notaport/db");
        assert!(!e.contains("hunter2"), "{e}");
        assert!(e.contains("mongodb://bob:***@host:notaport/db"), "{e}");
        assert!(e.contains("expected a MongoDB connection string"), "{e}");
        let e = err("mongodb://bob:hunter2@host/bad.db");
        assert!(!e.contains("hunter2"), "{e}");
        assert!(e.contains("not a valid database name"), "{e}");
    }

    #[test]
    fn builders_validate() {
        let spec = ok("localhost:27017");
        let spec = spec
            .with_database("other")
            .and_then(|s| s.with_prefix(Some("p")))
            .map(|s| s.with_priority(7));
        let spec = match spec {
            Ok(spec) => spec,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(spec.database(), "other");
        assert_eq!(spec.runs_collection(), "p_runs");
        assert_eq!(spec.priority(), 7);
        assert_eq!(
            spec.to_string(),
            "mongodb://localhost:27017, database other, prefix p"
        );
        assert!(spec.clone().with_database("a.b").is_err());
        assert!(spec.with_prefix(Some("")).is_err());
    }
}
