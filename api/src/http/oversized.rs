//! Requests that declare a body larger than [`MAX_BODY_BYTES`] are answered
//! 413 before anything else runs.
//!
//! Over HTTP/1.1 the answer alone is enough: the connection is closed after
//! it. Over HTTP/2 an answer sent while the client is still sending makes
//! the server reset the stream, and clients such as curl then discard the
//! answer with the stream ("stream error in the HTTP/2 framing layer"). So
//! for HTTP/2 the declared body is read and thrown away first — up to
//! [`DRAIN_LIMIT`] bytes and for at most [`DRAIN_TIME`] — and then answered;
//! a larger or slower one is answered (and reset) at that bound.
//!
//! A body that declares no length is bounded while it is read (the
//! `RequestBodyLimitLayer` and the extractors) and answered 413 there.

use std::time::Duration;

use async_graphql::futures_util::StreamExt as _;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, StatusCode, Version};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::MAX_BODY_BYTES;

/// The most an oversized HTTP/2 body is read before the answer.
pub const DRAIN_LIMIT: usize = 16 * 1024 * 1024;
/// The longest an oversized HTTP/2 body is read before the answer.
pub const DRAIN_TIME: Duration = Duration::from_secs(10);

/// What the client is told.
pub fn message() -> String {
    format!("request body too large: the limit is {} KiB", MAX_BODY_BYTES / 1024)
}

pub async fn refuse(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_none_or(|n| n <= MAX_BODY_BYTES as u64) {
        return next.run(request).await;
    }
    if request.version() == Version::HTTP_2 {
        drain(request.into_body()).await;
    }
    (StatusCode::PAYLOAD_TOO_LARGE, message()).into_response()
}

async fn drain(body: Body) {
    let mut stream = body.into_data_stream();
    let mut read = 0usize;
    let reading = async {
        while let Some(Ok(chunk)) = stream.next().await {
            read += chunk.len();
            if read > DRAIN_LIMIT {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, reading).await;
}
