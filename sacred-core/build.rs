//! Records how `sacred-core` was built, for the host information of runs: the rustc
//! version, the target triple and the cargo profile.

use std::process::Command;

fn main() {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("-V")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|version| !version.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=SACRED_RUSTC_VERSION={version}");
    println!("cargo:rustc-env=SACRED_TARGET={}", var("TARGET"));
    println!("cargo:rustc-env=SACRED_PROFILE={}", var("PROFILE"));
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC");
}
