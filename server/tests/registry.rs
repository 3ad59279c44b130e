//! The registry holds exactly the formats the enabled cargo features imply: no more (a
//! disabled format must not leak in through another crate), no less (an enabled one must
//! really be linked — rustc drops crates that no code names).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use tessera_core::{Family, Registration, Registry};
use tessera_server as _;

/// The crates (providers) whose registrations the enabled features imply.
fn enabled_providers() -> BTreeSet<&'static str> {
    let mut set = BTreeSet::from(["tessera-core"]);
    for (on, provider) in [
        (cfg!(feature = "csv"), "tessera-csv"),
        (cfg!(feature = "json"), "tessera-json"),
        (cfg!(feature = "arrow"), "tessera-arrow"),
        (cfg!(feature = "parquet"), "tessera-parquet"),
        (cfg!(feature = "image"), "tessera-image"),
        (cfg!(feature = "xlsx"), "tessera-xlsx"),
        (cfg!(feature = "html"), "tessera-html"),
        (cfg!(any(feature = "netcdf", feature = "hdf5")), "tessera-netcdf"),
    ] {
        if on {
            set.insert(provider);
        }
    }
    set
}

/// What the Tiled protocol needs from each format, at least (tiled-protocol.md §4).
fn required(provider: &str) -> &'static [(Family, &'static str)] {
    match provider {
        "tessera-core" => {
            &[(Family::Array, "application/octet-stream"), (Family::Array, "application/x-npy")]
        }
        "tessera-csv" => &[(Family::Array, "text/csv"), (Family::Table, "text/csv")],
        "tessera-json" => &[
            (Family::Array, "application/json"),
            (Family::Table, "application/json"),
            (Family::Table, "application/json-seq"),
        ],
        "tessera-arrow" => &[
            (Family::Table, "application/vnd.apache.arrow.file"),
            (Family::Dataset, "application/vnd.apache.arrow.file"),
        ],
        "tessera-parquet" => &[(Family::Table, "application/x-parquet")],
        "tessera-image" => &[(Family::Array, "image/png"), (Family::Array, "image/tiff")],
        "tessera-xlsx" => {
            &[(Family::Table, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
        }
        "tessera-html" => &[(Family::Table, "text/html")],
        "tessera-netcdf" if cfg!(feature = "hdf5") => &[
            (Family::Dataset, "application/x-netcdf"),
            (Family::Container, "application/x-hdf5"),
            (Family::Array, "application/x-hdf5"),
        ],
        "tessera-netcdf" => &[(Family::Dataset, "application/x-netcdf")],
        _ => &[],
    }
}

fn key(r: &Registration) -> (Family, String, &'static str) {
    let s = r.spec();
    (s.family, s.media_type.to_string(), s.provider)
}

/// The crates' own `REGISTRATIONS` lists, for the enabled features whose crates export one.
fn declared() -> Vec<&'static [Registration]> {
    #[allow(unused_mut)]
    let mut lists: Vec<&'static [Registration]> = vec![tessera_core::raw::REGISTRATIONS];
    #[cfg(feature = "csv")]
    lists.push(tessera_csv::REGISTRATIONS);
    #[cfg(feature = "html")]
    lists.push(tessera_html::REGISTRATIONS);
    #[cfg(any(feature = "netcdf", feature = "hdf5"))]
    lists.push(tessera_netcdf::REGISTRATIONS);
    #[cfg(feature = "json")]
    lists.push(tessera_json::REGISTRATIONS);
    #[cfg(feature = "arrow")]
    lists.push(tessera_arrow::REGISTRATIONS);
    #[cfg(feature = "parquet")]
    lists.push(tessera_parquet::REGISTRATIONS);
    #[cfg(feature = "image")]
    lists.push(tessera_image::REGISTRATIONS);
    #[cfg(feature = "xlsx")]
    lists.push(tessera_xlsx::REGISTRATIONS);
    lists
}

#[test]
fn registry_matches_enabled_features() {
    let reg = Registry::global().expect("the registry builds");
    let registered: BTreeSet<_> = reg.iter().map(key).collect();
    let providers: BTreeSet<&str> = registered.iter().map(|(_, _, p)| *p).collect();
    let enabled = enabled_providers();
    assert_eq!(providers, enabled, "providers linked vs features enabled");
    for p in &enabled {
        for (family, mt) in required(p) {
            assert!(
                registered.contains(&(*family, (*mt).to_owned(), *p)),
                "{p} is enabled but ({family}, {mt}) is not registered"
            );
        }
    }
    // Every crate that declares its list for embedders registers exactly that list.
    for list in declared() {
        let Some(provider) = list.first().map(|r| r.spec().provider) else { continue };
        let want: BTreeSet<_> = list.iter().map(key).collect();
        let got: BTreeSet<_> = registered.iter().filter(|k| k.2 == provider).cloned().collect();
        assert_eq!(got, want, "{provider}: inventory vs REGISTRATIONS");
    }
}

/// The `formats` listing of a csv-only binary built with `profile_args` (debug or release).
fn csv_only_listing(profile_args: &[&str]) -> Vec<serde_json::Value> {
    let cargo = env!("CARGO");
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    // A target directory of its own: the outer `cargo test` holds the lock on the shared
    // one while tests run.
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("csv-only");
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .args(["-p", "tessera-server", "--bin", "tessera", "--no-default-features", "--features", "csv"])
        .args(profile_args)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building a csv-only server failed");
    let dir = if profile_args.contains(&"--release") { "release" } else { "debug" };
    let out = Command::new(target.join(dir).join("tessera"))
        .args(["formats", "--json"])
        .output()
        .expect("the csv-only binary runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("formats --json prints JSON")
}

fn check_csv_only(rows: &[serde_json::Value]) {
    let got: BTreeSet<(String, String, String)> = rows
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (s("family"), s("media_type"), s("provider"))
        })
        .collect();
    let providers: BTreeSet<&str> = got.iter().map(|(_, _, p)| p.as_str()).collect();
    assert_eq!(providers, BTreeSet::from(["tessera-core", "tessera-csv"]), "{got:?}");
    for p in ["tessera-core", "tessera-csv"] {
        for (family, mt) in required(p) {
            assert!(
                got.contains(&(family.to_string(), (*mt).to_owned(), p.to_owned())),
                "{mt} missing: {got:?}"
            );
        }
    }
}

/// Builds `--no-default-features --features csv` in the dev and the release profile and
/// checks what each binary lists. Slow the first time (a release build).
#[test]
fn csv_only_binary_lists_only_csv_and_raw() {
    check_csv_only(&csv_only_listing(&[]));
    check_csv_only(&csv_only_listing(&["--release"]));
}
