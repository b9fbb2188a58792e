//! Sacred's in-place form of `-m`: `db.collection:run_id` starts the queued run `run_id`
//! in place instead of inserting a new one.
//!
//! - Short form: `[host:port:]db.collection:ID[!priority]`, as in Sacred; `.collection`
//!   selects the runs collection as it does without `:ID`.
//! - URI form: the path `/db.runs:ID`, e.g. `mongodb://host:27017/lab.runs:7?w=1` (a URI
//!   names no other runs collection).
//!
//! `ID` is 1 to 12 digits, as in Sacred.

use super::{MongoSpec, invalid};
use crate::error::MongoError;

/// The longest run id Sacred's grammar accepts, in digits.
const MAX_DIGITS: usize = 12;

/// `arg` without its in-place suffix, and the run id of that suffix.
pub(super) fn split(arg: &str) -> Result<(String, Option<i64>), MongoError> {
    if let Some(scheme_end) = arg.find("://") {
        return split_uri(arg, scheme_end + 3);
    }
    let (body, priority) = match arg.split_once('!') {
        Some((body, priority)) => (body, Some(priority)),
        None => (arg, None),
    };
    let Some((before, id)) = body.rsplit_once(':') else {
        return Ok((arg.to_owned(), None));
    };
    let names_collection = before.rsplit(':').next().is_some_and(|db| db.contains('.'));
    // `name.lan:27017` is a server and its port (see `short`): without a server before
    // it, `db.collection:ID` is in place only when ID cannot be a port.
    let could_be_port = id.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
    if !names_collection || !is_run_id(id) || (!before.contains(':') && could_be_port) {
        return Ok((arg.to_owned(), None));
    }
    let mut rest = before.to_owned();
    if let Some(priority) = priority {
        rest.push('!');
        rest.push_str(priority);
    }
    Ok((rest, Some(parse_id(arg, id)?)))
}

/// The URI form: `scheme://authority/db.runs:ID[?options]`.
fn split_uri(arg: &str, authority_start: usize) -> Result<(String, Option<i64>), MongoError> {
    let after = &arg[authority_start..];
    let Some(slash) = after.find('/') else {
        return Ok((arg.to_owned(), None));
    };
    let path_start = authority_start + slash + 1;
    let path_end = arg[path_start..]
        .find('?')
        .map_or(arg.len(), |q| path_start + q);
    let path = &arg[path_start..path_end];
    let Some((db_and_collection, id)) = path.rsplit_once(':') else {
        return Ok((arg.to_owned(), None));
    };
    if !is_run_id(id) {
        return Ok((arg.to_owned(), None));
    }
    let Some((db, collection)) = db_and_collection.split_once('.') else {
        return Err(invalid(
            arg,
            "the in-place form in a URI's path is `/db.runs:ID`",
        ));
    };
    if collection != "runs" {
        return Err(invalid(
            arg,
            format!(
                "a URI names no runs collection but `runs`, not `{collection}`: use \
                 `/db.runs:ID`, or the short form `host:port:db.{collection}:ID`"
            ),
        ));
    }
    let rest = format!("{}{db}{}", &arg[..path_start], &arg[path_end..]);
    Ok((rest, Some(parse_id(arg, id)?)))
}

fn is_run_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_DIGITS && text.bytes().all(|b| b.is_ascii_digit())
}

fn parse_id(arg: &str, id: &str) -> Result<i64, MongoError> {
    id.parse::<i64>()
        .map_err(|_| invalid(arg, format!("the run id `{id}` is not a number")))
}

/// See [`MongoSpec::in_place_argument`].
pub(super) fn argument(spec: &MongoSpec, id: i64) -> String {
    if let Some(collection) = &spec.collection {
        let host = spec
            .url
            .strip_prefix("mongodb://")
            .unwrap_or(spec.url.as_str());
        return format!("{host}:{}.{collection}:{id}", spec.database);
    }
    let url = spec.url.as_str();
    let authority_start = url.find("://").map_or(0, |at| at + 3);
    let after = &url[authority_start..];
    let (authority_end, query) = match after.find(['/', '?']) {
        Some(at) => {
            let rest = &after[at..];
            let query = rest.find('?').map_or("", |q| &rest[q..]);
            (authority_start + at, query)
        }
        None => (url.len(), ""),
    };
    format!(
        "{}/{}.runs:{id}{query}",
        &url[..authority_end],
        spec.database
    )
}

#[cfg(test)]
mod tests {
    use crate::spec::tests::{err, ok};

    #[test]
    fn sacreds_short_form_names_the_run() {
        let spec = ok("127.0.0.1:27017:lab.runs:12");
        assert_eq!(spec.run(), Some(12));
        assert_eq!(spec.database(), "lab");
        let spec = ok("lab.runs:1234567!40");
        assert_eq!(spec.run(), Some(1_234_567));
        assert_eq!(spec.priority(), 40);
        // Without a server, an id that could be a port is a port.
        assert_eq!(ok("lab.lan:7").run(), None);
        assert_eq!(ok("[::1]:27017:lab.runs:3").run(), Some(3));
        assert_eq!(ok("127.0.0.1:27017:lab").run(), None);
        assert_eq!(ok("127.0.0.1:27017").run(), None);
    }

    #[test]
    fn a_uri_path_names_the_run() {
        let spec = ok("mongodb://u:pw@h:1/lab.runs:5?authSource=admin");
        assert_eq!(spec.run(), Some(5));
        assert_eq!(spec.database(), "lab");
        assert_eq!(spec.url(), "mongodb://u:pw@h:1/lab?authSource=admin");
        let e = err("mongodb://h:1/lab.other:5");
        assert!(e.contains("names no runs collection"), "{e}");
    }

    #[test]
    fn the_in_place_argument_selects_the_same_runs_again() {
        for (given, expected) in [
            ("mongodb://h:1/lab", "mongodb://h:1/lab.runs:9"),
            (
                "mongodb://u:pw@h:1/lab?w=1",
                "mongodb://u:pw@h:1/lab.runs:9?w=1",
            ),
            ("mongodb://h:1", "mongodb://h:1/sacred.runs:9"),
            ("h:1:lab", "mongodb://h:1/lab.runs:9"),
            ("h:1:lab.mine", "h:1:lab.mine:9"),
        ] {
            let spec = ok(given);
            let argument = spec.in_place_argument(9);
            assert_eq!(argument, expected, "{given}");
            let again = ok(&argument);
            assert_eq!(again.run(), Some(9));
            assert_eq!(again.database(), spec.database());
            assert_eq!(again.runs_collection(), spec.runs_collection());
        }
    }
}
