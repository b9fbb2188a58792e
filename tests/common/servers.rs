//! The tools of the compatibility tests: Omniboard (`SACRED_TEST_OMNIBOARD`) and incense
//! (the Python of `SACRED_TEST_VENV`); the MongoDB server is `sacred_test_support::mongo`'s.
//! `scripts/test-env.sh` installs them and starts the server; `./scripts/test.sh` runs the
//! tests in that environment. A test that needs one of them and does not find it fails
//! with a message saying so ([`HOW_TO`]): it is never skipped.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sacred::serde_json::{self, Value};
use sacred_test_support::env::{HOW_TO, required};

/// The project's root directory.
pub(crate) fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Python of the test environment (`SACRED_TEST_VENV`), with incense, pymongo and
/// Python Sacred installed.
pub(crate) fn venv_python() -> PathBuf {
    let python = PathBuf::from(required(
        "SACRED_TEST_VENV",
        "the Python of the test environment, with incense",
    ));
    assert!(
        python.is_file(),
        "SACRED_TEST_VENV={} does not exist; {HOW_TO}",
        python.display()
    );
    python
}

/// Runs a Python script of `scripts/` with the test environment's Python and returns the
/// JSON it prints; panics, with its output, when it fails.
pub(crate) fn python_script(script: &str, args: &[&str]) -> Value {
    let path = root().join("scripts").join(script);
    let out = Command::new(venv_python())
        .arg(&path)
        .args(args)
        // sacred 0.8.7 imports pkg_resources, which warns on every start.
        .env("PYTHONWARNINGS", "ignore::UserWarning")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", path.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} {args:?} failed ({}):\n{stderr}\n{stdout}",
        out.status
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!("{script} {args:?} printed no JSON ({e}):\n{stdout}\nstderr:\n{stderr}")
    })
}

/// What incense sees of a run of database `db` (at `db_url`):
/// `scripts/incense_check.py --url URL --db DB ARGS...` (ARGS: `--id N` and maybe
/// `--artifact NAME`), its JSON parsed.
pub(crate) fn incense(db_url: &str, db: &str, script_args: &[&str]) -> Value {
    let mut args = vec!["--url", db_url, "--db", db];
    args.extend_from_slice(script_args);
    python_script("incense_check.py", &args)
}

/// Inserts the runs Python Sacred 0.8.7 wrote (`tests/fixtures/sacred-0.8.7/mongo`, runs
/// 1 COMPLETED, 2 FAILED, 3 INTERRUPTED, with their metrics, sources and artifacts) into
/// database `db` (at `db_url`).
pub(crate) fn insert_reference_runs(db_url: &str, db: &str) -> Value {
    python_script("insert_reference_runs.py", &["--url", db_url, "--db", db])
}

/// The prefix of Omniboard's REST API: it serves its (only) database under `/sacred`.
pub(crate) const API: &str = "/sacred/api/v1";

/// An HTTP response.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: Vec<u8>,
}

/// A running Omniboard, serving one database on 127.0.0.1; killed (by its PID) on drop.
pub(crate) struct Omniboard {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Omniboard {
    /// Starts `SACRED_TEST_OMNIBOARD` against the database of `db_url` (a MongoDB URL with
    /// a database), on a free port of 127.0.0.1, and waits until its API answers.
    pub(crate) fn start(db_url: &str) -> Self {
        let exe = required("SACRED_TEST_OMNIBOARD", "the Omniboard executable");
        assert!(
            Path::new(&exe).is_file(),
            "SACRED_TEST_OMNIBOARD={exe} does not exist; {HOW_TO}"
        );
        let free_port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("no free port on 127.0.0.1");
        // Omniboard listens on every interface; this preload keeps it on 127.0.0.1.
        let loopback = root().join("scripts/omniboard-loopback.cjs");
        let mut child = Command::new(&exe)
            .args(["--mu", db_url])
            .env("PORT", free_port.to_string())
            .env(
                "NODE_OPTIONS",
                format!("--require \"{}\"", loopback.display()),
            )
            .env_remove("OMNIBOARD_CONFIG")
            .env_remove("MONGO_URI")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {exe}: {e}"));
        let log = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            collect(stdout, Arc::clone(&log), Some(port_tx));
        }
        if let Some(stderr) = child.stderr.take() {
            collect(stderr, Arc::clone(&log), None);
        }
        let mut omniboard = Self {
            child,
            port: 0,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(90);
        // Omniboard moves to the next port when its port is taken: it says which it got.
        while omniboard.port == 0 {
            match port_rx.recv_timeout(Duration::from_millis(200)) {
                Ok(port) => omniboard.port = port,
                Err(_) => omniboard.check_alive_before(deadline, "say it listens"),
            }
        }
        // Then it answers once its database connection is open.
        loop {
            if let Ok(r) = omniboard.try_get(&format!("{API}/Runs/count"))
                && r.status == 200
            {
                break;
            }
            omniboard.check_alive_before(deadline, "answer GET /sacred/api/v1/Runs/count");
            std::thread::sleep(Duration::from_millis(200));
        }
        omniboard
    }

    fn check_alive_before(&mut self, deadline: Instant, what: &str) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "Omniboard exited ({status}) before it would {what}; its output:\n{}",
                self.log()
            );
        }
        assert!(
            Instant::now() < deadline,
            "Omniboard did not {what} within 90s; its output:\n{}",
            self.log()
        );
    }

    /// Its port on 127.0.0.1.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// What it printed so far.
    pub(crate) fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn try_get(&self, path: &str) -> std::io::Result<Response> {
        http_get(self.port, path)
    }

    /// `GET path` (e.g. `/sacred/api/v1/Runs`, query included); panics when it fails.
    pub(crate) fn get(&self, path: &str) -> Response {
        self.try_get(path)
            .unwrap_or_else(|e| panic!("GET {path}: {e}; Omniboard's output:\n{}", self.log()))
    }

    /// The body of `GET path`, which must answer 200.
    pub(crate) fn get_bytes(&self, path: &str) -> Vec<u8> {
        let r = self.get(path);
        assert_eq!(
            r.status,
            200,
            "GET {path}: {}; Omniboard's output:\n{}",
            String::from_utf8_lossy(&r.body),
            self.log()
        );
        r.body
    }

    /// The JSON of `GET path`, which must answer 200.
    pub(crate) fn get_json(&self, path: &str) -> Value {
        let body = self.get_bytes(path);
        serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "GET {path}: not JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        })
    }
}

impl Drop for Omniboard {
    fn drop(&mut self) {
        // Child::kill signals the child's own PID (SIGKILL), nothing else.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Appends a stream's lines to `log`; sends the port of "Omniboard is listening on port
/// N!" to `port`.
fn collect(
    stream: impl Read + Send + 'static,
    log: Arc<Mutex<String>>,
    port: Option<mpsc::Sender<u16>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(tx) = &port
                && let Some(rest) = line.split("listening on port ").nth(1)
                && let Ok(p) = rest.trim_end_matches('!').trim().parse()
            {
                let _ = tx.send(p);
            }
            if let Ok(mut log) = log.lock() {
                log.push_str(&line);
                log.push('\n');
            }
        }
    });
}

/// An HTTP/1.0 GET of `path` from 127.0.0.1:`port`.
pub(crate) fn http_get(port: u16, path: &str) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )?;
    stream.flush()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}
