//! The loopback listener of the browser flow: takes the browser's redirect on 127.0.0.1 and
//! answers it, and anything else, with a short page.

use super::OAuthError;
use std::collections::HashMap;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The path of the loopback redirect URI.
pub(super) const CALLBACK_PATH: &str = "/callback";

const PAGE_STYLE: &str =
    "body{font-family:sans-serif;max-width:32em;margin:4em auto;line-height:1.5}";

/// Text for an HTML page: the provider's error descriptions arrive in the redirect's
/// query, so nothing in them may become markup.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(super) fn page(title: &str, text: &str) -> String {
    let (title, text) = (escape_html(title), escape_html(text));
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>keyfolio: {title}</title>\
         <style>{PAGE_STYLE}</style></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    )
}

pub(super) async fn respond(mut stream: TcpStream, status: u16, title: &str, text: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let body = page(title, text);
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The query of one request to the loopback listener, or `None` after answering a
/// request that is not the redirect (favicon, a preconnect that sends nothing, ...).
async fn read_callback(mut stream: TcpStream) -> Option<(HashMap<String, String>, TcpStream)> {
    let mut buf = Vec::with_capacity(1024);
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut chunk = [0u8; 1024];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        true
    })
    .await;
    if !matches!(read, Ok(true)) {
        return None;
    }
    let head = String::from_utf8_lossy(&buf);
    let mut request_line = head.lines().next().unwrap_or("").split(' ');
    let (method, target) = (request_line.next()?, request_line.next().unwrap_or(""));
    let url = url::Url::parse(&format!("http://127.0.0.1{target}")).ok();
    match url {
        Some(url) if method == "GET" && url.path() == CALLBACK_PATH => {
            let params: HashMap<String, String> = url.query_pairs().into_owned().collect();
            if params.contains_key("code") || params.contains_key("error") {
                return Some((params, stream));
            }
            respond(
                stream,
                400,
                "Not a sign-in answer",
                "This address waits for the exchange's answer.",
            )
            .await;
            None
        }
        _ => {
            respond(stream, 404, "Not found", "Nothing here.").await;
            None
        }
    }
}

/// Accepts connections until one brings the redirect's query.
pub(super) async fn wait_for_redirect(
    listener: &TcpListener,
) -> Result<(HashMap<String, String>, TcpStream), OAuthError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let mut readers = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = accepted
                    .map_err(|e| OAuthError::Network(format!("the loopback listener failed: {e}")))?;
                let tx = tx.clone();
                readers.spawn(async move {
                    if let Some(found) = read_callback(stream).await {
                        let _ = tx.send(found).await;
                    }
                });
            }
            Some(found) = rx.recv() => return Ok(found),
        }
    }
}
