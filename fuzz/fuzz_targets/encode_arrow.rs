//! Arrow IPC file and stream of any table, with any codec: never panics, and arrow-rs's
//! own readers get the same schema and the same batches back.
#![no_main]

use std::io::Cursor;

use arbitrary::Unstructured;
use arrow::array::RecordBatch;
use arrow::ipc::reader::{FileReader, StreamReader};
use libfuzzer_sys::fuzz_target;
use tessera_arrow::{ArrowFileEncoder, ArrowStreamEncoder};
use tessera_core::fuzzing::arbitrary_table;
use tessera_core::{Params, TableEncoder};

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(table) = arbitrary_table(&mut u) else { return };
    let codec = ["none", "lz4", "zstd"][u.choose_index(3).unwrap_or(0)];
    let params = Params::new().with("compression", codec);
    let expected: Vec<RecordBatch> = table.stream().map(|b| b.expect("in-memory batches")).collect();

    let mut file = Vec::new();
    ArrowFileEncoder.encode(&mut table.stream(), &params, &mut file).expect("every table encodes as a file");
    let r = FileReader::try_new(Cursor::new(file), None).expect("the file opens");
    assert_eq!(&r.schema(), table.schema());
    let back: Vec<RecordBatch> = r.collect::<Result<_, _>>().expect("the batches decode");
    assert_eq!(back.iter().map(RecordBatch::num_rows).sum::<usize>(), table.num_rows());
    assert_eq!(back, expected);

    let mut stream = Vec::new();
    ArrowStreamEncoder
        .encode(&mut table.stream(), &params, &mut stream)
        .expect("every table encodes as a stream");
    let r = StreamReader::try_new(Cursor::new(stream), None).expect("the stream opens");
    assert_eq!(&r.schema(), table.schema());
    let back: Vec<RecordBatch> = r.collect::<Result<_, _>>().expect("the batches decode");
    assert_eq!(back, expected);

    // Unknown parameters and codecs are refused before any byte.
    let mut refused = Vec::new();
    assert!(
        ArrowFileEncoder
            .encode(&mut table.stream(), &Params::new().with("compression", "gzip"), &mut refused)
            .is_err()
    );
    assert!(refused.is_empty());
});
