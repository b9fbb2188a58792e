//! Values of `with key=value` updates.
//!
//! Sacred evaluates an update's value as a Python literal and keeps the raw text as a string
//! when that fails. This is a small recursive-descent parser for the same idea, with JSON as
//! the result:
//!
//! - integers with Python's grammar (`1_000`, `0x1F`, `0o17`, `0b101`, a sign) become JSON
//!   integers (`i64`, or `u64` when only that holds them); larger ones stay text;
//! - floats (`1.`, `.1`, `1e3`, `-.4e-12`) become JSON floats; `nan`, `inf` and overflowing
//!   ones stay text, since JSON cannot hold them;
//! - `true`/`True`, `false`/`False`, `null`/`None`;
//! - quoted strings `'…'` or `"…"` with backslash escapes;
//! - arrays `[a, b]` and Python tuples `(a, b)`, trailing comma allowed;
//! - inline tables `{key: v, "key2": v, key3 = v}`;
//! - inside arrays and tables, a bare word is a string (`[adam, sgd]`).
//!
//! Whatever does not parse as exactly one literal is the trimmed text itself.

use serde_json::{Map, Number, Value};

/// How deeply arrays and tables may nest before the text is taken as a plain string.
const MAX_DEPTH: usize = 64;

/// Parses the value of an update.
///
/// Never fails: text that is not one literal is returned as a string, trimmed.
pub(crate) fn parse_value(text: &str) -> Value {
    let text = text.trim();
    let mut parser = Parser {
        src: text,
        pos: 0,
        depth: 0,
    };
    match parser.value() {
        Some(value) if parser.at_end() => value,
        _ => Value::String(text.to_owned()),
    }
}

/// Characters that end a bare word.
fn ends_bare_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | '[' | ']' | '(' | ')' | '{' | '}' | '"' | '\'')
}

/// Characters of a bare table key.
fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.pos += expected.len_utf8();
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos == self.src.len()
    }

    /// Consumes characters while `keep` holds and returns them.
    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.bump();
        }
        &self.src[start..self.pos]
    }

    fn value(&mut self) -> Option<Value> {
        self.skip_ws();
        match self.peek()? {
            '[' => self.nested(|p| p.array()),
            '(' => self.nested(|p| p.tuple()),
            '{' => self.nested(|p| p.table()),
            '"' | '\'' => self.string().map(Value::String),
            _ => {
                let word = self.take_while(|c| !ends_bare_word(c));
                if word.is_empty() {
                    None
                } else {
                    Some(scalar(word))
                }
            }
        }
    }

    /// Runs `parse` one nesting level deeper, giving up past [`MAX_DEPTH`].
    fn nested(&mut self, parse: impl FnOnce(&mut Self) -> Option<Value>) -> Option<Value> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let value = parse(self);
        self.depth -= 1;
        value
    }

    /// The items of a comma-separated list up to `close`, the opening bracket already
    /// consumed; also whether a comma was seen.
    fn items(&mut self, close: char) -> Option<(Vec<Value>, bool)> {
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            self.skip_ws();
            if self.eat(close) {
                return Some((items, comma));
            }
            items.push(self.value()?);
            self.skip_ws();
            if self.eat(',') {
                comma = true;
            } else if self.eat(close) {
                return Some((items, comma));
            } else {
                return None;
            }
        }
    }

    fn array(&mut self) -> Option<Value> {
        self.bump();
        self.items(']').map(|(items, _)| Value::Array(items))
    }

    /// `()` and `(a, …)` are arrays; `(a)` is just `a`, as in Python.
    fn tuple(&mut self) -> Option<Value> {
        self.bump();
        let (mut items, comma) = self.items(')')?;
        if items.len() == 1 && !comma {
            items.pop()
        } else {
            Some(Value::Array(items))
        }
    }

    fn table(&mut self) -> Option<Value> {
        self.bump();
        let mut map = Map::new();
        loop {
            self.skip_ws();
            if self.eat('}') {
                return Some(Value::Object(map));
            }
            let key = match self.peek()? {
                '"' | '\'' => self.string()?,
                _ => {
                    let key = self.take_while(is_key_char);
                    if key.is_empty() {
                        return None;
                    }
                    key.to_owned()
                }
            };
            self.skip_ws();
            if !(self.eat(':') || self.eat('=')) {
                return None;
            }
            let value = self.value()?;
            map.insert(key, value);
            self.skip_ws();
            if self.eat('}') {
                return Some(Value::Object(map));
            }
            if !self.eat(',') {
                return None;
            }
        }
    }

    /// A quoted string, the opening quote not yet consumed.
    fn string(&mut self) -> Option<String> {
        let quote = self.bump()?;
        let mut out = String::new();
        loop {
            let c = self.bump()?;
            if c == quote {
                return Some(out);
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let escape = self.bump()?;
            match escape {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                '\\' | '\'' | '"' => out.push(escape),
                'x' => out.push(char::from_u32(self.hex(2)?)?),
                'U' => out.push(char::from_u32(self.hex(8)?)?),
                'u' => out.push(self.unicode_escape()?),
                // Python keeps unknown escapes as they are (`C:\data`).
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
    }

    /// The rest of a `\uXXXX` escape, combining a surrogate pair.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex(4)?;
        if (0xD800..0xDC00).contains(&first) {
            if !(self.eat('\\') && self.eat('u')) {
                return None;
            }
            let second = self.hex(4)?;
            if !(0xDC00..0xE000).contains(&second) {
                return None;
            }
            char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
        } else {
            char::from_u32(first)
        }
    }

    /// Exactly `n` hexadecimal digits.
    fn hex(&mut self, n: usize) -> Option<u32> {
        let mut value = 0u32;
        for _ in 0..n {
            value = value * 16 + self.bump()?.to_digit(16)?;
        }
        Some(value)
    }
}

/// A bare word: a keyword, a number, or else the word itself.
fn scalar(word: &str) -> Value {
    match word {
        "true" | "True" => Value::Bool(true),
        "false" | "False" => Value::Bool(false),
        "null" | "None" => Value::Null,
        _ => number(word).unwrap_or_else(|| Value::String(word.to_owned())),
    }
}

/// A Python int or float literal with an optional sign, when JSON can hold it.
fn number(word: &str) -> Option<Value> {
    let (negative, body) = match word.as_bytes().first()? {
        b'-' => (true, &word[1..]),
        b'+' => (false, &word[1..]),
        _ => (false, word),
    };
    let lower = body.get(..2).map(str::to_ascii_lowercase);
    let radix = match lower.as_deref() {
        Some("0x") => Some(16),
        Some("0o") => Some(8),
        Some("0b") => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        let rest = &body[2..];
        let rest = rest.strip_prefix('_').unwrap_or(rest);
        let digits = digit_part(rest, radix)?;
        return int(negative, u128::from_str_radix(&digits, radix).ok()?);
    }
    if let Some(digits) = digit_part(body, 10) {
        // Python rejects leading zeros in a non-zero decimal integer (`0123`).
        if digits.starts_with('0') && digits.bytes().any(|b| b != b'0') {
            return None;
        }
        return int(negative, digits.parse().ok()?);
    }
    let magnitude: f64 = float_body(body)?.parse().ok()?;
    let value = if negative { -magnitude } else { magnitude };
    Number::from_f64(value).map(Value::Number)
}

/// A JSON integer from a sign and a magnitude, when `i64` or `u64` holds it.
fn int(negative: bool, magnitude: u128) -> Option<Value> {
    let signed = i128::try_from(magnitude).ok()?;
    let signed = if negative { -signed } else { signed };
    if let Ok(v) = i64::try_from(signed) {
        Some(Value::from(v))
    } else {
        u64::try_from(signed).ok().map(Value::from)
    }
}

/// Python's `digitpart`: digits of `radix` with single underscores between them. Returns
/// the digits without underscores.
fn digit_part(text: &str, radix: u32) -> Option<String> {
    let mut digits = String::with_capacity(text.len());
    let mut after_underscore = true;
    for c in text.chars() {
        if c == '_' {
            if after_underscore {
                return None;
            }
            after_underscore = true;
        } else if c.is_digit(radix) {
            digits.push(c);
            after_underscore = false;
        } else {
            return None;
        }
    }
    if after_underscore { None } else { Some(digits) }
}

/// Python's float grammar without the sign: `[digits] . digits`, `digits .`, each with an
/// optional exponent, or `digits exponent`. Returns the text without underscores.
fn float_body(text: &str) -> Option<String> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let mut clean = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            if whole.is_empty() && fraction.is_empty() {
                return None;
            }
            let whole = if whole.is_empty() {
                "0".to_owned()
            } else {
                digit_part(whole, 10)?
            };
            let fraction = if fraction.is_empty() {
                "0".to_owned()
            } else {
                digit_part(fraction, 10)?
            };
            format!("{whole}.{fraction}")
        }
        None => {
            // Without a point, only an exponent makes a float; plain digits are ints.
            exponent?;
            digit_part(mantissa, 10)?
        }
    };
    if let Some(exponent) = exponent {
        let (sign, digits) = match exponent.as_bytes().first()? {
            b'-' => ("-", &exponent[1..]),
            b'+' => ("", &exponent[1..]),
            _ => ("", exponent),
        };
        clean.push('e');
        clean.push_str(sign);
        clean.push_str(&digit_part(digits, 10)?);
    }
    Some(clean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(text: &str) -> Value {
        parse_value(text)
    }

    fn is_float(v: &Value, expected: f64) -> bool {
        v.is_f64() && v.as_f64() == Some(expected)
    }

    #[test]
    fn decimal_integers() {
        assert_eq!(p("0"), json!(0));
        assert_eq!(p("42"), json!(42));
        assert_eq!(p("-7"), json!(-7));
        assert_eq!(p("+7"), json!(7));
        assert_eq!(p("-0"), json!(0));
        assert_eq!(p("1_000_000"), json!(1_000_000));
        assert_eq!(p("000"), json!(0));
        assert_eq!(p("0_0"), json!(0));
        assert!(p("42").is_i64());
    }

    #[test]
    fn integers_are_trimmed() {
        assert_eq!(p("  42\t"), json!(42));
        assert_eq!(p("\n-3 "), json!(-3));
    }

    #[test]
    fn integer_limits() {
        assert_eq!(p("9223372036854775807"), json!(i64::MAX));
        assert_eq!(p("-9223372036854775808"), json!(i64::MIN));
        let big = p("18446744073709551615");
        assert!(big.is_u64());
        assert_eq!(big, json!(u64::MAX));
        assert_eq!(
            p("9223372036854775808"),
            json!(9_223_372_036_854_775_808u64)
        );
    }

    #[test]
    fn integers_too_large_stay_text() {
        assert_eq!(p("18446744073709551616"), json!("18446744073709551616"));
        assert_eq!(p("-9223372036854775809"), json!("-9223372036854775809"));
        let huge = "1".repeat(60);
        assert_eq!(p(&huge), json!(huge));
        assert_eq!(
            p("0x1_0000_0000_0000_0000"),
            json!("0x1_0000_0000_0000_0000")
        );
    }

    #[test]
    fn prefixed_integers() {
        assert_eq!(p("0x1F"), json!(31));
        assert_eq!(p("0X1f"), json!(31));
        assert_eq!(p("0xff_ff"), json!(65535));
        assert_eq!(p("0x_ff"), json!(255));
        assert_eq!(p("0o17"), json!(15));
        assert_eq!(p("0O17"), json!(15));
        assert_eq!(p("0b101"), json!(5));
        assert_eq!(p("0B1_0"), json!(2));
        assert_eq!(p("-0x10"), json!(-16));
        assert_eq!(p("+0b1"), json!(1));
        assert_eq!(p("0xffffffffffffffff"), json!(u64::MAX));
    }

    #[test]
    fn malformed_integers_stay_text() {
        for text in [
            "0x", "0x_", "0b2", "0o8", "0xg", "1__0", "_1", "1_", "0123", "007", "--5", "+-5", "-",
            "+", "1-2", "12abc", "0x1.5",
        ] {
            assert_eq!(p(text), json!(text), "{text}");
        }
    }

    #[test]
    fn floats() {
        assert!(is_float(&p("1."), 1.0));
        assert!(is_float(&p(".1"), 0.1));
        assert!(is_float(&p("1.5"), 1.5));
        assert!(is_float(&p("+2.0"), 2.0));
        assert!(is_float(&p("-2.5"), -2.5));
        assert!(is_float(&p("1.5E+3"), 1500.0));
        assert!(is_float(&p("-.4e-12"), -0.4e-12));
        assert!(is_float(&p("1_000.000_1"), 1000.0001));
        assert!(is_float(&p("007.5"), 7.5));
        assert!(is_float(&p("00e1"), 0.0));
        assert!(is_float(&p("1.e2"), 100.0));
        assert!(is_float(&p("2e-1"), 0.2));
        assert!(is_float(&p("1e1_0"), 1e10));
    }

    #[test]
    fn exponent_without_point_is_a_float() {
        let v = p("1e3");
        assert!(v.is_f64(), "{v:?}");
        assert!(!v.is_i64());
        assert_eq!(v.as_f64(), Some(1000.0));
        assert_eq!(serde_json::to_string(&v).ok().as_deref(), Some("1000.0"));
    }

    #[test]
    fn negative_zero_float() {
        let v = p("-0.0");
        assert!(v.is_f64());
        assert!(v.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative()));
    }

    #[test]
    fn malformed_floats_stay_text() {
        for text in [
            "1.0.2", ".", "1e", "1e+", "e3", "1.5e", "1._5", "1_.5", "1e_3", ".e1", "1..2", "1.5f",
            "1,5",
        ] {
            assert_eq!(p(text), json!(text), "{text}");
        }
    }

    #[test]
    fn non_finite_floats_stay_text() {
        for text in [
            "nan", "NaN", "inf", "-inf", "+inf", "infinity", "Infinity", "1e400", "-1e400",
        ] {
            assert_eq!(p(text), json!(text), "{text}");
        }
    }

    #[test]
    fn keywords() {
        assert_eq!(p("true"), json!(true));
        assert_eq!(p("True"), json!(true));
        assert_eq!(p("false"), json!(false));
        assert_eq!(p("False"), json!(false));
        assert_eq!(p("null"), json!(null));
        assert_eq!(p("None"), json!(null));
        assert_eq!(p("TRUE"), json!("TRUE"));
        assert_eq!(p("none"), json!("none"));
        assert_eq!(p("Null"), json!("Null"));
    }

    #[test]
    fn bare_words_are_strings() {
        assert_eq!(p("bob"), json!("bob"));
        assert_eq!(p("adam"), json!("adam"));
        assert_eq!(p("./data/train.csv"), json!("./data/train.csv"));
        assert_eq!(p("http://host:27017/db"), json!("http://host:27017/db"));
        assert_eq!(p("b=c"), json!("b=c"));
        assert_eq!(p("1.0.2"), json!("1.0.2"));
    }

    #[test]
    fn empty_text_is_an_empty_string() {
        assert_eq!(p(""), json!(""));
        assert_eq!(p("   "), json!(""));
    }

    #[test]
    fn text_that_is_not_one_literal_is_kept_trimmed() {
        assert_eq!(p("  hello world  "), json!("hello world"));
        assert_eq!(p("it's"), json!("it's"));
        assert_eq!(p("1 2"), json!("1 2"));
        assert_eq!(p("'a' 'b'"), json!("'a' 'b'"));
        assert_eq!(p("[1] [2]"), json!("[1] [2]"));
        assert_eq!(p("a,b"), json!("a,b"));
    }

    #[test]
    fn quoted_strings() {
        assert_eq!(p("'abc'"), json!("abc"));
        assert_eq!(p("\"abc\""), json!("abc"));
        assert_eq!(p("''"), json!(""));
        assert_eq!(p("\"\""), json!(""));
        assert_eq!(p("'42'"), json!("42"));
        assert_eq!(p("\"true\""), json!("true"));
        assert_eq!(
            p("'with spaces, and [brackets]'"),
            json!("with spaces, and [brackets]")
        );
        assert_eq!(p("\"it's\""), json!("it's"));
        assert_eq!(p("'say \"hi\"'"), json!("say \"hi\""));
        assert_eq!(p("  'padded'  "), json!("padded"));
        assert_eq!(p("'  inner  '"), json!("  inner  "));
        assert_eq!(p("'héllo ✓'"), json!("héllo ✓"));
    }

    #[test]
    fn string_escapes() {
        assert_eq!(p(r"'a\nb'"), json!("a\nb"));
        assert_eq!(p(r"'a\tb'"), json!("a\tb"));
        assert_eq!(p(r"'a\rb'"), json!("a\rb"));
        assert_eq!(p(r"'a\\b'"), json!("a\\b"));
        assert_eq!(p(r"'it\'s'"), json!("it's"));
        assert_eq!(p(r#""say \"hi\"""#), json!("say \"hi\""));
        assert_eq!(p(r"'\u00e9'"), json!("é"));
        assert_eq!(p(r"'\u00E9'"), json!("é"));
        assert_eq!(p(r"'\ud83d\ude00'"), json!("😀"));
        assert_eq!(p(r"'\U0001F600'"), json!("😀"));
        assert_eq!(p(r"'\x41'"), json!("A"));
        assert_eq!(p(r"'C:\data\ok'"), json!("C:\\data\\ok"));
    }

    #[test]
    fn bad_strings_stay_text() {
        for text in [
            "'abc",
            "\"abc",
            "'abc\"",
            r"'\u12'",
            r"'\u12zz'",
            r"'\ud83d'",
            r"'\ud83dx'",
            r"'\ud83d\u0041'",
            r"'\ude00'",
            r"'abc\'",
            "'a'b",
        ] {
            assert_eq!(p(text), json!(text), "{text}");
        }
    }

    #[test]
    fn arrays() {
        assert_eq!(p("[]"), json!([]));
        assert_eq!(p("[ ]"), json!([]));
        assert_eq!(p("[1, 2, 3]"), json!([1, 2, 3]));
        assert_eq!(p("[1,2,3]"), json!([1, 2, 3]));
        assert_eq!(p("[1, 2,]"), json!([1, 2]));
        assert_eq!(p("[1.5, 'a', true, None]"), json!([1.5, "a", true, null]));
        assert_eq!(p("[[1, 2], [3, [4]]]"), json!([[1, 2], [3, [4]]]));
        assert_eq!(p("[ 1 , 2 ]"), json!([1, 2]));
        assert_eq!(p("[\n1,\n2\n]"), json!([1, 2]));
        assert!(p("[1e3]")[0].is_f64());
    }

    #[test]
    fn bare_words_in_arrays_are_strings() {
        assert_eq!(p("[adam, sgd]"), json!(["adam", "sgd"]));
        assert_eq!(
            p("[adam, 0.1, -inf, nan]"),
            json!(["adam", 0.1, "-inf", "nan"])
        );
        assert_eq!(p("[1.0.2, 0x]"), json!(["1.0.2", "0x"]));
        assert_eq!(
            p("[99999999999999999999999]"),
            json!(["99999999999999999999999"])
        );
        assert_eq!(p("[a:b, c=d]"), json!(["a:b", "c=d"]));
    }

    #[test]
    fn tuples() {
        assert_eq!(p("(1, 2)"), json!([1, 2]));
        assert_eq!(p("(1,)"), json!([1]));
        assert_eq!(p("()"), json!([]));
        assert_eq!(p("(1)"), json!(1));
        assert_eq!(p("('a')"), json!("a"));
        assert_eq!(p("((1, 2), [3])"), json!([[1, 2], [3]]));
        assert_eq!(p("[(1, 2), (3, 4)]"), json!([[1, 2], [3, 4]]));
    }

    #[test]
    fn tables() {
        assert_eq!(p("{}"), json!({}));
        assert_eq!(p("{ }"), json!({}));
        assert_eq!(
            p("{key: v, \"key2\": v, key3 = v}"),
            json!({"key": "v", "key2": "v", "key3": "v"})
        );
        assert_eq!(
            p("{'lr': 0.1, momentum: 0.9,}"),
            json!({"lr": 0.1, "momentum": 0.9})
        );
        assert_eq!(p("{a:1,b:2}"), json!({"a": 1, "b": 2}));
        assert_eq!(p("{a=1}"), json!({"a": 1}));
        assert_eq!(
            p("{opt: {name: adam, betas: [0.9, 0.99]}, layers: (64, 64)}"),
            json!({"opt": {"name": "adam", "betas": [0.9, 0.99]}, "layers": [64, 64]})
        );
        assert_eq!(
            p("{1: a, with-dash: b}"),
            json!({"1": "a", "with-dash": "b"})
        );
        assert_eq!(p("{'a b': 1}"), json!({"a b": 1}));
        assert_eq!(p("{a: 1, a: 2}"), json!({"a": 2}));
        assert_eq!(p("[{a: 1}, {b: [2]}]"), json!([{"a": 1}, {"b": [2]}]));
    }

    #[test]
    fn malformed_containers_stay_text() {
        for text in [
            "[1,",
            "[1",
            "[",
            "]",
            "[1 2]",
            "[1,,2]",
            "[,]",
            "(1",
            "(1,",
            "{",
            "{a}",
            "{a:}",
            "{a: 1",
            "{a 1}",
            "{a: 1 b: 2}",
            "{,}",
            "{a.b: 1}",
            "{: 1}",
            "[1]]",
            "{a: 1}}",
            "[1, 2)",
            "(1]",
            "{1, 2}",
        ] {
            assert_eq!(p(text), json!(text), "{text}");
        }
    }

    #[test]
    fn deep_nesting_stays_text() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(p(&ok).is_array());
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(p(&deep), json!(deep));
    }
}
