//! Tiled's search over a container's children, in SQL.
//!
//! [`Catalog::search`](crate::Catalog::search) gives exactly the results of
//! [`query::search`](crate::query::search) over the children in insertion order (id order). Each filter becomes a
//! WHERE condition with bound parameters only (metadata paths included: SQLite gets a JSON
//! path of quoted, escaped labels, PostgreSQL one `->` step per label); sorting is an ORDER BY
//! with the same order (type rank, then value; missing values last in both directions; ties
//! and `_` by id) and pagination is LIMIT/OFFSET with a window count.
//!
//! | filter | SQLite | PostgreSQL |
//! |---|---|---|
//! | eq, noteq, in, notin, contains with scalar values | SQL | SQL |
//! | the same with list or object values, or integers of magnitude ≥ 2^53 | narrowed by type, finished in Rust | same |
//! | comparison, keypresent, specs, structure_family, keys_filter, lookup, access_tags | SQL | SQL |
//! | fulltext | SQL (`words` table filled at insert by [`query::fulltext_words`](crate::query::fulltext_words)) | SQL (same) |
//! | regex | SQL (`REGEXP` = the `regex` crate, same pattern) | narrowed to string values, finished in Rust |
//! | like | SQL (`REGEXP`, as regex) | SQL (`LIKE … ESCAPE '\'`) |
//!
//! Numbers compare as `f64` (as `query` does: `1 == 1.0`); strings byte-wise (`COLLATE "C"`
//! on PostgreSQL); arrays and objects sort by their compact JSON text (PostgreSQL reads it
//! from the order-preserving `metadata_text`, not from jsonb). When any filter is only
//! narrowed, every narrowed candidate is fetched in order and the remaining conditions,
//! the count and the page are done in Rust, so totals and pages stay exact. A query with a
//! NUL character anywhere (which no stored text has, and PostgreSQL refuses as a parameter)
//! is evaluated entirely in Rust over the container's children.

use serde_json::Value;

use crate::query::{self, Filter, Op, SortKey};
use crate::{NodeRecord, Pool, Result, record};

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

    /// `$1` node id, `$2` specs (JSON list), `$3` metadata (JSON object).
    pub(crate) fn update_metadata(self) -> &'static str {
        match self {
            Dialect::Sqlite => "UPDATE nodes SET specs = $2, metadata = $3 WHERE id = $1",
            Dialect::Postgres => {
                "UPDATE nodes SET specs = $2::jsonb, metadata = $3::jsonb, metadata_text = $3 WHERE id = $1"
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

/// A bound parameter.
#[derive(Debug, Clone)]
enum Arg {
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    /// SQLite: bound as a JSON list (read with `json_each`); PostgreSQL: `text[]`.
    Texts(Vec<String>),
}

impl Arg {
    fn has_nul(&self) -> bool {
        match self {
            Arg::Text(s) => s.contains('\0'),
            Arg::Texts(v) => v.iter().any(|s| s.contains('\0')),
            Arg::Int(_) | Arg::Float(_) | Arg::Bool(_) => false,
        }
    }
}

/// A WHERE condition: exactly the filter, or a superset of it that Rust finishes.
enum Cond {
    Exact(String),
    Narrow(String),
}

impl Cond {
    fn sql(&self) -> &str {
        match self {
            Cond::Exact(s) | Cond::Narrow(s) => s,
        }
    }
}

/// One JSON value in SQL: its type, and its number, string and boolean (each NULL unless the
/// value has that type).
struct Val {
    ty: String,
    num: String,
    text: String,
    boolean: String,
    /// Rank of the type in sort order (numbers, strings, booleans, arrays, objects, null).
    rank: String,
    /// For arrays and objects: their compact JSON text, as serde_json writes it.
    json: String,
}

/// Builds SQL text and its parameters; request data only ever goes into parameters.
struct Builder {
    d: Dialect,
    args: Vec<Arg>,
    /// A metadata path with a NUL character (no SQL path can name it exactly).
    nul: bool,
}

const TWO_53: f64 = 9_007_199_254_740_992.0;

impl Builder {
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    /// A value from the SQLite type name and raw SQL value (json_type / json_extract, or
    /// json_each's `type` / `value`).
    fn sqlite_val(ty: String, raw: String) -> Val {
        Val {
            num: format!("(CASE WHEN {ty} IN ('integer', 'real') THEN CAST({raw} AS REAL) END)"),
            text: format!("(CASE WHEN {ty} = 'text' THEN {raw} END)"),
            boolean: format!("(CASE WHEN {ty} IN ('true', 'false') THEN {ty} = 'true' END)"),
            rank: format!(
                "(CASE {ty} WHEN 'integer' THEN 0 WHEN 'real' THEN 0 WHEN 'text' THEN 1 WHEN 'true' THEN 2 \
                 WHEN 'false' THEN 2 WHEN 'array' THEN 3 WHEN 'object' THEN 4 ELSE 5 END)"
            ),
            json: format!("(CASE WHEN {ty} IN ('array', 'object') THEN {raw} END)"),
            ty,
        }
    }

    /// A value from a PostgreSQL jsonb expression; `json` is the same value in the `json`
    /// (text-preserving) document, for the array/object sort order.
    fn pg_val(x: String, json: String) -> Val {
        let ty = format!("jsonb_typeof({x})");
        Val {
            num: format!("(CASE WHEN {ty} = 'number' THEN ({x})::float8 END)"),
            text: format!("(CASE WHEN {ty} = 'string' THEN ({x} #>> '{{}}') END)"),
            boolean: format!("(CASE WHEN {ty} = 'boolean' THEN ({x})::boolean END)"),
            rank: format!(
                "(CASE {ty} WHEN 'number' THEN 0 WHEN 'string' THEN 1 WHEN 'boolean' THEN 2 \
                 WHEN 'array' THEN 3 WHEN 'object' THEN 4 ELSE 5 END)"
            ),
            json: format!("(CASE WHEN {ty} IN ('array', 'object') THEN ({json})::text END)"),
            ty,
        }
    }

    /// The metadata value at a dotted path (missing unless every step is an object key),
    /// as [`query::lookup_path`](crate::query::lookup_path).
    fn path(&mut self, key: &str) -> Val {
        self.nul |= key.contains('\0');
        match self.d {
            Dialect::Sqlite => {
                // A JSON path of quoted labels. SQLite ends a quoted label at the next `"`
                // and decodes JSON escapes in it when it holds a backslash, so `"` is written
                // `\u0022` and `\` is `\\`.
                let mut p = String::from("$");
                for seg in key.split('.') {
                    p.push_str(".\"");
                    for c in seg.chars() {
                        match c {
                            '"' => p.push_str("\\u0022"),
                            '\\' => p.push_str("\\\\"),
                            c if (c as u32) < 0x20 => p.push_str(&format!("\\u{:04x}", c as u32)),
                            c => p.push(c),
                        }
                    }
                    p.push('"');
                }
                let p = self.arg(Arg::Text(p));
                Builder::sqlite_val(
                    format!("json_type(n.metadata, {p})"),
                    format!("json_extract(n.metadata, {p})"),
                )
            }
            Dialect::Postgres => {
                // `->` with a text key is NULL on anything but an object, as lookup_path.
                let mut x = String::from("n.metadata");
                let mut j = String::from("(n.metadata_text::json)");
                for seg in key.split('.') {
                    let p = self.arg(Arg::Text(seg.to_owned()));
                    x.push_str(&format!(" -> {p}::text"));
                    j.push_str(&format!(" -> {p}::text"));
                }
                Builder::pg_val(format!("({x})"), format!("({j})"))
            }
        }
    }

    fn is_present(v: &Val) -> String {
        format!("({} IS NOT NULL)", v.ty)
    }

    /// `v` json_eq `want`; `None` when only a superset can be expressed (the second item).
    fn eq(&mut self, v: &Val, want: &Value) -> (String, bool) {
        match want {
            Value::Number(x) => {
                let f = x.as_f64().unwrap_or(f64::NAN);
                // Integers of 2^53 and beyond: Rust compares them as integers when both
                // sides are, which floats cannot tell apart; equal floats is a superset.
                let exact = x.is_f64() || f.abs() < TWO_53;
                (format!("({} = {})", v.num, self.arg(Arg::Float(f))), exact)
            }
            Value::String(s) => (format!("({} = {})", v.text, self.arg(Arg::Text(s.clone()))), true),
            Value::Bool(b) => (format!("({} = {})", v.boolean, self.arg(Arg::Bool(*b))), true),
            Value::Null => (format!("({} = 'null')", v.ty), true),
            Value::Array(_) => (format!("({} = 'array')", v.ty), false),
            Value::Object(_) => (format!("({} = 'object')", v.ty), false),
        }
    }

    /// Exact conditions OR'ed, plus the narrowed ones when `narrow_too` (superset) — for In,
    /// Contains (elements) and NotIn (without them).
    fn any_eq(&mut self, v: &Val, wants: &[Value], narrow_too: bool) -> (String, bool) {
        let mut parts = Vec::new();
        let mut exact = true;
        for w in wants {
            let mark = self.args.len();
            let (sql, e) = self.eq(v, w);
            exact &= e;
            if e || narrow_too {
                parts.push(format!("COALESCE({sql}, FALSE)"));
            } else {
                // Unused: PostgreSQL refuses parameters the statement does not reference.
                self.args.truncate(mark);
            }
        }
        if parts.is_empty() {
            return ("FALSE".into(), exact);
        }
        (format!("({})", parts.join(" OR ")), exact)
    }

    fn cond(&mut self, f: &Filter) -> Cond {
        let d = self.d;
        let c = |sql: String, exact: bool| if exact { Cond::Exact(sql) } else { Cond::Narrow(sql) };
        match f {
            Filter::Eq(k, want) => {
                let v = self.path(k);
                let (sql, exact) = self.eq(&v, want);
                c(sql, exact)
            }
            Filter::NotEq(k, want) => {
                let v = self.path(k);
                let mark = self.args.len();
                let (sql, exact) = self.eq(&v, want);
                let present = Builder::is_present(&v);
                if exact {
                    Cond::Exact(format!("({present} AND NOT COALESCE({sql}, FALSE))"))
                } else {
                    self.args.truncate(mark);
                    Cond::Narrow(present)
                }
            }
            Filter::Comparison(_, _, Value::Null | Value::Array(_) | Value::Object(_)) => {
                Cond::Exact("FALSE".into())
            }
            Filter::Comparison(op, k, want) => {
                let v = self.path(k);
                let op = match op {
                    Op::Gt => ">",
                    Op::Lt => "<",
                    Op::Ge => ">=",
                    Op::Le => "<=",
                };
                let sql = match want {
                    Value::Number(x) => {
                        format!("({} {op} {})", v.num, self.arg(Arg::Float(x.as_f64().unwrap_or(f64::NAN))))
                    }
                    Value::String(s) => {
                        let p = self.arg(Arg::Text(s.clone()));
                        match d {
                            Dialect::Sqlite => format!("({} {op} {p})", v.text),
                            Dialect::Postgres => format!("({} COLLATE \"C\" {op} {p})", v.text),
                        }
                    }
                    Value::Bool(b) => format!("({} {op} {})", v.boolean, self.arg(Arg::Bool(*b))),
                    _ => "FALSE".into(),
                };
                Cond::Exact(sql)
            }
            Filter::Contains(k, want) => {
                let v = self.path(k);
                let (elements, e) = match d {
                    Dialect::Sqlite => {
                        let src = format!("{} AS e", v.ty.replace("json_type(", "json_each("));
                        (src, Builder::sqlite_val("e.type".into(), "e.value".into()))
                    }
                    Dialect::Postgres => {
                        let x = v.ty.trim_start_matches("jsonb_typeof").to_owned();
                        (
                            format!("jsonb_array_elements{x} AS e(v)"),
                            Builder::pg_val("e.v".into(), "NULL".into()),
                        )
                    }
                };
                let (sql, exact) = self.any_eq(&e, std::slice::from_ref(want), true);
                c(
                    format!(
                        "(CASE WHEN {} = 'array' THEN EXISTS (SELECT 1 FROM {elements} WHERE {sql}) ELSE FALSE END)",
                        v.ty
                    ),
                    exact,
                )
            }
            Filter::In(_, wants) if wants.is_empty() => Cond::Exact("FALSE".into()),
            Filter::In(k, wants) => {
                let v = self.path(k);
                let (sql, exact) = self.any_eq(&v, wants, true);
                c(sql, exact)
            }
            Filter::NotIn(k, wants) => {
                if wants.is_empty() {
                    return Cond::Exact("TRUE".into());
                }
                let v = self.path(k);
                let (sql, exact) = self.any_eq(&v, wants, false);
                c(format!("({} AND NOT {sql})", Builder::is_present(&v)), exact)
            }
            Filter::FullText(words) => {
                if words.is_empty() {
                    return Cond::Exact("FALSE".into());
                }
                let ps: Vec<String> = words.iter().map(|w| self.arg(Arg::Text(w.clone()))).collect();
                Cond::Exact(format!(
                    "EXISTS (SELECT 1 FROM words w WHERE w.node = n.id AND w.word IN ({}))",
                    ps.join(", ")
                ))
            }
            Filter::Regex(k, re) | Filter::Like(k, re) => {
                let v = self.path(k);
                match d {
                    // sqlx's REGEXP compiles the pattern with the same regex crate (and
                    // default limits) as `Regex::new`; `as_str` is the whole pattern.
                    Dialect::Sqlite => {
                        let p = self.arg(Arg::Text(re.as_str().to_owned()));
                        Cond::Exact(format!(
                            "(CASE WHEN {} IS NOT NULL THEN {} REGEXP {p} ELSE FALSE END)",
                            v.text, v.text
                        ))
                    }
                    Dialect::Postgres => {
                        let like =
                            if matches!(f, Filter::Like(..)) { like_pattern(re.as_str()) } else { None };
                        match like {
                            Some(like) => {
                                let p = self.arg(Arg::Text(like));
                                Cond::Exact(format!("({} LIKE {p} ESCAPE '\\')", v.text))
                            }
                            // PostgreSQL's regular expressions are another dialect: only
                            // strings here, the match in Rust.
                            None => Cond::Narrow(format!("({} IS NOT NULL)", v.text)),
                        }
                    }
                }
            }
            Filter::KeyPresent(k, exists) => {
                let v = self.path(k);
                let present = Builder::is_present(&v);
                Cond::Exact(if *exists { present } else { format!("(NOT {present})") })
            }
            Filter::Specs(include, exclude) => {
                let mut parts = vec!["TRUE".to_owned()];
                for (names, neg) in [(include, ""), (exclude, "NOT ")] {
                    for s in names {
                        let p = self.arg(Arg::Text(s.clone()));
                        parts.push(match d {
                            Dialect::Sqlite => {
                                format!(
                                    "{neg}EXISTS (SELECT 1 FROM json_each(n.specs) s WHERE s.value = {p})"
                                )
                            }
                            Dialect::Postgres => format!("{neg}(n.specs @> jsonb_build_array({p}::text))"),
                        });
                    }
                }
                Cond::Exact(format!("({})", parts.join(" AND ")))
            }
            Filter::StructureFamily(fam) => {
                Cond::Exact(format!("(n.family = {})", self.arg(Arg::Text(fam.clone()))))
            }
            Filter::Keys(keys) => {
                if keys.is_empty() {
                    return Cond::Exact("FALSE".into());
                }
                let p = self.arg(Arg::Texts(keys.clone()));
                Cond::Exact(match d {
                    Dialect::Sqlite => format!("(n.key IN (SELECT value FROM json_each({p})))"),
                    Dialect::Postgres => format!("(n.key = ANY({p}))"),
                })
            }
            Filter::Lookup(k) => Cond::Exact(format!("(n.key = {})", self.arg(Arg::Text(k.clone())))),
            Filter::AccessTags => Cond::Exact("TRUE".into()),
        }
    }

    /// ORDER BY terms with [`query::search`](crate::query::search)'s order: per key, present values by type rank
    /// then value (both reversed by `-`), missing values last either way; `_` is the id
    /// (insertion order); ties by id.
    fn order_by(&mut self, sort: &[SortKey]) -> String {
        let mut terms = Vec::new();
        for s in sort {
            let dir = if s.descending { "DESC" } else { "ASC" };
            if s.key == "_" {
                terms.push(format!("n.id {dir}"));
                continue;
            }
            let v = self.path(&s.key);
            let text = match self.d {
                Dialect::Sqlite => v.text.clone(),
                Dialect::Postgres => format!("{} COLLATE \"C\"", v.text),
            };
            let json = match self.d {
                Dialect::Sqlite => v.json.clone(),
                Dialect::Postgres => format!("{} COLLATE \"C\"", v.json),
            };
            terms.push(format!("({} IS NULL) ASC", v.ty));
            for t in [&v.rank, &v.num, &text, &v.boolean, &json] {
                terms.push(format!("{t} {dir}"));
            }
        }
        terms.push("n.id ASC".into());
        terms.join(", ")
    }
}

/// The SQL LIKE pattern (escape `\\`) of a regex made by `query`'s LIKE translation
/// (`(?s)^…$` of `.*`, `.` and escaped literals); `None` for any other regex.
fn like_pattern(re: &str) -> Option<String> {
    let body = re.strip_prefix("(?s)^")?.strip_suffix('$')?;
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    let literal = |c: char, out: &mut String| {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    };
    while let Some(c) = chars.next() {
        match c {
            '.' if chars.peek() == Some(&'*') => {
                chars.next();
                out.push('%');
            }
            '.' => out.push('_'),
            '\\' => match chars.next() {
                Some(e) if !e.is_alphanumeric() => literal(e, &mut out),
                _ => return None,
            },
            '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' => return None,
            c => literal(c, &mut out),
        }
    }
    Some(out)
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

macro_rules! bind_args {
    ($q:expr, $args:expr, $texts:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Int(i) => q.bind(*i),
                Arg::Float(f) => q.bind(*f),
                Arg::Bool(b) => q.bind(*b),
                Arg::Text(s) => q.bind(s.as_str()),
                Arg::Texts(v) => q.bind($texts(v)),
            };
        }
        q
    }};
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Runs one statement with the builder's parameters, returning the rows.
async fn fetch(pool: &Pool, sql: &str, args: &[Arg]) -> Result<Vec<(NodeRecord, i64)>> {
    use sqlx::Row;
    match pool {
        Pool::Sqlite(p) => {
            let q = bind_args!(sqlx::query(sql), args, json_list);
            let rows = q.fetch_all(p).await?;
            rows.iter().map(|r| Ok((record(r)?, r.try_get::<i64, _>(8)?))).collect()
        }
        Pool::Postgres(p) => {
            let q = bind_args!(sqlx::query(sql), args, |v: &Vec<String>| v.clone());
            let rows = q.fetch_all(p).await?;
            rows.iter().map(|r| Ok((record(r)?, r.try_get::<i64, _>(8)?))).collect()
        }
    }
}

async fn count(pool: &Pool, sql: &str, args: &[Arg]) -> Result<i64> {
    Ok(match pool {
        Pool::Sqlite(p) => bind_args!(sqlx::query_scalar(sql), args, json_list).fetch_one(p).await?,
        Pool::Postgres(p) => {
            bind_args!(sqlx::query_scalar(sql), args, |v: &Vec<String>| v.clone()).fetch_one(p).await?
        }
    })
}

pub(crate) async fn run(
    pool: &Pool,
    parent: i64,
    filters: &[Filter],
    sort: &[SortKey],
    offset: u64,
    limit: u64,
) -> Result<(u64, Vec<NodeRecord>)> {
    let d = match pool {
        Pool::Sqlite(_) => Dialect::Sqlite,
        Pool::Postgres(_) => Dialect::Postgres,
    };
    let mut b = Builder { d, args: Vec::new(), nul: false };
    let p = b.arg(Arg::Int(parent));
    let mut wh = vec![format!("n.parent = {p}")];
    let mut finish: Vec<&Filter> = Vec::new();
    for f in filters {
        let c = b.cond(f);
        wh.push(format!("COALESCE({}, FALSE)", c.sql()));
        if let Cond::Narrow(_) = c {
            finish.push(f);
        }
    }
    let nwhere = b.args.len();
    let order = b.order_by(sort);
    let cols = d.columns();
    if b.nul || b.args.iter().any(Arg::has_nul) {
        // No stored text holds NUL (create refuses it), and neither database takes it in a
        // JSON path or text parameter: such a query is answered in Rust over all children.
        let sql = format!("SELECT {cols}, CAST(0 AS BIGINT) FROM nodes n WHERE n.parent = $1 ORDER BY n.id");
        let all = fetch(pool, &sql, &b.args[..1]).await?.into_iter().map(|(r, _)| r);
        return Ok(paginate(query::search(all, filters, sort), offset, limit));
    }
    let wh = wh.join(" AND ");
    if finish.is_empty() {
        let (l, o) = (b.arg(Arg::Int(clamp(limit))), b.arg(Arg::Int(clamp(offset))));
        let sql = format!(
            "SELECT {cols}, COUNT(*) OVER () FROM nodes n WHERE {wh} ORDER BY {order} LIMIT {l} OFFSET {o}"
        );
        let rows = fetch(pool, &sql, &b.args).await?;
        let total = match rows.first() {
            Some((_, n)) => *n,
            // Past the end (or an empty page): count separately.
            None => {
                let sql = format!("SELECT COUNT(*) FROM nodes n WHERE {wh}");
                count(pool, &sql, &b.args[..nwhere]).await?
            }
        };
        let total = u64::try_from(total).unwrap_or(0);
        return Ok((total, rows.into_iter().map(|(r, _)| r).collect()));
    }
    // Some conditions are only narrowed in SQL: fetch every candidate in order, finish them
    // here, then count and paginate.
    let sql = format!("SELECT {cols}, CAST(0 AS BIGINT) FROM nodes n WHERE {wh} ORDER BY {order}");
    let rows = fetch(pool, &sql, &b.args).await?;
    let found: Vec<NodeRecord> =
        rows.into_iter().map(|(r, _)| r).filter(|r| finish.iter().all(|f| f.matches(r))).collect();
    Ok(paginate(found, offset, limit))
}

fn paginate(found: Vec<NodeRecord>, offset: u64, limit: u64) -> (u64, Vec<NodeRecord>) {
    let total = found.len() as u64;
    let page = found
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    (total, page)
}

#[cfg(test)]
mod tests {
    use super::like_pattern;
    use crate::query::{Filter, parse_filters};

    fn like(p: &str) -> String {
        let pairs = [
            ("filter[like][condition][key]", "k".to_owned()),
            ("filter[like][condition][pattern]", serde_json::Value::from(p).to_string()),
        ];
        match parse_filters(&pairs).ok().and_then(|mut v| v.pop()) {
            Some(Filter::Like(_, re)) => re.as_str().to_owned(),
            _ => String::new(),
        }
    }

    #[test]
    fn like_patterns_round_trip() {
        for (p, want) in [
            ("g%n", "g%n"),
            ("r_d", "r_d"),
            ("", ""),
            ("%", "%"),
            ("a.b*c\\d", "a.b*c\\\\d"),
            ("_%", "_%"),
            ("(x)|[y]{z}+?^$#&-~", "(x)|[y]{z}+?^$#&-~"),
            ("é\n", "é\n"),
        ] {
            assert_eq!(like_pattern(&like(p)).as_deref(), Some(want), "{p:?}");
        }
        assert_eq!(like_pattern("^a$"), None);
        assert_eq!(like_pattern("(?s)^a+$"), None);
        assert_eq!(like_pattern("(?s)^\\d$"), None);
    }
}
