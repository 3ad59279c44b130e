//! Writes every compiled-in format's output for the interop inputs into a directory, for
//! the Python interop suite (`tests/interop`, run by `scripts/interop.sh`).
//!
//! ```text
//! cargo run --release -p tessera-benches --example dump_outputs -- OUT_DIR
//! ```
//!
//! It walks the registry, so a new format is dumped as soon as its crate is linked (through
//! a feature of this crate), with no list to update. For every encoder and every input of
//! its family (tables T2 and E1, arrays A1, A2s, A3 and the dtype zoo, dataset D1s) it writes
//! `OUT_DIR/<family>/<input>/<name>` where `<name>` is the encoder's first short alias (else
//! its media type with `/` replaced by `_`). `OUT_DIR/manifest.json` lists what is
//! registered, every output file, and every encoder error (`kind` is `unsupported` for a
//! refusal such as PNG of a record array; anything else is a bug the suite reports).

use std::error::Error;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tessera_core::{EncodeError, Family, Params, Registration, Registry, Spec};

fn file_name(spec: &Spec) -> String {
    match spec.aliases.iter().find(|a| !a.contains('/')) {
        Some(a) => a.to_string(),
        None => spec.media_type.as_str().replace('/', "_"),
    }
}

fn error_kind(e: &EncodeError) -> &'static str {
    match e {
        EncodeError::Unsupported { .. } => "unsupported",
        EncodeError::InvalidOption { .. } => "invalid_option",
        EncodeError::Limit { .. } => "limit",
        EncodeError::Io(_) => "io",
        EncodeError::Input(_) => "input",
        EncodeError::Backend { .. } => "backend",
        _ => "other",
    }
}

/// Runs one encoding into `path`; on error the partial file is removed and the error
/// recorded instead.
fn dump(
    dir: &Path,
    spec: &Spec,
    input: &str,
    encode: impl FnOnce(&mut dyn Write) -> Result<(), EncodeError>,
) -> Result<Value, Box<dyn Error>> {
    let rel = PathBuf::from(spec.family.as_str()).join(input).join(file_name(spec));
    let path = dir.join(&rel);
    fs::create_dir_all(path.parent().ok_or("output path has a parent")?)?;
    let mut out = BufWriter::new(fs::File::create(&path)?);
    let result = encode(&mut out).and_then(|()| out.flush().map_err(EncodeError::from));
    drop(out);
    let mut entry = json!({
        "family": spec.family.as_str(),
        "media_type": spec.media_type.as_str(),
        "input": input,
    });
    match result {
        Ok(()) => entry["file"] = json!(rel.to_string_lossy()),
        Err(e) => {
            fs::remove_file(&path)?;
            entry["error"] = json!({ "kind": error_kind(&e), "message": e.to_string() });
        }
    }
    Ok(entry)
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = PathBuf::from(std::env::args_os().nth(1).ok_or("usage: dump_outputs OUT_DIR")?);
    fs::create_dir_all(&dir)?;
    // `tessera_benches` links the encoder crates its features enable.
    let reg = Registry::global()?;
    let tables = tessera_benches::interop_tables();
    let arrays = tessera_benches::interop_arrays();
    let datasets = tessera_benches::interop_datasets();

    let mut registered = Vec::new();
    let mut outputs = Vec::new();
    for r in reg.iter() {
        let spec = r.spec();
        registered.push(json!({
            "family": spec.family.as_str(),
            "media_type": spec.media_type.as_str(),
            "aliases": spec.aliases,
            "provider": spec.provider,
        }));
        let p = Params::new();
        let started = std::time::Instant::now();
        match r {
            Registration::Array(e) => {
                for (name, a) in &arrays {
                    outputs.push(dump(&dir, spec, name, |w| e.encode(a, &p, w))?);
                }
            }
            Registration::Table(e) => {
                for (name, t) in &tables {
                    outputs.push(dump(&dir, spec, name, |w| e.encode(&mut t.stream(), &p, w))?);
                }
            }
            Registration::Dataset(e) => {
                for (name, d) in &datasets {
                    outputs.push(dump(&dir, spec, name, |w| e.encode(d, &p, w))?);
                }
            }
            // No container fixture yet: listed in `registered`, not dumped.
            _ => {}
        }
        eprintln!("dumped {} {} in {:.2?}", spec.family, spec.media_type, started.elapsed());
    }
    let arrays_meta: serde_json::Map<String, Value> = arrays
        .iter()
        .map(|(n, a)| ((*n).to_owned(), json!({ "dtype": a.data_type().numpy_str(), "shape": a.shape() })))
        .collect();
    let manifest = json!({
        "families": Family::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "registered": registered,
        "outputs": outputs,
        "arrays": arrays_meta,
    });
    fs::write(dir.join("manifest.json"), serde_json::to_vec_pretty(&manifest)?)?;
    println!("{} outputs from {} encoders in {}", outputs.len(), registered.len(), dir.display());
    Ok(())
}
