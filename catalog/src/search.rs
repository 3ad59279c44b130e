//! Tiled's search over a container's children, in SQL.

use crate::query::{self, Filter, SortKey};
use crate::{NodeRecord, Pool, Result, on_pool, record};

/// The SQL dialect of a pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The record columns, in the order [`crate::record`] decodes them (`n` = nodes).
    pub(crate) fn columns(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "n.id, n.parent, n.key, n.family, n.specs, n.metadata, n.structure, n.data_source"
            }
            Dialect::Postgres => {
                "n.id, n.parent, n.key, n.family, n.specs::text, n.metadata_text, n.structure, n.data_source"
            }
        }
    }

    /// Starts a write transaction (SQLite: take the write lock now, so a transaction that
    /// reads first never fails to upgrade).
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        }
    }

    /// `$1` parent, `$2` key, `$3` family, `$4` specs, `$5` metadata, `$6` structure,
    /// `$7` data source; inserts only under an existing container; returns the id.
    pub(crate) fn insert_node(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "INSERT INTO nodes (parent, key, family, specs, metadata, structure, data_source) \
                 SELECT $1, $2, $3, $4, $5, $6, $7 \
                 WHERE EXISTS (SELECT 1 FROM nodes WHERE id = $1 AND family = 'container') RETURNING id"
            }
            Dialect::Postgres => {
                "INSERT INTO nodes (parent, key, family, specs, metadata, metadata_text, structure, data_source) \
                 SELECT $1, $2, $3, $4::jsonb, $5::jsonb, $5, $6, $7 \
                 WHERE EXISTS (SELECT 1 FROM nodes WHERE id = $1 AND family = 'container') RETURNING id"
            }
        }
    }

    /// `$1` node id, `$2` JSON list of words.
    pub(crate) fn insert_words(self) -> &'static str {
        match self {
            Dialect::Sqlite => "INSERT INTO words (word, node) SELECT value, $1 FROM json_each($2)",
            Dialect::Postgres => {
                "INSERT INTO words (word, node) SELECT w, $1 FROM jsonb_array_elements_text($2::jsonb) AS w"
            }
        }
    }
}

pub(crate) async fn run(
    pool: &Pool,
    parent: i64,
    filters: &[Filter],
    sort: &[SortKey],
    offset: u64,
    limit: u64,
) -> Result<(u64, Vec<NodeRecord>)> {
    let all: Vec<NodeRecord> = on_pool!(pool, p, d => {
        let sql = format!("SELECT {} FROM nodes n WHERE n.parent = $1 ORDER BY n.id", d.columns());
        let rows = sqlx::query(&sql).bind(parent).fetch_all(p).await?;
        rows.iter().map(record).collect::<Result<Vec<_>>>()?
    });
    let found = query::search(all, filters, sort);
    let total = found.len() as u64;
    let page = found
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    Ok((total, page))
}
