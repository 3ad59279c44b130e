//! [`HtmlOptions`]: the typed options of the HTML writers, and their media-type parameters.

use std::io::Write;

use arrow::datatypes::Schema;
use tessera_core::{EncodeError, Params};

use crate::writer::HtmlWriter;

/// Default of [`HtmlOptions::with_max_rows`].
pub const DEFAULT_MAX_ROWS: usize = 10_000;
/// Default of [`HtmlOptions::with_max_columns`].
pub const DEFAULT_MAX_COLUMNS: usize = 1_000;
/// The largest `max_rows` a media-type parameter may ask for.
pub const PARAM_MAX_ROWS: usize = 1_000_000;
/// The largest `max_columns` a media-type parameter may ask for.
pub const PARAM_MAX_COLUMNS: usize = 10_000;

/// The media-type parameters the HTML encoders understand.
pub(crate) const PARAMS: &[&str] = &["max_rows", "max_columns"];

/// Options of [`HtmlWriter`], built with `with_x` setters.
///
/// ```
/// use tessera_core::Params;
/// use tessera_html::HtmlOptions;
/// let o = HtmlOptions::from_params(&Params::new().with("max_rows", "50")).unwrap();
/// assert_eq!(o.max_rows(), 50);
/// assert!(HtmlOptions::from_params(&Params::new().with("max_rows", "many")).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HtmlOptions {
    pub(crate) max_rows: usize,
    pub(crate) max_columns: usize,
    pub(crate) title: Option<String>,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions { max_rows: DEFAULT_MAX_ROWS, max_columns: DEFAULT_MAX_COLUMNS, title: None }
    }
}

fn parse_limit(params: &Params, key: &str, default: usize, max: usize) -> Result<usize, EncodeError> {
    let Some(v) = params.get(key) else { return Ok(default) };
    match v.trim().parse::<usize>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(EncodeError::invalid_option(key, format!("must be an integer from 0 to {max}, got {v:?}"))),
    }
}

impl HtmlOptions {
    /// Options from media-type parameters (`text/html;max_rows=50`): `max_rows` (0 to
    /// 1,000,000) and `max_columns` (0 to 10,000); anything else is refused.
    ///
    /// # Errors
    /// [`EncodeError::InvalidOption`] for an unknown parameter or a value out of range.
    pub fn from_params(params: &Params) -> Result<Self, EncodeError> {
        params.check_known(PARAMS)?;
        Ok(HtmlOptions {
            max_rows: parse_limit(params, "max_rows", DEFAULT_MAX_ROWS, PARAM_MAX_ROWS)?,
            max_columns: parse_limit(params, "max_columns", DEFAULT_MAX_COLUMNS, PARAM_MAX_COLUMNS)?,
            title: None,
        })
    }

    /// The most rows written; the page says how many more there were. For arrays, rows
    /// are the first axis.
    ///
    /// Default: [`DEFAULT_MAX_ROWS`] (10,000), so that a huge node cannot make an unbounded
    /// page. Any value is accepted here; the `max_rows` media-type parameter is capped at
    /// [`PARAM_MAX_ROWS`].
    pub fn with_max_rows(mut self, rows: usize) -> Self {
        self.max_rows = rows;
        self
    }

    /// The row limit (see [`HtmlOptions::with_max_rows`]).
    pub fn max_rows(&self) -> usize {
        self.max_rows
    }

    /// The most columns written (table columns, or the second axis of an array); the page
    /// says how many more there were.
    ///
    /// Default: [`DEFAULT_MAX_COLUMNS`] (1,000). The `max_columns` media-type parameter is
    /// capped at [`PARAM_MAX_COLUMNS`].
    pub fn with_max_columns(mut self, columns: usize) -> Self {
        self.max_columns = columns;
        self
    }

    /// The column limit (see [`HtmlOptions::with_max_columns`]).
    pub fn max_columns(&self) -> usize {
        self.max_columns
    }

    /// The page's `<title>`.
    ///
    /// Default: `Table`, `Array` or `Dataset`, after what is written.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// A writer of a page showing a table of `schema`'s columns into `out`.
    ///
    /// Nothing is written to `out` before [`HtmlWriter::write`] or [`HtmlWriter::finish`].
    pub fn build<W: Write>(self, out: W, schema: &Schema) -> HtmlWriter<W> {
        HtmlWriter::new(out, schema, self)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn params_are_parsed_and_bounded() {
        let o = HtmlOptions::from_params(&Params::new()).unwrap();
        assert_eq!((o.max_rows(), o.max_columns()), (DEFAULT_MAX_ROWS, DEFAULT_MAX_COLUMNS));
        let o = HtmlOptions::from_params(&Params::new().with("max_rows", "0").with("max_columns", " 7 "))
            .unwrap();
        assert_eq!((o.max_rows(), o.max_columns()), (0, 7));
        for (k, v) in [
            ("max_rows", "-1"),
            ("max_rows", "1000001"),
            ("max_columns", "10001"),
            ("max_rows", ""),
            ("rows", "1"),
        ] {
            let err = HtmlOptions::from_params(&Params::new().with(k, v)).unwrap_err();
            assert!(matches!(err, EncodeError::InvalidOption { .. }), "{k}={v}: {err}");
        }
    }
}
