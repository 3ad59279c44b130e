//! The router: Tiled's API v1 routes, the request context, and the metadata endpoints
//! (`/`, `/api/v1/`, `metadata/`, `search/`, `/formats`). Data endpoints are in
//! [`crate::export`].

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Map, Value, json};
use tessera_core::Family;

use crate::error::{AppError, JSON};
use crate::export;
use crate::query::{QueryParams, segments};
use crate::resource::{Base, Fields, resource};
use crate::search::{QUERY_NAMES, parse_filters, parse_sort, search};
use crate::state::AppState;
use crate::tree::Node;

/// The `library_version` advertised: the Tiled release whose protocol this implements.
pub const TILED_VERSION: &str = "0.2.20";

/// A JSON response with `Content-Type: application/json` exactly.
pub fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut r = (status, value.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    r
}

/// A path as Python prints a list of strings (`['a', 'b']`), for Tiled-style messages.
pub fn python_list(path: &[String]) -> String {
    let items: Vec<String> =
        path.iter().map(|s| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))).collect();
    format!("[{}]", items.join(", "))
}

/// What a handler needs from a request: the link base, the decoded path segments after
/// `/api/v1`, the query, headers and method. Extracting it checks credentials.
#[derive(Debug)]
pub struct Ctx {
    /// `<scheme>://<host>/api/v1`.
    pub base: Base,
    /// Path segments after `/api/v1` (empty segments dropped, so `//` is accepted).
    pub segments: Vec<String>,
    /// The query parameters.
    pub query: QueryParams,
    /// Request headers.
    pub headers: HeaderMap,
    /// Request method.
    pub method: Method,
}

impl Ctx {
    /// The node at the path after the first `skip` segments (the endpoint name), and that
    /// path.
    ///
    /// # Errors
    /// 404 naming the path when there is no such node.
    pub fn node(&self, state: &AppState, skip: usize) -> Result<(Arc<Node>, Vec<String>), AppError> {
        let path: Vec<String> = self.segments.iter().skip(skip).cloned().collect();
        match state.root.lookup(&path) {
            Ok(node) => Ok((node, path)),
            Err(_) => Err(AppError::NotFound(format!("No such entry: {}", python_list(&path)))),
        }
    }

    /// Like [`Ctx::node`], descending into lazy (catalog) containers too.
    ///
    /// # Errors
    /// 404 naming the path when there is no such node; the catalog's failure.
    pub async fn resolve(&self, state: &AppState, skip: usize) -> Result<(Arc<Node>, Vec<String>), AppError> {
        let path: Vec<String> = self.segments.iter().skip(skip).cloned().collect();
        // A catalog's root is fetched afresh (its count changes with every write).
        let root = match crate::catalog_tree::CatalogBackend::of(&state.root) {
            Some(backend) => backend.root().await?,
            None => state.root.clone(),
        };
        match root.resolve(&path).await? {
            Some(node) => Ok((node, path)),
            None => Err(AppError::NotFound(format!("No such entry: {}", python_list(&path)))),
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, AppError> {
        let base = Base::from_headers(&parts.headers);
        let query = QueryParams::parse(parts.uri.query());
        state.auth.check(&parts.headers, query.first("api_key"), &base.0)?;
        let mut segs = segments(parts.uri.path());
        if segs.len() >= 2 && segs[0] == "api" && segs[1] == "v1" {
            segs.drain(..2);
        }
        Ok(Ctx { base, segments: segs, query, headers: parts.headers.clone(), method: parts.method.clone() })
    }
}

/// `GET /`: a pointer to the API (the client's first probe only needs a 2xx).
async fn root() -> Response {
    let mut r = "<!doctype html><html><body><p>tessera: a Tiled-compatible server. The API is at \
                 <a href=\"/api/v1/\">/api/v1/</a>.</p></body></html>"
        .into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    r
}

/// `GET /api/v1/`: Tiled's About document; formats and aliases come from the registry.
async fn about(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let base = Base::from_headers(&headers);
    let mut formats = Map::new();
    let mut aliases = Map::new();
    for family in Family::ALL {
        formats.insert(family.as_str().to_owned(), json!(state.registry.formats(family)));
        aliases.insert(family.as_str().to_owned(), json!(state.registry.aliases(family)));
    }
    let doc = json!({
        "api_version": 0,
        "library_version": TILED_VERSION,
        "formats": formats,
        "aliases": aliases,
        "queries": QUERY_NAMES,
        "authentication": {"required": state.auth.required(), "providers": [], "links": null},
        "links": {"self": base.0, "documentation": format!("{}/docs", base.0)},
        "meta": {"root_path": "/api"},
    });
    json_response(StatusCode::OK, &doc)
}

/// `GET /formats`: the compiled-in formats (what `tessera formats --json` prints).
async fn formats(State(state): State<Arc<AppState>>) -> Response {
    let rows = crate::listing::format_rows(state.registry);
    json_response(StatusCode::OK, &serde_json::to_value(rows).unwrap_or(Value::Null))
}

fn omit_links(q: &QueryParams) -> bool {
    q.first("omit_links").is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
}

/// `GET /api/v1/metadata/<path>`: one node resource.
async fn metadata(State(state): State<Arc<AppState>>, ctx: Ctx) -> Result<Response, AppError> {
    let (node, path) = ctx.resolve(&state, 1).await?;
    let fields = Fields::parse(&ctx.query)?;
    let data = resource(&node, &path, &ctx.base, &fields, omit_links(&ctx.query));
    Ok(json_response(StatusCode::OK, &json!({"data": data, "error": null, "links": null, "meta": {}})))
}

fn page_param(q: &QueryParams, name: &str, default: usize, max: usize) -> Result<usize, AppError> {
    let Some(raw) = q.first(name) else { return Ok(default) };
    let n: usize = raw
        .trim()
        .parse()
        .map_err(|_| AppError::invalid_query(name, raw, "Input should be a valid non-negative integer"))?;
    if n > max {
        return Err(AppError::invalid_query(
            name,
            raw,
            format!("Input should be less than or equal to {max}"),
        ));
    }
    Ok(n)
}

/// `GET /api/v1/search/<path>`: a page of the container's children that match the filters.
async fn search_route(State(state): State<Arc<AppState>>, ctx: Ctx) -> Result<Response, AppError> {
    let (node, path) = ctx.resolve(&state, 1).await?;
    if node.children().is_none() && node.as_lazy().is_none() {
        return Err(AppError::NotFound(format!(
            "No such entry {}: its structure family is {}, not one compatible with {{container}}",
            python_list(&path),
            node.family()
        )));
    }
    let q = &ctx.query;
    let filters = parse_filters(q)?;
    let sort = parse_sort(q)?;
    let fields = Fields::parse(q)?;
    let max = state.limits.max_page_size;
    let offset = page_param(q, "page[offset]", 0, usize::MAX)?;
    let limit = page_param(q, "page[limit]", 100.min(max), max)?;
    let omit = omit_links(q);
    let page_limit = if fields.is_count_only() { 0 } else { limit };
    let (count, page) = match (node.children(), node.as_lazy()) {
        (Some(children), _) => {
            let found = search(children, &filters, &sort);
            let count = found.len();
            (count, found.into_iter().skip(offset).take(page_limit).collect::<Vec<_>>())
        }
        (None, Some(lazy)) => {
            let (count, page) = lazy.search(&filters, &sort, offset as u64, page_limit as u64).await?;
            (usize::try_from(count).unwrap_or(usize::MAX), page)
        }
        (None, None) => (0, Vec::new()),
    };
    let data: Vec<Value> = page
        .iter()
        .map(|(key, child)| {
            let mut p = path.clone();
            p.push(key.clone());
            resource(child, &p, &ctx.base, &fields, omit)
        })
        .collect();
    let link = |off: usize| {
        let query = q.encode_with(
            |k| !k.starts_with("page[") && k != "api_key",
            &[("page[offset]", off.to_string()), ("page[limit]", limit.to_string())],
        );
        Value::from(format!("{}?{query}", ctx.base.link("search", &path)))
    };
    let last = if limit == 0 || count == 0 { 0 } else { (count - 1) / limit * limit };
    let links = json!({
        "self": link(offset),
        "first": link(0),
        "last": link(last),
        "next": if limit > 0 && offset + limit < count { link(offset + limit) } else { Value::Null },
        "prev": if offset > 0 && limit > 0 { link(offset.saturating_sub(limit)) } else { Value::Null },
    });
    Ok(json_response(
        StatusCode::OK,
        &json!({"data": data, "error": null, "links": links, "meta": {"count": count}}),
    ))
}

async fn not_found() -> AppError {
    AppError::NotFound("Not Found".into())
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed("Method Not Allowed".into())
}

/// Routes `/api/v1/<endpoint>`, `/api/v1/<endpoint>/` and `/api/v1/<endpoint>/<path...>`
/// to one handler (the path is read from the URI, so `//` inside it is fine).
fn node_routes(
    router: Router<Arc<AppState>>,
    endpoint: &str,
    handler: MethodRouter<Arc<AppState>>,
) -> Router<Arc<AppState>> {
    router
        .route(&format!("/api/v1/{endpoint}"), handler.clone())
        .route(&format!("/api/v1/{endpoint}/"), handler.clone())
        .route(&format!("/api/v1/{endpoint}/{{*path}}"), handler)
}

/// The application: every route, sharing `state`. Middleware (logging, compression,
/// limits) is added by [`crate::serve::service`].
pub fn router(state: Arc<AppState>) -> Router {
    let mut r = Router::new()
        .route("/", get(root))
        .route("/api/v1", get(about))
        .route("/api/v1/", get(about))
        .route("/formats", get(formats));
    r = node_routes(
        r,
        "metadata",
        get(metadata)
            .post(crate::write::create)
            .patch(crate::patch::patch_metadata)
            .put(crate::patch::put_metadata)
            .delete(crate::write::delete),
    );
    r = node_routes(r, "search", get(search_route));
    r = node_routes(r, "array/full", get(export::array_full).put(crate::write::put_array_full));
    r = node_routes(r, "array/block", get(export::array_block).put(crate::write::put_array_block));
    r = node_routes(
        r,
        "table/full",
        get(export::table_full).post(export::table_full).put(crate::write::put_table_full),
    );
    r = node_routes(
        r,
        "table/partition",
        get(export::table_partition).post(export::table_partition).put(crate::write::put_table_partition),
    );
    r = node_routes(r, "container/full", get(export::container_full).post(export::container_full));
    #[cfg(feature = "iceberg")]
    {
        r = crate::iceberg_export::routes(r);
    }
    r.fallback(not_found).method_not_allowed_fallback(method_not_allowed).with_state(state)
}
