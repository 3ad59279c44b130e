//! [`XlsxOptions`]: the typed options of the xlsx writer.

use std::io::Write;
use std::path::PathBuf;

use arrow::datatypes::Schema;
use tessera_core::EncodeError;

use crate::writer::XlsxWriter;

/// Excel's row limit per worksheet (header row included).
pub const EXCEL_MAX_ROWS: u32 = 1_048_576;

/// Excel's column limit per worksheet.
pub const EXCEL_MAX_COLUMNS: usize = 16_384;

/// Excel's limit on the length of a cell's text, in UTF-16 code units.
pub const EXCEL_MAX_STRING: usize = 32_767;

/// Options of [`XlsxWriter`], built with `with_x` setters.
///
/// ```
/// use tessera_xlsx::XlsxOptions;
/// let o = XlsxOptions::default().with_max_rows_per_sheet(1000).with_compression_level(1);
/// assert_eq!(o.max_rows_per_sheet(), 1000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct XlsxOptions {
    pub(crate) max_rows_per_sheet: u32,
    pub(crate) compression_level: u8,
    pub(crate) tempdir: Option<PathBuf>,
}

impl Default for XlsxOptions {
    fn default() -> Self {
        XlsxOptions { max_rows_per_sheet: EXCEL_MAX_ROWS, compression_level: 3, tempdir: None }
    }
}

impl XlsxOptions {
    /// Rows per worksheet, the bold header row included. A table with more rows continues
    /// on `Sheet2`, `Sheet3`, … each starting with the header again.
    ///
    /// Default: [`EXCEL_MAX_ROWS`] (1,048,576, Excel's limit). Values are checked by
    /// [`XlsxOptions::build`]: 2 (the header and one data row) to 1,048,576.
    pub fn with_max_rows_per_sheet(mut self, rows: u32) -> Self {
        self.max_rows_per_sheet = rows;
        self
    }

    /// The rows-per-sheet limit (see [`XlsxOptions::with_max_rows_per_sheet`]).
    pub fn max_rows_per_sheet(&self) -> u32 {
        self.max_rows_per_sheet
    }

    /// Deflate level of the zip container, 1 (fastest) to 9 (smallest).
    ///
    /// Default: 3. Deflating the sheet XML is most of the work; on the 100,000-row T2
    /// benchmark table level 3 makes a file 1% larger than level 6 (zlib's default, which
    /// xlsxwriter uses) in a little over half the time, while level 1 is faster again but
    /// 60% larger. Checked by [`XlsxOptions::build`].
    pub fn with_compression_level(mut self, level: u8) -> Self {
        self.compression_level = level;
        self
    }

    /// The directory of the temporary files that hold each sheet's rows until
    /// [`XlsxWriter::finish`] zips them. The files are anonymous (unlinked at creation), so
    /// the operating system frees them when the writer is dropped, even after an error.
    ///
    /// Default: `std::env::temp_dir()`.
    pub fn with_tempdir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.tempdir = Some(dir.into());
        self
    }

    /// Checks the options against Excel's limits.
    ///
    /// # Errors
    /// [`EncodeError::InvalidOption`] naming the option out of range.
    pub fn validate(&self) -> Result<(), EncodeError> {
        if !(2..=EXCEL_MAX_ROWS).contains(&self.max_rows_per_sheet) {
            return Err(EncodeError::invalid_option(
                "max_rows_per_sheet",
                format!(
                    "must be 2 to {EXCEL_MAX_ROWS} (header row included), got {}",
                    self.max_rows_per_sheet
                ),
            ));
        }
        if !(1..=9).contains(&self.compression_level) {
            return Err(EncodeError::invalid_option(
                "compression_level",
                format!("must be 1 to 9, got {}", self.compression_level),
            ));
        }
        Ok(())
    }

    /// A writer of a workbook of `schema`'s columns into `out`.
    ///
    /// # Errors
    /// [`EncodeError::InvalidOption`] for options out of range, [`EncodeError::Limit`] for
    /// more than 16,384 written columns, [`EncodeError::Backend`] when the temporary file
    /// cannot be created.
    pub fn build<W: Write + Send>(self, out: W, schema: &Schema) -> Result<XlsxWriter<W>, EncodeError> {
        XlsxWriter::try_new(out, schema, self)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked() {
        assert!(XlsxOptions::default().validate().is_ok());
        for bad in [
            XlsxOptions::default().with_max_rows_per_sheet(1),
            XlsxOptions::default().with_max_rows_per_sheet(EXCEL_MAX_ROWS + 1),
            XlsxOptions::default().with_compression_level(0),
            XlsxOptions::default().with_compression_level(10),
        ] {
            assert!(matches!(bad.validate(), Err(EncodeError::InvalidOption { .. })), "{bad:?}");
        }
    }
}
