//! The write side of Tiled's API over a catalog (tiled-protocol.md §1.6, §1.7):
//! `POST metadata/<parent>` creates an array, table or container; `PUT array/full`,
//! `PUT array/block?block=i,j`, `PUT table/full`, `PUT table/partition?partition=i` upload
//! data; `DELETE metadata/<path>?recursive=&external_only=` removes nodes.
//!
//! Every write needs the API key whenever one is in force (`--public` opens reads only).
//! A server whose tree is not a writable catalog answers 405.
//!
//! Order of operations (so the catalog and the data never disagree, whatever crashes):
//! - create: validate the body → create the data (a fresh UUID v7 location, built under a
//!   temporary name and renamed into place) → insert the catalog row; when the insert fails
//!   (an existing key: 409) the data just made is removed. A crash in between leaves only an
//!   unreferenced directory, never a row without data.
//! - upload: look the node up → validate the body against the declared structure → write
//!   (each chunk or partition file atomically, on a blocking thread). A mismatch is a 4xx
//!   and nothing is written.
//! - delete: the catalog rows first (one transaction), then the data of each.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};
use tessera_catalog::{Family, NewNode, NodeRecord};
use tessera_core::ArrayStructure;
use tessera_core::slice::parse_block;
use tessera_storage::{PooledBuffer, Storage};

use crate::api::{Ctx, json_response, python_list};
use crate::catalog_tree::{
    CatalogBackend, array_structure, catalog_error, data_source, parse_table_structure, storage_error,
    table_structure,
};
use crate::error::AppError;
use crate::resource::arrow_schema_uri;
use crate::state::{AppState, Auth};

/// Conflict text of a delete that would remove data written through the API (Tiled's).
pub const INTERNAL_DATA: &str = "Some items in this tree are internally managed. Deleting the records will also \
delete the underlying data files. If you want to delete them, pass external_only=False.";

/// The catalog behind the tree and its writable storage.
pub(crate) struct Writable {
    pub(crate) backend: Arc<CatalogBackend>,
    pub(crate) storage: Storage,
}

/// Checks the key (required for writes whenever one is in force) and that the server is a
/// writable catalog; `refusal` is the 405 text otherwise.
pub(crate) fn writable(state: &AppState, ctx: &Ctx, refusal: &str) -> Result<Writable, AppError> {
    let auth = Auth { api_key: state.auth.api_key.clone(), public: false };
    auth.check(&ctx.headers, ctx.query.first("api_key"), &ctx.base.0)?;
    let backend =
        CatalogBackend::of(&state.root).ok_or_else(|| AppError::MethodNotAllowed(refusal.into()))?;
    let storage = backend.storage.clone().ok_or_else(|| AppError::MethodNotAllowed(refusal.into()))?;
    Ok(Writable { backend, storage })
}

/// The request body, whole, within `Limits::max_request_bytes` (413 beyond).
pub(crate) async fn read_body(state: &AppState, ctx: &Ctx, body: Body) -> Result<bytes::Bytes, AppError> {
    let limit = state.limits.max_request_bytes;
    let too_large = || AppError::PayloadTooLarge(format!("The request body exceeds {limit} bytes."));
    let declared = ctx
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    // A large body of known length goes straight into a pooled buffer: already-mapped
    // memory, where a fresh 128 MiB buffer cost a page fault per 4 KiB (a third of an
    // array upload's time).
    if let Some(n) = declared.and_then(|n| usize::try_from(n).ok()).filter(|&n| n >= POOLED_BODY_BYTES) {
        return read_sized_body(body, n).await;
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(b) => Ok(b),
        Err(e) => {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(s) = source {
                if s.to_string().contains("length limit exceeded") {
                    return Err(too_large());
                }
                source = s.source();
            }
            Err(AppError::BadRequest(format!("The request body could not be read whole: {e}")))
        }
    }
}

/// Bodies at least this large (by `Content-Length`) are read into a [`PooledBuffer`].
const POOLED_BODY_BYTES: usize = 4 << 20;

/// Reads a body of exactly `len` bytes (its `Content-Length`) into a pooled buffer.
async fn read_sized_body(body: Body, len: usize) -> Result<bytes::Bytes, AppError> {
    let mut buf = PooledBuffer::take(len);
    let mut filled = 0;
    let mut frames = body.into_data_stream();
    while let Some(frame) = futures::StreamExt::next(&mut frames).await {
        let data = frame
            .map_err(|e| AppError::BadRequest(format!("The request body could not be read whole: {e}")))?;
        let end = filled + data.len();
        if end > len {
            return Err(AppError::BadRequest(format!(
                "The request body is longer than its Content-Length ({len})."
            )));
        }
        buf.as_mut()[filled..end].copy_from_slice(&data);
        filled = end;
    }
    if filled != len {
        return Err(AppError::BadRequest(format!(
            "The request body could not be read whole: {filled} of {len} bytes arrived."
        )));
    }
    Ok(bytes::Bytes::from_owner(buf))
}

/// The node at the request's path after `skip` segments, with its path.
pub(crate) async fn record_at(
    w: &Writable,
    ctx: &Ctx,
    skip: usize,
) -> Result<(NodeRecord, Vec<String>), AppError> {
    let path: Vec<String> = ctx.segments.iter().skip(skip).cloned().collect();
    match w.backend.catalog.lookup(&path).await.map_err(catalog_error)? {
        Some(rec) => Ok((rec, path)),
        None => Err(AppError::NotFound(format!("No such entry: {}", python_list(&path)))),
    }
}

/// A pydantic-style 422 for the request body.
pub(crate) fn body_error(loc: &[&str], msg: impl Into<String>) -> AppError {
    let mut l = vec![Value::from("body")];
    l.extend(loc.iter().map(|s| Value::from(*s)));
    AppError::Unprocessable {
        detail: json!([{"type": "value_error", "loc": l, "msg": msg.into(), "input": null}]),
    }
}

/// A request body that must be a JSON object (422 as pydantic words it otherwise).
pub(crate) fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, AppError> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| AppError::Unprocessable {
        detail: json!([{"type": "json_invalid", "loc": ["body", e.column()], "msg": "JSON decode error",
                        "input": {}, "ctx": {"error": e.to_string()}}]),
    })?;
    match doc {
        Value::Object(m) => Ok(m),
        _ => Err(body_error(&[], "Input should be a valid dictionary")),
    }
}

/// Runs blocking storage work.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(format!("storage task failed: {e}")))?
}

fn null_ok() -> Response {
    json_response(StatusCode::OK, &Value::Null)
}

/// Spec names from `["a", {"name": "b", "version": null}]`.
pub(crate) fn parse_specs(v: Option<&Value>) -> Result<Vec<String>, AppError> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(Vec::new()) };
    let list = v.as_array().ok_or_else(|| body_error(&["specs"], "Input should be a valid list"))?;
    list.iter()
        .map(|s| match s {
            Value::String(s) => Ok(s.clone()),
            Value::Object(o) => o
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| body_error(&["specs"], "A spec needs a name")),
            _ => Err(body_error(&["specs"], "A spec is a name or {\"name\": ..., \"version\": ...}")),
        })
        .collect()
}

/// The data source as Tiled's client reads it (server-side fields dropped).
pub(crate) fn wire_data_source(ds: &Value, id: i64) -> Value {
    let mut ds = ds.clone();
    if let Some(o) = ds.as_object_mut() {
        o.remove("location");
        o.remove("root");
        o.insert("id".into(), Value::from(id));
    }
    ds
}

/// `POST /api/v1/metadata/<parent>`: creates a child (array, table or container) from
/// Tiled's body; the reply holds `id`, `links` and `data_sources` (with the structure).
pub async fn create(State(state): State<Arc<AppState>>, ctx: Ctx, body: Body) -> Result<Response, AppError> {
    let w = writable(&state, &ctx, "This node does not support adding children.")?;
    let doc = json_object(&read_body(&state, &ctx, body).await?)?;
    let doc = &doc;
    let family = match doc.get("structure_family").and_then(Value::as_str) {
        Some("array") => Family::Array,
        Some("table") => Family::Table,
        Some("container") => Family::Container,
        Some(other) => {
            return Err(body_error(
                &["structure_family"],
                format!("Structure family {other:?} is not supported: array, table or container"),
            ));
        }
        None => return Err(body_error(&["structure_family"], "Field required")),
    };
    let key = match doc.get("id") {
        None | Some(Value::Null) => uuid::Uuid::now_v7().to_string(),
        Some(Value::String(s)) if !s.is_empty() && !s.contains('/') => s.clone(),
        Some(_) => return Err(body_error(&["id"], "The key must be a non-empty string without '/'")),
    };
    let metadata = match doc.get("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(body_error(&["metadata"], "Input should be a valid dictionary")),
    };
    let specs = parse_specs(doc.get("specs"))?;
    let declared = match family {
        Family::Container => None,
        _ => {
            let sources = doc
                .get("data_sources")
                .and_then(Value::as_array)
                .ok_or_else(|| body_error(&["data_sources"], "An array or a table needs one data source"))?;
            let [source] = sources.as_slice() else {
                return Err(body_error(&["data_sources"], "Exactly one data source is supported"));
            };
            if source.get("assets").and_then(Value::as_array).is_some_and(|a| !a.is_empty()) {
                return Err(body_error(
                    &["data_sources", "assets"],
                    "Registering external assets is not supported",
                ));
            }
            Some(
                source
                    .get("structure")
                    .filter(|s| !s.is_null())
                    .ok_or_else(|| body_error(&["data_sources", "structure"], "Field required"))?
                    .clone(),
            )
        }
    };
    // Validate the structure before anything is created.
    enum Planned {
        Container,
        Array(ArrayStructure),
        Table(arrow::datatypes::SchemaRef, usize),
    }
    let planned = match (family, &declared) {
        (Family::Array, Some(s)) => Planned::Array(
            ArrayStructure::from_wire(s).map_err(|e| body_error(&["data_sources", "structure"], e))?,
        ),
        (Family::Table, Some(s)) => {
            let (schema, n) =
                parse_table_structure(s).map_err(|e| body_error(&["data_sources", "structure"], e))?;
            Planned::Table(schema, n)
        }
        _ => Planned::Container,
    };
    let (parent, parent_path) = record_at(&w, &ctx, 1).await?;
    if parent.family != Family::Container {
        return Err(AppError::MethodNotAllowed(format!(
            "The node at {} is a {}: only containers take children.",
            python_list(&parent_path),
            parent.family.as_str()
        )));
    }
    let location = uuid::Uuid::now_v7().simple().to_string();
    let (structure, source) = match planned {
        Planned::Container => (None, None),
        Planned::Array(s) => {
            let wire = s.to_wire();
            let storage = w.storage.clone();
            let loc = location.clone();
            blocking(move || storage.create_array(&loc, &s).map(drop).map_err(storage_error)).await?;
            let ds = data_source(&w.storage, &location, family, &wire);
            (Some(wire), Some(ds))
        }
        Planned::Table(schema, n) => {
            let wire = json!({
                "arrow_schema": arrow_schema_uri(&schema),
                "npartitions": n,
                "columns": schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>(),
                "resizable": false,
            });
            let storage = w.storage.clone();
            let loc = location.clone();
            blocking(move || storage.create_table(&loc, schema, n).map(drop).map_err(storage_error)).await?;
            let ds = data_source(&w.storage, &location, family, &wire);
            (Some(wire), Some(ds))
        }
    };
    let node = NewNode { key: key.clone(), family, specs, metadata, structure, data_source: source.clone() };
    let rec = match w.backend.catalog.create(parent.id, node).await {
        Ok(rec) => rec,
        Err(e) => {
            if source.is_some() {
                let storage = w.storage.clone();
                let loc = location.clone();
                let removed = blocking(move || storage.remove(&loc).map_err(storage_error)).await;
                if let Err(r) = removed {
                    tracing::warn!(error = %r, location, "could not remove the data of a refused node");
                }
            }
            return Err(catalog_error(e));
        }
    };
    let mut path = parent_path;
    path.push(key.clone());
    let links = {
        let node = w.backend.node(rec.clone(), path.clone()).await?;
        crate::resource::links(&node, &path, &ctx.base)
    };
    let sources: Vec<Value> = source.iter().map(|ds| wire_data_source(ds, rec.id)).collect();
    // As Tiled's server: no `structure` or `metadata` (the client keeps what it sent, and
    // 0.2.20 cannot parse a returned structure: `ArrayStructure(dict)` raises TypeError).
    let reply = json!({"id": key, "links": links, "data_sources": sources, "access_tags": []});
    Ok(json_response(StatusCode::OK, &reply))
}

/// The array record at the path after `array/<full|block>`.
async fn array_record(w: &Writable, ctx: &Ctx) -> Result<(NodeRecord, ArrayStructure), AppError> {
    let (rec, path) = record_at(w, ctx, 2).await?;
    if rec.family != Family::Array {
        return Err(AppError::MethodNotAllowed(format!(
            "This node cannot accept array data: {} is a {}.",
            python_list(&path),
            rec.family.as_str()
        )));
    }
    let structure = array_structure(&rec)?;
    Ok((rec, structure))
}

/// `PUT /api/v1/array/full/<path>`: the whole array as raw little-endian C-order bytes.
pub async fn put_array_full(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    body: Body,
) -> Result<Response, AppError> {
    put_array(&state, &ctx, body, false).await
}

/// `PUT /api/v1/array/block/<path>?block=i,j`: one block (one declared chunk), raw bytes.
pub async fn put_array_block(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    body: Body,
) -> Result<Response, AppError> {
    put_array(&state, &ctx, body, true).await
}

async fn put_array(state: &AppState, ctx: &Ctx, body: Body, block: bool) -> Result<Response, AppError> {
    let w = writable(state, ctx, "This node cannot accept array data.")?;
    let (rec, structure) = array_record(&w, ctx).await?;
    let index = if block {
        let Some(raw) = ctx.query.first("block") else {
            return Err(AppError::invalid_query("block", "", "Field required"));
        };
        Some(parse_block(raw, &structure)?)
    } else {
        None
    };
    let backend = w.backend.clone();
    let upload = blocking(move || {
        let (storage, location) = backend.storage_for(&rec)?;
        let z = storage.open_array(&location, &structure).map_err(storage_error)?;
        match index {
            Some(index) => z.upload_block(&index),
            None => z.upload_full(),
        }
        .map_err(storage_error)
    })
    .await?;
    stream_upload(state, ctx, body, upload).await?;
    Ok(null_ok())
}

/// Array uploads streamed at once (more wait for a turn).
const MAX_STREAMING_UPLOADS: usize = 64;

/// A piece of an array upload's body, or its end.
enum UploadMsg {
    Data(bytes::Bytes),
    End,
}

/// Streams the body into `upload` as it arrives: a blocking thread writes the chunk files
/// while the next bytes are received, and holds a few MiB rather than the whole body. The
/// length is checked against `Content-Length` before the first byte, and the upload only
/// finishes (renames its chunks into place) once the whole body came; a body that breaks
/// off leaves the array as it was.
async fn stream_upload(
    state: &AppState,
    ctx: &Ctx,
    body: Body,
    upload: tessera_storage::ArrayUpload,
) -> Result<(), AppError> {
    let limit = state.limits.max_request_bytes;
    if upload.expected_len() > limit {
        return Err(AppError::PayloadTooLarge(format!("The request body exceeds {limit} bytes.")));
    }
    let declared = ctx
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if let Some(n) = declared {
        upload.check_len(n).map_err(storage_error)?;
    }
    // Each upload in progress holds a thread of the blocking pool for as long as its client
    // takes to send; past this many, uploads wait here (holding no thread), so slow clients
    // cannot take the pool that exports and other writes need.
    static UPLOADS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_STREAMING_UPLOADS);
    let permit =
        UPLOADS.acquire().await.map_err(|_| AppError::Internal("the upload limiter is closed".into()))?;
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<UploadMsg>(16);
    let writer = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut upload = upload;
        while let Some(msg) = receiver.blocking_recv() {
            match msg {
                UploadMsg::Data(bytes) => upload.write(&bytes)?,
                UploadMsg::End => return upload.finish().map(|()| true),
            }
        }
        // The body broke off: dropping the upload removes what it wrote.
        Ok(false)
    });
    let mut frames = body.into_data_stream();
    // Why the body is refused, when it is (a 400 whatever the writer says).
    let mut broken = None;
    let mut received = 0usize;
    while let Some(frame) = futures::StreamExt::next(&mut frames).await {
        match frame {
            Ok(data) => {
                received += data.len();
                if let Some(n) = declared.filter(|&n| received > n) {
                    broken = Some(format!("The request body is longer than its Content-Length ({n})."));
                    break;
                }
                // A closed channel: the writer stopped at an error, reported below.
                if sender.send(UploadMsg::Data(data)).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                broken = Some(format!("The request body could not be read whole: {e}"));
                break;
            }
        }
    }
    if broken.is_none()
        && let Some(n) = declared.filter(|&n| received < n)
    {
        broken = Some(format!("The request body could not be read whole: {received} of {n} bytes arrived."));
    }
    if broken.is_none() {
        let _ = sender.send(UploadMsg::End).await;
    }
    drop(sender);
    let written = writer
        .await
        .map_err(|e| AppError::Internal(format!("the upload's writer failed: {e}")))?
        .map_err(storage_error);
    if let Some(why) = broken {
        return Err(AppError::BadRequest(why));
    }
    match written? {
        true => Ok(()),
        false => Err(AppError::BadRequest("The request body could not be read whole.".into())),
    }
}

/// Record batches from an Arrow IPC file (what the client sends) or stream body.
///
/// A file's columns are views of `bytes`, not copies (`FileReader` copied every block into
/// fresh memory: a fifth of a large table upload's time); a buffer misaligned for its type
/// (a body not read into an aligned buffer) is copied by the decoder.
fn read_ipc(bytes: &bytes::Bytes) -> Result<Vec<arrow::array::RecordBatch>, AppError> {
    use arrow::buffer::Buffer;
    use arrow::error::ArrowError;

    /// The batches of an IPC file held whole in `buf`, with `FileReader`'s checks and errors.
    fn file_batches(buf: &Buffer) -> Result<Vec<arrow::array::RecordBatch>, ArrowError> {
        let parse = |m: String| ArrowError::ParseError(m);
        let trailer = buf.len().checked_sub(10).ok_or_else(|| parse("Arrow file is too short".into()))?;
        let mut last = [0u8; 10];
        last.copy_from_slice(&buf[trailer..]);
        let footer_len = arrow_ipc::reader::read_footer_length(last)?;
        let footer_start = trailer
            .checked_sub(footer_len)
            .ok_or_else(|| parse(format!("Invalid footer length: {footer_len}")))?;
        let footer = arrow_ipc::root_as_footer(&buf[footer_start..trailer])
            .map_err(|e| parse(format!("Unable to get root as footer: {e:?}")))?;
        let blocks = footer
            .recordBatches()
            .ok_or_else(|| parse("Unable to get record batches from IPC Footer".into()))?;
        let ipc_schema = footer.schema().ok_or_else(|| parse("The IPC footer has no schema".into()))?;
        if !ipc_schema.endianness().equals_to_target_endianness() {
            return Err(ArrowError::IpcError(
                "the endianness of the source system does not match the endianness of the target system."
                    .into(),
            ));
        }
        let schema = Arc::new(arrow_ipc::convert::fb_to_schema(ipc_schema));
        // Unaligned buffers are copied (not refused): `with_require_alignment(false)`.
        let mut decoder =
            arrow_ipc::reader::FileDecoder::new(schema, footer.version()).with_require_alignment(false);
        // A block's bytes, checked to lie in the file and to hold at least a message prefix
        // (the decoder indexes both without checks).
        let block_data = |block: &arrow_ipc::Block| -> Result<Buffer, ArrowError> {
            let bad_block = || {
                parse(format!(
                    "Invalid block (offset {}, metadata {}, body {}) in a file of {} bytes",
                    block.offset(),
                    block.metaDataLength(),
                    block.bodyLength(),
                    buf.len()
                ))
            };
            let offset = usize::try_from(block.offset()).map_err(|_| bad_block())?;
            let meta = usize::try_from(block.metaDataLength()).map_err(|_| bad_block())?;
            let body = usize::try_from(block.bodyLength()).map_err(|_| bad_block())?;
            let len = meta.checked_add(body).filter(|&l| l >= 8).ok_or_else(bad_block)?;
            if offset.checked_add(len).is_none_or(|end| end > buf.len()) {
                return Err(bad_block());
            }
            Ok(buf.slice_with_length(offset, len))
        };
        for block in footer.dictionaries().iter().flatten() {
            decoder.read_dictionary(block, &block_data(block)?)?;
        }
        let mut batches = Vec::with_capacity(blocks.len());
        for block in blocks {
            // A block without a message ends the file, as for `FileReader`.
            match decoder.read_record_batch(block, &block_data(block)?)? {
                Some(batch) => batches.push(batch),
                None => break,
            }
        }
        Ok(batches)
    }

    let bad = |e: ArrowError| {
        AppError::unprocessable(format!(
            "The body is not an Arrow IPC file (application/vnd.apache.arrow.file): {e}"
        ))
    };
    if bytes.starts_with(b"ARROW1") {
        file_batches(&Buffer::from(bytes.clone())).map_err(bad)
    } else {
        let reader =
            arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None).map_err(bad)?;
        reader.collect::<Result<Vec<_>, _>>().map_err(bad)
    }
}

async fn put_table(
    state: &AppState,
    ctx: &Ctx,
    body: Body,
    partition: Option<&str>,
) -> Result<Response, AppError> {
    let w = writable(state, ctx, "This node cannot accept table data.")?;
    let (rec, path) = record_at(&w, ctx, 2).await?;
    if rec.family != Family::Table {
        return Err(AppError::MethodNotAllowed(format!(
            "This node cannot accept table data: {} is a {}.",
            python_list(&path),
            rec.family.as_str()
        )));
    }
    let (schema, n) = table_structure(&rec)?;
    let index = match partition {
        None if n == 1 => 0,
        None => {
            return Err(AppError::BadRequest(format!(
                "This table has {n} partitions: write them one by one with table/partition?partition=i."
            )));
        }
        Some(raw) => {
            let i: usize = raw.trim().parse().map_err(|_| {
                AppError::invalid_query("partition", raw, "Input should be a valid non-negative integer")
            })?;
            if i >= n {
                return Err(AppError::BadRequest(format!(
                    "Partition {i} is out of range: this table has {n} partitions."
                )));
            }
            i
        }
    };
    let bytes = read_body(state, ctx, body).await?;
    let batches = read_ipc(&bytes)?;
    let backend = w.backend.clone();
    blocking(move || {
        let (storage, location) = backend.storage_for(&rec)?;
        let t = storage.open_table(&location, schema, n).map_err(storage_error)?;
        t.write_partition(index, &batches).map_err(storage_error)
    })
    .await?;
    Ok(null_ok())
}

/// `PUT /api/v1/table/full/<path>`: a single-partition table's data, as an Arrow IPC file
/// (the pandas index column `__index_level_0__` the client adds is accepted and kept).
pub async fn put_table_full(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    body: Body,
) -> Result<Response, AppError> {
    put_table(&state, &ctx, body, None).await
}

/// `PUT /api/v1/table/partition/<path>?partition=i`: one partition, as an Arrow IPC file.
pub async fn put_table_partition(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    body: Body,
) -> Result<Response, AppError> {
    let Some(raw) = ctx.query.first("partition").map(str::to_owned) else {
        return Err(AppError::invalid_query("partition", "", "Field required"));
    };
    put_table(&state, &ctx, body, Some(&raw)).await
}

pub(crate) fn bool_param(ctx: &Ctx, name: &str, default: bool) -> Result<bool, AppError> {
    let Some(raw) = ctx.query.first(name) else { return Ok(default) };
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Ok(true),
        "false" | "0" | "no" | "off" | "f" | "n" => Ok(false),
        _ => Err(AppError::invalid_query(name, raw, "Input should be a valid boolean")),
    }
}

/// True when the node or (for a container) any node below it holds data written here.
async fn holds_data(w: &Writable, rec: &NodeRecord) -> Result<bool, AppError> {
    if rec.data_source.is_some() {
        return Ok(true);
    }
    let mut stack = vec![rec.id];
    while let Some(id) = stack.pop() {
        let mut offset = 0u64;
        loop {
            let (count, page) =
                w.backend.catalog.search(id, &[], &[], offset, 1000).await.map_err(catalog_error)?;
            offset += page.len() as u64;
            let got = page.len();
            for child in page {
                if child.data_source.is_some() {
                    return Ok(true);
                }
                if child.family == Family::Container {
                    stack.push(child.id);
                }
            }
            if got == 0 || offset >= count {
                break;
            }
        }
    }
    Ok(false)
}

/// `DELETE /api/v1/metadata/<path>?recursive=false&external_only=true`: Tiled's semantics —
/// a non-empty container needs `recursive=true`, and data written through the API
/// (internally managed) needs `external_only=false` (409 otherwise). The catalog rows go
/// first (one transaction), then the data.
pub async fn delete(State(state): State<Arc<AppState>>, ctx: Ctx) -> Result<Response, AppError> {
    let w = writable(&state, &ctx, "Method Not Allowed")?;
    let recursive = bool_param(&ctx, "recursive", false)?;
    let external_only = bool_param(&ctx, "external_only", true)?;
    let (rec, _) = record_at(&w, &ctx, 1).await?;
    if rec.parent.is_none() {
        return Err(AppError::MethodNotAllowed("The root node cannot be deleted.".into()));
    }
    if rec.family == Family::Container && !recursive {
        let (count, _) = w.backend.catalog.search(rec.id, &[], &[], 0, 0).await.map_err(catalog_error)?;
        if count > 0 {
            return Err(catalog_error(tessera_catalog::CatalogError::NotEmpty(rec.id)));
        }
    }
    if external_only && holds_data(&w, &rec).await? {
        return Err(AppError::Conflict(INTERNAL_DATA.into()));
    }
    let deleted = w.backend.catalog.delete(rec.id, recursive).await.map_err(catalog_error)?;
    let backend = w.backend.clone();
    blocking(move || {
        for r in deleted.iter().filter(|r| r.data_source.is_some()) {
            let removed = backend.storage_for(r).and_then(|(s, loc)| s.remove(&loc).map_err(storage_error));
            if let Err(e) = removed {
                // The row is gone: the data is only an unreferenced leftover now.
                tracing::warn!(error = %e, key = %r.key, "could not remove a deleted node's data");
            }
        }
        Ok(())
    })
    .await?;
    Ok(null_ok())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod read_ipc_tests {
    use std::sync::Arc;

    use arrow::array::{
        Array, ArrayRef, DictionaryArray, Float64Array, Int64Array, RecordBatch, StringArray,
    };
    use arrow::buffer::Buffer;
    use arrow::datatypes::Int32Type;

    use super::read_ipc;

    fn batches() -> Vec<RecordBatch> {
        (0..3)
            .map(|k| {
                let n = 1000 + k;
                let ints: Int64Array =
                    (0..n).map(|i| (i % 7 != 3).then_some(i as i64 * 3 - k as i64)).collect();
                let floats: Float64Array = (0..n).map(|i| Some(i as f64 / 7.0)).collect();
                let text: StringArray = (0..n).map(|i| (i % 5 != 0).then(|| format!("é{i}"))).collect();
                let cats: DictionaryArray<Int32Type> =
                    (0..n).map(|i| ["red", "green", "blue"][i % 3]).collect();
                RecordBatch::try_from_iter([
                    ("i", Arc::new(ints) as ArrayRef),
                    ("f", Arc::new(floats) as ArrayRef),
                    ("s", Arc::new(text) as ArrayRef),
                    ("c", Arc::new(cats) as ArrayRef),
                ])
                .unwrap()
            })
            .collect()
    }

    fn ipc_file(batches: &[RecordBatch]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = arrow_ipc::writer::FileWriter::try_new(&mut out, &batches[0].schema()).unwrap();
        for b in batches {
            w.write(b).unwrap();
        }
        w.finish().unwrap();
        drop(w);
        out
    }

    /// `data` at offset `shift` of a 64-byte-aligned allocation.
    fn body_at(data: &[u8], shift: usize) -> bytes::Bytes {
        let mut padded = vec![0u8; shift];
        padded.extend_from_slice(data);
        bytes::Bytes::from_owner(Aligned(Buffer::from(padded.as_slice()))).slice(shift..)
    }

    struct Aligned(Buffer);

    impl AsRef<[u8]> for Aligned {
        fn as_ref(&self) -> &[u8] {
            &self.0
        }
    }

    #[test]
    fn aligned_file_columns_are_views_of_the_body() {
        let expected = batches();
        let body = body_at(&ipc_file(&expected), 0);
        let back = read_ipc(&body).unwrap();
        assert_eq!(back, expected);
        let range = body.as_ptr_range();
        let values = back[0].column(0).to_data().buffers()[0].as_ptr();
        assert!(range.contains(&values), "int64 values were copied");
    }

    #[test]
    fn misaligned_file_buffers_are_copied_not_refused() {
        let expected = batches();
        let file = ipc_file(&expected);
        for shift in [1, 3, 4] {
            let body = body_at(&file, shift);
            assert_eq!(body.as_ptr() as usize % 8, shift % 8);
            assert_eq!(read_ipc(&body).unwrap(), expected, "shift {shift}");
        }
    }

    #[test]
    fn streams_still_decode() {
        let expected = batches();
        let mut out = Vec::new();
        let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &expected[0].schema()).unwrap();
        for b in &expected {
            w.write(b).unwrap();
        }
        w.finish().unwrap();
        drop(w);
        assert_eq!(read_ipc(&body_at(&out, 1)).unwrap(), expected);
    }

    /// `file` with its first record batch block (in the footer) replaced by `block`.
    fn with_block(file: &[u8], block: impl Fn(&arrow_ipc::Block) -> arrow_ipc::Block) -> Vec<u8> {
        let trailer = file.len() - 10;
        let footer_len = arrow_ipc::reader::read_footer_length(file[trailer..].try_into().unwrap()).unwrap();
        let footer = arrow_ipc::root_as_footer(&file[trailer - footer_len..trailer]).unwrap();
        let old = footer.recordBatches().unwrap().get(0);
        let encode = |b: &arrow_ipc::Block| {
            let mut v = b.offset().to_le_bytes().to_vec();
            v.extend_from_slice(&b.metaDataLength().to_le_bytes());
            v.extend_from_slice(&[0; 4]);
            v.extend_from_slice(&b.bodyLength().to_le_bytes());
            v
        };
        let (from, to) = (encode(old), encode(&block(old)));
        let at = file.windows(from.len()).rposition(|w| w == from.as_slice()).unwrap();
        let mut out = file.to_vec();
        out[at..at + to.len()].copy_from_slice(&to);
        out
    }

    #[test]
    fn bodies_that_are_not_ipc_files_are_422_not_panics() {
        let file = ipc_file(&batches());
        let len = file.len() as i64;
        let bodies: Vec<(Vec<u8>, &str)> = vec![
            (b"nope".to_vec(), "failed to fill whole buffer"),
            (b"ARROW1".to_vec(), "too short"),
            (b"ARROW1\0\0garbage garbage".to_vec(), "correct footer"),
            (file[..file.len() - 1].to_vec(), "correct footer"),
            (file[..file.len() - 11].to_vec(), "correct footer"),
            (
                with_block(&file, |b| arrow_ipc::Block::new(b.offset(), b.metaDataLength(), len)),
                "Invalid block",
            ),
            (
                with_block(&file, |b| arrow_ipc::Block::new(-8, b.metaDataLength(), b.bodyLength())),
                "Invalid block",
            ),
            (with_block(&file, |b| arrow_ipc::Block::new(b.offset(), -1, b.bodyLength())), "Invalid block"),
            (with_block(&file, |b| arrow_ipc::Block::new(b.offset(), 0, 4)), "Invalid block"),
            (with_block(&file, |_| arrow_ipc::Block::new(i64::MAX, 8, i64::MAX)), "Invalid block"),
        ];
        for (body, reason) in bodies {
            let err = read_ipc(&bytes::Bytes::from(body)).unwrap_err();
            assert_eq!(err.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
            let super::AppError::Unprocessable { detail } = err else { unreachable!() };
            let detail = detail.as_str().unwrap();
            assert!(
                detail.starts_with("The body is not an Arrow IPC file (application/vnd.apache.arrow.file): "),
                "{detail}"
            );
            assert!(detail.contains(reason), "{detail} lacks {reason:?}");
        }
    }
}
