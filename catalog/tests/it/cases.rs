//! The catalog's behavior, backend-independent: each case takes a [`Backend`] for empty
//! databases.

use serde_json::{Map, Value, json};
use tessera_catalog::query::{self, Filter, SortKey};
use tessera_catalog::{Catalog, CatalogError, Family, NewNode, NodeRecord};

use crate::Backend;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn node(key: &str, family: Family, md: Value, specs: &[&str]) -> NewNode {
    let mut n = NewNode::new(key, family);
    n.metadata = obj(md);
    n.specs = specs.iter().map(|s| (*s).to_owned()).collect();
    n
}

fn path(p: &[&str]) -> Vec<String> {
    p.iter().map(|s| (*s).to_owned()).collect()
}

async fn fresh_catalog(b: &dyn Backend) -> (String, Catalog) {
    let url = b.fresh();
    Catalog::init(&url).await.unwrap();
    let c = Catalog::open(&url).await.unwrap();
    (url, c)
}

async fn root(c: &Catalog) -> i64 {
    c.lookup(&[]).await.unwrap().unwrap().id
}

fn keys(found: &[NodeRecord]) -> Vec<&str> {
    found.iter().map(|n| n.key.as_str()).collect()
}

pub async fn init_and_open(b: &dyn Backend) {
    let url = b.fresh();
    if b.name() == "sqlite" {
        // A missing file is not created by open.
        assert!(matches!(Catalog::open(&url).await, Err(CatalogError::NotInitialized)));
        assert!(!std::path::Path::new(&url).exists());
        // An empty file is not a catalog either.
        std::fs::write(&url, b"").unwrap();
    }
    assert!(matches!(Catalog::open(&url).await, Err(CatalogError::NotInitialized)));
    Catalog::init(&url).await.unwrap();
    let c = Catalog::open(&url).await.unwrap();
    let id = root(&c).await;
    let created = c.create(id, NewNode::new("x", Family::Container)).await.unwrap();
    // init on an existing catalog refuses and touches nothing.
    let e = Catalog::init(&url).await.unwrap_err();
    assert!(matches!(e, CatalogError::AlreadyInitialized), "{e}");
    assert!(!e.is_client_error());
    let r = c.lookup(&[]).await.unwrap().unwrap();
    assert_eq!((r.parent, r.key.as_str(), r.family), (None, "", Family::Container));
    assert_eq!(c.lookup(&path(&["x"])).await.unwrap(), Some(created));
    assert_eq!(c.backend(), b.name());
    // Open twice (two processes): both work.
    let c2 = Catalog::open(&url).await.unwrap();
    assert!(c2.lookup(&path(&["x"])).await.unwrap().is_some());
    assert!(!format!("{c:?}").is_empty());
    // Bad URLs.
    assert!(matches!(Catalog::open("mysql://h/db").await, Err(CatalogError::Url(_))));
    assert!(matches!(Catalog::init("").await, Err(CatalogError::Url(_))));
}

pub async fn create_and_lookup(b: &dyn Backend) {
    let (_, c) = fresh_catalog(b).await;
    let root = root(&c).await;
    let g = c
        .create(root, node("g", Family::Container, json!({"z": 1, "a": {"y": 2, "b": 3}}), &["s"]))
        .await
        .unwrap();
    assert_eq!(g.parent, Some(root));
    let mut x = node("x", Family::Array, json!({"color": "red", "é": [1, 2.5, "t"]}), &["s1", "s0"]);
    x.structure = Some(json!({"shape": [3], "chunks": [[3]], "data_type": {"kind": "i", "itemsize": 8}}));
    x.data_source = Some(json!({"mimetype": "application/x-zarr", "location": "0190"}));
    let x = c.create(g.id, x).await.unwrap();
    assert_eq!(c.lookup(&path(&["g", "x"])).await.unwrap().as_ref(), Some(&x));
    assert_eq!(c.get(x.id).await.unwrap().as_ref(), Some(&x));
    // Key order of metadata is kept (PostgreSQL's jsonb would reorder it).
    let g2 = c.lookup(&path(&["g"])).await.unwrap().unwrap();
    assert_eq!(g2, g);
    assert_eq!(g2.metadata.keys().collect::<Vec<_>>(), ["z", "a"]);
    assert_eq!(g2.metadata["a"].as_object().unwrap().keys().collect::<Vec<_>>(), ["y", "b"]);
    assert!(c.lookup(&path(&["g", "nope"])).await.unwrap().is_none());
    assert!(c.lookup(&path(&["g\0"])).await.unwrap().is_none());
    assert!(c.lookup(&path(&["g", "x", "deeper"])).await.unwrap().is_none());

    let e = c.create(g.id, NewNode::new("x", Family::Table)).await.unwrap_err();
    assert!(matches!(e, CatalogError::Conflict(ref k) if k == "x"), "{e}");
    assert!(e.is_client_error());
    let e = c.create(x.id, NewNode::new("y", Family::Table)).await.unwrap_err();
    assert!(matches!(e, CatalogError::NotAContainer(id) if id == x.id), "{e}");
    assert!(e.is_client_error());
    let e = c.create(123_456, NewNode::new("y", Family::Table)).await.unwrap_err();
    assert!(matches!(e, CatalogError::NotFound(123_456)), "{e}");
    for bad in ["", "a/b", "nul\0"] {
        let e = c.create(g.id, NewNode::new(bad, Family::Table)).await.unwrap_err();
        assert!(matches!(e, CatalogError::Invalid(_)), "{e}");
        assert!(e.is_client_error());
    }
    let e = c.create(g.id, node("m", Family::Table, json!({"a": ["x\0"]}), &[])).await.unwrap_err();
    assert!(matches!(e, CatalogError::Invalid(_)), "{e}");
    // Same key under another parent is fine.
    c.create(root, NewNode::new("x", Family::Table)).await.unwrap();

    let s = json!({"columns": ["a", "__index_level_0__"], "npartitions": 1});
    c.update_structure(x.id, s.clone()).await.unwrap();
    assert_eq!(c.get(x.id).await.unwrap().unwrap().structure, Some(s.clone()));
    assert!(matches!(c.update_structure(999_999, s).await, Err(CatalogError::NotFound(_))));
}

pub async fn delete(b: &dyn Backend) {
    let (_, c) = fresh_catalog(b).await;
    let root = root(&c).await;
    let g = c.create(root, NewNode::new("g", Family::Container)).await.unwrap();
    let h = c.create(g.id, NewNode::new("h", Family::Container)).await.unwrap();
    let a = c.create(h.id, node("a", Family::Array, json!({"w": "word"}), &[])).await.unwrap();
    let t = c.create(g.id, NewNode::new("t", Family::Table)).await.unwrap();
    let other = c.create(root, NewNode::new("other", Family::Array)).await.unwrap();

    let e = c.delete(g.id, false).await.unwrap_err();
    assert!(matches!(e, CatalogError::NotEmpty(id) if id == g.id), "{e}");
    assert!(e.is_client_error());
    let e = c.delete(root, true).await.unwrap_err();
    assert!(matches!(e, CatalogError::DeleteRoot), "{e}");
    assert!(e.is_client_error());
    assert!(matches!(c.delete(999_999, true).await, Err(CatalogError::NotFound(999_999))));

    let gone = c.delete(g.id, true).await.unwrap();
    assert_eq!(gone, [g.clone(), h, a, t]);
    assert!(c.lookup(&path(&["g"])).await.unwrap().is_none());
    assert!(c.lookup(&path(&["g", "h", "a"])).await.unwrap().is_none());
    // Its words went with it: a full-text search finds nothing.
    let (n, _) = c.search(root, &[Filter::FullText(vec!["word".into()])], &[], 0, 10).await.unwrap();
    assert_eq!(n, 0);
    // The key can be used again; a leaf deletes without `recursive`.
    c.create(root, NewNode::new("g", Family::Container)).await.unwrap();
    assert_eq!(c.delete(other.id, false).await.unwrap(), [other]);
    let (n, page) = c.search(root, &[], &[], 0, 10).await.unwrap();
    assert_eq!((n, keys(&page)), (1, vec!["g"]));
}

pub async fn pagination(b: &dyn Backend) {
    let (_, c) = fresh_catalog(b).await;
    let root = root(&c).await;
    for i in 0..25 {
        c.create(root, node(&format!("k{i:02}"), Family::Array, json!({"i": i % 7, "odd": i % 2 == 1}), &[]))
            .await
            .unwrap();
    }
    let all: Vec<String> = (0..25).map(|i| format!("k{i:02}")).collect();
    for sort in [vec![], vec![SortKey { key: "i".into(), descending: true }]] {
        let mut seen = Vec::new();
        for offset in (0..30).step_by(4) {
            let (n, page) = c.search(root, &[], &sort, offset, 4).await.unwrap();
            assert_eq!(n, 25);
            assert_eq!(page.len(), 4.min(25usize.saturating_sub(offset as usize)));
            seen.extend(page.into_iter().map(|p| p.key));
        }
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(sorted, all, "every child exactly once across pages");
        if sort.is_empty() {
            assert_eq!(seen, all);
        }
    }
    let (n, page) = c.search(root, &[], &[], 100, 10).await.unwrap();
    assert_eq!((n, page.len()), (25, 0));
    let (n, page) = c.search(root, &[], &[], 0, 0).await.unwrap();
    assert_eq!((n, page.len()), (25, 0));
    let (n, page) = c.search(root, &[], &[], 3, u64::MAX).await.unwrap();
    assert_eq!((n, page.len()), (25, 22));
    let odd = [Filter::Eq("odd".into(), json!(true))];
    let (n, page) = c.search(root, &odd, &[], 10, 100).await.unwrap();
    assert_eq!(n, 12);
    assert_eq!(keys(&page), ["k21", "k23"]);
    // A condition finished in Rust (PostgreSQL regex) paginates the same.
    let re = [Filter::Regex("missing".into(), regex::Regex::new("x").unwrap()), Filter::AccessTags];
    assert_eq!(c.search(root, &re, &[], 0, 10).await.unwrap().0, 0);
}

pub async fn persistence(b: &dyn Backend) {
    let (url, c) = fresh_catalog(b).await;
    let root = root(&c).await;
    let mut x = node("x", Family::Array, json!({"color": "green", "barcode": 12}), &["xdi"]);
    x.data_source = Some(json!({"mimetype": "application/x-zarr", "location": "abc"}));
    let x = c.create(root, x).await.unwrap();
    c.close().await;
    drop(c);
    let c = Catalog::open(&url).await.unwrap();
    assert_eq!(c.lookup(&path(&["x"])).await.unwrap(), Some(x.clone()));
    let (n, page) = c.search(root, &[Filter::Eq("color".into(), json!("green"))], &[], 0, 10).await.unwrap();
    assert_eq!((n, page), (1, vec![x]));
}

pub async fn concurrent_creates(b: &dyn Backend) {
    let (url, c) = fresh_catalog(b).await;
    let root = root(&c).await;
    // Tasks on one pool, and tasks on separate pools (as separate processes would be).
    let mut tasks = Vec::new();
    for i in 0..24 {
        let c = if i % 3 == 0 { Catalog::open(&url).await.unwrap() } else { c.clone() };
        tasks.push(tokio::spawn(async move {
            let mut n = NewNode::new("same", Family::Array);
            n.metadata.insert("writer".into(), json!(i));
            c.create(root, n).await
        }));
    }
    let mut won = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(r) => won.push(r),
            Err(CatalogError::Conflict(k)) => assert_eq!(k, "same"),
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(won.len(), 1);
    assert_eq!(c.lookup(&path(&["same"])).await.unwrap(), Some(won.remove(0)));
    let (n, _) = c.search(root, &[], &[], 0, 100).await.unwrap();
    assert_eq!(n, 1);
}

fn demo_children() -> Vec<NewNode> {
    vec![
        node(
            "a",
            Family::Container,
            json!({"color": "green", "n": 1, "tags": ["x", "y"], "sample": {"name": "Fe"}}),
            &["s1"],
        ),
        node("b", Family::Container, json!({"color": "red", "n": 2.5, "text": "Hello World"}), &[]),
        node("c", Family::Container, json!({"color": "green", "n": 3}), &["s1", "s2"]),
        node("d", Family::Container, json!({}), &[]),
    ]
}

async fn demo(b: &dyn Backend) -> (Catalog, i64, Vec<NodeRecord>) {
    let (_, c) = fresh_catalog(b).await;
    let root = root(&c).await;
    let mut recs = Vec::new();
    for n in demo_children() {
        recs.push(c.create(root, n).await.unwrap());
    }
    (c, root, recs)
}

/// The cases of the server's in-memory search tests (server/src/search.rs), replayed on the
/// catalog and checked against `query::search` too.
pub async fn server_search_cases(b: &dyn Backend) {
    let (c, root, recs) = demo(b).await;
    let run = |pairs: Vec<(String, String)>| {
        let c = c.clone();
        let recs = recs.clone();
        async move {
            let filters = query::parse_filters(&pairs).unwrap();
            let sort = query::parse_sort(pairs.iter().filter(|(k, _)| k == "sort").map(|(_, v)| v.as_str()))
                .unwrap();
            let want: Vec<String> = query::search(recs, &filters, &sort).into_iter().map(|r| r.key).collect();
            let (n, got) = c.search(root, &filters, &sort, 0, 100).await.unwrap();
            let got: Vec<String> = got.into_iter().map(|r| r.key).collect();
            assert_eq!(got, want, "{pairs:?}");
            assert_eq!(n as usize, got.len());
            got
        }
    };
    let f = |name: &str, fields: &[(&str, &str)]| -> Vec<(String, String)> {
        fields.iter().map(|(k, v)| (format!("filter[{name}][condition][{k}]"), (*v).to_owned())).collect()
    };
    type Case<'a> = (Vec<(String, String)>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        (f("eq", &[("key", "color"), ("value", "\"green\"")]), vec!["a", "c"]),
        (f("eq", &[("key", "n"), ("value", "1.0")]), vec!["a"]),
        (f("eq", &[("key", "sample.name"), ("value", "\"Fe\"")]), vec!["a"]),
        (f("noteq", &[("key", "color"), ("value", "\"green\"")]), vec!["b"]),
        (f("comparison", &[("operator", "gt"), ("key", "n"), ("value", "1")]), vec!["b", "c"]),
        (f("comparison", &[("operator", "le"), ("key", "n"), ("value", "2.5")]), vec!["a", "b"]),
        (f("contains", &[("key", "tags"), ("value", "\"y\"")]), vec!["a"]),
        (f("in", &[("key", "color"), ("value", "[\"red\", \"blue\"]")]), vec!["b"]),
        (f("notin", &[("key", "color"), ("value", "[\"red\"]")]), vec!["a", "c"]),
        (f("notin", &[("key", "color"), ("value", "[]")]), vec!["a", "b", "c", "d"]),
        (f("fulltext", &[("text", "world nothing")]), vec!["b"]),
        (f("regex", &[("key", "color"), ("pattern", "^GR"), ("case_sensitive", "false")]), vec!["a", "c"]),
        (f("regex", &[("key", "color"), ("pattern", "^GR"), ("case_sensitive", "true")]), vec![]),
        (f("keypresent", &[("key", "text"), ("exists", "true")]), vec!["b"]),
        (f("keypresent", &[("key", "color"), ("exists", "false")]), vec!["d"]),
        (f("like", &[("key", "color"), ("pattern", "\"g%n\"")]), vec!["a", "c"]),
        (f("like", &[("key", "color"), ("pattern", "\"r_d\"")]), vec!["b"]),
        (f("specs", &[("include", "[\"s1\"]"), ("exclude", "[\"s2\"]")]), vec!["a"]),
        (f("structure_family", &[("value", "container")]), vec!["a", "b", "c", "d"]),
        (f("structure_family", &[("value", "array")]), vec![]),
        (f("keys_filter", &[("keys", "[\"a\", \"d\"]")]), vec!["a", "d"]),
        (f("lookup", &[("key", "c")]), vec!["c"]),
        (f("access_tags_filter", &[("tags", "[]")]), vec!["a", "b", "c", "d"]),
        (
            [f("eq", &[("key", "color"), ("key", "n"), ("value", "\"green\""), ("value", "3")])].concat(),
            vec!["c"],
        ),
    ];
    for (pairs, want) in cases {
        assert_eq!(run(pairs.clone()).await, want, "{pairs:?}");
    }
    let sort = |s: &str| vec![("sort".to_owned(), s.to_owned())];
    for (s, want) in [
        ("-_", vec!["d", "c", "b", "a"]),
        ("-", vec!["d", "c", "b", "a"]),
        ("n", vec!["a", "b", "c", "d"]),
        ("-n", vec!["c", "b", "a", "d"]),
        ("color,-n", vec!["c", "a", "b", "d"]),
        ("", vec!["a", "b", "c", "d"]),
    ] {
        assert_eq!(run(sort(s)).await, want, "sort={s}");
    }
}

/// Sorting across value types, missing values last both ways, keys that need quoting.
pub async fn sort_orders(b: &dyn Backend) {
    let (_, c) = fresh_catalog(b).await;
    let root = root(&c).await;
    let values = [
        json!(2),
        json!(1.5),
        json!("b"),
        json!("B"),
        json!("é"),
        json!(true),
        json!(false),
        json!([2, "x"]),
        json!([10]),
        json!({"k": 1, "a": [1.0]}),
        json!({"b": 0}),
        Value::Null,
        json!(-7),
        json!(1),
        json!(1.0),
    ];
    let mut recs = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let md = json!({"v": v, "q\"k": v, "x.y": v, "n": {"v": v}, "": v});
        recs.push(c.create(root, node(&format!("k{i:02}"), Family::Array, md, &[])).await.unwrap());
    }
    recs.push(c.create(root, node("missing", Family::Array, json!({}), &[])).await.unwrap());
    recs.push(c.create(root, node("nested-missing", Family::Array, json!({"n": 1}), &[])).await.unwrap());
    for key in ["v", "q\"k", "n.v", "x.y", "", "n", "v\0"] {
        for descending in [false, true] {
            let sort =
                [SortKey { key: key.into(), descending }, SortKey { key: "_".into(), descending: true }];
            let want: Vec<String> =
                query::search(recs.clone(), &[], &sort).into_iter().map(|r| r.key).collect();
            let (_, got) = c.search(root, &[], &sort, 0, 100).await.unwrap();
            assert_eq!(keys(&got), want, "sort {key:?} descending={descending}");
            // And page by page.
            let mut paged = Vec::new();
            for off in (0..want.len() as u64).step_by(5) {
                paged.extend(c.search(root, &[], &sort, off, 5).await.unwrap().1.into_iter().map(|r| r.key));
            }
            assert_eq!(paged, want, "paged sort {key:?} descending={descending}");
        }
    }
    for f in [
        Filter::Eq("q\"k".into(), json!("b")),
        Filter::KeyPresent("x.y".into(), false),
        Filter::Eq("n.v".into(), json!(1)),
        Filter::Comparison(query::Op::Ge, "v".into(), json!(1)),
        Filter::Comparison(query::Op::Lt, "v".into(), json!("b")),
        Filter::Contains("v".into(), json!(2)),
        Filter::Eq("v".into(), json!([2, "x"])),
        Filter::In("v".into(), vec![json!({"b": 0}), json!(true), json!(null)]),
        Filter::NotIn("v".into(), vec![json!([10]), json!(1)]),
        // NUL characters (never stored) in request data: answered without error.
        Filter::NotEq("v".into(), json!("b\0")),
        Filter::KeyPresent("v\0".into(), false),
        Filter::Lookup("k01\0".into()),
        Filter::Keys(vec!["k01".into(), "\0".into()]),
        Filter::FullText(vec!["a\0".into()]),
    ] {
        let want: Vec<String> =
            query::search(recs.clone(), std::slice::from_ref(&f), &[]).into_iter().map(|r| r.key).collect();
        let (n, got) = c.search(root, std::slice::from_ref(&f), &[], 0, 100).await.unwrap();
        assert_eq!(keys(&got), want, "{f:?}");
        assert_eq!(n as usize, want.len());
    }
}

/// A recursive delete racing with creates under the deleted subtree: every create that
/// succeeded is in the delete's returned list (nothing disappears unreported), the others
/// failed with NotFound.
pub async fn delete_races_creates(b: &dyn Backend) {
    let (url, c) = fresh_catalog(b).await;
    let root = root(&c).await;
    let g = c.create(root, NewNode::new("g", Family::Container)).await.unwrap();
    let mut parents = vec![g.id];
    for i in 0..4 {
        parents.push(c.create(g.id, NewNode::new(format!("h{i}"), Family::Container)).await.unwrap().id);
    }
    let other = Catalog::open(&url).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (c, parent) = (if i % 2 == 0 { other.clone() } else { c.clone() }, parents[i % parents.len()]);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis((i as u64 % 8) * 2)).await;
            c.create(parent, NewNode::new(format!("n{i}"), Family::Container)).await
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let deleted = c.delete(g.id, true).await.unwrap();
    let deleted: std::collections::HashSet<i64> = deleted.iter().map(|r| r.id).collect();
    for t in tasks {
        match t.await.unwrap() {
            Ok(r) => assert!(deleted.contains(&r.id), "created {r:?} but the delete did not report it"),
            Err(CatalogError::NotFound(_)) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert!(c.lookup(&path(&["g"])).await.unwrap().is_none());
    let (n, _) = c.search(root, &[], &[], 0, 10).await.unwrap();
    assert_eq!(n, 0);
}

/// A catalog migrated by a newer tessera is refused, not modified.
pub async fn newer_schema(b: &dyn Backend) {
    let (url, c) = fresh_catalog(b).await;
    c.close().await;
    let bump = "INSERT INTO tessera_schema (version) VALUES (999)";
    if b.name() == "sqlite" {
        let p = sqlx::SqlitePool::connect(&format!("sqlite://{url}")).await.unwrap();
        sqlx::query(bump).execute(&p).await.unwrap();
        p.close().await;
    } else {
        let p = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query(bump).execute(&p).await.unwrap();
        p.close().await;
    }
    let e = Catalog::open(&url).await.unwrap_err();
    assert!(matches!(e, CatalogError::NewerSchema { found: 999, supported: 1 }), "{e}");
    assert!(!e.is_client_error());
    assert!(matches!(Catalog::init(&url).await, Err(CatalogError::AlreadyInitialized)));
}

pub async fn update_metadata(b: &dyn Backend) {
    let (url, c) = fresh_catalog(b).await;
    let root = root(&c).await;
    let x = c
        .create(root, node("x", Family::Array, json!({"n": 0, "note": "Old words"}), &["s1"]))
        .await
        .unwrap();
    // Concurrent read-modify-write updates, on one pool and on separate pools (separate
    // processes): every increment lands.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let c = if i % 4 == 0 { Catalog::open(&url).await.unwrap() } else { c.clone() };
        tasks.push(tokio::spawn(async move {
            c.update_metadata(x.id, |rec| {
                let mut m = rec.metadata.clone();
                let n = m["n"].as_i64().unwrap();
                m.insert("n".into(), json!(n + 1));
                Ok((m, rec.specs.clone()))
            })
            .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let got = c.lookup(&path(&["x"])).await.unwrap().unwrap();
    assert_eq!(got.metadata["n"], json!(16));
    // Specs and the full-text words follow the new metadata; search sees it at once.
    let after = c
        .update_metadata(x.id, |rec| {
            let mut m = rec.metadata.clone();
            m.insert("note".into(), json!("New text"));
            m.insert("color".into(), json!("blue"));
            Ok((m, vec!["s2".into()]))
        })
        .await
        .unwrap();
    assert_eq!(after.specs, vec!["s2".to_owned()]);
    assert_eq!(c.lookup(&path(&["x"])).await.unwrap().unwrap(), after);
    let find = |f: Filter| {
        let c = c.clone();
        async move { c.search(root, &[f], &[], 0, 10).await.unwrap().0 }
    };
    assert_eq!(find(Filter::FullText(vec!["new".into()])).await, 1);
    assert_eq!(find(Filter::FullText(vec!["old".into()])).await, 0);
    assert_eq!(find(Filter::Eq("color".into(), json!("blue"))).await, 1);
    assert_eq!(find(Filter::Specs(vec!["s2".into()], vec![])).await, 1);
    // A refused change writes nothing; a missing node and NUL characters are errors.
    let refused = c.update_metadata(x.id, |_| Err(CatalogError::Invalid("no".into()))).await;
    assert!(matches!(refused, Err(CatalogError::Invalid(_))));
    let nul = c.update_metadata(x.id, |_| Ok((obj(json!({"k": "a\u{0}b"})), vec![]))).await;
    assert!(matches!(nul, Err(CatalogError::Invalid(_))));
    assert_eq!(c.lookup(&path(&["x"])).await.unwrap().unwrap(), after);
    let missing = c.update_metadata(9999, |r| Ok((r.metadata.clone(), vec![]))).await;
    assert!(matches!(missing, Err(CatalogError::NotFound(9999))));
}
