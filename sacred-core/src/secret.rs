//! Credentials kept out of everything that is shown or stored: the one place where a URL's
//! password and secret options are masked.
//!
//! Every URL that can reach a record (`meta.options`, `host.ENV`, a repository's `url`), a
//! log line or an error goes through here: [`mask_url`] for a URL the program connects to
//! (it also returns the secrets, so that a driver's message can be [`scrub`](MaskedUrl::scrub)bed),
//! [`mask_text`] for free text that may hold URLs (an environment variable's value), and
//! [`strip_credentials`] for a git remote, whose user information is dropped altogether.
//!
//! ```
//! use sacred_core::secret::mask_url;
//!
//! let url = mask_url("mongodb://alice:pa/ss@db:27017/lab?tlsCertificateKeyFilePassword=k3y");
//! assert_eq!(url.masked(), "mongodb://alice:***@db:27017/lab?tlsCertificateKeyFilePassword=***");
//! assert_eq!(url.scrub("auth failed for pa/ss"), "auth failed for ***");
//! ```

/// What replaces a password (or another secret) wherever a URL is shown.
pub const MASK: &str = "***";

/// Connection-string options whose values are secrets (compared case-insensitively).
const SECRET_OPTIONS: [&str; 3] = [
    "authmechanismproperties",
    "tlscertificatekeyfilepassword",
    "sslclientcertificatekeypassword",
];

/// A URL with its secrets masked, and the secrets themselves (raw and percent-decoded) for
/// scrubbing other texts that may quote them.
///
/// `Debug` shows the masked URL only.
#[derive(Clone, PartialEq, Eq)]
pub struct MaskedUrl {
    masked: String,
    /// Longest first, so that a secret containing another is masked whole.
    secrets: Vec<String>,
}

impl MaskedUrl {
    /// The URL with the password and secret option values replaced by [`MASK`].
    pub fn masked(&self) -> &str {
        &self.masked
    }

    /// `text` with every secret of the URL replaced by [`MASK`].
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.secrets {
            text = text.replace(secret.as_str(), MASK);
        }
        text
    }

    /// Whether the URL holds any secret.
    pub fn has_secrets(&self) -> bool {
        !self.secrets.is_empty()
    }
}

impl std::fmt::Debug for MaskedUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("MaskedUrl").field(&self.masked).finish()
    }
}

impl std::fmt::Display for MaskedUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked)
    }
}

/// Masks a URL's password and the values of secret options (`authMechanismProperties`,
/// `tlsCertificateKeyFilePassword`, `sslClientCertificateKeyPassword`).
///
/// It splits as MongoDB's driver does: the options after the first `?`, the user
/// information before the last `@` of what precedes them (so a password may hold an
/// unencoded `/` or `@`), the password after the first `:` of the user information. A
/// text without `://` is masked the same way when it holds an `@`; otherwise (Sacred's
/// short `host:port:db` forms) it has no secrets and is kept.
pub fn mask_url(url: &str) -> MaskedUrl {
    let mut secrets = Vec::new();
    // Without a scheme, credentials can still be typed in (`user:pw@host:27017:db`, which
    // Sacred's short form refuses): they are masked the same way.
    let (mut masked, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None if url.contains('@') => (String::new(), url),
        None => {
            return MaskedUrl {
                masked: url.to_owned(),
                secrets,
            };
        }
    };
    let (before_options, options) = match rest.split_once('?') {
        Some((before, options)) => (before, Some(options)),
        None => (rest, None),
    };
    match before_options.rsplit_once('@') {
        Some((user_info, hosts)) => {
            match user_info.split_once(':') {
                Some((user, password)) => {
                    add_secret(&mut secrets, password);
                    masked.push_str(user);
                    masked.push(':');
                    masked.push_str(MASK);
                }
                None => masked.push_str(user_info),
            }
            masked.push('@');
            masked.push_str(hosts);
        }
        None => masked.push_str(before_options),
    }
    if let Some(options) = options {
        masked.push('?');
        for (i, option) in options.split('&').enumerate() {
            if i > 0 {
                masked.push('&');
            }
            match option.split_once('=') {
                Some((key, value))
                    if SECRET_OPTIONS.contains(&key.to_ascii_lowercase().as_str()) =>
                {
                    add_secret(&mut secrets, value);
                    // `authMechanismProperties=KEY:value,KEY:value`: each value too.
                    for property in percent_decode(value).split(',') {
                        if let Some((_, secret)) = property.split_once(':') {
                            add_secret(&mut secrets, secret);
                        }
                    }
                    masked.push_str(key);
                    masked.push('=');
                    masked.push_str(MASK);
                }
                _ => masked.push_str(option),
            }
        }
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    MaskedUrl { masked, secrets }
}

/// Free text (an environment variable's value, a message) with the secrets of every URL in
/// it masked. A URL is a whitespace-separated word holding `://`; quotes and commas around
/// or between URLs are kept.
pub fn mask_text(text: &str) -> String {
    if !text.contains("://") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, after) = rest.split_at(word_end);
        out.push_str(&mask_word(word));
        let space_end = after
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(after.len());
        out.push_str(&after[..space_end]);
        rest = &after[space_end..];
    }
    out
}

/// One word of [`mask_text`]: each comma-separated URL in it masked, surrounding quotes kept.
fn mask_word(word: &str) -> String {
    if !word.contains("://") {
        return word.to_owned();
    }
    word.split(',')
        .map(|part| {
            let start = part
                .find(|c: char| !"\"'<(".contains(c))
                .unwrap_or(part.len());
            let end = part
                .rfind(|c: char| !"\"'>);".contains(c))
                .map_or(start, |i| i + 1)
                .max(start);
            format!(
                "{}{}{}",
                &part[..start],
                mask_url(&part[start..end]).masked,
                &part[end..]
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A git remote URL without credentials: the user information of a URL with a scheme is
/// removed when it holds a password (`https://user:pass@host/x`) or when the scheme is not
/// ssh (`https://token@host/x`), since a bare user there is usually a token. An ssh user
/// (`ssh://git@host/x`, `git@host:x`) is not a secret and stays.
pub fn strip_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let ssh = scheme.eq_ignore_ascii_case("ssh")
        || scheme.eq_ignore_ascii_case("git+ssh")
        || scheme.eq_ignore_ascii_case("ssh+git");
    if ssh && !userinfo.contains(':') {
        return url.to_owned();
    }
    format!("{scheme}://{host}{path}")
}

/// Records `raw` and its percent-decoded form as secrets.
fn add_secret(secrets: &mut Vec<String>, raw: &str) {
    if raw.is_empty() {
        return;
    }
    secrets.push(raw.to_owned());
    let decoded = percent_decode(raw);
    if decoded != raw && !decoded.is_empty() {
        secrets.push(decoded);
    }
}

/// `%XX` sequences decoded (invalid ones kept as they are; invalid UTF-8 replaced).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked() {
        for (url, expected) in [
            (
                "mongodb://alice:s3cret@db.example:27017/runs?authSource=admin",
                "mongodb://alice:***@db.example:27017/runs?authSource=admin",
            ),
            ("mongodb://db:27017/x", "mongodb://db:27017/x"),
            ("localhost:27017:runs", "localhost:27017:runs"),
            ("mongodb+srv://bob@h/x", "mongodb+srv://bob@h/x"),
            // An unencoded `/` or `@` in the password: the driver splits at the last `@`.
            (
                "mongodb://bob:hun/ter2@127.0.0.1:1/db",
                "mongodb://bob:***@127.0.0.1:1/db",
            ),
            ("mongodb://bob:a@b@h/db", "mongodb://bob:***@h/db"),
            // No scheme, but credentials all the same.
            ("user:pw@host:27017:db", "user:***@host:27017:db"),
            ("user@host:27017:db", "user@host:27017:db"),
        ] {
            assert_eq!(mask_url(url).masked(), expected, "{url}");
        }
    }

    #[test]
    fn secret_options_are_masked() {
        let url = mask_url(
            "mongodb://u:p%40ss@h/db?tlsCertificateKeyFilePassword=hunter2&\
             authMechanismProperties=AWS_SESSION_TOKEN:tok3n&SSLClientCertificateKeyPassword=k&w=1",
        );
        assert_eq!(
            url.masked(),
            "mongodb://u:***@h/db?tlsCertificateKeyFilePassword=***&\
             authMechanismProperties=***&SSLClientCertificateKeyPassword=***&w=1"
        );
        let scrubbed = url.scrub("p@ss p%40ss hunter2 tok3n");
        assert_eq!(scrubbed, "*** *** *** ***");
        assert!(url.has_secrets());
        assert!(!format!("{url:?}").contains("hunter2"));
        assert!(!mask_url("mongodb://h/db").has_secrets());
    }

    #[test]
    fn urls_in_text_are_masked() {
        assert_eq!(mask_text("plain value"), "plain value");
        assert_eq!(
            mask_text("primary=mongodb://u:pw@h/db, \"https://t:x@host/a\",mongodb://v:q@k"),
            "primary=mongodb://u:***@h/db, \"https://t:***@host/a\",mongodb://v:***@k"
        );
        assert_eq!(
            mask_text("  mongodb://u:pw@h/db?tlsCertificateKeyFilePassword=z  end "),
            "  mongodb://u:***@h/db?tlsCertificateKeyFilePassword=***  end "
        );
    }

    #[test]
    fn remote_credentials_are_stripped() {
        for (url, expected) in [
            ("https://user:pass@host/x.git", "https://host/x.git"),
            ("https://token@host/x", "https://host/x"),
            ("http://u:p@host:8080/a/b?q=1", "http://host:8080/a/b?q=1"),
            ("https://a:b@c@host", "https://host"),
            ("https://host/x@y", "https://host/x@y"),
            ("https://host/x", "https://host/x"),
            ("ssh://git@host/x", "ssh://git@host/x"),
            ("ssh://git:secret@host/x", "ssh://host/x"),
            ("git@host:x", "git@host:x"),
            ("/srv/git/x", "/srv/git/x"),
        ] {
            assert_eq!(strip_credentials(url), expected, "{url}");
        }
    }
}
