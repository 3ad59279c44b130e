//! [`CsvEncoder`]: the registered `text/csv` encoder for tables, arrays and datasets.

use std::io::Write;

use arrow::datatypes::Schema;
use tessera_core::columns::ColumnFormatter;
use tessera_core::dataset::Dataset;
use tessera_core::{
    ArrayEncoder, ArraySource, BatchStream, DataType, DatasetEncoder, EncodeError, Family, Output, Params,
    Spec, TableEncoder,
};

use crate::options::{CsvOptions, PARAMS};
use crate::writer::{CSV, check_array_shape};

/// `text/csv` for tables, arrays (at most 2-D) and xarray datasets (their table form).
///
/// The same unit value is registered for the three families; see the crate docs for the
/// dialect and the `header` parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvEncoder;

/// Every name `format=` accepts for CSV. Tiled lists the same bytes under
/// `text/x-comma-separated-values` (tables, arrays), `text/comma-separated-values`
/// (datasets), `text/plain` and `application/vnd.ms-excel`.
const ALIASES: &[&str] = &[
    "csv",
    "text/x-comma-separated-values",
    "text/comma-separated-values",
    "text/plain",
    "application/vnd.ms-excel",
    "txt",
    "text",
];

pub(crate) static TABLE_SPEC: Spec = Spec {
    media_type: CSV,
    aliases: ALIASES,
    family: Family::Table,
    output: Output::Streaming,
    params: PARAMS,
    default_rank: 30,
    provider: "tessera-csv",
    description: "CSV with a header row (header=absent leaves it out); binary columns left out",
};

pub(crate) static ARRAY_SPEC: Spec = Spec {
    media_type: CSV,
    aliases: ALIASES,
    family: Family::Array,
    output: Output::Streaming,
    params: PARAMS,
    default_rank: 30,
    provider: "tessera-csv",
    description: "CSV of an array of at most 2 dimensions: one line per row, no header",
};

pub(crate) static DATASET_SPEC: Spec = Spec {
    media_type: CSV,
    aliases: ALIASES,
    family: Family::Dataset,
    output: Output::Streaming,
    params: PARAMS,
    default_rank: 30,
    provider: "tessera-csv",
    description: "CSV of the dataset's table form (xarray to_dataframe, index reset)",
};

impl TableEncoder for CsvEncoder {
    fn spec(&self) -> &'static Spec {
        &TABLE_SPEC
    }

    fn check(&self, schema: &Schema, params: &Params) -> Result<(), EncodeError> {
        CsvOptions::from_params(params)?;
        for f in schema.fields() {
            ColumnFormatter::check_type(f.data_type()).map_err(|e| {
                EncodeError::unsupported(CSV, format!("column {:?} cannot be written as text: {e}", f.name()))
            })?;
        }
        Ok(())
    }

    fn encode(
        &self,
        table: &mut dyn BatchStream,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError> {
        TableEncoder::check(self, &table.schema(), params)?;
        write_table(CsvOptions::from_params(params)?, table, out)
    }
}

impl ArrayEncoder for CsvEncoder {
    fn spec(&self) -> &'static Spec {
        &ARRAY_SPEC
    }

    fn check(&self, _data_type: &DataType, shape: &[usize], params: &Params) -> Result<(), EncodeError> {
        CsvOptions::from_params(params)?;
        check_array_shape(shape)
    }

    fn encode(
        &self,
        array: &dyn ArraySource,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError> {
        ArrayEncoder::check(self, array.data_type(), array.shape(), params)?;
        let mut w = CsvOptions::from_params(params)?.build(out)?;
        w.write_array(array)?;
        w.finish()?;
        Ok(())
    }
}

impl DatasetEncoder for CsvEncoder {
    fn spec(&self) -> &'static Spec {
        &DATASET_SPEC
    }

    fn encode(&self, dataset: &Dataset, params: &Params, out: &mut dyn Write) -> Result<(), EncodeError> {
        let opts = CsvOptions::from_params(params)?;
        let table = dataset.table_form(CSV)?;
        write_table(opts, &mut table.stream(), out)
    }
}

fn write_table(
    opts: CsvOptions,
    table: &mut dyn BatchStream,
    out: &mut dyn Write,
) -> Result<(), EncodeError> {
    let mut w = opts.build(out)?;
    w.write_schema(&table.schema())?;
    for batch in table {
        w.write(&batch?)?;
    }
    w.finish()?;
    Ok(())
}
