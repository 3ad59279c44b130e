-- tessera catalog, version 1 (PostgreSQL). Applied once, inside the transaction that records
-- it in tessera_schema, under an advisory lock (several tessera processes may start at once).
--
-- One row per node; the root has parent NULL and key ''. The foreign key has no ON DELETE
-- action on purpose: Catalog::delete removes a node and all its descendants in one
-- statement, so a child created concurrently makes that statement fail (and the delete is
-- retried) instead of being removed silently without being reported.
--
-- metadata is jsonb for search; metadata_text keeps the document exactly as given (jsonb
-- reorders object keys, and clients see keys in the order they were written).
CREATE TABLE nodes (
    id BIGSERIAL PRIMARY KEY,
    parent BIGINT REFERENCES nodes (id),
    key TEXT NOT NULL,
    family TEXT NOT NULL CHECK (family IN ('container', 'array', 'table')),
    specs JSONB NOT NULL CHECK (jsonb_typeof(specs) = 'array'),
    metadata JSONB NOT NULL CHECK (jsonb_typeof(metadata) = 'object'),
    metadata_text TEXT NOT NULL,
    structure TEXT,
    data_source TEXT,
    created TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT nodes_parent_key UNIQUE (parent, key)
);

-- The full-text words of each node's metadata (every lower-cased, whitespace-separated word
-- of every string value), computed by tessera at insert with the same function as the
-- in-memory search, so `fulltext` is an exact indexed lookup.
CREATE TABLE words (
    word TEXT NOT NULL,
    node BIGINT NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    PRIMARY KEY (word, node)
);
CREATE INDEX words_node ON words (node);
