//! The one error type of the crate, and what a failed driver operation means
//! ([`OpFailure`]). No variant holds a password: every message that comes from the driver
//! or names the server goes through its [`Target`]'s `scrub` or masked `Display` first.
//! [`MongoSpec`](crate::MongoSpec) is that target; this module needs nothing else of it,
//! so `spec` can use [`MongoError`] without a cycle.

use std::fmt;
use std::time::Duration;

use mongodb::error::{ErrorKind, WriteFailure};

/// What went wrong talking to MongoDB, or with the `-m` argument.
///
/// Messages name the server by its masked URL (`mongodb://user:***@host/…`): a password
/// never reaches an error, a log line or a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MongoError {
    /// The `-m/--mongo_db` argument (or a configured URL) is malformed.
    #[error("invalid MongoDB argument `{arg}`: {expected}")]
    InvalidSpec {
        /// The argument, with any password masked.
        arg: String,
        /// What was expected, and what was wrong.
        expected: String,
    },
    /// The server could not be reached, or refused the credentials.
    #[error("cannot connect to MongoDB at {target} to {action}: {message}")]
    Connect {
        /// The server (masked URL, database, prefix).
        target: String,
        /// What the observer was doing.
        action: String,
        /// The driver's explanation.
        message: String,
    },
    /// The server answered with an error.
    #[error("MongoDB at {target} could not {action}: {message}")]
    Database {
        /// The server (masked URL, database, prefix).
        target: String,
        /// What the observer was doing.
        action: String,
        /// The server's or driver's explanation.
        message: String,
    },
    /// A run id given with `-i/--id` (or by a higher-priority observer) is taken.
    #[error(
        "the run id {id} exists already in the collection `{collection}` at {target}; the \
         MongoDB observer never overwrites a run: give another id with -i/--id, or leave it out \
         to get the next free number"
    )]
    IdExists {
        /// The id.
        id: String,
        /// The runs collection.
        collection: String,
        /// The server (masked URL, database, prefix).
        target: String,
    },
    /// A file (an artifact) could not be read.
    #[error("cannot read `{path}`: {message}")]
    Io {
        /// The file.
        path: String,
        /// The system's explanation.
        message: String,
    },
    /// The observer's worker thread could not start or stopped.
    #[error("the MongoDB observer for {target} {message}")]
    Worker {
        /// The server (masked URL, database, prefix).
        target: String,
        /// What happened.
        message: String,
    },
    /// Writes queued during the run failed (reported when the run is joined).
    #[error("{failed} write(s) to MongoDB at {target} failed; the first: {first}")]
    Writes {
        /// The server (masked URL, database, prefix).
        target: String,
        /// How many failed.
        failed: usize,
        /// The first failure.
        first: String,
    },
    /// An earlier write failed, so this one was not queued: the record would have a hole
    /// (the run is stored again whole, by the runtime or `sync`). Its message is that of
    /// the failure.
    #[error("{first}")]
    Broken {
        /// The first write that failed, in words.
        first: String,
    },
    /// The queue was not drained before the deadline.
    #[error(
        "{pending} queued write(s) to MongoDB at {target} were not done before the deadline; \
         the record in MongoDB may be incomplete"
    )]
    Deadline {
        /// The server (masked URL, database, prefix).
        target: String,
        /// Events still queued or in flight.
        pending: usize,
    },
}

/// The server an error names (its `target`): shown masked by `Display`
/// (`mongodb://user:***@host, database db`), with the secrets to scrub from the driver's
/// messages.
pub(crate) trait Target: fmt::Display {
    /// `text` with every secret of the server replaced by `***`.
    fn scrub(&self, text: &str) -> String;
}

/// Why one driver operation failed: the driver's error, or no answer in time.
#[derive(Debug)]
pub(crate) enum OpFailure {
    /// The driver reported an error.
    Driver(mongodb::error::Error),
    /// The operation did not finish within the operation timeout.
    TimedOut(Duration),
    /// A GridFS stream failed (the driver's error, as an I/O error).
    Stream(std::io::Error),
}

/// The code MongoDB gives a duplicate key error.
const DUPLICATE_KEY: i32 = 11000;

impl OpFailure {
    /// The server's error code, when the server answered with one.
    pub(crate) fn code(&self) -> Option<i32> {
        let OpFailure::Driver(e) = self else {
            return None;
        };
        match e.kind.as_ref() {
            ErrorKind::Command(c) => Some(c.code),
            ErrorKind::Write(WriteFailure::WriteError(w)) => Some(w.code),
            ErrorKind::Write(WriteFailure::WriteConcernError(w)) => Some(w.code),
            ErrorKind::InsertMany(m) => m
                .write_errors
                .as_ref()
                .and_then(|errors| errors.first())
                .map(|w| w.code),
            _ => None,
        }
    }

    /// Whether this is a duplicate key error (for `insert_many`: every write error is one).
    pub(crate) fn is_duplicate_key(&self) -> bool {
        if let OpFailure::Driver(e) = self
            && let ErrorKind::InsertMany(m) = e.kind.as_ref()
        {
            return m.write_concern_error.is_none()
                && m.write_errors
                    .as_ref()
                    .is_some_and(|w| !w.is_empty() && w.iter().all(|w| w.code == DUPLICATE_KEY));
        }
        self.code() == Some(DUPLICATE_KEY)
    }

    /// Whether the server answered and rejected the operation (as opposed to a network,
    /// selection or authentication problem, where trying again later may work).
    pub(crate) fn is_rejection(&self) -> bool {
        match self {
            OpFailure::TimedOut(_) | OpFailure::Stream(_) => false,
            OpFailure::Driver(e) => matches!(
                e.kind.as_ref(),
                ErrorKind::Command(_) | ErrorKind::Write(WriteFailure::WriteError(_))
            ),
        }
    }

    /// The error to report, naming `action` and the server (masked).
    pub(crate) fn into_error(self, server: &impl Target, action: &str) -> MongoError {
        match self {
            OpFailure::TimedOut(after) => MongoError::Connect {
                target: server.to_string(),
                action: action.to_owned(),
                message: format!("no answer within {} s", after.as_secs_f64()),
            },
            OpFailure::Driver(e) => driver_error(server, action, &e),
            OpFailure::Stream(e) => MongoError::Database {
                target: server.to_string(),
                action: action.to_owned(),
                message: server.scrub(&e.to_string()),
            },
        }
    }
}

impl From<mongodb::error::Error> for OpFailure {
    fn from(e: mongodb::error::Error) -> Self {
        OpFailure::Driver(e)
    }
}

/// A driver error as a [`MongoError`]: connection problems (selection, network, DNS, TLS,
/// authentication) are [`MongoError::Connect`], the rest [`MongoError::Database`]. The
/// driver's message is scrubbed of the server's secrets.
pub(crate) fn driver_error(
    server: &impl Target,
    action: &str,
    e: &mongodb::error::Error,
) -> MongoError {
    let message = server.scrub(&describe(e));
    let target = server.to_string();
    let action = action.to_owned();
    match e.kind.as_ref() {
        ErrorKind::ServerSelection { .. }
        | ErrorKind::Io(_)
        | ErrorKind::Authentication { .. }
        | ErrorKind::DnsResolve { .. }
        | ErrorKind::InvalidTlsConfig { .. }
        | ErrorKind::ConnectionPoolCleared { .. } => MongoError::Connect {
            target,
            action,
            message,
        },
        _ => MongoError::Database {
            target,
            action,
            message,
        },
    }
}

/// The driver's error in words: its kind, then the kinds of its sources (the driver's own
/// `Display` adds labels and debug dumps).
fn describe(e: &mongodb::error::Error) -> String {
    let mut text = match e.kind.as_ref() {
        ErrorKind::ServerSelection { message, .. } => server_selection(message),
        kind => kind.to_string(),
    };
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        let driver = inner.downcast_ref::<mongodb::error::Error>().or_else(|| {
            inner
                .downcast_ref::<Box<mongodb::error::Error>>()
                .map(|b| &**b)
        });
        let more = match driver {
            Some(inner) => inner.kind.to_string(),
            None => inner.to_string(),
        };
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = inner.source();
    }
    text
}

/// A server-selection failure as one readable line, the cause first: the servers' own
/// errors (`I/O error: Connection refused`, `SCRAM failure: authentication failed`,
/// `invalid peer certificate: UnknownIssuer`) rather than the driver's topology dump.
fn server_selection(message: &str) -> String {
    const MARK: &str = "Error: Kind: ";
    let mut causes: Vec<&str> = Vec::new();
    let mut rest = message;
    while let Some(at) = rest.find(MARK) {
        let after = &rest[at + MARK.len()..];
        let end = after.find(", labels:").unwrap_or(after.len());
        let cause = after[..end].trim();
        if !cause.is_empty() && !causes.contains(&cause) {
            causes.push(cause);
        }
        rest = &after[end..];
    }
    let summary = message
        .split(" Topology:")
        .next()
        .unwrap_or(message)
        .trim_end_matches('.');
    if causes.is_empty() {
        summary.to_owned()
    } else {
        format!("{} ({summary})", causes.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_selection_failures_read_cause_first() {
        let refused = "Server selection timeout: No available servers. Topology: { Type: \
                       Unknown, Servers: [ { Address: 127.0.0.1:1, Type: Unknown, Error: Kind: \
                       I/O error: Connection refused (os error 111), labels: {\"System\"} } ] }";
        assert_eq!(
            server_selection(refused),
            "I/O error: Connection refused (os error 111) (Server selection timeout: No \
             available servers)"
        );
        let auth = "Server selection timeout: No available servers. Topology: { Type: \
                    ReplicaSetNoPrimary, Servers: [ { Address: h:1, Type: Unknown, Error: Kind: \
                    SCRAM failure: authentication failed, labels: {}, source: Some(Error { kind: \
                    Command(CommandError { code: 18 }) }) } ] }";
        assert_eq!(
            server_selection(auth),
            "SCRAM failure: authentication failed (Server selection timeout: No available \
             servers)"
        );
        assert_eq!(
            server_selection("Server selection timeout: none"),
            "Server selection timeout: none"
        );
    }
}
