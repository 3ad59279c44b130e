//! Compression, request ids, streaming and robustness of the HTTP layer.

use axum::body::Body;
use axum::http::Request;
use futures::StreamExt;
use proptest::prelude::*;

use crate::{get, send, state};
use tower::ServiceExt;

#[tokio::test]
async fn compression_only_when_accepted_and_only_for_text() {
    let uri = "/api/v1/search/?page%5Blimit%5D=20";
    let plain = send(Request::get(uri).body(Body::empty()).unwrap()).await;
    assert_eq!(plain.header("content-encoding"), "");
    for (accept, expect) in [("gzip", "gzip"), ("zstd", "zstd"), ("gzip, deflate, zstd, blosc2", "zstd")] {
        let r = send(Request::get(uri).header("accept-encoding", accept).body(Body::empty()).unwrap()).await;
        assert_eq!(r.header("content-encoding"), expect, "{accept}");
        assert_eq!(r.header("content-type"), "application/json");
        assert!(
            r.body.len() * 4 < plain.body.len(),
            "{accept}: {} of {} bytes",
            r.body.len(),
            plain.body.len()
        );
    }
    // Binary formats travel as they are.
    let r = send(
        Request::get("/api/v1/array/full/low_entropy")
            .header("accept-encoding", "zstd")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!((r.header("content-encoding"), r.body.len()), ("", 40_000));
    assert!(!r.header("x-request-id").is_empty());
}

#[tokio::test]
async fn a_large_export_streams_and_can_be_abandoned() {
    // big_image is 800 MB as raw bytes: read the first few chunks, then hang up.
    let app = tessera_server::app(state());
    let r =
        app.oneshot(Request::get("/api/v1/array/full/big_image").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("content-length").is_none(), "streamed, not buffered");
    let mut stream = r.into_body().into_data_stream();
    let mut got = 0;
    while got < 1 << 20 {
        got += stream.next().await.unwrap().unwrap().len();
    }
    drop(stream);
}

fn slice_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[-0-9:,.a ]{0,12}").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]
    /// Whatever a client puts in slice/block/expected_shape/format, the answer is never 5xx.
    #[test]
    fn client_mistakes_are_never_5xx(slice in slice_text(), block in slice_text(), shape in slice_text(),
                                     format in "[a-z/;=*.]{0,10}") {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        for uri in [
            format!("/api/v1/array/full/medium_image?slice={}&expected_shape={}&format={}", enc(&slice), enc(&shape), enc(&format)),
            format!("/api/v1/array/block/medium_image?block={}&slice={}", enc(&block), enc(&slice)),
            format!("/api/v1/array/full/scalars/pi?slice={}", enc(&slice)),
            format!("/api/v1/table/full/short_table?where={}&format={}", enc(&slice), enc(&format)),
        ] {
            let r = rt.block_on(get(&uri));
            prop_assert!(r.status.as_u16() < 500, "{} -> {} {}", uri, r.status, String::from_utf8_lossy(&r.body));
        }
    }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
