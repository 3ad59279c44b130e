//! Query strings as Tiled sends them: repeated keys (`column=A&column=B`) and bracketed
//! names (`filter[eq][condition][key]=color`), kept in order.

/// The decoded `key=value` pairs of a query string, in order, repeats kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    /// Decodes a raw query string (`+` and percent escapes).
    pub fn parse(raw: Option<&str>) -> Self {
        QueryParams(form_urlencoded::parse(raw.unwrap_or("").as_bytes()).into_owned().collect())
    }

    /// The first value of `key`.
    pub fn first(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// True when `key` appears at all (even with an empty value).
    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// Every pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Re-encodes the pairs whose key passes `keep`, followed by `extra`.
    pub fn encode_with(&self, keep: impl Fn(&str) -> bool, extra: &[(&str, String)]) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.0.iter().filter(|(k, _)| keep(k)) {
            s.append_pair(k, v);
        }
        for (k, v) in extra {
            s.append_pair(k, v);
        }
        s.finish()
    }
}

/// Decodes `%XX` escapes of one path segment (invalid escapes are kept as they are).
pub fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes one path segment for a URL (everything but unreserved characters escaped).
pub fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The non-empty, decoded segments of a URL path (`//` collapses).
pub fn segments(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_bracketed_keys() {
        let q = QueryParams::parse(Some(
            "column=A&column=B&filter%5Beq%5D%5Bcondition%5D%5Bkey%5D=color&fields=&x=a+b%2Fc",
        ));
        assert_eq!(q.all("column").collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(q.first("filter[eq][condition][key]"), Some("color"));
        assert!(q.has("fields") && q.first("fields") == Some(""));
        assert_eq!(q.first("x"), Some("a b/c"));
        assert_eq!(
            q.encode_with(|k| k == "column", &[("page[offset]", "3".into())]),
            "column=A&column=B&page%5Boffset%5D=3"
        );
    }

    #[test]
    fn paths() {
        assert_eq!(segments("//a/%20b//c/"), ["a", " b", "c"]);
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_encode("a b/é"), "a%20b%2F%C3%A9");
    }
}
