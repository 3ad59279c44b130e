//! Embedded, versioned migrations: `tessera_schema(version, applied)` records what was
//! applied; each migration has one SQL script per dialect.

use crate::search::Dialect;
use crate::{CatalogError, Pool, Result, on_pool};

struct Migration {
    version: i64,
    sqlite: &'static str,
    postgres: &'static str,
}

/// In order. Never edit a released migration: add the next one.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    sqlite: include_str!("../migrations/sqlite/0001_nodes.sql"),
    postgres: include_str!("../migrations/postgres/0001_nodes.sql"),
}];

/// Serializes `init`/`open` of several processes on one PostgreSQL catalog.
const PG_LOCK: i64 = 0x7465_7373_6572_6100;

impl Dialect {
    fn script(self, m: &Migration) -> &'static str {
        match self {
            Dialect::Sqlite => m.sqlite,
            Dialect::Postgres => m.postgres,
        }
    }

    fn lock(self) -> Option<String> {
        match self {
            Dialect::Sqlite => None, // BEGIN IMMEDIATE already holds the write lock
            Dialect::Postgres => Some(format!("SELECT pg_advisory_xact_lock({PG_LOCK})")),
        }
    }

    fn count_tables(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('tessera_schema', 'nodes')"
            }
            Dialect::Postgres => {
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() \
                 AND table_name IN ('tessera_schema', 'nodes')"
            }
        }
    }

    fn schema_table(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "CREATE TABLE tessera_schema (version INTEGER PRIMARY KEY, \
                 applied TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
            }
            Dialect::Postgres => {
                "CREATE TABLE tessera_schema (version BIGINT PRIMARY KEY, \
                 applied TIMESTAMPTZ NOT NULL DEFAULT now())"
            }
        }
    }

    fn insert_root(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "INSERT INTO nodes (parent, key, family, specs, metadata) VALUES (NULL, '', 'container', '[]', '{}')"
            }
            Dialect::Postgres => {
                "INSERT INTO nodes (parent, key, family, specs, metadata, metadata_text) \
                 VALUES (NULL, '', 'container', '[]', '{}', '{}')"
            }
        }
    }
}

fn latest() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Creates the schema and the root row in one transaction.
pub(crate) async fn init(pool: &Pool) -> Result<()> {
    on_pool!(pool, p, d => {
        let mut tx = p.begin_with(d.begin_write()).await?;
        if let Some(lock) = d.lock() {
            sqlx::query(&lock).execute(&mut *tx).await?;
        }
        let n: i64 = sqlx::query_scalar(d.count_tables()).fetch_one(&mut *tx).await?;
        if n > 0 {
            return Err(CatalogError::AlreadyInitialized);
        }
        sqlx::raw_sql(d.schema_table()).execute(&mut *tx).await?;
        for m in MIGRATIONS {
            sqlx::raw_sql(d.script(m)).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO tessera_schema (version) VALUES ($1)").bind(m.version).execute(&mut *tx).await?;
        }
        sqlx::raw_sql(d.insert_root()).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Checks that the catalog exists and applies the migrations it lacks.
pub(crate) async fn migrate(pool: &Pool) -> Result<()> {
    on_pool!(pool, p, d => {
        let n: i64 = sqlx::query_scalar(d.count_tables()).fetch_one(p).await?;
        if n < 2 {
            return Err(CatalogError::NotInitialized);
        }
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM tessera_schema").fetch_all(p).await?;
        let found = applied.iter().copied().max().unwrap_or(0);
        if found > latest() {
            return Err(CatalogError::NewerSchema { found, supported: latest() });
        }
        if MIGRATIONS.iter().all(|m| applied.contains(&m.version)) {
            return Ok(());
        }
        let mut tx = p.begin_with(d.begin_write()).await?;
        if let Some(lock) = d.lock() {
            sqlx::query(&lock).execute(&mut *tx).await?;
        }
        // Again under the lock: another process may have migrated meanwhile.
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM tessera_schema").fetch_all(&mut *tx).await?;
        for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
            sqlx::raw_sql(d.script(m)).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO tessera_schema (version) VALUES ($1)").bind(m.version).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    })
}
