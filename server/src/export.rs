//! The data endpoints: `array/full|block`, `table/full|partition`, `container/full`.
//!
//! One path for every format: negotiate through the registry (`format=` wins over
//! `Accept`), check the encoder against the selection's type and shape, check limits —
//! all before the response starts, so every client mistake is a 4xx — then stream the
//! encoder's output ([`crate::stream::respond`]). No handler names a format.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Method, header};
use axum::response::Response;
use serde_json::Value;
use tessera_core::container::{self as ct, ContainerTree, NodeInfo};
use tessera_core::dataset::{Dataset, Variable};
use tessera_core::slice::{SliceSpec, parse_block, parse_expected_shape};
use tessera_core::table::BatchStream;
use tessera_core::{
    ArraySource, EncodeError, Family, MediaType, NdArray, NegotiationError, Output, Params, Registration,
    Spec, Table,
};

use crate::api::Ctx;
use crate::error::AppError;
use crate::state::AppState;
use crate::stream::{respond, respond_bytes};
use crate::tree::{ArrayData, Node, NodeKind, SlicedSource, TableData, full_stream};

/// `Content-Type` for a media type and its parameters (`; charset=utf-8` for text).
pub fn content_type(media_type: &MediaType, params: &Params) -> String {
    let mut s = format!("{media_type}{}", params.to_suffix());
    if media_type.is_text() && params.get("charset").is_none() {
        s.push_str("; charset=utf-8");
    }
    s
}

fn negotiate(
    state: &AppState,
    ctx: &Ctx,
    family: Family,
) -> Result<(Registration, Params), NegotiationError> {
    let accept = ctx.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    state.registry.negotiate(family, ctx.query.first("format"), accept)
}

fn too_large(size: u64, limit: u64, hint: &str) -> AppError {
    AppError::BadRequest(format!(
        "Response would exceed {limit} bytes (this request needs about {size}). {hint}"
    ))
}

/// A buffered format holds its whole input in memory: refuse inputs over the limit.
fn check_buffered(state: &AppState, spec: &Spec, size: u64, hint: &str) -> Result<(), AppError> {
    let limit = state.limits.max_response_bytes;
    if spec.output == Output::Buffered && size > limit {
        return Err(too_large(size, limit, hint));
    }
    Ok(())
}

fn wrong_family(node: &Node, path: &[String], want: &str) -> AppError {
    AppError::NotFound(format!(
        "No such entry {}: it is a {}, not a {want}; use /{}/full",
        crate::api::python_list(path),
        node.family(),
        node.family()
    ))
}

/// The array at the request's path (after `array/<full|block>`).
async fn array_at(state: &AppState, ctx: &Ctx) -> Result<Arc<dyn ArrayData>, AppError> {
    let (node, path) = ctx.resolve(state, 2).await?;
    node.as_array().cloned().ok_or_else(|| wrong_family(&node, &path, "array"))
}

/// The table at the request's path (after `table/<full|partition>`).
async fn table_at(state: &AppState, ctx: &Ctx) -> Result<Arc<dyn TableData>, AppError> {
    let (node, path) = ctx.resolve(state, 2).await?;
    node.as_table().cloned().ok_or_else(|| wrong_family(&node, &path, "table"))
}

// ---------------------------------------------------------------------------------- arrays

/// `GET /api/v1/array/full/<path>?slice=&expected_shape=&format=`
pub async fn array_full(State(state): State<Arc<AppState>>, ctx: Ctx) -> Result<Response, AppError> {
    let data = array_at(&state, &ctx).await?;
    let shape = data.structure().shape.clone();
    let selection = SliceSpec::parse(ctx.query.first("slice").unwrap_or(""))?.resolve(&shape)?;
    export_array(&state, &ctx, SlicedSource::new(data, selection)).await
}

/// `GET /api/v1/array/block/<path>?block=i,j&slice=&expected_shape=&format=`
pub async fn array_block(State(state): State<Arc<AppState>>, ctx: Ctx) -> Result<Response, AppError> {
    let data = array_at(&state, &ctx).await?;
    let structure = data.structure();
    let Some(block) = ctx.query.first("block") else {
        return Err(AppError::invalid_query("block", "", "Field required"));
    };
    let index = parse_block(block, structure)?;
    let (offset, block_shape) = structure.block_region(&index);
    let mut selection = SliceSpec::parse(ctx.query.first("slice").unwrap_or(""))?.resolve(&block_shape)?;
    for (d, off) in selection.dims.iter_mut().zip(offset) {
        d.start += off;
    }
    export_array(&state, &ctx, SlicedSource::new(data.clone(), selection)).await
}

async fn export_array(state: &AppState, ctx: &Ctx, source: SlicedSource) -> Result<Response, AppError> {
    if let Some(expected) = ctx.query.first("expected_shape") {
        let expected = parse_expected_shape(expected)
            .map_err(|e| AppError::invalid_query("expected_shape", expected, e.to_string()))?;
        if expected != source.shape() {
            return Err(AppError::unprocessable(format!(
                "The expected_shape {expected:?} does not match the shape of the requested data {:?}.",
                source.shape()
            )));
        }
    }
    let (registration, params) = negotiate(state, ctx, Family::Array)?;
    let Registration::Array(encoder) = registration else {
        return Err(AppError::Internal("the registry returned a non-array encoder for arrays".into()));
    };
    encoder.check(source.data_type(), source.shape(), &params)?;
    let spec = encoder.spec();
    check_buffered(state, spec, source.byte_len(), "Use slicing ('?slice=...') to request smaller chunks.")?;
    let ct = content_type(&spec.media_type, &params);
    if spec.media_type.as_str() == "application/octet-stream" && spec.provider == "tessera-core" {
        // Raw bytes are the rows themselves: hand the buffers they were read into to the
        // socket, rather than copying them through the encoder's writer.
        return respond_bytes(
            &ct,
            ctx.query.first("filename"),
            Box::new(move |send| raw_rows(&source, send)),
        )
        .await;
    }
    respond(&ct, ctx.query.first("filename"), Box::new(move |w| encoder.encode(&source, &params, w))).await
}

/// The bytes of `file`, in pieces of up to 4 MiB (a small file in one read into a buffer of
/// its size).
fn send_file(
    file: std::fs::File,
    send: &mut dyn FnMut(Bytes) -> std::io::Result<()>,
) -> Result<(), EncodeError> {
    use std::io::Read;
    const PIECE: u64 = 4 << 20;
    let mut left = file.metadata()?.len();
    let mut file = file;
    while left > 0 {
        let n = left.min(PIECE);
        let mut buf = Vec::with_capacity(n as usize);
        if (&mut file).take(n).read_to_end(&mut buf)? as u64 != n {
            return Err(EncodeError::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        send(Bytes::from(buf))?;
        left -= n;
    }
    Ok(())
}

/// What the raw encoder writes (the C-order bytes, slab after slab), as owned pieces.
fn raw_rows(
    source: &SlicedSource,
    send: &mut dyn FnMut(Bytes) -> std::io::Result<()>,
) -> Result<(), EncodeError> {
    /// Lends an array's buffer to `Bytes` (which frees it, or returns it to its pool, once sent).
    struct Owner(arrow::buffer::Buffer);
    impl AsRef<[u8]> for Owner {
        fn as_ref(&self) -> &[u8] {
            &self.0
        }
    }
    for rows in tessera_core::encoder::row_slabs(source, tessera_core::raw::SLAB_BYTES) {
        let slab = source.read_rows(rows)?;
        send(Bytes::from_owner(Owner(slab.buffer().clone())))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------- tables

/// Column names from `column=`/`field=` and, for POST, a JSON list body.
async fn requested_names(
    state: &AppState,
    ctx: &Ctx,
    body: Body,
    keys: &[&str],
) -> Result<Vec<String>, AppError> {
    let mut names: Vec<String> = keys.iter().flat_map(|k| ctx.query.all(k)).map(str::to_owned).collect();
    if ctx.method == Method::POST {
        let limit = state.limits.max_request_bytes;
        let bytes = axum::body::to_bytes(body, limit)
            .await
            .map_err(|_| AppError::PayloadTooLarge(format!("The request body exceeds {limit} bytes.")))?;
        if !bytes.is_empty() {
            let list: Vec<String> = serde_json::from_slice(&bytes).map_err(|e| AppError::Unprocessable {
                detail: serde_json::json!([{
                    "type": "list_type", "loc": ["body"], "msg": format!("Input should be a JSON list of strings: {e}"),
                }]),
            })?;
            names.extend(list);
        }
    }
    Ok(names)
}

/// `GET|POST /api/v1/table/full/<path>?column=&where=&format=`
pub async fn table_full(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    body: Body,
) -> Result<Response, AppError> {
    let table = table_at(&state, &ctx).await?;
    let columns = requested_names(&state, &ctx, body, &["column", "field"]).await?;
    let whole = (table.npartitions() == 1).then_some(0);
    export_table(&state, &ctx, &table, full_stream(&table), &columns, whole).await
}

/// `GET|POST /api/v1/table/partition/<path>?partition=i&column=&where=&format=`
pub async fn table_partition(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    body: Body,
) -> Result<Response, AppError> {
    let table = table_at(&state, &ctx).await?;
    let raw = ctx
        .query
        .first("partition")
        .ok_or_else(|| AppError::invalid_query("partition", "", "Field required"))?;
    let i: usize = raw.trim().parse().map_err(|_| {
        AppError::invalid_query("partition", raw, "Input should be a valid non-negative integer")
    })?;
    if i >= table.npartitions() {
        return Err(AppError::BadRequest(format!(
            "Partition {i} is out of range: this table has {} partitions.",
            table.npartitions()
        )));
    }
    let columns = requested_names(&state, &ctx, body, &["column", "field"]).await?;
    export_table(&state, &ctx, &table, table.partition(i), &columns, Some(i)).await
}

async fn export_table(
    state: &AppState,
    ctx: &Ctx,
    table: &Arc<dyn TableData>,
    stream: Box<dyn BatchStream>,
    columns: &[String],
    partition: Option<usize>,
) -> Result<Response, AppError> {
    let filter = ctx.query.first("where");
    let mut stream = tessera_core::table::query(stream, columns, filter)?;
    let (registration, params) = negotiate(state, ctx, Family::Table)?;
    let Registration::Table(encoder) = registration else {
        return Err(AppError::Internal("the registry returned a non-table encoder for tables".into()));
    };
    encoder.check(&stream.schema(), &params)?;
    // A whole stored partition asked for as Parquet with no options is the stored file:
    // sent as it is rather than decoded and encoded again.
    if encoder.spec().media_type.as_str() == "application/x-parquet"
        && params.is_empty()
        && columns.is_empty()
        && filter.is_none_or(|w| w.trim().is_empty())
        && let Some(file) = partition.and_then(|i| table.stored_parquet(i))
    {
        let ct = content_type(&encoder.spec().media_type, &params);
        return respond_bytes(&ct, ctx.query.first("filename"), Box::new(move |send| send_file(file, send)))
            .await;
    }
    let spec = encoder.spec();
    let hint = "Select fewer rows (where=), columns, or a partition, or use a streaming format.";
    check_buffered(state, spec, table.byte_size(), hint)?;
    let ct = content_type(&spec.media_type, &params);
    respond(&ct, ctx.query.first("filename"), Box::new(move |w| encoder.encode(&mut stream, &params, w)))
        .await
}

// ------------------------------------------------------------------------------ containers

/// Bytes an export of `node` would read, for limits.
fn data_bytes(node: &Node) -> u64 {
    match &node.kind {
        NodeKind::Array(a) => {
            let s = a.structure();
            tessera_core::array::byte_count(&s.data_type, &s.shape).map_or(u64::MAX, |n| n as u64)
        }
        NodeKind::Table(t) => t.byte_size(),
        NodeKind::Container(c) => c.values().map(|n| data_bytes(n)).fold(0u64, u64::saturating_add),
        // Materialized before an export; nothing to count otherwise.
        NodeKind::Lazy(_) => 0,
    }
}

fn read_whole(a: &Arc<dyn ArrayData>) -> Result<NdArray, EncodeError> {
    let ranges: Vec<_> = a.structure().shape.iter().map(|&n| 0..n).collect();
    a.read_box(&ranges)
}

fn input_error(e: impl std::error::Error + Send + Sync + 'static) -> EncodeError {
    EncodeError::Input(Box::new(e))
}

/// The xarray form of a container with spec `xarray_dataset`: children with spec
/// `xarray_coord` are coordinates, the others data variables; `metadata.attrs` are attrs.
pub fn to_dataset(node: &Node) -> Result<Dataset, EncodeError> {
    let attrs = |md: &serde_json::Map<String, Value>| {
        md.get("attrs").and_then(Value::as_object).cloned().unwrap_or_default()
    };
    let mut ds = Dataset { attrs: attrs(&node.metadata), ..Dataset::default() };
    for (name, child) in node.children().into_iter().flatten() {
        let Some(a) = child.as_array() else { continue };
        let data = read_whole(a)?;
        let dims = a
            .structure()
            .dims
            .clone()
            .unwrap_or_else(|| (0..data.ndim()).map(|i| format!("dim_{i}")).collect());
        let var = Variable::new(dims, data).with_attrs(attrs(&child.metadata));
        if child.has_spec("xarray_coord") {
            ds.add_coord(name, var).map_err(input_error)?;
        } else {
            ds.add_data_var(name, var).map_err(input_error)?;
        }
    }
    Ok(ds)
}

fn info(node: &Node) -> NodeInfo {
    NodeInfo { metadata: node.metadata.clone(), specs: node.specs.clone() }
}

fn collect_table(t: &Arc<dyn TableData>) -> Result<Table, EncodeError> {
    let batches = full_stream(t).collect::<Result<Vec<_>, _>>()?;
    Table::from_batches(t.schema(), batches).map_err(EncodeError::from)
}

/// The container tree below `node` with its data read, restricted to `fields` at the top.
pub fn to_container_tree(node: &Node, fields: &[String]) -> Result<ContainerTree, EncodeError> {
    let mut tree = ContainerTree { info: info(node), ..ContainerTree::default() };
    for (name, child) in node.children().into_iter().flatten() {
        if !fields.is_empty() && !fields.contains(name) {
            continue;
        }
        let n = match &child.kind {
            NodeKind::Array(a) => {
                ct::Node::Array { info: info(child), data: read_whole(a)?, dims: a.structure().dims.clone() }
            }
            NodeKind::Table(t) => ct::Node::Table { info: info(child), table: collect_table(t)? },
            NodeKind::Container(_) if child.is_dataset() => {
                ct::Node::Dataset { info: info(child), dataset: to_dataset(child)? }
            }
            NodeKind::Container(_) => ct::Node::Container(to_container_tree(child, &[])?),
            // `container_full` materializes lazy containers first.
            NodeKind::Lazy(_) => {
                ct::Node::Container(ContainerTree { info: info(child), ..ContainerTree::default() })
            }
        };
        tree.children.insert(name.clone(), n);
    }
    Ok(tree)
}

/// `GET|POST /api/v1/container/full/<path>?field=&format=`: an xarray dataset through the
/// dataset encoders (falling back to the container ones), any other container through the
/// container encoders.
pub async fn container_full(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    body: Body,
) -> Result<Response, AppError> {
    let (node, path) = ctx.resolve(&state, 2).await?;
    if node.children().is_none() && node.as_lazy().is_none() {
        return Err(wrong_family(&node, &path, "container"));
    }
    let node = node.materialize().await?;
    let Some(children) = node.children() else { return Err(wrong_family(&node, &path, "container")) };
    let fields = requested_names(&state, &ctx, body, &["field"]).await?;
    let selected: u64 = children
        .iter()
        .filter(|(k, _)| fields.is_empty() || fields.contains(k))
        .map(|(_, n)| data_bytes(n))
        .fold(0, u64::saturating_add);
    let limit = state.limits.max_response_bytes;
    let over =
        || too_large(selected, limit, "Select fewer children with field=..., or export them one by one.");
    let filename = ctx.query.first("filename").map(str::to_owned);
    let mut dataset_refusal = None;
    if node.is_dataset() {
        match negotiate(&state, &ctx, Family::Dataset) {
            Ok((Registration::Dataset(encoder), params)) => {
                if selected > limit {
                    return Err(over());
                }
                let ct = content_type(&encoder.spec().media_type, &params);
                let job = Box::new(move |w: &mut dyn std::io::Write| {
                    let ds = to_dataset(&node)?.select(&fields);
                    encoder.encode(&ds, &params, w)
                });
                return respond(&ct, filename.as_deref(), job).await;
            }
            Ok(_) => return Err(AppError::Internal("the registry returned a non-dataset encoder".into())),
            Err(e) => dataset_refusal = Some(e),
        }
    }
    let (registration, params) = match negotiate(&state, &ctx, Family::Container) {
        Ok(found) => found,
        Err(NegotiationError::NotAcceptable { requested, mut supported }) => {
            if let Some(NegotiationError::NotAcceptable { supported: more, .. }) = dataset_refusal {
                supported.extend(more);
            }
            return Err(NegotiationError::NotAcceptable { requested, supported }.into());
        }
        Err(e) => return Err(e.into()),
    };
    let Registration::Container(encoder) = registration else {
        return Err(AppError::Internal("the registry returned a non-container encoder".into()));
    };
    if selected > limit {
        return Err(over());
    }
    let ct = content_type(&encoder.spec().media_type, &params);
    let job = Box::new(move |w: &mut dyn std::io::Write| {
        let tree = to_container_tree(&node, &fields)?;
        encoder.encode(&tree, &params, w)
    });
    respond(&ct, filename.as_deref(), job).await
}
