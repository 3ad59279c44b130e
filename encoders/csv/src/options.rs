//! [`CsvOptions`]: the dialect choices of the CSV writer, and their parsing from media-type
//! parameters.

use std::io::Write;

use tessera_core::{EncodeError, Params};

use crate::writer::CsvWriter;

/// The media-type parameters the CSV encoders understand.
pub const PARAMS: &[&str] = &["header"];

/// Options of a [`CsvWriter`]: header row, delimiter, line terminator.
///
/// ```
/// use tessera_core::Params;
/// use tessera_csv::CsvOptions;
/// let o = CsvOptions::from_params(&Params::new().with("header", "absent")).unwrap();
/// assert_eq!(o, CsvOptions::default().with_header(false));
/// assert!(CsvOptions::from_params(&Params::new().with("header", "maybe")).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CsvOptions {
    pub(crate) header: bool,
    pub(crate) delimiter: u8,
    pub(crate) crlf: bool,
    pub(crate) threads: usize,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { header: true, delimiter: b',', crlf: false, threads: default_threads() }
    }
}

/// Default number of threads that format the rows of a large float64 matrix: the machine's
/// available parallelism, at most 4.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

impl CsvOptions {
    /// The defaults: a header row, `,` between fields, `\n` after each record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether tables start with a header row of column names. Default `true`. Arrays never
    /// have one.
    pub fn with_header(mut self, header: bool) -> Self {
        self.header = header;
        self
    }

    /// The field delimiter, one ASCII byte other than `"`, CR and LF. Default `,`. Checked
    /// by [`CsvOptions::build`].
    pub fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// End records with `\r\n` (RFC 4180, Python's `csv` default) instead of `\n`.
    /// Default `false`.
    pub fn with_crlf(mut self, crlf: bool) -> Self {
        self.crlf = crlf;
        self
    }

    /// Threads that format the rows of a large float64 matrix (the slowest CSV export:
    /// shortest round-trip float text), each a contiguous run of rows, written in order.
    /// Tables and other arrays are written by the calling thread. Default:
    /// [`default_threads`]; values below 1 are taken as 1.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Options from media-type parameters: `header=present` (the default) or
    /// `header=absent`.
    ///
    /// # Errors
    /// [`EncodeError::InvalidOption`] for another parameter or value.
    pub fn from_params(params: &Params) -> Result<Self, EncodeError> {
        params.check_known(PARAMS)?;
        let header = match params.get("header").map(str::to_ascii_lowercase).as_deref() {
            None | Some("present") => true,
            Some("absent") => false,
            Some(other) => {
                return Err(EncodeError::invalid_option(
                    "header",
                    format!("{other:?} is not `present` or `absent`"),
                ));
            }
        };
        Ok(CsvOptions { header, ..Self::default() })
    }

    /// Checks the options and returns a writer into `out`. Nothing is written yet.
    ///
    /// # Errors
    /// [`EncodeError::InvalidOption`] for a delimiter that is not ASCII or is `"`, CR or LF.
    pub fn build<W: Write>(self, out: W) -> Result<CsvWriter<W>, EncodeError> {
        let d = self.delimiter;
        if !d.is_ascii() || matches!(d, b'"' | b'\r' | b'\n') {
            return Err(EncodeError::invalid_option(
                "delimiter",
                format!(
                    "{:?} cannot separate fields (use one ASCII byte other than `\"`, CR, LF)",
                    d as char
                ),
            ));
        }
        Ok(CsvWriter::new(out, self))
    }
}
