//! Options of the Arrow IPC writers: which IPC format, and which buffer compression.

use std::fmt;
use std::io::Write;

use arrow::datatypes::Schema;
use tessera_core::{MediaType, Params};

use crate::error::IpcError;
use crate::writer::IpcWriter;

/// The media-type parameters the IPC encoders understand.
pub const PARAMS: &[&str] = &["compression"];

/// Which of the two Arrow IPC formats to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum IpcFormat {
    /// The IPC **file** format (`application/vnd.apache.arrow.file`): `ARROW1` magic, the
    /// schema, the batches, then a footer indexing them and `ARROW1` again. What
    /// `pyarrow.ipc.open_file` reads, and what the Tiled client expects. The default.
    #[default]
    File,
    /// The IPC **stream** format (`application/vnd.apache.arrow.stream`): the schema
    /// message, the batches, then an end-of-stream marker. What `pyarrow.ipc.open_stream`
    /// reads; a consumer can start before the end arrives.
    Stream,
}

impl IpcFormat {
    /// The format's media type.
    pub const fn media_type(self) -> MediaType {
        match self {
            IpcFormat::File => MediaType::from_static("application/vnd.apache.arrow.file"),
            IpcFormat::Stream => MediaType::from_static("application/vnd.apache.arrow.stream"),
        }
    }
}

impl fmt::Display for IpcFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IpcFormat::File => "Arrow IPC file",
            IpcFormat::Stream => "Arrow IPC stream",
        })
    }
}

/// Buffer compression of record batch bodies (Arrow's `BodyCompression`, one codec for
/// every buffer of the file). Readers decompress transparently; pyarrow ≥ 0.17 and
/// arrow-rs read both codecs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum IpcCompression {
    /// Buffers as they are in memory (a plain copy: the fastest, and what pyarrow and the
    /// Tiled server write). The default.
    #[default]
    None,
    /// LZ4 frame compression (needs the crate feature `lz4`, on by default).
    Lz4,
    /// Zstandard compression (needs the crate feature `zstd`, on by default).
    Zstd,
}

impl IpcCompression {
    /// Parses the value of the `compression` parameter: `none` (or `uncompressed`), `lz4`
    /// (or `lz4_frame`), `zstd`; ASCII case is ignored.
    ///
    /// # Errors
    /// [`IpcError::InvalidOption`] for any other value, and for a codec this build was
    /// compiled without.
    pub fn parse(value: &str) -> Result<Self, IpcError> {
        let c = match value.to_ascii_lowercase().as_str() {
            "none" | "uncompressed" => IpcCompression::None,
            "lz4" | "lz4_frame" => IpcCompression::Lz4,
            "zstd" => IpcCompression::Zstd,
            _ => {
                return Err(IpcError::InvalidOption {
                    key: "compression".into(),
                    reason: format!("{value:?} is not a codec (expected none, lz4 or zstd)"),
                });
            }
        };
        c.check_available()?;
        Ok(c)
    }

    /// Whether this build can write the codec.
    pub const fn is_available(self) -> bool {
        match self {
            IpcCompression::None => true,
            IpcCompression::Lz4 => cfg!(feature = "lz4"),
            IpcCompression::Zstd => cfg!(feature = "zstd"),
        }
    }

    pub(crate) fn check_available(self) -> Result<(), IpcError> {
        if self.is_available() {
            return Ok(());
        }
        Err(IpcError::InvalidOption {
            key: "compression".into(),
            reason: format!("{self} is not compiled into this build (tessera-arrow feature `{self}`)"),
        })
    }

    pub(crate) fn codec(self) -> Option<arrow_ipc::CompressionType> {
        match self {
            IpcCompression::None => None,
            IpcCompression::Lz4 => Some(arrow_ipc::CompressionType::LZ4_FRAME),
            IpcCompression::Zstd => Some(arrow_ipc::CompressionType::ZSTD),
        }
    }
}

impl fmt::Display for IpcCompression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IpcCompression::None => "none",
            IpcCompression::Lz4 => "lz4",
            IpcCompression::Zstd => "zstd",
        })
    }
}

/// Builder of an [`IpcWriter`]. Every setter documents its default.
///
/// ```
/// use tessera_arrow::{IpcCompression, IpcFormat, IpcOptions};
/// let o = IpcOptions::default().with_format(IpcFormat::Stream).with_compression(IpcCompression::None);
/// assert_eq!(o.format(), IpcFormat::Stream);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct IpcOptions {
    format: IpcFormat,
    compression: IpcCompression,
}

impl IpcOptions {
    /// Options from media-type parameters (`compression=lz4|zstd|none`; absent = none),
    /// for `format`.
    ///
    /// # Errors
    /// [`IpcError::InvalidOption`] for an unknown parameter or value.
    pub fn from_params(format: IpcFormat, params: &Params) -> Result<Self, IpcError> {
        params.check_known(PARAMS).map_err(IpcError::from_params_error)?;
        let compression = match params.get("compression") {
            Some(v) => IpcCompression::parse(v)?,
            None => IpcCompression::None,
        };
        Ok(IpcOptions { format, compression })
    }

    /// Which IPC format to write. Default: [`IpcFormat::File`].
    pub fn with_format(mut self, format: IpcFormat) -> Self {
        self.format = format;
        self
    }

    /// Buffer compression. Default: [`IpcCompression::None`].
    pub fn with_compression(mut self, compression: IpcCompression) -> Self {
        self.compression = compression;
        self
    }

    /// The IPC format.
    pub fn format(&self) -> IpcFormat {
        self.format
    }

    /// The buffer compression.
    pub fn compression(&self) -> IpcCompression {
        self.compression
    }

    /// Checks the options, then writes the header (file magic and schema) into `out`.
    ///
    /// # Errors
    /// [`IpcError::InvalidOption`] when the codec is not compiled in (nothing is written);
    /// [`IpcError::Io`] when writing the header fails.
    pub fn build<W: Write>(&self, out: W, schema: &Schema) -> Result<IpcWriter<W>, IpcError> {
        IpcWriter::new(self.clone(), out, schema)
    }
}
