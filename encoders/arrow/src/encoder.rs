//! The registered encoders: Arrow IPC file and stream, for tables and for datasets.

use std::io::{BufWriter, Write};

use arrow::datatypes::Schema;
use tessera_core::dataset::Dataset;
use tessera_core::{BatchStream, DatasetEncoder, EncodeError, Family, Output, Params, Spec, TableEncoder};

use crate::options::{IpcFormat, IpcOptions, PARAMS};

/// Small writes (message prefixes, flatbuffers, padding) are gathered before they reach the
/// sink; batch bodies larger than this go straight through.
const SINK_BUFFER: usize = 64 << 10;

/// Tables and datasets as an Arrow IPC **file** (`application/vnd.apache.arrow.file`,
/// aliases `arrow`, `feather`): the table family's default format and what the Tiled client
/// reads. Parameter `compression=none|lz4|zstd`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArrowFileEncoder;

/// Tables and datasets as an Arrow IPC **stream** (`application/vnd.apache.arrow.stream`,
/// alias `arrows`). Parameter `compression=none|lz4|zstd`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArrowStreamEncoder;

pub(crate) static FILE_TABLE: Spec = Spec {
    media_type: IpcFormat::File.media_type(),
    aliases: &["arrow", "feather"],
    family: Family::Table,
    output: Output::Streaming,
    params: PARAMS,
    default_rank: 0,
    provider: "tessera-arrow",
    description: "Arrow IPC file (pyarrow.ipc.open_file; what the Tiled client reads)",
};

pub(crate) static STREAM_TABLE: Spec = Spec {
    media_type: IpcFormat::Stream.media_type(),
    aliases: &["arrows"],
    family: Family::Table,
    output: Output::Streaming,
    params: PARAMS,
    default_rank: 10,
    provider: "tessera-arrow",
    description: "Arrow IPC stream (pyarrow.ipc.open_stream)",
};

pub(crate) static FILE_DATASET: Spec = Spec {
    media_type: IpcFormat::File.media_type(),
    aliases: &["arrow", "feather"],
    family: Family::Dataset,
    output: Output::Streaming,
    params: PARAMS,
    default_rank: 10,
    provider: "tessera-arrow",
    description: "the dataset's table form (one column per variable) as an Arrow IPC file",
};

pub(crate) static STREAM_DATASET: Spec = Spec {
    media_type: IpcFormat::Stream.media_type(),
    aliases: &["arrows"],
    family: Family::Dataset,
    output: Output::Streaming,
    params: PARAMS,
    default_rank: 20,
    provider: "tessera-arrow",
    description: "the dataset's table form (one column per variable) as an Arrow IPC stream",
};

fn options(format: IpcFormat, params: &Params) -> Result<IpcOptions, EncodeError> {
    Ok(IpcOptions::from_params(format, params)?)
}

/// Streams `table` with `opts`; every check has already passed.
fn write_table(
    opts: &IpcOptions,
    table: &mut dyn BatchStream,
    out: &mut dyn Write,
) -> Result<(), EncodeError> {
    let schema = table.schema();
    let mut w = opts.build(BufWriter::with_capacity(SINK_BUFFER, out), &schema)?;
    for batch in table {
        w.write(&batch?)?;
    }
    w.finish()?.flush()?;
    Ok(())
}

/// The table and dataset impls of one IPC format's encoder.
macro_rules! ipc_encoder {
    ($ty:ty, $format:expr, $table_spec:ident, $dataset_spec:ident) => {
        impl TableEncoder for $ty {
            fn spec(&self) -> &'static Spec {
                &$table_spec
            }
            fn check(&self, _schema: &Schema, params: &Params) -> Result<(), EncodeError> {
                options($format, params).map(drop)
            }
            fn encode(
                &self,
                table: &mut dyn BatchStream,
                params: &Params,
                out: &mut dyn Write,
            ) -> Result<(), EncodeError> {
                write_table(&options($format, params)?, table, out)
            }
        }

        impl DatasetEncoder for $ty {
            fn spec(&self) -> &'static Spec {
                &$dataset_spec
            }
            fn encode(
                &self,
                dataset: &Dataset,
                params: &Params,
                out: &mut dyn Write,
            ) -> Result<(), EncodeError> {
                let opts = options($format, params)?;
                let table = dataset.table_form($format.media_type())?;
                write_table(&opts, &mut table.stream(), out)
            }
        }
    };
}

ipc_encoder!(ArrowFileEncoder, IpcFormat::File, FILE_TABLE, FILE_DATASET);
ipc_encoder!(ArrowStreamEncoder, IpcFormat::Stream, STREAM_TABLE, STREAM_DATASET);
