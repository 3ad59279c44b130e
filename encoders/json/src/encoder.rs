//! The registered JSON encoders.

use std::io::Write;

use arrow::datatypes::Schema;
use tessera_core::columns::ColumnFormatter;
use tessera_core::container::ContainerTree;
use tessera_core::dataset::Dataset;
use tessera_core::{
    ArrayEncoder, ArraySource, BatchStream, ContainerEncoder, DataType, DatasetEncoder, EncodeError, Family,
    MediaType, Output, Params, Spec, TableEncoder,
};

use crate::options::{JsonFormat, JsonOptions};

const JSON: MediaType = JsonFormat::Columns.media_type();

/// `application/json` (alias `json`) for every family: tables and datasets as an object of
/// columns, arrays as nested lists, containers as their metadata tree. No parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonEncoder;

/// `application/json-seq` (alias `json-seq`, RFC 7464) for tables: one
/// `\x1e{row}\n` per row, streamed. No parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonSeqEncoder;

/// `application/x-ndjson` (aliases `ndjson`, `jsonl`) for tables: one `{row}\n` per row,
/// streamed, binary columns left out. No parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct NdjsonEncoder;

const fn spec(
    media_type: MediaType,
    aliases: &'static [&'static str],
    family: Family,
    output: Output,
    default_rank: u8,
    description: &'static str,
) -> Spec {
    Spec {
        media_type,
        aliases,
        family,
        output,
        params: &[],
        default_rank,
        provider: "tessera-json",
        description,
    }
}

pub(crate) static TABLE_SPEC: Spec = spec(
    JSON,
    &["json"],
    Family::Table,
    Output::Buffered,
    40,
    "an object of columns {\"a\": [...], ...} (Tiled's table JSON)",
);
pub(crate) static ARRAY_SPEC: Spec =
    spec(JSON, &["json"], Family::Array, Output::Streaming, 20, "nested lists; a 0-d array is a bare value");
pub(crate) static DATASET_SPEC: Spec = spec(
    JSON,
    &["json"],
    Family::Dataset,
    Output::Buffered,
    40,
    "the dataset's table form as an object of columns",
);
pub(crate) static CONTAINER_SPEC: Spec = spec(
    JSON,
    &["json"],
    Family::Container,
    Output::Buffered,
    20,
    "the metadata tree {\"contents\": {...}, \"metadata\": {...}}, no data",
);
pub(crate) static SEQ_SPEC: Spec = spec(
    JsonFormat::JsonSeq.media_type(),
    &["json-seq"],
    Family::Table,
    Output::Streaming,
    50,
    "JSON text sequence (RFC 7464): one \\x1e{row}\\n per row",
);
pub(crate) static NDJSON_SPEC: Spec = spec(
    JsonFormat::Ndjson.media_type(),
    &["ndjson", "jsonl"],
    Family::Table,
    Output::Streaming,
    50,
    "newline-delimited JSON: one {row} per line, binary columns left out",
);

fn check_schema(format: JsonFormat, schema: &Schema, params: &Params) -> Result<(), EncodeError> {
    params.check_known(&[])?;
    for f in schema.fields() {
        ColumnFormatter::check_type(f.data_type()).map_err(|e| {
            EncodeError::unsupported(
                format.media_type(),
                format!("column {:?} has no JSON form: {e}", f.name()),
            )
        })?;
    }
    Ok(())
}

fn write_table(
    format: JsonFormat,
    table: &mut dyn BatchStream,
    out: &mut dyn Write,
) -> Result<(), EncodeError> {
    let mut w = JsonOptions::new(format).build(out);
    w.write_schema(&table.schema())?;
    for batch in table {
        w.write(&batch?)?;
    }
    w.finish()?;
    Ok(())
}

macro_rules! table_encoder {
    ($t:ty, $format:expr, $spec:expr) => {
        impl TableEncoder for $t {
            fn spec(&self) -> &'static Spec {
                &$spec
            }
            fn check(&self, schema: &Schema, params: &Params) -> Result<(), EncodeError> {
                check_schema($format, schema, params)
            }
            fn encode(
                &self,
                table: &mut dyn BatchStream,
                params: &Params,
                out: &mut dyn Write,
            ) -> Result<(), EncodeError> {
                check_schema($format, &table.schema(), params)?;
                write_table($format, table, out)
            }
        }
    };
}

table_encoder!(JsonEncoder, JsonFormat::Columns, TABLE_SPEC);
table_encoder!(JsonSeqEncoder, JsonFormat::JsonSeq, SEQ_SPEC);
table_encoder!(NdjsonEncoder, JsonFormat::Ndjson, NDJSON_SPEC);

impl ArrayEncoder for JsonEncoder {
    fn spec(&self) -> &'static Spec {
        &ARRAY_SPEC
    }
    fn check(&self, _data_type: &DataType, _shape: &[usize], params: &Params) -> Result<(), EncodeError> {
        params.check_known(&[])
    }
    fn encode(
        &self,
        array: &dyn ArraySource,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError> {
        params.check_known(&[])?;
        crate::array::write_array(array, out)?;
        Ok(())
    }
}

impl DatasetEncoder for JsonEncoder {
    fn spec(&self) -> &'static Spec {
        &DATASET_SPEC
    }
    fn encode(&self, dataset: &Dataset, params: &Params, out: &mut dyn Write) -> Result<(), EncodeError> {
        params.check_known(&[])?;
        let table = dataset.table_form(JSON)?;
        write_table(JsonFormat::Columns, &mut table.stream(), out)
    }
}

impl ContainerEncoder for JsonEncoder {
    fn spec(&self) -> &'static Spec {
        &CONTAINER_SPEC
    }
    fn encode(&self, tree: &ContainerTree, params: &Params, out: &mut dyn Write) -> Result<(), EncodeError> {
        params.check_known(&[])?;
        let value = crate::container::container_value(tree);
        let bytes = serde_json::to_vec(&value).map_err(|e| EncodeError::backend(JSON, e))?;
        out.write_all(&bytes)?;
        out.flush()?;
        Ok(())
    }
}
