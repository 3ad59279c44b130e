//! Options of the Parquet writer: codec, row-group bounds, statistics, dictionaries.

use std::fmt;
use std::io::Write;

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use tessera_core::Params;

use crate::dictionary::{delta_where_narrow, plain_where_distinct, uncompressed_where_incompressible};
use crate::error::ParquetWriteError;
use crate::writer::ParquetWriter;

/// The media-type parameters the Parquet encoder understands.
pub const PARAMS: &[&str] = &["compression", "level"];

/// Default bound on the rows of one row group (128 Ki).
pub const DEFAULT_ROW_GROUP_ROWS: usize = 128 * 1024;

/// Default bound on the input (Arrow in-memory) bytes of one row group (64 MiB).
pub const DEFAULT_ROW_GROUP_BYTES: usize = 64 << 20;

/// Default number of threads that encode a row group's columns: the machine's available
/// parallelism, at most 4.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// The Zstandard level used when none is given (1: the fastest; most of zstd's gain over
/// snappy is already there).
pub const DEFAULT_ZSTD_LEVEL: i32 = 1;

/// Values a column writer takes at a time (the library's default is 1,024). Statistics and
/// the page-size check run once per batch, so larger batches cost less per value (about 5 %
/// less CPU on T1); a page can pass the 1 MiB page-size target by at most one batch (64 KiB
/// of 8-byte values).
const WRITE_BATCH_ROWS: usize = 8192;

/// Page compression codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParquetCompression {
    /// No compression.
    None,
    /// Snappy (feature `snap`, on by default). pyarrow's and DuckDB's default.
    Snappy,
    /// LZ4 (Parquet's `LZ4_RAW` codec; feature `lz4`, on by default). Readable by
    /// parquet-rs, pyarrow ≥ 7, DuckDB, Spark ≥ 3.3.
    Lz4,
    /// Zstandard at a level from 1 to 22 (feature `zstd`, on by default).
    Zstd(i32),
}

impl Default for ParquetCompression {
    /// Zstandard level 1 when the `zstd` feature is on (it is by default), else Snappy,
    /// else none.
    ///
    /// Why zstd-1 rather than snappy (pyarrow's and DuckDB's default): on T1, the shared
    /// benchmark table (1M rows, ints, floats, short strings, timestamps), it writes 10.4 MB
    /// instead of 12.2 MB (15 % less; with plain-encoded integers, as other writers store
    /// them, 13.9 MB instead of 22.3 MB) for about 30 % more encoding CPU, and it decodes
    /// about as fast. An export is downloaded, usually over a link slower than the encoder,
    /// so the smaller file reaches the user sooner and costs less to store. Every current
    /// reader (pyarrow, polars, DuckDB, Spark, Trino, parquet-rs) reads it, and it is
    /// polars' default codec (polars' default level is 3, which on T1 costs about the same
    /// CPU as 1 and saves nothing more: the bulk left after encoding is random floats).
    fn default() -> Self {
        if cfg!(feature = "zstd") {
            ParquetCompression::Zstd(DEFAULT_ZSTD_LEVEL)
        } else if cfg!(feature = "snap") {
            ParquetCompression::Snappy
        } else {
            ParquetCompression::None
        }
    }
}

impl ParquetCompression {
    /// Parses `compression` and the optional `level` parameter: `zstd`, `snappy`, `lz4`
    /// (or `lz4_raw`), `none` (or `uncompressed`), ASCII case ignored; `level` (1..=22)
    /// only with `zstd`.
    ///
    /// # Errors
    /// [`ParquetWriteError::InvalidOption`] for an unknown codec, a codec not compiled into
    /// this build, a bad level, or a level with another codec.
    pub fn parse(codec: &str, level: Option<&str>) -> Result<Self, ParquetWriteError> {
        let c = match codec.to_ascii_lowercase().as_str() {
            "none" | "uncompressed" => ParquetCompression::None,
            "snappy" => ParquetCompression::Snappy,
            "lz4" | "lz4_raw" => ParquetCompression::Lz4,
            "zstd" => ParquetCompression::Zstd(DEFAULT_ZSTD_LEVEL),
            _ => {
                return Err(ParquetWriteError::invalid(
                    "compression",
                    format!("{codec:?} is not a codec (expected zstd, snappy, lz4 or none)"),
                ));
            }
        };
        let c = match (c, level) {
            (c, None) => c,
            (ParquetCompression::Zstd(_), Some(l)) => {
                let l = l.trim().parse::<i32>().map_err(|_| {
                    ParquetWriteError::invalid("level", format!("{l:?} is not an integer from 1 to 22"))
                })?;
                ParquetCompression::Zstd(l)
            }
            (c, Some(_)) => {
                return Err(ParquetWriteError::invalid("level", format!("{c} has no level (only zstd has)")));
            }
        };
        c.validate()?;
        Ok(c)
    }

    /// Whether this build can write the codec.
    pub const fn is_available(self) -> bool {
        match self {
            ParquetCompression::None => true,
            ParquetCompression::Snappy => cfg!(feature = "snap"),
            ParquetCompression::Lz4 => cfg!(feature = "lz4"),
            ParquetCompression::Zstd(_) => cfg!(feature = "zstd"),
        }
    }

    fn validate(self) -> Result<(), ParquetWriteError> {
        if !self.is_available() {
            let feature = match self {
                ParquetCompression::Snappy => "snap",
                ParquetCompression::Lz4 => "lz4",
                _ => "zstd",
            };
            return Err(ParquetWriteError::invalid(
                "compression",
                format!("{self} is not compiled into this build (tessera-parquet feature `{feature}`)"),
            ));
        }
        if let ParquetCompression::Zstd(l) = self
            && !(1..=22).contains(&l)
        {
            return Err(ParquetWriteError::invalid("level", format!("{l} is not from 1 to 22")));
        }
        Ok(())
    }

    fn codec(self) -> Result<Compression, ParquetWriteError> {
        Ok(match self {
            ParquetCompression::None => Compression::UNCOMPRESSED,
            ParquetCompression::Snappy => Compression::SNAPPY,
            ParquetCompression::Lz4 => Compression::LZ4_RAW,
            ParquetCompression::Zstd(l) => Compression::ZSTD(
                ZstdLevel::try_new(l).map_err(|e| ParquetWriteError::invalid("level", e.to_string()))?,
            ),
        })
    }
}

impl fmt::Display for ParquetCompression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParquetCompression::None => f.write_str("none"),
            ParquetCompression::Snappy => f.write_str("snappy"),
            ParquetCompression::Lz4 => f.write_str("lz4"),
            ParquetCompression::Zstd(l) => write!(f, "zstd (level {l})"),
        }
    }
}

/// Which statistics the file carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ParquetStatistics {
    /// None.
    None,
    /// Min, max and null count per column chunk (row group): what engines prune row
    /// groups with. The default.
    #[default]
    Chunk,
    /// Also per page, with the page index (column and offset indexes) that lets readers
    /// skip pages.
    Page,
}

/// Which columns are dictionary-encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ParquetDictionary {
    /// Every column except those whose first batch's first 4,096 values are more than
    /// half distinct (ids, timestamps, measured floats): for those a dictionary costs
    /// time and space and saves nothing. The default.
    #[default]
    Auto,
    /// Every column (the `parquet` crate's and pyarrow's default); a column chunk falls
    /// back to plain encoding when its dictionary passes 1 MiB.
    Always,
    /// No column.
    Never,
}

/// How integer-like columns (integers, dates, times, timestamps, durations; top-level
/// ones) are encoded when they are not dictionary-encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ParquetIntegerEncoding {
    /// `DELTA_BINARY_PACKED` for the columns whose first batch's first 4,096 non-null
    /// values differ from one to the next by less than half the column's bit width
    /// (ids, sorted keys, regular timestamps): such a column shrinks to a few bits per
    /// value and encodes faster than plain encoding followed by compression. Plain for
    /// the others. The default.
    #[default]
    Auto,
    /// `PLAIN` (the `parquet` crate's, pyarrow's and polars' default).
    Plain,
    /// `DELTA_BINARY_PACKED` for every such column.
    Delta,
}

/// Builder of a [`ParquetWriter`]. Every setter documents its default.
///
/// ```
/// use tessera_parquet::{ParquetCompression, ParquetOptions};
/// let o = ParquetOptions::default().with_compression(ParquetCompression::Snappy).with_max_row_group_rows(65_536);
/// assert_eq!(o.compression(), ParquetCompression::Snappy);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParquetOptions {
    compression: ParquetCompression,
    max_row_group_rows: usize,
    max_row_group_bytes: usize,
    statistics: ParquetStatistics,
    dictionary: ParquetDictionary,
    integer_encoding: ParquetIntegerEncoding,
    skip_incompressible: bool,
    threads: usize,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions {
            compression: ParquetCompression::default(),
            max_row_group_rows: DEFAULT_ROW_GROUP_ROWS,
            max_row_group_bytes: DEFAULT_ROW_GROUP_BYTES,
            statistics: ParquetStatistics::default(),
            dictionary: ParquetDictionary::Auto,
            integer_encoding: ParquetIntegerEncoding::Auto,
            skip_incompressible: false,
            threads: default_threads(),
        }
    }
}

impl ParquetOptions {
    /// Options from media-type parameters: `compression=zstd|snappy|lz4|none` (absent = the
    /// default codec) and `level=1..22` (zstd only).
    ///
    /// # Errors
    /// [`ParquetWriteError::InvalidOption`] for an unknown parameter or a bad value.
    pub fn from_params(params: &Params) -> Result<Self, ParquetWriteError> {
        params.check_known(PARAMS).map_err(|e| match e {
            tessera_core::EncodeError::InvalidOption { key, reason } => {
                ParquetWriteError::InvalidOption { key, reason }
            }
            other => ParquetWriteError::invalid("", other.to_string()),
        })?;
        let compression = match (params.get("compression"), params.get("level")) {
            (Some(c), level) => ParquetCompression::parse(c, level)?,
            (None, None) => ParquetCompression::default(),
            (None, Some(level)) => ParquetCompression::parse("zstd", Some(level))?,
        };
        Ok(ParquetOptions { compression, ..ParquetOptions::default() })
    }

    /// Page compression. Default: [`ParquetCompression::default`] (zstd level 1).
    pub fn with_compression(mut self, compression: ParquetCompression) -> Self {
        self.compression = compression;
        self
    }

    /// Most rows in one row group; a row group is closed when it reaches this many rows
    /// (or [`ParquetOptions::with_max_row_group_bytes`]), which, times the
    /// [thread count](ParquetOptions::with_threads), bounds the writer's memory. Values below 1 are taken as 1. Default:
    /// [`DEFAULT_ROW_GROUP_ROWS`] (131,072).
    pub fn with_max_row_group_rows(mut self, rows: usize) -> Self {
        self.max_row_group_rows = rows.max(1);
        self
    }

    /// Most input bytes (the Arrow in-memory size of the rows, which the writer keeps
    /// referenced until their row group is written) in one row group. Values below 1 are
    /// taken as 1. Default: [`DEFAULT_ROW_GROUP_BYTES`] (64 MiB).
    pub fn with_max_row_group_bytes(mut self, bytes: usize) -> Self {
        self.max_row_group_bytes = bytes.max(1);
        self
    }

    /// Threads that encode row groups: that many row groups are gathered, then encoded
    /// together, one column of one row group per thread at a time. More threads, more
    /// memory (one row group each); the output is the same whatever the count. Values
    /// below 1 are taken as 1.
    /// Default: [`default_threads`] (the available parallelism, at most 4).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Statistics written. Default: [`ParquetStatistics::Chunk`].
    pub fn with_statistics(mut self, statistics: ParquetStatistics) -> Self {
        self.statistics = statistics;
        self
    }

    /// Which columns are dictionary-encoded. Default: [`ParquetDictionary::Auto`].
    pub fn with_dictionary(mut self, dictionary: ParquetDictionary) -> Self {
        self.dictionary = dictionary;
        self
    }

    /// How integer-like columns are encoded when not dictionary-encoded. Every Parquet
    /// reader in use reads `DELTA_BINARY_PACKED` (pyarrow, polars, DuckDB, Spark,
    /// parquet-rs). Default: [`ParquetIntegerEncoding::Auto`].
    pub fn with_integer_encoding(mut self, encoding: ParquetIntegerEncoding) -> Self {
        self.integer_encoding = encoding;
        self
    }

    /// Whether columns that the codec does not shrink are stored uncompressed.
    ///
    /// Parquet records a codec per column chunk, so one file can mix them; every reader
    /// (pyarrow, polars, DuckDB, Spark, parquet-rs) reads such files. With this on, the
    /// first batch's first 8,192 rows are encoded once with the options chosen (dictionary,
    /// delta, codec), and each leaf column whose pages the codec leaves at 90 % or more of
    /// their size (random floats, hashes, unsorted timestamps) is written `UNCOMPRESSED`
    /// for the whole file: the file is at most a few percent larger, and compressing such a
    /// column on write and decompressing it on every read are saved. On a million rows of
    /// random int64, float64, float32 and timestamp columns, a snappy write takes 40 %
    /// less time and a read 65 % less, for 2 % more bytes. Columns whose sample encodes to
    /// under 4 KiB keep the codec (a first batch of a few rows decides nothing). Nothing
    /// changes with [`ParquetCompression::None`].
    ///
    /// Default: off. A user who asks for `compression=zstd` gets zstd in every column: zstd
    /// still takes 5–10 % off random floats (T1's file is 4 % larger with this on), and an
    /// export is written once and then downloaded, often over a link slower than the
    /// encoder. Storage that writes once and reads many times, with snappy (which gains
    /// nothing on such columns), turns it on: tessera-storage's partitions do.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use arrow::array::{Float64Array, RecordBatch, StringArray};
    /// use arrow::datatypes::{DataType, Field, Schema};
    /// use parquet::basic::Compression;
    /// use parquet::file::reader::{FileReader, SerializedFileReader};
    /// use tessera_parquet::{ParquetCompression, ParquetOptions};
    ///
    /// let schema = Arc::new(Schema::new(vec![
    ///     Field::new("x", DataType::Float64, false),
    ///     Field::new("label", DataType::Utf8, false),
    /// ]));
    /// let mut state = 1u64; // xorshift: random floats
    /// let x = Float64Array::from_iter_values((0..20_000).map(|_| {
    ///     state ^= state << 13; state ^= state >> 7; state ^= state << 17;
    ///     f64::from_bits(state >> 2)
    /// }));
    /// let label = StringArray::from_iter_values((0..20_000).map(|i| format!("sensor-{}", i % 3)));
    /// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(x), Arc::new(label)]).unwrap();
    ///
    /// let mut w = ParquetOptions::default()
    ///     .with_compression(ParquetCompression::Snappy)
    ///     .with_skip_incompressible(true)
    ///     .build(Vec::new(), &schema)
    ///     .unwrap();
    /// w.write(&batch).unwrap();
    /// let file = bytes::Bytes::from(w.finish().unwrap());
    ///
    /// let meta = SerializedFileReader::new(file).unwrap().metadata().row_group(0).clone();
    /// assert_eq!(meta.column(0).compression(), Compression::UNCOMPRESSED); // random floats
    /// assert_eq!(meta.column(1).compression(), Compression::SNAPPY); // repetitive strings
    /// ```
    pub fn with_skip_incompressible(mut self, skip: bool) -> Self {
        self.skip_incompressible = skip;
        self
    }

    /// The codec.
    pub fn compression(&self) -> ParquetCompression {
        self.compression
    }

    /// The row bound of a row group.
    pub fn max_row_group_rows(&self) -> usize {
        self.max_row_group_rows
    }

    /// The byte bound of a row group.
    pub fn max_row_group_bytes(&self) -> usize {
        self.max_row_group_bytes
    }

    /// The number of encoding threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The statistics level.
    pub fn statistics(&self) -> ParquetStatistics {
        self.statistics
    }

    /// The dictionary choice.
    pub fn dictionary(&self) -> ParquetDictionary {
        self.dictionary
    }

    /// The integer encoding choice.
    pub fn integer_encoding(&self) -> ParquetIntegerEncoding {
        self.integer_encoding
    }

    /// Whether incompressible columns are stored uncompressed
    /// ([`ParquetOptions::with_skip_incompressible`]).
    pub fn skip_incompressible(&self) -> bool {
        self.skip_incompressible
    }

    /// Whether the incompressible-column test runs (it needs a codec to test).
    fn tests_compressibility(&self) -> bool {
        self.skip_incompressible && self.compression != ParquetCompression::None
    }

    /// Whether the properties depend on the first batch (the file is then opened with it).
    pub(crate) fn depends_on_data(&self) -> bool {
        self.dictionary == ParquetDictionary::Auto
            || self.integer_encoding != ParquetIntegerEncoding::Plain
            || self.tests_compressibility()
    }

    /// Checks the options and the schema, then writes the file header into `out`.
    ///
    /// # Errors
    /// [`ParquetWriteError::InvalidOption`] or [`ParquetWriteError::UnsupportedSchema`]
    /// before anything is written; [`ParquetWriteError::Io`] when writing the header fails.
    pub fn build<W: Write>(&self, out: W, schema: &Schema) -> Result<ParquetWriter<W>, ParquetWriteError> {
        ParquetWriter::new(self, out, schema)
    }

    /// The library's properties; with [`ParquetDictionary::Auto`] and
    /// [`ParquetIntegerEncoding`] other than `Plain`, `first` (the first non-empty batch)
    /// picks the plain-encoded and delta-encoded columns, then, with
    /// [`ParquetOptions::with_skip_incompressible`], the uncompressed ones.
    pub(crate) fn properties(
        &self,
        first: Option<&RecordBatch>,
    ) -> Result<WriterProperties, ParquetWriteError> {
        self.compression.validate()?;
        let statistics = match self.statistics {
            ParquetStatistics::None => EnabledStatistics::None,
            ParquetStatistics::Chunk => EnabledStatistics::Chunk,
            ParquetStatistics::Page => EnabledStatistics::Page,
        };
        let props = WriterProperties::builder()
            .set_compression(self.compression.codec()?)
            .set_max_row_group_row_count(Some(self.max_row_group_rows))
            .set_max_row_group_bytes(Some(self.max_row_group_bytes))
            .set_statistics_enabled(statistics)
            .set_write_batch_size(WRITE_BATCH_ROWS)
            .set_dictionary_enabled(self.dictionary != ParquetDictionary::Never);
        let props = match (self.dictionary, first) {
            (ParquetDictionary::Auto, Some(batch)) => plain_where_distinct(props, batch),
            _ => props,
        };
        let props = match (self.integer_encoding, first) {
            (ParquetIntegerEncoding::Auto, Some(batch)) => delta_where_narrow(props, batch, false),
            (ParquetIntegerEncoding::Delta, Some(batch)) => delta_where_narrow(props, batch, true),
            _ => props,
        };
        Ok(match first {
            Some(batch) if self.tests_compressibility() => uncompressed_where_incompressible(props, batch),
            _ => props,
        }
        .build())
    }
}
