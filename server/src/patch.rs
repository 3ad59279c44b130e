//! `PATCH` and `PUT /api/v1/metadata/<path>`: change a catalog node's metadata and specs —
//! what the Tiled client's `update_metadata` and `patch_metadata` (PATCH) and
//! `replace_metadata` (PUT: `{"metadata", "specs", "access_tags"}`, each replaced when not
//! null) send.
//!
//! The body is `{"content-type": <patch type>, "metadata": <patch>|null, "specs":
//! <patch>|null, "access_tags": null}`, the patch type being JSON Patch (RFC 6902,
//! `application/json-patch+json`, the client's default) or JSON Merge Patch (RFC 7396,
//! `application/merge-patch+json`). Specs are patched in their wire form, a list of
//! `{"name", "version"}`. The patches are applied in one catalog transaction that locks the
//! node's row, so concurrent patches of one node apply one after the other (none is lost),
//! and a patch that does not apply (a `test` that fails, a path that does not exist, metadata
//! that stops being an object) changes nothing: 422 with the reason. Access tags are not
//! supported (422 when a patch for them is sent). tessera keeps no revisions, so
//! `drop_revision` is accepted and has nothing to drop.
//!
//! The reply is `{"id", "metadata", "specs", "access_tags"}` with the stored result, which
//! the client takes as the node's new metadata.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};
use tessera_catalog::CatalogError;

use crate::api::{Ctx, json_response};
use crate::catalog_tree::catalog_error;
use crate::error::AppError;
use crate::state::AppState;
use crate::write::{
    Writable, body_error, bool_param, json_object, parse_specs, read_body, record_at, writable,
};

/// The media type of RFC 6902 patches (the client's default).
pub const JSON_PATCH: &str = "application/json-patch+json";
/// The media type of RFC 7396 merge patches.
pub const MERGE_PATCH: &str = "application/merge-patch+json";

/// One patch, parsed before the catalog is touched.
enum Patch {
    Json(json_patch::Patch),
    Merge(Value),
}

impl Patch {
    fn parse(kind: &str, field: &str, v: &Value) -> Result<Patch, AppError> {
        match kind {
            JSON_PATCH => serde_json::from_value(v.clone())
                .map(Patch::Json)
                .map_err(|e| body_error(&[field], format!("Not a JSON Patch (RFC 6902): {e}"))),
            _ => Ok(Patch::Merge(v.clone())),
        }
    }

    /// Applies to `doc`; the reason when it does not apply.
    fn apply(&self, doc: &mut Value) -> Result<(), String> {
        match self {
            Patch::Json(p) => json_patch::patch(doc, p).map_err(|e| e.to_string()),
            Patch::Merge(p) => {
                json_patch::merge(doc, p);
                Ok(())
            }
        }
    }
}

/// The wire form of specs: `[{"name", "version": null}]`.
fn wire_specs(specs: &[String]) -> Value {
    Value::Array(specs.iter().map(|s| json!({"name": s, "version": null})).collect())
}

/// What a request changes: each of metadata and specs patched, replaced or kept.
enum Change {
    Keep,
    Patch(Patch),
    Replace(Value),
}

/// The checks both methods start with (key, writable catalog, `drop_revision`), and the body.
async fn writable_request(
    state: &AppState,
    ctx: &Ctx,
    body: Body,
) -> Result<(Writable, Map<String, Value>), AppError> {
    let w = writable(state, ctx, "Method Not Allowed")?;
    bool_param(ctx, "drop_revision", false)?;
    let doc = json_object(&read_body(state, ctx, body).await?)?;
    Ok((w, doc))
}

/// `PATCH /api/v1/metadata/<path>` (see the module docs).
pub async fn patch_metadata(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    body: Body,
) -> Result<Response, AppError> {
    let (w, doc) = writable_request(&state, &ctx, body).await?;
    let kind = match doc.get("content-type") {
        None | Some(Value::Null) => JSON_PATCH,
        Some(Value::String(s)) if s == JSON_PATCH || s == MERGE_PATCH => s.as_str(),
        Some(other) => {
            return Err(body_error(
                &["content-type"],
                format!("Unsupported patch type {other}: use {JSON_PATCH:?} or {MERGE_PATCH:?}"),
            ));
        }
    };
    let change = |name: &str| match doc.get(name).filter(|v| !v.is_null()) {
        None => Ok(Change::Keep),
        Some(v) => Patch::parse(kind, name, v).map(Change::Patch),
    };
    let (metadata, specs) = (change("metadata")?, change("specs")?);
    apply(&w, &ctx, &doc, metadata, specs).await
}

/// `PUT /api/v1/metadata/<path>`: replaces the metadata and/or the specs (those given, not
/// null) — the client's `replace_metadata`.
pub async fn put_metadata(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    body: Body,
) -> Result<Response, AppError> {
    let (w, doc) = writable_request(&state, &ctx, body).await?;
    let metadata = match doc.get("metadata") {
        None | Some(Value::Null) => Change::Keep,
        Some(v @ Value::Object(_)) => Change::Replace(v.clone()),
        Some(_) => return Err(body_error(&["metadata"], "Input should be a valid dictionary")),
    };
    let specs = match doc.get("specs") {
        None | Some(Value::Null) => Change::Keep,
        Some(v) => {
            parse_specs(Some(v))?; // 422 now, before the transaction
            Change::Replace(v.clone())
        }
    };
    apply(&w, &ctx, &doc, metadata, specs).await
}

/// Applies both changes to the node at the request's path in one catalog transaction and
/// replies with the stored result.
async fn apply(
    w: &Writable,
    ctx: &Ctx,
    doc: &Map<String, Value>,
    metadata: Change,
    specs: Change,
) -> Result<Response, AppError> {
    if doc.get("access_tags").is_some_and(|v| !v.is_null()) {
        return Err(body_error(&["access_tags"], "Access tags are not supported by this server."));
    }
    let (rec, _) = record_at(w, ctx, 1).await?;
    let updated = w
        .backend
        .catalog
        .update_metadata(rec.id, |stored| {
            let invalid = |what: &str, why: String| CatalogError::Invalid(format!("the {what} patch: {why}"));
            let change = |what: &str, c: &Change, doc: &mut Value| match c {
                Change::Keep => Ok(()),
                Change::Replace(v) => {
                    *doc = v.clone();
                    Ok(())
                }
                Change::Patch(p) => p.apply(doc).map_err(|e| invalid(what, e)),
            };
            let mut md = Value::Object(stored.metadata.clone());
            change("metadata", &metadata, &mut md)?;
            let Value::Object(md) = md else {
                return Err(invalid("metadata", "the metadata must stay a JSON object".into()));
            };
            let mut sp = wire_specs(&stored.specs);
            change("specs", &specs, &mut sp)?;
            let sp = parse_specs(Some(&sp)).map_err(|e| invalid("specs", e.to_string()))?;
            Ok((md, sp))
        })
        .await
        .map_err(|e| match e {
            CatalogError::Invalid(why) => body_error(&[], why),
            e => catalog_error(e),
        })?;
    let reply = json!({
        "id": updated.key,
        "metadata": Value::Object(updated.metadata),
        "specs": wire_specs(&updated.specs),
        "access_tags": null,
    });
    Ok(json_response(StatusCode::OK, &reply))
}
