//! Passwords never reach an error message, a `Display` or a `Debug`: with an unreachable
//! host and with a password the server refuses.

// Helpers of tests may unwrap, as tests do: a panic is how a test reports failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use sacred_core::observer::{Observer, RunId};
use sacred_mongo::read::MongoReader;
use sacred_mongo::{Limits, MongoObserver, parse_spec};
use sacred_test_support::mongo::{MongoUrl, server_url};

const PASSWORD: &str = "Hunter2-s3cr3t";

/// Every way `text` could show the password.
fn assert_masked(text: &str) {
    assert!(!text.contains(PASSWORD), "the password is shown: {text}");
    assert!(
        !text.contains("s3cr3t"),
        "part of the password is shown: {text}"
    );
}

/// Drives an observer at `url` until every call that talks to the server failed, and
/// checks every message.
fn check_observer(url: &str) {
    let spec = parse_spec(url).unwrap();
    assert_masked(&spec.to_string());
    assert_masked(&format!("{spec:?}"));
    assert_masked(&spec.masked_url());
    assert!(spec.masked_url().contains(":***@"), "{}", spec.masked_url());
    let mut observer = MongoObserver::with_limits(
        spec.clone(),
        Limits::default().with_connect_timeout(Duration::from_millis(1500)),
    )
    .unwrap();
    assert_masked(&observer.name());
    assert_masked(&format!("{observer:?}"));
    let e = observer.check_id(&RunId::Int(1)).unwrap_err();
    assert_masked(&e.to_string());
    assert_masked(&format!("{e:?}"));
    assert!(e.to_string().contains(":***@"), "the server is named: {e}");
    let e = observer.started(&simple_started()).unwrap_err();
    assert_masked(&e.to_string());
    assert_masked(&format!("{e:?}"));
    // Events after a failed start, and the join, report nothing that shows it either.
    observer
        .heartbeat(&beat(serde_json::json!({}), "out\n", None))
        .unwrap();
    if let Err(e) = observer.join(Instant::now() + Duration::from_secs(30)) {
        assert_masked(&e.to_string());
    }
    let e = MongoReader::connect(&spec).unwrap_err();
    assert_masked(&e.to_string());
    assert_masked(&format!("{e:?}"));
    eprintln!("{e}");
}

#[test]
fn unreachable_host_errors_mask_the_password() {
    // Port 1 on the loopback: nothing listens, the connection is refused at once.
    check_observer(&format!(
        "mongodb://alice:{PASSWORD}@127.0.0.1:1/lab?authSource=admin&serverSelectionTimeoutMS=1000"
    ));
    // A percent-encoded password is masked in its decoded form too.
    check_observer(&format!(
        "mongodb://alice:{}%21@127.0.0.1:1/lab?serverSelectionTimeoutMS=1000",
        PASSWORD
    ));
}

#[test]
fn refused_password_errors_mask_the_password() {
    let url = MongoUrl::parse(&server_url())
        .with_credentials("sacred_nobody", PASSWORD)
        .with_db("lab")
        .with_option("authSource", "admin");
    check_observer(&url.to_string());
}
