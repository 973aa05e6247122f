//! The public listener: an accept loop that bounds what one client may hold (connections,
//! time to send a request head, idle time, head and URL sizes) and drains gracefully.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};

/// The limits of the public listener (`--http-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Time to send a request head, from when the connection waits for one (the first
    /// request's from the accept, a kept-alive connection's from the previous response).
    pub header_read_timeout: Duration,
    /// Largest request head, request line included (431 above).
    pub max_header_bytes: usize,
    /// Most headers in a request (431 above).
    pub max_headers: usize,
    /// Longest request target, path and query (414 above).
    pub max_url_bytes: usize,
    /// Connections open at once; the next accept waits for one to close.
    pub max_connections: usize,
    /// Time without a byte read or written before a connection is closed.
    pub idle_timeout: Duration,
}

/// Serves `app` on `listener` until `stop` resolves, then stops accepting and waits for
/// every open connection to finish its request in flight (idle ones close at once).
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    stop: impl Future<Output = ()>,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // hyper's own bounds, answered with an empty 431: twice ours, so that the
        // middleware below answers with a body first, yet a head cannot grow unbounded.
        .max_buf_size((2 * limits.max_header_bytes).max(8192))
        .max_headers(2 * limits.max_headers);
    let service = TowerToHyperService::new(app);
    tokio::pin!(stop);
    loop {
        // A permit first: past the limit, clients wait in the kernel's backlog rather
        // than in memory.
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.map_err(io::Error::other)?,
            () = &mut stop => break,
        };
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    // Out of descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        // Without TCP_NODELAY, a response written in two segments can wait for the
        // client's delayed ACK (40 ms on Linux): longer than a cache hit itself.
        let _ = tcp.set_nodelay(true);
        let io = TokioIo::new(Idle::new(tcp, limits.idle_timeout));
        let conn = graceful.watch(http.serve_connection(io, service.clone()));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection closed");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// A TCP stream that fails with `TimedOut` once no byte has moved for its timeout.
struct Idle {
    tcp: TcpStream,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl Idle {
    fn new(tcp: TcpStream, timeout: Duration) -> Idle {
        let deadline = Box::pin(tokio::time::sleep(timeout));
        Idle {
            tcp,
            timeout,
            deadline,
        }
    }

    /// After an I/O poll: progress pushes the deadline back, a wait checks it.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(r) => {
                self.deadline.as_mut().reset(Instant::now() + self.timeout);
                Poll::Ready(r)
            }
            Poll::Pending => {
                ready!(self.deadline.as_mut().poll(cx));
                Poll::Ready(Err(io::ErrorKind::TimedOut.into()))
            }
        }
    }
}

impl AsyncRead for Idle {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.tcp).poll_read(cx, buf);
        this.watch(cx, polled)
    }
}

impl AsyncWrite for Idle {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.tcp).poll_write(cx, buf);
        this.watch(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.tcp).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

/// Refuses a request whose target or head is over the limits with 414 or 431 and a short
/// fixed body, before any route sees it.
pub(crate) async fn refuse_oversized(
    State(limits): State<HttpLimits>,
    req: Request,
    next: Next,
) -> Response {
    let url = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    let head = req.method().as_str().len()
        + url
        + 11
        + req
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum::<usize>();
    let refusal = if url > limits.max_url_bytes {
        (StatusCode::URI_TOO_LONG, "URL too long\n")
    } else if head > limits.max_header_bytes || req.headers().len() > limits.max_headers {
        (
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "request headers too large\n",
        )
    } else {
        return next.run(req).await;
    };
    let mut resp = refusal.into_response();
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}
