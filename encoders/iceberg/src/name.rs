//! Table names: `namespace.table`, where the namespace is everything before the last dot.

use iceberg::{NamespaceIdent, TableIdent};

use crate::error::{IcebergError, py_repr};

/// A parsed `namespace.table` name (the namespace may have several levels: `a.b.tbl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableName {
    pub(crate) full: String,
    pub(crate) ident: TableIdent,
}

/// Longest namespace level or table name (file systems allow 255 bytes per path component;
/// the table's directory is named after it, plus metadata file names inside).
const MAX_LEVEL_BYTES: usize = 200;

impl TableName {
    /// Splits on the last `.` (Python's `rpartition`), as Pixeltable does. A name without a
    /// namespace (`tbl`, `.tbl`, `ns.`) or with an empty namespace level (`a..tbl`) is
    /// rejected with Pixeltable's message.
    pub(crate) fn parse(name: &str) -> Result<Self, IcebergError> {
        let qualified = || {
            IcebergError::invalid(format!(
                "export_iceberg(): table_name {} must be namespace-qualified (e.g. 'my_namespace.my_table').",
                py_repr(name)
            ))
        };
        // Levels and the table name become directories of the warehouse
        // (`{warehouse}/{ns}/{table}`): no path separators, control characters or
        // components longer than file systems allow.
        if name.chars().any(|c| c == '/' || c == '\\' || c.is_control()) {
            return Err(IcebergError::invalid(format!(
                "export_iceberg(): table_name {} may not contain '/', '\\' or control characters (namespace levels and table names are directories of the warehouse).",
                py_repr(name)
            )));
        }
        if name.split('.').any(|level| level.len() > MAX_LEVEL_BYTES) {
            return Err(IcebergError::invalid(format!(
                "export_iceberg(): table_name {}: each namespace level and the table name may have at most {MAX_LEVEL_BYTES} bytes.",
                py_repr(name)
            )));
        }
        let (ns, table) = name.rsplit_once('.').ok_or_else(qualified)?;
        if ns.is_empty() || table.is_empty() {
            return Err(qualified());
        }
        if ns.split('.').any(str::is_empty) {
            return Err(IcebergError::invalid(format!(
                "export_iceberg(): table_name {} has an empty namespace level (namespace levels are separated by single dots).",
                py_repr(name)
            )));
        }
        let ns = NamespaceIdent::from_strs(ns.split('.')).map_err(|e| {
            IcebergError::invalid(format!("export_iceberg(): table_name {}: {e}", py_repr(name)))
        })?;
        Ok(TableName { full: name.to_owned(), ident: TableIdent::new(ns, table.to_owned()) })
    }

    pub(crate) fn namespace(&self) -> &NamespaceIdent {
        self.ident.namespace()
    }

    pub(crate) fn table(&self) -> &str {
        self.ident.name()
    }

    /// The name as Python would print it, for messages.
    pub(crate) fn repr(&self) -> String {
        py_repr(&self.full)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_the_last_dot() {
        let n = TableName::parse("a.b.tbl").unwrap();
        assert_eq!(n.namespace().clone().inner(), vec!["a".to_string(), "b".to_string()]);
        assert_eq!(n.table(), "tbl");
        let n = TableName::parse("ns.t ✓").unwrap();
        assert_eq!(n.table(), "t ✓");
    }

    #[test]
    fn bare_names_are_rejected_like_pixeltable() {
        for bad in ["tbl", ".tbl", "ns.", ""] {
            let e = TableName::parse(bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "export_iceberg(): table_name {} must be namespace-qualified (e.g. 'my_namespace.my_table').",
                    py_repr(bad)
                )
            );
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        }
        assert!(TableName::parse("a..tbl").unwrap_err().to_string().contains("empty namespace level"));
    }

    #[test]
    fn names_that_would_be_paths_are_rejected() {
        assert!(TableName::parse("a.b.ü").is_ok());
        for bad in ["ns.a/b", "ns./etc", "a/b.t", "ns.a\\b", "ns.a\nb"] {
            let e = TableName::parse(bad).unwrap_err();
            assert!(e.to_string().contains("may not contain"), "{bad}: {e}");
            assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        }
        let long = format!("ns.{}", "x".repeat(201));
        assert!(TableName::parse(&long).unwrap_err().to_string().contains("at most 200 bytes"));
        assert!(TableName::parse(&format!("ns.{}", "x".repeat(200))).is_ok());
    }
}
