//! The SQL catalog on PostgreSQL: a throwaway cluster (initdb + pg_ctl on 127.0.0.1, a free
//! port, a temp dir; as the `postgres` user when the tests run as root), stopped at the end.
//! Skipped, saying so, when the PostgreSQL server binaries are not installed
//! (`apt-get install postgresql`; or point `TESSERA_PG_BIN` at their directory).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use tessera_iceberg::{
    CatalogConfig, ErrorKind, ExportAction, ExportEvent, IcebergOptions, IfExists, export_iceberg,
};

use crate::common::{Scripted, other, read_text, sample, stream, table_text};

struct Pg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

fn find_bin() -> Option<PathBuf> {
    if let Ok(b) = std::env::var("TESSERA_PG_BIN") {
        return Some(PathBuf::from(b));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions.pop()
}

impl Pg {
    fn run(&self, tool: &str, args: &[&str]) -> std::process::Output {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        cmd.args(args).current_dir("/").output().unwrap()
    }

    fn start() -> Option<Pg> {
        let bin = find_bin()?;
        let root = Command::new("id").arg("-u").output().ok()?.stdout == b"0\n";
        let dir = tempfile::tempdir().unwrap();
        if root {
            let ok = Command::new("chown").args(["postgres:"]).arg(dir.path()).status().ok()?.success();
            assert!(ok, "chown of the cluster dir to postgres failed");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let pg = Pg { dir, bin, port, as_postgres: root };
        let data = pg.path("data");
        let out =
            pg.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            pg.port,
            pg.dir.path().display()
        );
        let log = pg.path("log");
        let out = pg.run("pg_ctl", &["-D", &data, "-o", &opts, "-l", &log, "-w", "start"]);
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Some(pg)
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    fn uri(&self, db: &str) -> String {
        format!("postgresql+psycopg2://postgres@127.0.0.1:{}/{db}", self.port)
    }

    fn sql(&self, db: &str, statements: &[&str]) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            use sqlx::{ConnectOptions, Executor};
            let mut c = format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
                .parse::<sqlx::postgres::PgConnectOptions>()
                .unwrap()
                .connect()
                .await
                .unwrap();
            for s in statements {
                c.execute(*s).await.unwrap();
            }
        });
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", &self.path("data"), "-m", "immediate", "-w", "stop"]);
    }
}

fn warehouse(parent: &Path, name: &str) -> String {
    let p = parent.join(name);
    std::fs::create_dir_all(&p).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn postgres_catalog_end_to_end() {
    let Some(pg) = Pg::start() else {
        eprintln!(
            "SKIPPED postgres_catalog_end_to_end: no PostgreSQL server binaries (apt-get install postgresql)"
        );
        return;
    };
    let whdir = tempfile::tempdir().unwrap();
    let config = CatalogConfig::sql(&pg.uri("postgres"), &warehouse(whdir.path(), "wh")).unwrap();
    let append = IcebergOptions::default().with_if_exists(IfExists::Append);
    let replace = IcebergOptions::default().with_if_exists(IfExists::Replace);

    // create, append, replace, empty
    let a = sample(0, 50, 20);
    let r = export_iceberg(stream(&a), &config, "pg.ns.t", &IcebergOptions::default()).unwrap();
    assert_eq!(r.action, ExportAction::Create);
    let b = sample(50, 10, 10);
    export_iceberg(stream(&b), &config, "pg.ns.t", &append).unwrap();
    let e = tessera_iceberg::IcebergExporter::open(&config).unwrap();
    let mut want = table_text(&a);
    want.extend(table_text(&b));
    assert_eq!(read_text(&e, "pg.ns.t"), want);
    assert_eq!(e.describe_table("pg.ns.t").unwrap().snapshots.len(), 2);
    let c = other(7);
    export_iceberg(stream(&c), &config, "pg.ns.t", &replace).unwrap();
    assert_eq!(read_text(&e, "pg.ns.t"), table_text(&c));
    let empty = tessera_core::Table::from_batches(a.schema().clone(), vec![]).unwrap();
    export_iceberg(stream(&empty), &config, "pg.empty", &IcebergOptions::default()).unwrap();
    assert!(e.describe_table("pg.empty").unwrap().snapshots.is_empty());

    // a source failing mid-stream: the replace leaves the table as it was
    let before = e.describe_table("pg.ns.t").unwrap();
    let src = Scripted::new(&sample(0, 100, 10), Some("boom"));
    let err = e.export(Box::new(src), "pg.ns.t", &replace.clone().with_batch_size_bytes(512)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Input);
    assert!(err.to_string().contains("Nothing was committed: table 'pg.ns.t' is unchanged."), "{err}");
    assert_eq!(e.describe_table("pg.ns.t").unwrap(), before);

    // a concurrent append between our load and our compare-and-swap
    let cfg = config.clone();
    let racing = replace.clone().with_observer(Arc::new(move |ev: &ExportEvent<'_>| {
        if *ev == ExportEvent::Committing {
            let cfg = cfg.clone();
            std::thread::spawn(move || {
                export_iceberg(
                    stream(&other(1)),
                    &cfg,
                    "pg.ns.t",
                    &IcebergOptions::default().with_if_exists(IfExists::Append),
                )
                .map(|_| ())
                .map_err(|e| e.to_string())
            })
            .join()
            .unwrap()?;
        }
        Ok(())
    }));
    let err = e.export(stream(&other(3)), "pg.ns.t", &racing).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert_eq!(read_text(&e, "pg.ns.t").len(), 8, "the original 7 rows and the other writer's 1");

    // a catalog made by pyiceberg ≤ 0.11 (no iceberg_type column) is migrated
    pg.sql("postgres", &["CREATE DATABASE v0"]);
    pg.sql(
        "v0",
        &[
            "CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000), PRIMARY KEY (catalog_name, table_namespace, table_name))",
            "CREATE TABLE iceberg_namespace_properties (catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL, property_key VARCHAR(255) NOT NULL, property_value VARCHAR(1000) NOT NULL, PRIMARY KEY (catalog_name, namespace, property_key))",
        ],
    );
    let v0 = CatalogConfig::sql(&pg.uri("v0"), &warehouse(whdir.path(), "wh0")).unwrap();
    export_iceberg(stream(&c), &v0, "old.t", &IcebergOptions::default()).unwrap();
    export_iceberg(stream(&c), &v0, "old.t", &append).unwrap();
    let e0 = tessera_iceberg::IcebergExporter::open(&v0).unwrap();
    assert_eq!(read_text(&e0, "old.t").len(), 14);
    drop(e0);
    drop(e);
}
