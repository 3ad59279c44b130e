//! Media types, their parameters, and the `format=` / `Accept` values they are parsed from.
//!
//! A [`MediaType`] is the essence only (`text/csv`), lower-case and validated, compared by
//! value. Parameters (`;header=absent`) travel separately as [`Params`], which an encoder
//! checks against the keys it knows.
//!
//! ```
//! use tessera_core::{MediaType, media::parse_media_range};
//! const CSV: MediaType = MediaType::from_static("text/csv");
//! let (mt, params) = parse_media_range("Text/CSV; header=absent").unwrap();
//! assert_eq!(mt, CSV);
//! assert_eq!(params.get("header"), Some("absent"));
//! ```

use std::borrow::Cow;
use std::fmt;

use crate::error::{EncodeError, MediaTypeError};

/// A validated media type essence (`type/subtype`), lower-case, without parameters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MediaType(Cow<'static, str>);

const fn is_token_byte(b: u8) -> bool {
    matches!(b,
        b'a'..=b'z' | b'0'..=b'9' | b'!' | b'#' | b'$' | b'&' | b'-' | b'^' | b'_' | b'.' | b'+' | b'*')
}

const fn validate(s: &[u8]) -> Result<(), &'static str> {
    let mut slash = 0;
    let mut i = 0;
    let mut seg_len = 0;
    if s.len() > 127 {
        return Err("longer than 127 bytes");
    }
    while i < s.len() {
        let b = s[i];
        if b == b'/' {
            if seg_len == 0 {
                return Err("empty type");
            }
            slash += 1;
            seg_len = 0;
        } else if is_token_byte(b) {
            seg_len += 1;
        } else {
            return Err("must be lower-case `type/subtype` made of token characters");
        }
        i += 1;
    }
    if slash != 1 {
        return Err("must contain exactly one `/`");
    }
    if seg_len == 0 {
        return Err("empty subtype");
    }
    Ok(())
}

impl MediaType {
    /// A media type from a literal. Invalid literals fail at compile time in `const` context.
    ///
    /// # Panics
    /// If `s` is not lower-case `type/subtype` of token characters.
    pub const fn from_static(s: &'static str) -> Self {
        match validate(s.as_bytes()) {
            Ok(()) => MediaType(Cow::Borrowed(s)),
            Err(_) => panic!("invalid media type literal"),
        }
    }

    /// Parses an essence (case-insensitive, surrounding spaces ignored, no parameters).
    ///
    /// # Errors
    /// [`MediaTypeError`] when it is not `type/subtype` of token characters.
    pub fn parse(s: &str) -> Result<Self, MediaTypeError> {
        let lower = s.trim().to_ascii_lowercase();
        match validate(lower.as_bytes()) {
            Ok(()) => Ok(MediaType(Cow::Owned(lower))),
            Err(reason) => Err(MediaTypeError { input: s.to_owned(), reason }),
        }
    }

    /// The essence as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `/`.
    pub fn top_level(&self) -> &str {
        self.0.split('/').next().unwrap_or("")
    }

    /// True for `text/*` types (which the server sends with `; charset=utf-8`).
    pub fn is_text(&self) -> bool {
        self.top_level() == "text"
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MediaType({})", self.0)
    }
}

/// Media-type parameters (`header=absent`), keys lower-cased, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// No parameters.
    pub const fn new() -> Self {
        Params(Vec::new())
    }

    /// Adds a parameter (key lower-cased).
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.0.push((key.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// The value of `key`, if present (the last one wins).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// True when there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates over `(key, value)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Refuses any key not in `known`. Encoders call this before writing anything.
    /// `charset=utf-8` and `q=` are always allowed (they describe the transport, not the format).
    ///
    /// # Errors
    /// [`EncodeError::InvalidOption`] naming the first unknown key and the known ones.
    pub fn check_known(&self, known: &[&str]) -> Result<(), EncodeError> {
        for (k, v) in &self.0 {
            if known.contains(&k.as_str()) || k == "q" {
                continue;
            }
            if k == "charset" && v.eq_ignore_ascii_case("utf-8") {
                continue;
            }
            let known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
            return Err(EncodeError::invalid_option(
                k.clone(),
                format!("unknown parameter for this format (known: {known})"),
            ));
        }
        Ok(())
    }

    /// Renders as `;k=v;k2=v2` (what the server appends to `Content-Type`).
    pub fn to_suffix(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.0 {
            if k == "q" {
                continue;
            }
            s.push(';');
            s.push_str(k);
            s.push('=');
            s.push_str(v);
        }
        s
    }
}

/// Parses one media range with parameters: `text/csv;header=absent`, `*/*`, `image/*;q=0.5`.
///
/// # Errors
/// [`MediaTypeError`] when the essence or a parameter is malformed.
pub fn parse_media_range(s: &str) -> Result<(MediaType, Params), MediaTypeError> {
    let mut parts = s.split(';');
    let essence = MediaType::parse(parts.next().unwrap_or(""))?;
    let mut params = Params::new();
    for p in parts {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        let (k, v) = p
            .split_once('=')
            .ok_or(MediaTypeError { input: s.to_owned(), reason: "parameter without `=`" })?;
        let k = k.trim();
        let v = v.trim().trim_matches('"');
        if k.is_empty() || !k.bytes().all(|b| is_token_byte(b.to_ascii_lowercase())) {
            return Err(MediaTypeError { input: s.to_owned(), reason: "malformed parameter name" });
        }
        params = params.with(k, v);
    }
    Ok((essence, params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        assert_eq!(MediaType::parse(" TEXT/Csv ").unwrap().as_str(), "text/csv");
        assert!(MediaType::parse("text").is_err());
        assert!(MediaType::parse("text/").is_err());
        assert!(MediaType::parse("a/b/c").is_err());
        assert!(MediaType::parse("te xt/csv").is_err());
        assert!(MediaType::parse("").is_err());
    }

    #[test]
    fn params_are_kept_and_checked() {
        let (_, p) = parse_media_range("text/csv; Header=absent; charset=utf-8").unwrap();
        assert_eq!(p.get("header"), Some("absent"));
        assert!(p.check_known(&["header"]).is_ok());
        let err = p.check_known(&[]).unwrap_err();
        assert!(err.to_string().contains("header"), "{err}");
        assert!(parse_media_range("text/csv;oops").is_err());
        assert_eq!(p.to_suffix(), ";header=absent;charset=utf-8");
    }

    #[test]
    fn wildcards_parse() {
        assert_eq!(parse_media_range("*/*").unwrap().0.as_str(), "*/*");
        assert_eq!(parse_media_range("image/*;q=0.8").unwrap().0.top_level(), "image");
    }
}
