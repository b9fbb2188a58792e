//! Sacred's short forms of `-m`: `host:port`, and `[host:port:]db[.collection][!priority]`.
//!
//! When the argument has two `:`-separated parts and the second is a port number (at most
//! 65535), it is `host:port` (`mongo.lan:27017` is a server, not the database `mongo` with
//! collection `lan`). An IPv6 server is written in brackets (`[::1]:27017:db`). Credentials
//! and options need the URI form.

use sacred_core::secret::mask_url;

use super::{DEFAULT_DATABASE, DEFAULT_PRIORITY, MongoSpec, check_collection, check_name, invalid};
use crate::error::MongoError;

/// The server when the argument names none.
const DEFAULT_HOST: &str = "localhost:27017";

/// What the short form looks like, for error messages.
const SHORT_FORMS: &str = "expected `host:port`, `[host:port:]db_name[.collection[:run_id]][!priority]` or a \
                           `mongodb://` URI";

/// Parses a short-form argument.
pub(super) fn parse(arg: &str) -> Result<MongoSpec, MongoError> {
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
    let (database, collection) = match rest {
        None => (DEFAULT_DATABASE.to_owned(), None),
        Some(rest) => parse_db_part(arg, rest)?,
    };
    let url = format!("mongodb://{}", host.unwrap_or(DEFAULT_HOST));
    Ok(MongoSpec {
        masked: mask_url(&url),
        url,
        database,
        collection,
        priority,
        run: None,
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
        "Sacred's in-place form needs the collection: `[host:port:]db.collection:run_id` (or \
         `mongodb://host/db.runs:run_id`)",
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

/// `db[.collection]`.
fn parse_db_part(arg: &str, rest: &str) -> Result<(String, Option<String>), MongoError> {
    let (database, collection) = match rest.split_once('.') {
        Some((database, collection)) => (database, Some(collection)),
        None => (rest, None),
    };
    check_name(database, "database").map_err(|e| invalid(arg, e))?;
    if let Some(collection) = collection {
        check_collection(collection).map_err(|e| invalid(arg, e))?;
    }
    Ok((database.to_owned(), collection.map(str::to_owned)))
}

#[cfg(test)]
mod tests {
    use crate::spec::tests::{err, ok};

    #[test]
    fn host_and_port_alone() {
        let spec = ok("127.0.0.1:27017");
        assert_eq!(spec.url(), "mongodb://127.0.0.1:27017");
        assert_eq!(spec.database(), "sacred");
        assert_eq!(spec.collection(), None);
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
    fn host_port_database_collection_priority() {
        // Sacred 0.8.7 passes `.queued` as the (deprecated) `collection` argument: runs go
        // to `queued`, metrics stay in `metrics`.
        let spec = ok("127.0.0.1:27017:sacred_research.queued!2");
        assert_eq!(spec.url(), "mongodb://127.0.0.1:27017");
        assert_eq!(spec.database(), "sacred_research");
        assert_eq!(spec.collection(), Some("queued"));
        assert_eq!(spec.priority(), 2);
        assert_eq!(spec.runs_collection(), "queued");
        assert_eq!(spec.metrics_collection(), "metrics");
        assert_eq!(spec.overflow_collection(), "metrics_overflow");
        assert_eq!(ok("db!-5").priority(), -5);
        assert_eq!(ok("db.p").collection(), Some("p"));
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
            e.contains("`pre.fix` is not a valid collection name"),
            "{e}"
        );
        // Sacred's reserved names, and the metrics collections runs would be mixed into.
        for reserved in [
            "_properties",
            "search_space",
            "search_spaces",
            "metrics",
            "metrics_overflow",
        ] {
            let e = err(&format!("db.{reserved}"));
            assert!(
                e.contains(&format!("`{reserved}` is reserved")),
                "{reserved}: {e}"
            );
        }
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
        let e = err("localhost:27017:db:12");
        assert!(e.contains("needs the collection"), "{e}");
        let e = err("user@host:27017:db");
        assert!(e.contains("mongodb://"), "{e}");
        assert!(
            e.starts_with("invalid MongoDB argument `user@host:27017:db`"),
            "{e}"
        );
        // Credentials typed into the short form are never echoed.
        let e = err("user:hunter2@host:27017:db");
        assert!(!e.contains("hunter2"), "{e}");
        assert!(
            e.starts_with("invalid MongoDB argument `user:***@host:27017:db`"),
            "{e}"
        );
    }
}
