//! The error of an export: a kind to branch on, a message that says what happened and what
//! state the table is in, and the underlying error as `source()`.

use std::error::Error as StdError;
use std::fmt;

/// What kind of failure an [`IcebergError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A bad argument: a table name without a namespace, an unknown `if_exists`, a
    /// `schema_overrides` entry for a column the source does not have, a malformed catalog
    /// URI or type name. Found before anything is read or written.
    InvalidArgument,
    /// The table exists and `if_exists` is `error`. Found before the source is read.
    AlreadyExists,
    /// A column type that Iceberg cannot hold (or this exporter cannot write). Found before
    /// anything is written; the message says how to fix it.
    UnsupportedType,
    /// The source does not fit the table: an append whose schema differs from the existing
    /// table's, a `schema_overrides` type the data does not fit, nulls in a required column.
    TypeMismatch,
    /// Reading the source failed (its batch stream returned an error).
    Input,
    /// The catalog or the storage failed (connection, I/O, an unexpected catalog answer).
    Catalog,
    /// The table was changed by another writer while the export ran; nothing was committed.
    Conflict,
    /// The [`ExportObserver`](crate::ExportObserver) stopped the export.
    Aborted,
    /// The export cannot run in this context: the blocking API was called from inside an
    /// async runtime, or the runtime could not be built.
    Runtime,
    /// The operation is not available for this catalog (for example `replace` on a REST
    /// catalog), or the feature it needs is not compiled in.
    Unsupported,
}

/// The error of [`export_iceberg`](crate::export_iceberg) and of the catalog helpers.
///
/// `Display` is the full message. Messages of errors raised before any write follow
/// Pixeltable's `export_iceberg` wording (they start with `export_iceberg(): `); errors
/// after data was written also say what state the table was left in.
#[derive(Debug)]
pub struct IcebergError {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl IcebergError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        IcebergError { kind, message: message.into(), source: None }
    }

    /// Attaches the underlying error (kept as [`std::error::Error::source`]).
    pub fn with_source(mut self, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message (the same text as `Display`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// True when the caller's request is at fault (a 4xx for a server): bad arguments,
    /// an existing table, unsupported or mismatched types, an unsupported operation.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::InvalidArgument
                | ErrorKind::AlreadyExists
                | ErrorKind::UnsupportedType
                | ErrorKind::TypeMismatch
                | ErrorKind::Unsupported
        )
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// Wraps an error of the iceberg library, prefixing `context`.
    pub(crate) fn catalog(context: impl fmt::Display, e: iceberg::Error) -> Self {
        let kind = match e.kind() {
            iceberg::ErrorKind::CatalogCommitConflicts => ErrorKind::Conflict,
            _ => ErrorKind::Catalog,
        };
        Self::new(kind, format!("{context}: {e}")).with_source(e)
    }

    /// Appends a sentence to the message (the state the table was left in, cleanup).
    pub(crate) fn append(mut self, sentence: impl fmt::Display) -> Self {
        use fmt::Write as _;
        let _ = write!(self.message, " {sentence}");
        self
    }
}

impl fmt::Display for IcebergError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for IcebergError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// Python's `repr` of a string, as Pixeltable's messages print names: `'a'`, or `"it's"`.
pub(crate) fn py_repr(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// Python's `repr` of a list of strings: `['a', 'b']`.
pub(crate) fn py_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| py_repr(s)).collect();
    format!("[{}]", inner.join(", "))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn repr_like_python() {
        assert_eq!(py_repr("tbl"), "'tbl'");
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_list(&["a".into(), "b.c".into()]), "['a', 'b.c']");
        assert_eq!(py_list(&[]), "[]");
    }

    #[test]
    fn kinds_and_sources() {
        let e = IcebergError::invalid("bad").with_source(std::io::Error::other("inner"));
        assert!(e.is_client_error());
        assert_eq!(e.to_string(), "bad");
        assert_eq!(e.source().map(|s| s.to_string()).as_deref(), Some("inner"));
        let e = e.append("More.");
        assert_eq!(e.message(), "bad More.");
        assert!(!IcebergError::new(ErrorKind::Catalog, "x").is_client_error());
    }
}
