//! The SQL catalog on PostgreSQL: a throwaway cluster (`tessera_testkit::postgres::Pg`: initdb
//! and pg_ctl on 127.0.0.1, a free port, a temp dir; as the `postgres` user when the tests run
//! as root), stopped at the end.
//! Skipped, saying so, when the PostgreSQL server binaries are not installed
//! (`apt-get install postgresql`; or point `TESSERA_PG_BIN` at their directory).

use std::path::Path;
use std::sync::Arc;

use tessera_iceberg::{
    CatalogConfig, ErrorKind, ExportAction, ExportEvent, IcebergOptions, IfExists, export_iceberg,
};

use tessera_testkit::postgres::Pg;

use crate::common::{Scripted, other, read_text, sample, stream, table_text};

/// The pyiceberg-style URI of database `db` in the cluster.
fn uri(pg: &Pg, db: &str) -> String {
    format!("postgresql+psycopg2://postgres@127.0.0.1:{}/{db}", pg.port())
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
    let config = CatalogConfig::sql(&uri(&pg, "postgres"), &warehouse(whdir.path(), "wh")).unwrap();
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
    let v0 = CatalogConfig::sql(&uri(&pg, "v0"), &warehouse(whdir.path(), "wh0")).unwrap();
    export_iceberg(stream(&c), &v0, "old.t", &IcebergOptions::default()).unwrap();
    export_iceberg(stream(&c), &v0, "old.t", &append).unwrap();
    let e0 = tessera_iceberg::IcebergExporter::open(&v0).unwrap();
    assert_eq!(read_text(&e0, "old.t").len(), 14);
    drop(e0);
    drop(e);
}
