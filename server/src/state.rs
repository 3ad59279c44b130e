//! What every request sees: the tree, the registry, limits and credentials.

use std::sync::Arc;

use axum::http::HeaderMap;
use subtle::ConstantTimeEq;
use tessera_core::Registry;

use crate::error::AppError;
use crate::tree::Node;

/// Limits that protect the server from requests too large to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest data a response may hold in memory: the input of a buffered format (PNG,
    /// TIFF, XLSX, ...) or of a container export. Streaming formats are not limited; they
    /// run in bounded memory. Default 300 MB (Tiled's `response_bytesize_limit`).
    pub max_response_bytes: u64,
    /// Largest request body accepted (an upload is held whole while it is validated, so
    /// this bounds the memory of one write). Default 512 MiB: the Tiled client PUTs arrays
    /// up to ~100 MB whole, and dask blocks of large arrays can pass 64 MiB.
    pub max_request_bytes: usize,
    /// Largest `page[limit]` of a search. Default 300 (Tiled's).
    pub max_page_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_response_bytes: 300_000_000, max_request_bytes: 512 << 20, max_page_size: 300 }
    }
}

impl Limits {
    /// Sets [`Limits::max_response_bytes`].
    pub fn with_max_response_bytes(mut self, n: u64) -> Self {
        self.max_response_bytes = n;
        self
    }

    /// Sets [`Limits::max_request_bytes`].
    pub fn with_max_request_bytes(mut self, n: usize) -> Self {
        self.max_request_bytes = n;
        self
    }

    /// Sets [`Limits::max_page_size`].
    pub fn with_max_page_size(mut self, n: usize) -> Self {
        self.max_page_size = n.max(1);
        self
    }
}

/// Who may read.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Auth {
    /// The single API key, if one is in force.
    pub api_key: Option<String>,
    /// Anonymous reads allowed (a key, when given, must still be right).
    pub public: bool,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("Auth")
            .field("api_key", &self.api_key.as_ref().map(|_| "…"))
            .field("public", &self.public)
            .finish()
    }
}

impl Auth {
    /// No key: everything is public.
    pub fn open() -> Self {
        Auth { api_key: None, public: true }
    }

    /// True when a request without credentials is refused.
    pub fn required(&self) -> bool {
        self.api_key.is_some() && !self.public
    }

    /// Checks a request's credentials: `Authorization: Apikey <key>`, `?api_key=` or the
    /// `tiled_api_key` cookie.
    ///
    /// # Errors
    /// 401 for a wrong key, or for no key when one is required.
    pub fn check(&self, headers: &HeaderMap, query_key: Option<&str>, root: &str) -> Result<(), AppError> {
        let Some(expected) = &self.api_key else { return Ok(()) };
        let given = presented_key(headers).or(query_key.map(str::to_owned));
        match given {
            Some(k) if bool::from(k.as_bytes().ct_eq(expected.as_bytes())) => Ok(()),
            Some(_) => {
                Err(AppError::Unauthorized { detail: "Invalid API key".into(), root: root.to_owned() })
            }
            None if self.public => Ok(()),
            None => Err(AppError::Unauthorized {
                detail: "Not enough permissions. Requires scopes ['read:metadata']. Request had scopes []"
                    .into(),
                root: root.to_owned(),
            }),
        }
    }
}

fn presented_key(headers: &HeaderMap) -> Option<String> {
    for v in headers.get_all(axum::http::header::AUTHORIZATION) {
        if let Some((scheme, key)) = v.to_str().ok().and_then(|s| s.trim().split_once(' '))
            && scheme.eq_ignore_ascii_case("apikey")
        {
            return Some(key.trim().to_owned());
        }
    }
    for v in headers.get_all(axum::http::header::COOKIE) {
        for pair in v.to_str().unwrap_or("").split(';') {
            if let Some(("tiled_api_key", key)) = pair.trim().split_once('=') {
                return Some(key.to_owned());
            }
        }
    }
    None
}

/// A 64-hex-digit random key (what `serve` prints when no key is given).
pub fn random_api_key() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

/// Shared, immutable server state.
#[derive(Debug)]
pub struct AppState {
    /// The root node.
    pub root: Arc<Node>,
    /// The encoders.
    pub registry: &'static Registry,
    /// Limits.
    pub limits: Limits,
    /// Credentials.
    pub auth: Auth,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Node({}, {} specs)", self.family(), self.specs.len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn key_sources_and_outcomes() {
        let auth = Auth { api_key: Some("secret".into()), public: false };
        let mut h = HeaderMap::new();
        assert_eq!(auth.check(&h, None, "r").unwrap_err().status(), 401);
        assert!(auth.check(&h, Some("secret"), "r").is_ok());
        h.insert("authorization", HeaderValue::from_static("Apikey secret"));
        assert!(auth.check(&h, None, "r").is_ok());
        let mut bad = HeaderMap::new();
        bad.insert("cookie", HeaderValue::from_static("a=b; tiled_api_key=nope"));
        assert!(auth.check(&bad, None, "r").unwrap_err().to_string().contains("Invalid"));
        let public = Auth { api_key: Some("secret".into()), public: true };
        assert!(public.check(&HeaderMap::new(), None, "r").is_ok());
        assert!(format!("{auth:?}").find("secret").is_none());
        assert_eq!(random_api_key().len(), 64);
    }
}
