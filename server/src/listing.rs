//! What `tessera formats` prints: every compiled-in format, from the registry.
//!
//! ```
//! use tessera_server::listing::{format_rows, render_table};
//! let reg = tessera_core::Registry::global().unwrap();
//! let rows = format_rows(reg);
//! // The raw array encoders are always compiled in.
//! assert!(rows.iter().any(|r| r.family == "array" && r.media_type == "application/octet-stream"));
//! assert!(render_table(&rows).starts_with("FAMILY"));
//! ```

use serde::Serialize;
use tessera_core::{Output, Registry};

/// One compiled-in format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormatRow {
    /// Structure family (`array`, `table`, `xarray_dataset`, `container`).
    pub family: &'static str,
    /// Canonical media type.
    pub media_type: String,
    /// Other names accepted in `format=` (extensions, short names, media types).
    pub aliases: Vec<&'static str>,
    /// `streaming` or `buffered`.
    pub output: &'static str,
    /// The crate that provides it.
    pub provider: &'static str,
    /// One line for humans.
    pub description: &'static str,
}

/// Every registered format, sorted by family then media type.
pub fn format_rows(registry: &Registry) -> Vec<FormatRow> {
    registry
        .iter()
        .map(|r| {
            let s = r.spec();
            FormatRow {
                family: s.family.as_str(),
                media_type: s.media_type.to_string(),
                aliases: s.aliases.to_vec(),
                output: match s.output {
                    Output::Streaming => "streaming",
                    Output::Buffered => "buffered",
                },
                provider: s.provider,
                description: s.description,
            }
        })
        .collect()
}

/// The rows as an aligned text table with a header line.
pub fn render_table(rows: &[FormatRow]) -> String {
    let header = ["FAMILY", "MEDIA TYPE", "ALIASES", "OUTPUT", "PROVIDER"];
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                r.family.to_owned(),
                r.media_type.clone(),
                r.aliases.join(", "),
                r.output.to_owned(),
                r.provider.to_owned(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cols: &[&str]| {
        let mut l = String::new();
        for (i, (c, w)) in cols.iter().zip(widths).enumerate() {
            if i + 1 == cols.len() {
                l.push_str(c);
            } else {
                l.push_str(&format!("{c:<w$}  "));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&header);
    for row in &cells {
        line(&row.each_ref().map(String::as_str));
    }
    out
}
