-- tessera catalog, version 1 (SQLite). Applied once, inside the transaction that records it
-- in tessera_schema.
--
-- One row per node; the root has parent NULL and key ''. The foreign key has no ON DELETE
-- action on purpose: Catalog::delete removes a node and all its descendants in one
-- statement, so a child created concurrently makes that statement fail (and the delete is
-- retried) instead of being removed silently without being reported.
CREATE TABLE nodes (
    id INTEGER PRIMARY KEY,
    parent INTEGER REFERENCES nodes (id),
    key TEXT NOT NULL,
    family TEXT NOT NULL CHECK (family IN ('container', 'array', 'table')),
    specs TEXT NOT NULL CHECK (json_type(specs) = 'array'),
    metadata TEXT NOT NULL CHECK (json_type(metadata) = 'object'),
    structure TEXT,
    data_source TEXT,
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (parent, key)
);

-- The full-text words of each node's metadata (every lower-cased, whitespace-separated word
-- of every string value), computed by tessera at insert with the same function as the
-- in-memory search, so `fulltext` is an exact indexed lookup.
CREATE TABLE words (
    word TEXT NOT NULL,
    node INTEGER NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    PRIMARY KEY (word, node)
) WITHOUT ROWID;
CREATE INDEX words_node ON words (node);
