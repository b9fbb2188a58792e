//! The MongoDB server of the tests: the one `SACRED_TEST_MONGO_URL` names (the test command
//! starts one), per-test databases on it, and URLs that point at them.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::env::{HOW_TO, required};

#[cfg(feature = "mongo")]
mod db;
mod url;

#[cfg(feature = "mongo")]
pub use db::TestDb;
pub use url::{MongoUrl, url_with_db};

/// The MongoDB server of the tests (`SACRED_TEST_MONGO_URL`, e.g.
/// `mongodb://127.0.0.1:PORT`), checked to accept connections. Panics, saying how to get
/// one, when it is not set or nothing answers there: a test that needs it never skips.
pub fn server_url() -> String {
    let url = required("SACRED_TEST_MONGO_URL", "the MongoDB server of the tests");
    let parsed = MongoUrl::parse(&url);
    let host = parsed.first_host();
    // A mongodb+srv name is resolved through DNS, a Unix socket is no TCP address: the
    // driver checks those itself.
    if !parsed.is_srv() && !host.starts_with('%') {
        let reachable = host
            .to_socket_addrs()
            .ok()
            .into_iter()
            .flatten()
            .any(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(5)).is_ok());
        assert!(
            reachable,
            "SACRED_TEST_MONGO_URL={}: nothing accepts connections at {host}; {HOW_TO}",
            parsed.masked()
        );
    }
    url
}

/// A database name no other test (in this or another process) uses:
/// `sacredrs_<test>_<pid>_<counter>_<time>`, at most 63 bytes of the characters MongoDB
/// allows.
pub fn fresh_db_name(test: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() % 100_000_000);
    let test: String = test
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(24)
        .collect();
    format!("sacredrs_{test}_{}_{n}_{millis}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_fresh_and_valid() {
        let a = fresh_db_name("a test/with.odd chars");
        assert!(a.len() <= 63 && a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        assert_ne!(a, fresh_db_name("a test/with.odd chars"));
        let long = fresh_db_name(&"x".repeat(100));
        assert!(long.len() <= 63, "{long}");
    }
}
