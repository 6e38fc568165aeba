//! The listener: TCP, TLS (rustls with the `ring` provider) or plain HTTP on loopback, HTTP/1.1
//! with bounded headers, a header timeout, a bound on open connections, and graceful shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How the listener behaves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// At most this many connections are open at once; more wait to be accepted.
    pub max_connections: usize,
    /// A client must send its request headers (and finish a TLS handshake) within this.
    pub header_timeout: Duration,
    /// The buffer that holds a request's headers (hyper's `max_buf_size`): headers larger
    /// than this close the connection; the router answers 431 well before it.
    pub max_header_buffer: usize,
    /// On shutdown, requests in flight get this long to finish.
    pub grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
            max_header_buffer: 64 * 1024,
            grace: Duration::from_secs(30),
        }
    }
}

/// Why TLS material could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: io::Error,
    },
    /// The file holds no certificate or no private key.
    #[error("{path}: {what}")]
    Missing {
        /// The file.
        path: String,
        /// What is missing.
        what: &'static str,
    },
    /// rustls refused the certificate and key.
    #[error("the certificate and key do not make a TLS configuration: {0}")]
    Config(String),
}

/// A TLS server configuration (rustls, `ring`) from a PEM certificate chain and a PEM
/// private key (PKCS#8, PKCS#1 or SEC1).
///
/// # Errors
/// [`TlsError`].
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| TlsError::Read { path: p.display().to_string(), source })
    };
    let cert_pem = read(cert)?;
    let key_pem = read(key)?;
    let certs: Vec<_> =
        rustls_pemfile::certs(&mut cert_pem.as_slice())
            .collect::<Result<_, _>>()
            .map_err(|source| TlsError::Read { path: cert.display().to_string(), source })?;
    if certs.is_empty() {
        return Err(TlsError::Missing {
            path: cert.display().to_string(),
            what: "no PEM CERTIFICATE block",
        });
    }
    let key_der = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|source| TlsError::Read { path: key.display().to_string(), source })?
        .ok_or_else(|| TlsError::Missing {
            path: key.display().to_string(),
            what: "no PEM private key block",
        })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serve `app` on `listener` until `shutdown` completes, then stop accepting, let requests
/// in flight finish (up to [`ServeOptions::grace`]) and return. With `tls`, every connection
/// is TLS; without it, plain HTTP (the CLI allows that only on loopback addresses).
///
/// An install in flight when shutdown begins runs to its end: the store commits it in one
/// transaction or not at all, whether or not its answer is sent.
///
/// # Errors
/// Accepting failed in a way that is not about one connection.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let acceptor = tls.map(TlsAcceptor::from);
    let slots = Arc::new(tokio::sync::Semaphore::new(options.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&slots).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                // Errors about one connection (reset before accept, out of descriptors for a
                // moment): wait a little and go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let acceptor = acceptor.clone();
        let options = options.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                    app.clone().oneshot(req)
                },
            );
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(options.header_timeout)
                .max_buf_size(options.max_header_buffer.max(8192))
                .keep_alive(true);
            match acceptor {
                Some(acceptor) => {
                    let Ok(Ok(tls)) =
                        tokio::time::timeout(options.header_timeout, acceptor.accept(stream)).await
                    else {
                        return;
                    };
                    let conn = builder.serve_connection(TokioIo::new(tls), service);
                    let _ = watcher.watch(conn).await;
                }
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn).await;
                }
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(options.grace, graceful.shutdown()).await;
    Ok(())
}
