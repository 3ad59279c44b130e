//! `tessera export-iceberg`: a table from a tessera/Tiled server or a local Arrow IPC or
//! Parquet file, optionally projected and filtered, into an Iceberg catalog.
//!
//! Server sources are read as an Arrow IPC stream (`table/full?format=...arrow.stream`)
//! and handed to the exporter batch by batch through a small bounded channel, so memory
//! stays flat whatever the table's size. The export itself runs on tessera-iceberg's async
//! API on this command's tokio runtime.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use arrow::datatypes::SchemaRef;
use arrow_ipc::reader::{FileReader, StreamReader};
use bytes::Bytes;
use clap::Args;
use reqwest::Url;
use tessera_core::table::{BatchStream, IterStream};
use tessera_iceberg::{
    CatalogConfig, DEFAULT_CATALOG_NAME, ExportEvent, ExportReport, IcebergCatalog, IcebergOptions, IfExists,
};

/// The media type asked of servers.
const ARROW_STREAM: &str = "application/vnd.apache.arrow.stream";

/// Arguments of `tessera export-iceberg`.
#[derive(Debug, Args)]
pub struct ExportIcebergArgs {
    /// What to export: a table node of a tessera or Tiled server
    /// (`http://host:port/api/v1/metadata/<path>?api_key=...`, any other `/api/v1/<endpoint>/<path>`
    /// URL, or `http://host:port/<path>`), or a local Arrow IPC (file or stream) or Parquet file.
    source: String,
    /// The Iceberg table, `namespace.table` (the namespace is created if missing).
    table: String,
    /// The catalog: a SQLite file (absolute path or `sqlite:////abs/catalog.db`),
    /// `postgresql://user:pw@host/db`, or `http(s)://...` for a REST catalog (if compiled in).
    #[arg(long, env = "TESSERA_ICEBERG_CATALOG_URI", hide_env_values = true)]
    catalog_uri: String,
    /// Where new tables' files go (`/abs/dir` or `file:///abs/dir`); required for SQL catalogs.
    #[arg(long)]
    warehouse: Option<String>,
    /// The catalog's name (pyiceberg must open the catalog under the same name).
    #[arg(long, default_value = DEFAULT_CATALOG_NAME)]
    catalog_name: String,
    /// A catalog property, KEY=VALUE (repeatable): `s3.access-key-id`, `credential`, ...
    #[arg(long = "catalog-property", value_name = "KEY=VALUE")]
    catalog_property: Vec<String>,
    /// Only these columns, in this order (comma-separated).
    #[arg(long, value_delimiter = ',')]
    columns: Vec<String>,
    /// Only the rows matching this SQL expression (e.g. `A > 10 AND C = 'x'`).
    #[arg(long = "where", value_name = "EXPR")]
    filter: Option<String>,
    /// What to do when the table exists.
    #[arg(long, default_value = "error", value_parser = ["error", "append", "replace"])]
    if_exists: String,
    /// Give a column another Arrow type first, COLUMN=TYPE (pyarrow names: int32, float64,
    /// string, timestamp[us, tz=UTC], ...; repeatable).
    #[arg(long = "schema-override", value_name = "COLUMN=TYPE")]
    schema_override: Vec<String>,
    /// Convert types Iceberg cannot hold (uint64, second/millisecond timestamps,
    /// fixed-size lists, ...) instead of refusing them.
    #[arg(long)]
    convert_types: bool,
    /// The server's API key, when the URL has no `?api_key=` (default: $TESSERA_API_KEY).
    #[arg(long, env = "TESSERA_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// No progress and no summary on stderr (the JSON report still goes to stdout).
    #[arg(long, short)]
    quiet: bool,
}

/// Runs the command: prints the export's report as JSON on stdout.
///
/// # Errors
/// A message saying what failed (the catalog URI's password is never part of it).
pub fn run(args: ExportIcebergArgs) -> Result<(), String> {
    let if_exists: IfExists =
        args.if_exists.parse().map_err(|e: tessera_iceberg::IcebergError| e.to_string())?;
    let mut options =
        IcebergOptions::default().with_if_exists(if_exists).with_convert_types(args.convert_types);
    for o in &args.schema_override {
        let (column, type_name) =
            o.split_once('=').ok_or_else(|| format!("--schema-override takes COLUMN=TYPE, got {o:?}"))?;
        let t = tessera_iceberg::parse_data_type(type_name).map_err(|e| e.to_string())?;
        options = options.with_schema_override(column, t);
    }
    let mut config = if args.catalog_uri.starts_with("http://") || args.catalog_uri.starts_with("https://") {
        let c = CatalogConfig::rest(&args.catalog_uri).map_err(|e| e.to_string())?;
        match &args.warehouse {
            Some(w) => c.with_warehouse(w),
            None => c,
        }
    } else {
        let w = args
            .warehouse
            .as_deref()
            .ok_or("a SQL catalog needs --warehouse DIR (where new tables' files go)")?;
        CatalogConfig::sql(&args.catalog_uri, w).map_err(|e| e.to_string())?
    };
    config = config.with_name(&args.catalog_name).map_err(|e| e.to_string())?;
    for p in &args.catalog_property {
        let (k, v) = p.split_once('=').ok_or_else(|| "--catalog-property takes KEY=VALUE".to_owned())?;
        config = config.with_property(k, v);
    }
    let progress = std::sync::Arc::new(Progress::new(args.quiet));
    let observer = progress.clone();
    options = options.with_observer(std::sync::Arc::new(move |e: &ExportEvent<'_>| {
        observer.event(e);
        Ok(())
    }));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    let report = runtime.block_on(async {
        let (source, total) = open_source(&args).await?;
        progress.set_total(if args.filter.is_some() { None } else { total });
        let source = tessera_core::table::query(source, &args.columns, args.filter.as_deref())
            .map_err(|e| e.to_string())?;
        let catalog = IcebergCatalog::open(&config).await.map_err(|e| e.to_string())?;
        catalog.export(source, &args.table, &options).await.map_err(|e| e.to_string())
    });
    progress.finish(report.as_ref().ok());
    let report = report?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    println!("{json}");
    Ok(())
}

/// The source's batches and, when known, its row count.
async fn open_source(args: &ExportIcebergArgs) -> Result<(Box<dyn BatchStream>, Option<u64>), String> {
    if args.source.starts_with("http://") || args.source.starts_with("https://") {
        let key = args.api_key.clone();
        return fetch_table(&args.source, key, &args.columns, args.filter.as_deref())
            .await
            .map(|s| (s, None));
    }
    let path = args.source.clone();
    tokio::task::spawn_blocking(move || open_file(Path::new(&path)))
        .await
        .map_err(|e| format!("reading the source failed: {e}"))?
}

// ---------------------------------------------------------------------------- local files

/// An Arrow IPC file or stream, or a Parquet file, recognized by its first bytes.
fn open_file(path: &Path) -> Result<(Box<dyn BatchStream>, Option<u64>), String> {
    let what = path.display();
    let mut f = File::open(path).map_err(|e| format!("cannot open {what}: {e}"))?;
    let mut magic = Vec::with_capacity(6);
    (&mut f).take(6).read_to_end(&mut magic).map_err(|e| format!("cannot read {what}: {e}"))?;
    f.seek(SeekFrom::Start(0)).map_err(|e| format!("cannot read {what}: {e}"))?;
    if magic.starts_with(b"PAR1") {
        let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
            .map_err(|e| format!("{what} is not a readable Parquet file: {e}"))?;
        let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).ok();
        let schema = builder.schema().clone();
        let reader =
            builder.with_batch_size(64 * 1024).build().map_err(|e| format!("cannot read {what}: {e}"))?;
        return Ok((Box::new(IterStream::new(schema, reader)), rows));
    }
    if magic == b"ARROW1" {
        let reader = FileReader::try_new(BufReader::new(f), None)
            .map_err(|e| format!("{what} is not a readable Arrow IPC file: {e}"))?;
        let schema = reader.schema();
        return Ok((Box::new(IterStream::new(schema, reader)), None));
    }
    let reader = StreamReader::try_new(BufReader::new(f), None).map_err(|e| {
        format!("{what} is neither Parquet nor Arrow IPC (file or stream) (as an IPC stream: {e})")
    })?;
    let schema: SchemaRef = reader.schema();
    Ok((Box::new(IterStream::new(schema, reader)), None))
}

// --------------------------------------------------------------------------- server tables

/// The server's root URL (with any mount prefix) and the node path of a Tiled-style URL:
/// `.../api/v1/<endpoint>/<path>` (`metadata`, `search`, `table/full`, ...) or
/// `http://host:port/<path>`. Also returns the URL's `api_key`, if any.
pub fn parse_node_url(source: &str) -> Result<(Url, Vec<String>, Option<String>), String> {
    let url = Url::parse(source).map_err(|e| format!("{source:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{source:?}: only http(s) URLs are servers"));
    }
    let key = url.query_pairs().find(|(k, _)| k == "api_key").map(|(_, v)| v.into_owned());
    let segs = tessera_server::query::segments(url.path());
    let (prefix, path) = match segs.windows(2).position(|w| w[0] == "api" && w[1] == "v1") {
        Some(i) => {
            let rest = &segs[i + 2..];
            let skip = match rest.first().map(String::as_str) {
                Some("metadata" | "search" | "node" | "distinct") => 1,
                Some("table" | "array" | "container" | "awkward" | "sparse") => 2.min(rest.len()),
                _ => 0,
            };
            (segs[..i].to_vec(), rest[skip..].to_vec())
        }
        None => (Vec::new(), segs),
    };
    if path.is_empty() {
        return Err(format!(
            "{source:?} names no node: give the table's path (e.g. http://host:port/my_table)"
        ));
    }
    let mut base = url.clone();
    base.set_query(None);
    base.set_fragment(None);
    base.path_segments_mut()
        .map_err(|()| format!("{source:?} cannot be a base URL"))?
        .clear()
        .extend(&prefix);
    Ok((base, path, key))
}

/// Reads the error detail of a server's answer (at most 64 KiB of it).
async fn error_detail(mut resp: reqwest::Response) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > 64 * 1024 {
            break;
        }
    }
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v) => match v.get("detail") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => v.to_string(),
        },
        Err(_) => String::from_utf8_lossy(&body).chars().take(500).collect(),
    }
}

/// The table at `source` as an Arrow IPC stream. With a `where` filter, every column is
/// fetched (the filter may use columns that are not exported; `where=` is sent so a tessera
/// server filters already, and the filter runs here again for servers that ignore it);
/// without one, only `columns`. An xarray dataset node (a container) is fetched whole as
/// its table (`container/full` in the same format) and selected here.
async fn fetch_table(
    source: &str,
    key: Option<String>,
    columns: &[String],
    filter: Option<&str>,
) -> Result<Box<dyn BatchStream>, String> {
    let (base, path, url_key) = parse_node_url(source)?;
    let key = url_key.or(key);
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("cannot start an HTTP client: {e}"))?;
    let mut params = vec![("format", ARROW_STREAM.to_owned())];
    match filter {
        Some(f) => params.push(("where", f.to_owned())),
        None => params.extend(columns.iter().map(|c| ("column", c.clone()))),
    }
    let resp = match get(&client, &base, &["table", "full"], &path, &params, key.as_deref()).await? {
        Ok(resp) => resp,
        Err((status, detail)) if status == 404 && detail.contains("it is a container") => {
            let params = [("format", ARROW_STREAM.to_owned())];
            get(&client, &base, &["container", "full"], &path, &params, key.as_deref())
                .await?
                .map_err(|(status, detail)| format!("the server answered {status} for {detail}"))?
        }
        Err((status, detail)) => {
            return Err(format!("the server answered {status} for {detail}"));
        }
    };
    let shown = path.join("/");
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    if !ct.starts_with(ARROW_STREAM) {
        return Err(format!("{shown} answered with {ct:?}, not an Arrow IPC stream (is it a table node?)"));
    }
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(pump(resp, tx));
    let reader = ChannelReader { rx, current: Bytes::new() };
    tokio::task::spawn_blocking(move || {
        let reader = StreamReader::try_new(reader, None).map_err(|e| format!("reading {shown}: {e}"))?;
        let schema = reader.schema();
        Ok::<Box<dyn BatchStream>, String>(Box::new(IterStream::new(schema, reader)))
    })
    .await
    .map_err(|e| format!("reading the source failed: {e}"))?
}

/// `GET {base}/api/v1/{endpoint}/{path}?{params}`: the response, or the server's refusal
/// (status and detail). The key goes in a header, never in the URL (errors print URLs).
async fn get(
    client: &reqwest::Client,
    base: &Url,
    endpoint: &[&str],
    path: &[String],
    params: &[(&str, String)],
    key: Option<&str>,
) -> Result<Result<reqwest::Response, (reqwest::StatusCode, String)>, String> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| "not a base URL".to_owned())?
        .pop_if_empty()
        .extend(["api", "v1"])
        .extend(endpoint)
        .extend(path);
    url.query_pairs_mut().extend_pairs(params);
    let shown =
        format!("{}/api/v1/{}/{}", base.as_str().trim_end_matches('/'), endpoint.join("/"), path.join("/"));
    let mut req = client.get(url).header("accept", ARROW_STREAM);
    if let Some(k) = key {
        req = req.header("authorization", format!("Apikey {k}"));
    }
    let resp = req.send().await.map_err(|e| format!("cannot reach {shown}: {}", e.without_url()))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(Ok(resp));
    }
    Ok(Err((status, format!("{shown}: {}", error_detail(resp).await))))
}

/// Moves the response body into the channel, chunk by chunk (the channel's bound is what
/// keeps memory flat: the download waits for the export).
async fn pump(mut resp: reqwest::Response, tx: tokio::sync::mpsc::Sender<Result<Bytes, String>>) {
    loop {
        let item = match resp.chunk().await {
            Ok(Some(chunk)) => Ok(chunk),
            Ok(None) => break,
            Err(e) => Err(format!("the download broke off: {}", e.without_url())),
        };
        let stop = item.is_err();
        if tx.send(item).await.is_err() || stop {
            break;
        }
    }
}

/// A blocking `Read` over the chunks of a download (used on a blocking thread only).
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<Result<Bytes, String>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

// -------------------------------------------------------------------------------- progress

/// Progress on stderr: a bar redrawn in place on a terminal (rows, MiB, rate; a percentage
/// when the source's row count is known), a line every 10 s otherwise.
struct Progress {
    quiet: bool,
    tty: bool,
    start: Instant,
    state: Mutex<ProgressState>,
}

struct ProgressState {
    total: Option<u64>,
    last: Option<Instant>,
    drawn: bool,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        Progress {
            quiet,
            tty: std::io::stderr().is_terminal(),
            start: Instant::now(),
            state: Mutex::new(ProgressState { total: None, last: None, drawn: false }),
        }
    }

    fn set_total(&self, total: Option<u64>) {
        if let Ok(mut s) = self.state.lock() {
            s.total = total.filter(|&t| t > 0);
        }
    }

    fn event(&self, event: &ExportEvent<'_>) {
        if self.quiet {
            return;
        }
        let Ok(mut s) = self.state.lock() else { return };
        let line = match *event {
            ExportEvent::BatchWritten { rows, bytes } => {
                let every = if self.tty { Duration::from_millis(100) } else { Duration::from_secs(10) };
                let now = Instant::now();
                let due = match s.last {
                    Some(t) => now.duration_since(t) >= every,
                    None => now.duration_since(self.start) >= every,
                };
                if !due {
                    return;
                }
                s.last = Some(now);
                self.line(s.total, rows, bytes)
            }
            // Said only where progress was shown: a short export prints just its summary.
            ExportEvent::Committing if self.tty || s.last.is_some() => "committing…".to_owned(),
            _ => return,
        };
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{line}");
            s.drawn = true;
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    fn line(&self, total: Option<u64>, rows: u64, bytes: u64) -> String {
        let secs = self.start.elapsed().as_secs_f64().max(1e-3);
        let stats = format!(
            "{rows} rows, {:.1} MiB, {:.0} rows/s, {secs:.0} s",
            bytes as f64 / 1048576.0,
            rows as f64 / secs
        );
        match total {
            Some(t) => {
                let frac = (rows as f64 / t as f64).clamp(0.0, 1.0);
                let filled = (frac * 30.0).round() as usize;
                format!("[{}{}] {:>3.0}% {stats}", "#".repeat(filled), "-".repeat(30 - filled), frac * 100.0)
            }
            None => format!("exporting: {stats}"),
        }
    }

    fn finish(&self, report: Option<&ExportReport>) {
        let drawn = self.state.lock().map(|s| s.drawn).unwrap_or(false);
        let mut err = std::io::stderr().lock();
        if drawn {
            let _ = write!(err, "\r\x1b[2K");
        }
        if let (false, Some(r)) = (self.quiet, report) {
            let snapshot =
                r.snapshot_id.map_or("no snapshot (empty source)".to_owned(), |s| format!("snapshot {s}"));
            let _ = writeln!(
                err,
                "{} {}: {} rows in {} data file(s), {:.1} MiB, {snapshot}, {:.1} s",
                r.action,
                r.table,
                r.rows,
                r.data_files,
                r.data_file_bytes as f64 / 1048576.0,
                self.start.elapsed().as_secs_f64()
            );
        }
        let _ = err.flush();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn node_urls_in_both_tiled_forms() {
        let (base, path, key) =
            parse_node_url("http://127.0.0.1:8000/api/v1/metadata/short_table?api_key=k1").unwrap();
        assert_eq!(
            (base.as_str(), path, key.as_deref()),
            ("http://127.0.0.1:8000/", vec!["short_table".to_owned()], Some("k1"))
        );
        let (base, path, key) = parse_node_url("http://h:1/a/b%20c").unwrap();
        assert_eq!((base.as_str(), path, key), ("http://h:1/", vec!["a".to_owned(), "b c".to_owned()], None));
        let (base, path, _) = parse_node_url("http://h/tiled/api/v1/table/full/x/t?format=csv").unwrap();
        assert_eq!((base.as_str(), path), ("http://h/tiled", vec!["x".to_owned(), "t".to_owned()]));
        assert!(parse_node_url("http://h:1/api/v1/metadata/").is_err());
        assert!(parse_node_url("ftp://h/x").is_err());
    }
}
