//! tessera-catalog's integration tests: every case runs on SQLite (a file in a temp dir) and,
//! when the PostgreSQL server binaries are installed, on a throwaway PostgreSQL cluster
//! (`tessera_testkit::postgres::Pg`, one database per case).
#![allow(clippy::unwrap_used, missing_docs)]

mod cases;
mod differential;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use tessera_testkit::postgres::Pg;

/// Where a case gets empty databases from.
pub trait Backend: Sync {
    /// The URL of a new, empty database (no catalog yet).
    fn fresh(&self) -> String;
    /// `"sqlite"` or `"postgres"`.
    fn name(&self) -> &'static str;
}

#[derive(Default)]
pub struct Sqlite(Option<tempfile::TempDir>, AtomicUsize);

impl Sqlite {
    pub fn new() -> Sqlite {
        Sqlite(Some(tempfile::tempdir().unwrap()), AtomicUsize::new(0))
    }
}

impl Backend for Sqlite {
    fn fresh(&self) -> String {
        let n = self.1.fetch_add(1, Ordering::Relaxed);
        self.0.as_ref().unwrap().path().join(format!("catalog{n}.db")).to_str().unwrap().to_owned()
    }
    fn name(&self) -> &'static str {
        "sqlite"
    }
}

pub struct Postgres(Pg, AtomicUsize);

impl Backend for Postgres {
    fn fresh(&self) -> String {
        let db = format!("c{}", self.1.fetch_add(1, Ordering::Relaxed));
        self.0.sql("postgres", &[&format!("CREATE DATABASE {db}")]);
        self.0.url(&db)
    }
    fn name(&self) -> &'static str {
        "postgres"
    }
}

pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Runtime::new().unwrap().block_on(f)
}

/// One `#[test]` per case on SQLite, and one test running them all on one PostgreSQL
/// cluster (starting a cluster costs seconds).
macro_rules! suite {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $case() {
                    let b = crate::Sqlite::new();
                    crate::block_on(crate::cases::$case(&b));
                }
            )*
        }

        #[test]
        fn postgres_suite() {
            let Some(pg) = Pg::start() else {
                eprintln!("SKIPPED postgres_suite: no PostgreSQL server binaries (apt-get install postgresql)");
                return;
            };
            let b = Postgres(pg, AtomicUsize::new(0));
            $(
                eprintln!("postgres: {}", stringify!($case));
                block_on(cases::$case(&b));
            )*
            differential::run(&b, 96);
        }
    };
}

suite!(
    init_and_open,
    create_and_lookup,
    delete,
    pagination,
    persistence,
    concurrent_creates,
    server_search_cases,
    sort_orders,
    delete_races_creates,
    newer_schema,
    update_metadata,
);

#[test]
fn differential_sqlite() {
    differential::run(&Sqlite::new(), 384);
}
