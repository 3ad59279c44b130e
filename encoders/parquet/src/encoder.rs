//! The registered encoder, for tables and for datasets.

use std::io::Write;

use arrow::datatypes::Schema;
use tessera_core::dataset::Dataset;
use tessera_core::{BatchStream, DatasetEncoder, EncodeError, Family, Output, Params, Spec, TableEncoder};

use crate::MEDIA_TYPE;
use crate::options::{PARAMS, ParquetOptions};
use crate::writer::check_schema;

/// Tables and datasets as Parquet (`application/x-parquet`, alias `parquet`). Parameters
/// `compression=zstd|snappy|lz4|none` and `level=1..22` (zstd).
#[derive(Debug, Clone, Copy, Default)]
pub struct ParquetEncoder;

pub(crate) static TABLE_SPEC: Spec = Spec {
    media_type: MEDIA_TYPE,
    aliases: &["parquet"],
    family: Family::Table,
    output: Output::Streaming,
    params: PARAMS,
    default_rank: 20,
    provider: "tessera-parquet",
    description: "Parquet, row group by row group (zstd by default; compression=snappy|lz4|none)",
};

pub(crate) static DATASET_SPEC: Spec = Spec {
    media_type: MEDIA_TYPE,
    aliases: &["parquet"],
    family: Family::Dataset,
    output: Output::Streaming,
    params: PARAMS,
    default_rank: 30,
    provider: "tessera-parquet",
    description: "the dataset's table form (one column per variable) as Parquet",
};

fn write_table(
    opts: &ParquetOptions,
    table: &mut dyn BatchStream,
    out: &mut dyn Write,
) -> Result<(), EncodeError> {
    let schema = table.schema();
    let mut w = opts.build(out, &schema)?;
    for batch in table {
        w.write(&batch?)?;
    }
    w.finish()?;
    Ok(())
}

impl TableEncoder for ParquetEncoder {
    fn spec(&self) -> &'static Spec {
        &TABLE_SPEC
    }
    fn check(&self, schema: &Schema, params: &Params) -> Result<(), EncodeError> {
        ParquetOptions::from_params(params)?;
        Ok(check_schema(schema)?)
    }
    fn encode(
        &self,
        table: &mut dyn BatchStream,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError> {
        write_table(&ParquetOptions::from_params(params)?, table, out)
    }
}

impl DatasetEncoder for ParquetEncoder {
    fn spec(&self) -> &'static Spec {
        &DATASET_SPEC
    }
    fn encode(&self, dataset: &Dataset, params: &Params, out: &mut dyn Write) -> Result<(), EncodeError> {
        let opts = ParquetOptions::from_params(params)?;
        let table = dataset.table_form(MEDIA_TYPE)?;
        write_table(&opts, &mut table.stream(), out)
    }
}
