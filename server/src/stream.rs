//! Encoders on blocking threads, streaming into the response body.
//!
//! An encode job runs in `spawn_blocking` and writes into a [`ChannelWriter`]: a `Write`
//! that gathers small writes into chunks of [`CHUNK_BYTES`], sends large ones in pieces of
//! up to [`MAX_CHUNK_BYTES`], through a bounded channel, so at most `CHANNEL_DEPTH` chunks
//! wait for a slow client and memory stays flat whatever the export size. When the client goes away the body, and with it the receiver, is dropped;
//! the next send fails with `BrokenPipe` and the encoder stops.
//!
//! The response starts only when the first chunk (or the end) arrives: an encoder that
//! refuses its input before writing anything becomes a proper error response, not a
//! truncated 200.

use std::io::{self, Write};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::BytesMut;
use tokio::sync::mpsc;

use crate::error::AppError;
use tessera_core::EncodeError;

/// Size of the chunks small writes are gathered into before they are sent.
pub const CHUNK_BYTES: usize = 64 << 10;
/// Largest chunk: a large write (a slab of array rows, an Arrow buffer) is sent in pieces of
/// up to this size without being gathered, so a big export crosses the channel and the
/// socket in few, large writes. At most `CHANNEL_DEPTH` of these wait: 8 MiB per response.
pub const MAX_CHUNK_BYTES: usize = 256 << 10;
/// Chunks buffered between the encoder and the client.
const CHANNEL_DEPTH: usize = 8;

enum Msg {
    Data(Bytes),
    Failed(EncodeError),
}

/// A `Write` into a bounded channel of byte chunks (blocking on a full channel).
pub struct ChannelWriter {
    tx: mpsc::Sender<Msg>,
    buf: BytesMut,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = self.buf.split().freeze();
        self.tx
            .blocking_send(Msg::Data(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client closed the connection"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.is_empty() && data.len() >= CHUNK_BYTES {
            let n = data.len().min(MAX_CHUNK_BYTES);
            self.tx
                .blocking_send(Msg::Data(Bytes::copy_from_slice(&data[..n])))
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client closed the connection"))?;
            return Ok(n);
        }
        let room = CHUNK_BYTES - self.buf.len();
        let n = data.len().min(room);
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// The body: the first chunk, then the channel until it closes. An encoder failure after
/// the first byte becomes an error item, which aborts the response (the client sees a
/// truncated transfer, not a silently short file). Safe to poll after its end.
struct ChunkStream {
    first: Option<Bytes>,
    rx: mpsc::Receiver<Msg>,
    done: bool,
}

impl futures::Stream for ChunkStream {
    type Item = io::Result<Bytes>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        if let Some(b) = self.first.take() {
            return Poll::Ready(Some(Ok(b)));
        }
        if self.done {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Msg::Data(b))) => Poll::Ready(Some(Ok(b))),
            Poll::Ready(Some(Msg::Failed(e))) => {
                self.done = true;
                tracing::warn!(error = %e, "encoder failed mid-stream; aborting the response");
                Poll::Ready(Some(Err(io::Error::other(e.to_string()))))
            }
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(None)
            }
        }
    }
}

/// An encode job: writes the whole output or fails.
pub type Job = Box<dyn FnOnce(&mut dyn Write) -> Result<(), EncodeError> + Send + 'static>;

/// Runs `job` on a blocking thread and streams what it writes as the body of a 200 with
/// `content_type` (and `Content-Disposition: attachment` when `filename` is given).
///
/// # Errors
/// The job's error when it fails before its first byte (4xx for client mistakes).
pub async fn respond(content_type: &str, filename: Option<&str>, job: Job) -> Result<Response, AppError> {
    respond_with(content_type, filename, move |tx| {
        let mut w = ChannelWriter { tx, buf: BytesMut::with_capacity(CHUNK_BYTES) };
        job(&mut w).and_then(|()| w.flush().map_err(EncodeError::Io))
    })
    .await
}

/// A job that hands over its output as owned pieces (each sent as it is, without a copy).
pub type BytesJob =
    Box<dyn FnOnce(&mut dyn FnMut(Bytes) -> io::Result<()>) -> Result<(), EncodeError> + Send + 'static>;

/// [`respond`] for a job whose output already sits in owned buffers (an array's rows read
/// from storage): each piece goes to the socket as it is, in slices of up to
/// [`MAX_CHUNK_BYTES`], rather than being copied into the channel's chunks.
///
/// # Errors
/// The job's error when it fails before its first byte.
pub async fn respond_bytes(
    content_type: &str,
    filename: Option<&str>,
    job: BytesJob,
) -> Result<Response, AppError> {
    respond_with(content_type, filename, move |tx| {
        let mut send = |mut piece: Bytes| -> io::Result<()> {
            while !piece.is_empty() {
                let now = piece.split_to(piece.len().min(MAX_CHUNK_BYTES));
                tx.blocking_send(Msg::Data(now)).map_err(|_| {
                    io::Error::new(io::ErrorKind::BrokenPipe, "the client closed the connection")
                })?;
            }
            Ok(())
        };
        job(&mut send)
    })
    .await
}

/// Runs `run` on a blocking thread with the channel's sender and streams what it sends.
async fn respond_with(
    content_type: &str,
    filename: Option<&str>,
    run: impl FnOnce(mpsc::Sender<Msg>) -> Result<(), EncodeError> + Send + 'static,
) -> Result<Response, AppError> {
    let (tx, mut rx) = mpsc::channel(CHANNEL_DEPTH);
    tokio::task::spawn_blocking(move || {
        if let Err(e) = run(tx.clone()) {
            // Nobody to tell when the client left; otherwise the body aborts.
            let _ = tx.blocking_send(Msg::Failed(e));
        }
    });
    let first = match rx.recv().await {
        None => None,
        Some(Msg::Data(b)) => Some(b),
        Some(Msg::Failed(e)) => return Err(AppError::from(e)),
    };
    let body = match first {
        None => Body::empty(),
        Some(first) => Body::from_stream(ChunkStream { first: Some(first), rx, done: false }),
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    let ct = HeaderValue::from_str(content_type)
        .map_err(|_| AppError::BadRequest(format!("invalid media type parameters: {content_type:?}")))?;
    headers.insert(header::CONTENT_TYPE, ct);
    if let Some(name) = filename {
        let safe: String = name.chars().filter(|c| !c.is_control() && *c != '"' && *c != '\\').collect();
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(response)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn streams_everything_in_order() {
        let job: Job = Box::new(|w| {
            for i in 0..100_000u32 {
                w.write_all(&i.to_le_bytes())?;
            }
            Ok(())
        });
        let r = respond("application/octet-stream", Some("x.bin"), job).await.unwrap();
        assert_eq!(r.headers()[header::CONTENT_DISPOSITION], "attachment; filename=\"x.bin\"");
        let body = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
        let want: Vec<u8> = (0..100_000u32).flat_map(u32::to_le_bytes).collect();
        assert_eq!(body.as_ref(), want.as_slice());
    }

    #[tokio::test]
    async fn owned_pieces_are_sent_as_they_are_in_bounded_slices() {
        let big = Bytes::from((0..(2 * MAX_CHUNK_BYTES + 7)).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
        let (a, b) = (big.clone(), Bytes::from_static(b"tail"));
        let job: BytesJob = Box::new(move |send| {
            send(a)?;
            send(Bytes::new())?;
            send(b)?;
            Ok(())
        });
        let r = respond_bytes("application/octet-stream", None, job).await.unwrap();
        let mut stream = r.into_body().into_data_stream();
        let mut sizes = Vec::new();
        let mut body = Vec::new();
        while let Some(piece) = futures::StreamExt::next(&mut stream).await {
            let piece = piece.unwrap();
            sizes.push(piece.len());
            body.extend_from_slice(&piece);
        }
        assert_eq!(sizes, vec![MAX_CHUNK_BYTES, MAX_CHUNK_BYTES, 7, 4]);
        assert_eq!(&body[..big.len()], big.as_ref());
        assert_eq!(&body[big.len()..], b"tail");
        // A job that fails before its first piece is an error response, not a 200.
        let job: BytesJob = Box::new(|_| Err(EncodeError::invalid_option("x", "bad")));
        assert!(respond_bytes("application/octet-stream", None, job).await.is_err());
    }

    #[tokio::test]
    async fn large_writes_go_in_large_chunks_small_ones_are_gathered() {
        let big: Vec<u8> = (0..(3 * MAX_CHUNK_BYTES + 12_345)).map(|i| (i % 251) as u8).collect();
        let job_data = big.clone();
        let job: Job = Box::new(move |w| {
            w.write_all(b"head")?; // gathered with the start of the next write
            w.write_all(&job_data)?;
            for _ in 0..1000 {
                w.write_all(b"xy")?;
            }
            Ok(())
        });
        let r = respond("application/octet-stream", None, job).await.unwrap();
        let mut body = r.into_body().into_data_stream();
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        while let Some(chunk) = futures::StreamExt::next(&mut body).await {
            let chunk = chunk.unwrap();
            sizes.push(chunk.len());
            got.extend_from_slice(&chunk);
        }
        let mut want = b"head".to_vec();
        want.extend_from_slice(&big);
        want.extend(std::iter::repeat_n(*b"xy", 1000).flatten());
        assert_eq!(got, want);
        assert!(sizes.iter().all(|&n| n <= MAX_CHUNK_BYTES), "{sizes:?}");
        assert!(sizes.iter().filter(|&&n| n == MAX_CHUNK_BYTES).count() >= 2, "{sizes:?}");
        assert!(sizes.len() < 12, "few chunks for 3 MiB: {sizes:?}");
    }

    #[tokio::test]
    async fn an_error_before_the_first_byte_is_a_response_error() {
        let job: Job = Box::new(|_| Err(EncodeError::invalid_option("header", "bad")));
        let e = respond("text/csv", None, job).await.unwrap_err();
        assert_eq!(e.status(), axum::http::StatusCode::BAD_REQUEST);
        let empty: Job = Box::new(|_| Ok(()));
        let r = respond("text/csv", None, empty).await.unwrap();
        assert!(axum::body::to_bytes(r.into_body(), 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_dropped_body_stops_the_encoder() {
        let written = Arc::new(AtomicUsize::new(0));
        let counter = written.clone();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |w| {
            let chunk = vec![0u8; CHUNK_BYTES];
            let result = (|| {
                loop {
                    w.write_all(&chunk)?;
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            })();
            let _ = done_tx.send(());
            result
        });
        let r = respond("application/octet-stream", None, job).await.unwrap();
        drop(r);
        tokio::time::timeout(std::time::Duration::from_secs(10), done_rx).await.unwrap().unwrap();
        // The encoder stopped after filling the bounded channel at most.
        assert!(written.load(Ordering::SeqCst) <= CHANNEL_DEPTH + 2);
    }
}
