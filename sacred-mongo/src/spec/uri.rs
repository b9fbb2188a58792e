//! The URI form of `-m`: `mongodb://…` or `mongodb+srv://…`, kept whole (credentials and
//! options included) for connecting; the database is the URI's path, `sacred` when empty.

use sacred_core::secret::mask_url;

use super::{DEFAULT_DATABASE, DEFAULT_PRIORITY, MongoSpec, invalid};
use crate::error::MongoError;

/// Parses a `mongodb://` or `mongodb+srv://` URI.
pub(super) fn parse(arg: &str) -> Result<MongoSpec, MongoError> {
    let spec = MongoSpec {
        url: arg.to_owned(),
        masked: mask_url(arg),
        database: DEFAULT_DATABASE.to_owned(),
        collection: None,
        priority: DEFAULT_PRIORITY,
        run: None,
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
    use crate::spec::tests::{err, ok};

    #[test]
    fn uri_database_is_the_path() {
        let spec = ok("mongodb://127.0.0.1:27999");
        assert_eq!(spec.database(), "sacred");
        assert_eq!(spec.url(), "mongodb://127.0.0.1:27999");
        let spec = ok("mongodb://127.0.0.1:27999/exp?serverSelectionTimeoutMS=100");
        assert_eq!(spec.database(), "exp");
        assert_eq!(spec.collection(), None);
        assert_eq!(spec.priority(), 30);
        let spec = ok("mongodb+srv://u:p@cluster0.example.net/research?retryWrites=true");
        assert_eq!(spec.database(), "research");
        assert_eq!(
            spec.masked_url(),
            "mongodb+srv://u:***@cluster0.example.net/research?retryWrites=true"
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
}
