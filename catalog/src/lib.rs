//! tessera's persistent catalog of nodes: SQL (SQLite or PostgreSQL through sqlx) holding
//! each node's key, parent, structure family, specs, metadata, structure and data source,
//! with Tiled's metadata search evaluated in SQL.

pub mod query;
