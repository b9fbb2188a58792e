//! The md5 digests Sacred's records use: of sources, resources and artifacts.

use std::io::Read;
use std::path::Path;

use md5::{Digest, Md5};

/// The md5 of `bytes`, as 32 lowercase hex digits.
///
/// ```
/// assert_eq!(sacred_core::digest::md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
/// ```
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

/// The md5 of a file's contents, read in blocks, as 32 lowercase hex digits.
///
/// # Errors
/// The file cannot be opened or read.
pub fn md5_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Md5::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Whether `text` looks like an md5 in hex (and so is safe in a file name).
pub fn is_md5_hex(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_known_values() {
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("x");
        std::fs::write(&path, b"hello").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            md5_file(&path).unwrap_or_default(),
            "5d41402abc4b2a76b9719d911017c592"
        );
        assert!(md5_file(&dir.path().join("missing")).is_err());
        assert!(is_md5_hex("5d41402abc4b2a76b9719d911017c592"));
        assert!(!is_md5_hex("not an md5"));
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
