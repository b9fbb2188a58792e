//! MongoDB connection strings taken apart and put together again, so that a test can give
//! `-m` the server's URL with its own database, for any URL the test environment names:
//! credentials, several hosts, `mongodb+srv`, options such as `?authSource=admin`.

use std::fmt;

use sacred_core::secret::mask_url;

use crate::percent_encode;

/// A MongoDB connection string, `scheme://[user:password@]hosts[/db][?options]`, taken
/// apart. Its parts are kept as written (percent-encoded where the URL encodes them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MongoUrl {
    scheme: String,
    /// `user[:password]`, as written.
    userinfo: Option<String>,
    /// `host[:port][,host[:port]...]`
    hosts: String,
    /// The database of the path (empty when there is none).
    db: String,
    /// The database the URL named in its path, which is the authentication source of its
    /// credentials unless an option says otherwise.
    auth_db: String,
    /// `key=value` options, in order, as written.
    options: Vec<String>,
}

impl MongoUrl {
    /// Takes `url` apart; panics when it is not a MongoDB connection string.
    pub fn parse(url: &str) -> Self {
        let Some((scheme, rest)) = url.trim().split_once("://") else {
            panic!("{url:?} is not a MongoDB connection string (mongodb://host:port)");
        };
        assert!(
            scheme == "mongodb" || scheme == "mongodb+srv",
            "{url:?} is not a MongoDB connection string (mongodb://host:port)"
        );
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        // The credentials end at the last '@' (before the path, which has none); the path
        // starts at the first '/' after them.
        let (userinfo, rest) = match rest.rfind('@') {
            Some(i) => (Some(rest[..i].to_owned()), &rest[i + 1..]),
            None => (None, rest),
        };
        let (hosts, db) = rest.split_once('/').unwrap_or((rest, ""));
        Self {
            scheme: scheme.to_owned(),
            userinfo,
            hosts: hosts.to_owned(),
            db: db.to_owned(),
            auth_db: db.to_owned(),
            options: query
                .split('&')
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    /// The same URL with `db` as its database: what `-m` takes. Credentials and options
    /// are kept; a database the URL named for authentication stays the authentication
    /// source (`authSource`).
    #[must_use]
    pub fn with_db(mut self, db: &str) -> Self {
        db.clone_into(&mut self.db);
        self
    }

    /// The same URL with these credentials (percent-encoded here) instead of its own.
    #[must_use]
    pub fn with_credentials(mut self, user: &str, password: &str) -> Self {
        self.userinfo = Some(format!(
            "{}:{}",
            percent_encode(user),
            percent_encode(password)
        ));
        self
    }

    /// The same URL with the option `key=value` (`value` as written), replacing one of the
    /// same key (keys are case-insensitive).
    #[must_use]
    pub fn with_option(mut self, key: &str, value: &str) -> Self {
        self.options.retain(|o| !option_is(o, key));
        self.options.push(format!("{key}={value}"));
        self
    }

    /// The database of the path (empty when it names none).
    pub fn db(&self) -> &str {
        &self.db
    }

    /// Whether it is a `mongodb+srv` URL (its host is a DNS name to look up, not a server).
    pub fn is_srv(&self) -> bool {
        self.scheme == "mongodb+srv"
    }

    /// The first host, `host:port`, with MongoDB's default port when it names none.
    pub fn first_host(&self) -> String {
        let first = self.hosts.split(',').next().unwrap_or(&self.hosts);
        let has_port = if first.starts_with('[') {
            first.contains("]:")
        } else {
            first.contains(':')
        };
        if has_port {
            first.to_owned()
        } else {
            format!("{first}:27017")
        }
    }

    /// The URL with its password (and secret options) replaced by `***`: what a message
    /// may show. Masked by `sacred_core::secret`, as the observer masks URLs.
    pub fn masked(&self) -> String {
        mask_url(&self.to_string()).masked().to_owned()
    }

    /// The options of the URL as written, with `authSource` added when the database
    /// changed and the credentials were to be checked against the old one.
    fn options(&self) -> Vec<String> {
        let mut options = self.options.clone();
        if self.userinfo.is_some()
            && !self.auth_db.is_empty()
            && self.auth_db != self.db
            && !options.iter().any(|o| option_is(o, "authSource"))
        {
            options.push(format!("authSource={}", self.auth_db));
        }
        options
    }
}

impl fmt::Display for MongoUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if let Some(userinfo) = &self.userinfo {
            write!(f, "{userinfo}@")?;
        }
        f.write_str(&self.hosts)?;
        let options = self.options();
        if !self.db.is_empty() || !options.is_empty() {
            write!(f, "/{}", self.db)?;
        }
        if !options.is_empty() {
            write!(f, "?{}", options.join("&"))?;
        }
        Ok(())
    }
}

/// `url` (a MongoDB connection string) with `db` as its database: what `-m` takes. See
/// [`MongoUrl::with_db`].
pub fn url_with_db(url: &str, db: &str) -> String {
    MongoUrl::parse(url).with_db(db).to_string()
}

/// Whether the option `option` (`key=value`) has the key `key`, ignoring case.
fn option_is(option: &str, key: &str) -> bool {
    option
        .split('=')
        .next()
        .is_some_and(|k| k.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_goes_into_the_path_before_the_options() {
        for (url, db, expected) in [
            (
                "mongodb://127.0.0.1:27017",
                "t",
                "mongodb://127.0.0.1:27017/t",
            ),
            (
                "mongodb://127.0.0.1:27017/",
                "t",
                "mongodb://127.0.0.1:27017/t",
            ),
            (
                "mongodb://127.0.0.1:27017/old",
                "t",
                "mongodb://127.0.0.1:27017/t",
            ),
            (
                "mongodb://127.0.0.1:27017/?directConnection=true",
                "t",
                "mongodb://127.0.0.1:27017/t?directConnection=true",
            ),
            (
                // The case `format!("{url}/{db}")` got wrong: `…?authSource=admin/t`.
                "mongodb://u:p@h:27017/?authSource=admin",
                "t",
                "mongodb://u:p@h:27017/t?authSource=admin",
            ),
            (
                "mongodb://u:p@h:27017/?authSource=admin&tls=true&replicaSet=rs0",
                "t",
                "mongodb://u:p@h:27017/t?authSource=admin&tls=true&replicaSet=rs0",
            ),
            (
                "mongodb+srv://u:p%40ss@cluster.example.com/?retryWrites=true",
                "t",
                "mongodb+srv://u:p%40ss@cluster.example.com/t?retryWrites=true",
            ),
            ("mongodb://[::1]:27017", "t", "mongodb://[::1]:27017/t"),
        ] {
            assert_eq!(url_with_db(url, db), expected, "{url}");
        }
    }

    #[test]
    fn the_database_of_the_credentials_stays_their_authentication_source() {
        assert_eq!(
            url_with_db("mongodb://u:p@h:1,h2:2/admin", "t"),
            "mongodb://u:p@h:1,h2:2/t?authSource=admin"
        );
        assert_eq!(
            url_with_db("mongodb://u:p@h/admin?tls=true", "t"),
            "mongodb://u:p@h/t?tls=true&authSource=admin"
        );
        // An authSource of the URL's own wins; without credentials the path is no
        // authentication source.
        assert_eq!(
            url_with_db("mongodb://u:p@h/admin?AUTHSOURCE=other", "t"),
            "mongodb://u:p@h/t?AUTHSOURCE=other"
        );
        assert_eq!(url_with_db("mongodb://h/admin", "t"), "mongodb://h/t");
        // A password with '@' or '/' in it (percent-encoded, as it must be).
        assert_eq!(
            url_with_db("mongodb://u:a%40b%2Fc@h:1/?authSource=admin", "t"),
            "mongodb://u:a%40b%2Fc@h:1/t?authSource=admin"
        );
    }

    #[test]
    fn credentials_and_options_can_be_set() {
        let url = MongoUrl::parse("mongodb://127.0.0.1:5/?serverSelectionTimeoutMS=100")
            .with_db("lab")
            .with_credentials("alice", "hunter 2@x")
            .with_option("serverselectiontimeoutms", "3000")
            .with_option("authSource", "admin");
        assert_eq!(
            url.to_string(),
            "mongodb://alice:hunter%202%40x@127.0.0.1:5/lab?serverselectiontimeoutms=3000&authSource=admin"
        );
        assert_eq!(
            url.masked(),
            "mongodb://alice:***@127.0.0.1:5/lab?serverselectiontimeoutms=3000&authSource=admin"
        );
        assert_eq!(url.db(), "lab");
    }

    #[test]
    fn the_first_host_gets_the_default_port() {
        assert_eq!(
            MongoUrl::parse("mongodb://u:p@h,h2:2").first_host(),
            "h:27017"
        );
        assert_eq!(MongoUrl::parse("mongodb://h:1,h2:2/x").first_host(), "h:1");
        assert_eq!(
            MongoUrl::parse("mongodb://[::1]/x").first_host(),
            "[::1]:27017"
        );
        assert_eq!(MongoUrl::parse("mongodb://[::1]:7").first_host(), "[::1]:7");
        assert!(MongoUrl::parse("mongodb+srv://c.example.com").is_srv());
    }

    #[test]
    fn a_url_without_credentials_prints_as_given() {
        for url in [
            "mongodb://127.0.0.1:27017",
            "mongodb://127.0.0.1:27017/db",
            "mongodb://h1:1,h2:2/db?replicaSet=rs0&w=majority",
        ] {
            assert_eq!(MongoUrl::parse(url).to_string(), url);
            assert_eq!(MongoUrl::parse(url).masked(), url);
        }
    }
}
