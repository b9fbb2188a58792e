//! Host information.
//!
//! Sacred's keys where they apply (`hostname`, `os`, `cpu`, `gpus`, `ENV`) and, beside
//! them, Rust's: `rust_version`, `target` and `profile` of the build, `cores` and
//! `memory_total`. Sacred's `python_version` has no counterpart. The runtime gathers this
//! off the experiment's critical path; [`gpus`] is the slow part (it runs `nvidia-smi`).

use std::process::{Command, Stdio};

use serde_json::{Map, Value, json};

/// The rustc that compiled this crate (`rustc 1.95.0 (…)`), from the build script.
const RUST_VERSION: &str = env!("SACRED_RUSTC_VERSION");
/// The target triple this crate was compiled for.
pub(crate) const TARGET: &str = env!("SACRED_TARGET");
/// The cargo profile this crate was compiled with (`debug` or `release`).
const PROFILE: &str = env!("SACRED_PROFILE");

/// Everything: [`fast_host_info`] plus `gpus` when `nvidia-smi` answers.
///
/// `captured_env` names the environment variables recorded under `ENV` (Sacred's
/// `HOST_INFO.CAPTURED_ENV`); those that are not set are left out.
pub(crate) fn host_info(captured_env: &[String]) -> Value {
    let mut host = fast_host_info(captured_env);
    if let (Value::Object(map), Some(gpus)) = (&mut host, gpus()) {
        map.insert("gpus".to_owned(), gpus);
    }
    host
}

/// Everything but the GPUs; on Linux it starts no process.
///
/// Keys: `hostname`, `os` (`[sysname, "<sysname>-<release>-<machine>"]`, the shape of
/// Python's `[platform.system(), platform.platform()]`), `cpu` (the CPU's model name, or
/// `null`), `ENV`, `rust_version`, `target`, `profile`, `cores` (available parallelism)
/// and `memory_total` (bytes); the last two are left out when unknown.
pub(crate) fn fast_host_info(captured_env: &[String]) -> Value {
    let uname = rustix::system::uname();
    let text = |s: &std::ffi::CStr| s.to_string_lossy().into_owned();
    let sysname = text(uname.sysname());
    let platform = format!(
        "{sysname}-{}-{}",
        text(uname.release()),
        text(uname.machine())
    );
    let mut host = Map::new();
    host.insert("hostname".into(), Value::String(text(uname.nodename())));
    host.insert("os".into(), json!([sysname, platform]));
    host.insert("cpu".into(), cpu().map_or(Value::Null, Value::String));
    host.insert(
        "ENV".into(),
        captured_vars(captured_env, |name| std::env::var(name).ok()),
    );
    host.insert("rust_version".into(), RUST_VERSION.into());
    host.insert("target".into(), TARGET.into());
    host.insert("profile".into(), PROFILE.into());
    if let Ok(cores) = std::thread::available_parallelism() {
        host.insert("cores".into(), cores.get().into());
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    if let Some(bytes) = mem_total_bytes(&meminfo) {
        host.insert("memory_total".into(), bytes.into());
    }
    Value::Object(host)
}

/// `{name: value}` for the `names` that `var` knows, for `ENV`, with the credentials of
/// any URL in a value masked (`SACRED_MONGO_URL` may be listed).
pub(crate) fn captured_vars(names: &[String], var: impl Fn(&str) -> Option<String>) -> Value {
    let vars = names
        .iter()
        .filter_map(|name| {
            let value = crate::secret::mask_text(&var(name)?);
            Some((name.clone(), Value::String(value)))
        })
        .collect();
    Value::Object(vars)
}

/// The CPU's model name: the first `model name` of `/proc/cpuinfo` on Linux,
/// `machdep.cpu.brand_string` on macOS.
fn cpu() -> Option<String> {
    if cfg!(target_os = "macos") {
        let out = command_output("sysctl", &["-n", "machdep.cpu.brand_string"])?;
        let brand = out.trim();
        return (!brand.is_empty()).then(|| brand.to_owned());
    }
    cpu_model(&std::fs::read_to_string("/proc/cpuinfo").ok()?)
}

/// The value of the first `model name` line of a `cpuinfo` text.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_owned())
    })
}

/// `MemTotal` of a `meminfo` text, in bytes.
fn mem_total_bytes(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut words = line["MemTotal:".len()..].split_whitespace();
    let amount: u64 = words.next()?.parse().ok()?;
    let unit = match words.next() {
        None => 1,
        Some(unit) if unit.eq_ignore_ascii_case("kb") => 1024,
        Some(_) => return None,
    };
    amount.checked_mul(unit)
}

/// Sacred's `gpus` value from `nvidia-smi`; `None` when it is missing, fails, or lists no
/// GPU.
pub(crate) fn gpus() -> Option<Value> {
    let csv = command_output(
        "nvidia-smi",
        &[
            "--query-gpu=name,memory.total,persistence_mode,driver_version",
            "--format=csv,noheader,nounits",
        ],
    )?;
    parse_nvidia_smi(&csv)
}

/// Parses the output of `nvidia-smi --query-gpu=name,memory.total,persistence_mode,
/// driver_version --format=csv,noheader,nounits` into Sacred's shape:
/// `{"gpus": [{"model", "total_memory" (MiB), "persistence_mode"}], "driver_version"}`.
///
/// A `[N/A]` memory or driver version is `null`; a persistence mode other than `Enabled`
/// is `false`, as in Sacred. `None` when no line can be read.
pub(crate) fn parse_nvidia_smi(csv: &str) -> Option<Value> {
    let mut driver_version = Value::Null;
    let mut gpus = Vec::new();
    for line in csv.lines().filter(|l| !l.trim().is_empty()) {
        // From the right: a model name may hold a comma.
        let mut fields = line.rsplitn(4, ',').map(str::trim);
        let (Some(driver), Some(persistence), Some(memory), Some(model)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if gpus.is_empty() && !not_available(driver) {
            driver_version = Value::String(driver.to_owned());
        }
        let total_memory = memory.parse::<u64>().map_or(Value::Null, Value::from);
        gpus.push(json!({
            "model": model,
            "total_memory": total_memory,
            "persistence_mode": persistence == "Enabled",
        }));
    }
    if gpus.is_empty() {
        return None;
    }
    Some(json!({"gpus": gpus, "driver_version": driver_version}))
}

/// `[N/A]`, `N/A` and the like: nvidia-smi's "no value".
fn not_available(field: &str) -> bool {
    field.is_empty() || field.trim_matches(['[', ']']).eq_ignore_ascii_case("n/a")
}

/// The standard output of a command that succeeded.
fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_gpu() {
        let gpus = parse_nvidia_smi("NVIDIA H200, 143771, Enabled, 580.159.04\n");
        assert_eq!(
            gpus,
            Some(json!({
                "gpus": [{"model": "NVIDIA H200", "total_memory": 143771, "persistence_mode": true}],
                "driver_version": "580.159.04",
            }))
        );
    }

    #[test]
    fn two_gpus() {
        let csv = "NVIDIA H100 80GB HBM3, 81559, Disabled, 550.54.15\n\
                   Tesla T4, 15360, Enabled, 550.54.15\n";
        assert_eq!(
            parse_nvidia_smi(csv),
            Some(json!({
                "gpus": [
                    {"model": "NVIDIA H100 80GB HBM3", "total_memory": 81559, "persistence_mode": false},
                    {"model": "Tesla T4", "total_memory": 15360, "persistence_mode": true},
                ],
                "driver_version": "550.54.15",
            }))
        );
    }

    #[test]
    fn unavailable_fields_are_null_or_false() {
        let csv = "NVIDIA A100, with a comma, [N/A], [N/A], [N/A]\r\n";
        assert_eq!(
            parse_nvidia_smi(csv),
            Some(json!({
                "gpus": [{"model": "NVIDIA A100, with a comma", "total_memory": null, "persistence_mode": false}],
                "driver_version": null,
            }))
        );
    }

    #[test]
    fn no_gpu_lines_is_no_gpus() {
        assert_eq!(parse_nvidia_smi(""), None);
        assert_eq!(parse_nvidia_smi("\n"), None);
        assert_eq!(parse_nvidia_smi("No devices were found\n"), None);
    }

    #[test]
    fn cpu_model_is_the_first_model_name() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9654\n\
                       processor\t: 1\nmodel name\t: other\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC 9654"));
        assert_eq!(cpu_model("processor\t: 0\nFeatures\t: fp asimd\n"), None);
    }

    #[test]
    fn memory_total_is_in_bytes() {
        let meminfo = "MemTotal:       24684092 kB\nMemFree:        1000 kB\n";
        assert_eq!(mem_total_bytes(meminfo), Some(24_684_092 * 1024));
        assert_eq!(mem_total_bytes("MemFree: 1 kB\n"), None);
        assert_eq!(mem_total_bytes("MemTotal: lots\n"), None);
    }

    #[test]
    fn captured_vars_keeps_the_names_that_are_set() {
        let names = ["HOME".to_owned(), "MISSING".to_owned()];
        let vars = captured_vars(&names, |name| {
            (name == "HOME").then(|| "/home/u".to_owned())
        });
        assert_eq!(vars, json!({"HOME": "/home/u"}));
        assert_eq!(captured_vars(&[], |_| None), json!({}));
    }

    #[test]
    fn captured_urls_have_their_credentials_masked() {
        let names = ["SACRED_MONGO_URL".to_owned()];
        let vars = captured_vars(&names, |_| {
            Some("mongodb://u:pw@h/db?tlsCertificateKeyFilePassword=hunter2".to_owned())
        });
        assert_eq!(
            vars,
            json!({"SACRED_MONGO_URL": "mongodb://u:***@h/db?tlsCertificateKeyFilePassword=***"})
        );
    }

    #[test]
    fn host_info_has_sacreds_keys_and_rusts() {
        let host = host_info(&["PATH".to_owned(), "SACRED_SURELY_UNSET_VAR".to_owned()]);
        assert!(host["hostname"].is_string(), "{host}");
        let os = host["os"].as_array().unwrap();
        assert_eq!(os.len(), 2);
        let sysname = os[0].as_str().unwrap();
        assert!(!sysname.is_empty());
        assert!(os[1].as_str().unwrap().starts_with(&format!("{sysname}-")));
        assert!(host["cpu"].is_string() || host["cpu"].is_null(), "{host}");
        assert!(host["ENV"]["PATH"].is_string(), "{host}");
        assert_eq!(host["ENV"].as_object().unwrap().len(), 1, "{host}");
        assert!(
            host["rust_version"].as_str().unwrap().starts_with("rustc "),
            "{host}"
        );
        assert!(!host["target"].as_str().unwrap().is_empty());
        assert!(["debug", "release"].contains(&host["profile"].as_str().unwrap()));
        assert!(host["cores"].as_u64().unwrap() >= 1);
        if cfg!(target_os = "linux") {
            assert!(host["memory_total"].as_u64().unwrap() > 0);
        }
        if let Some(gpus) = host.get("gpus") {
            assert!(!gpus["gpus"].as_array().unwrap().is_empty(), "{host}");
        }
        assert!(host.get("python_version").is_none());
    }
}
