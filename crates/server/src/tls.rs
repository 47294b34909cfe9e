//! Serving the local API over TLS (`tidepool serve --tls-cert FILE --tls-key FILE`), so
//! a server shared by a team need not sit behind a proxy for its tokens and rows to
//! cross the network encrypted.
//!
//! - [`Tls::from_pem_files`] reads the certificate chain and its private key and checks
//!   they belong together before anything is bound, so a wrong file is a clear error at
//!   startup, not a handshake failure seen by the first client.
//! - [`TlsListener`] is what `axum::serve` accepts from: TCP connections whose TLS
//!   handshake completed. Handshakes run in their own tasks with a time limit, so a
//!   client that connects and says nothing (or speaks plain HTTP) holds up no one else.
//!
//! Every route, and the Host, Origin and token checks in front of them, are the same
//! over TLS as over plain HTTP: TLS only changes what carries the bytes.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// The longest a client may take to complete its TLS handshake; past it the
/// connection is dropped (a client that opened a socket and went quiet).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshaken connections waiting for the server to take them.
const ACCEPTED_QUEUE: usize = 64;

/// A certificate chain and private key the server presents to every client.
#[derive(Clone)]
pub struct Tls {
    config: Arc<ServerConfig>,
    /// Where the certificate came from, for messages and `Debug`.
    certificate: PathBuf,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls").field("certificate", &self.certificate).finish()
    }
}

/// Why the certificate or key cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS {what} {}: {source}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("the TLS certificate {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path.display())]
    NoCertificate { path: PathBuf },
    #[error("the TLS key {} holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC)", path.display())]
    NoKey { path: PathBuf },
    #[error("the TLS {what} {} is not valid PEM: {source}", path.display())]
    Pem {
        what: &'static str,
        path: PathBuf,
        source: pem::Error,
    },
    #[error("the TLS key {} does not match the certificate {}: it is the key of another certificate", key.display(), certificate.display())]
    KeyMismatch { certificate: PathBuf, key: PathBuf },
    #[error("the TLS certificate {} and key {} cannot be served: {source}", certificate.display(), key.display())]
    Rejected {
        certificate: PathBuf,
        key: PathBuf,
        source: rustls::Error,
    },
}

impl Tls {
    /// Reads a PEM certificate chain (the server's certificate first, then any
    /// intermediates) and its PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(certificate: &Path, key: &Path) -> Result<Tls, TlsError> {
        let certificate_pem = read(certificate, "certificate")?;
        let key_pem = read(key, "key")?;
        let chain = CertificateDer::pem_slice_iter(&certificate_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| pem_error("certificate", certificate, source))?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate {
                path: certificate.to_path_buf(),
            });
        }
        let private_key = match PrivateKeyDer::from_pem_slice(&key_pem) {
            Ok(private_key) => private_key,
            Err(pem::Error::NoItemsFound) => {
                return Err(TlsError::NoKey {
                    path: key.to_path_buf(),
                })
            }
            Err(e) => return Err(pem_error("key", key, e)),
        };
        let mut config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, private_key))
            .map_err(|source| match source {
                rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => TlsError::KeyMismatch {
                    certificate: certificate.to_path_buf(),
                    key: key.to_path_buf(),
                },
                source => TlsError::Rejected {
                    certificate: certificate.to_path_buf(),
                    key: key.to_path_buf(),
                    source,
                },
            })?;
        // The server speaks HTTP/1.1 only (WebSocket upgrades need it).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            config: Arc::new(config),
            certificate: certificate.to_path_buf(),
        })
    }
}

fn pem_error(what: &'static str, path: &Path, source: pem::Error) -> TlsError {
    TlsError::Pem {
        what,
        path: path.to_path_buf(),
        source,
    }
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Connections that completed their TLS handshake, for `axum::serve`. The accept loop
/// ends when the listener is dropped (the server stopped).
pub struct TlsListener {
    accepted: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    address: SocketAddr,
    accepting: JoinHandle<()>,
}

impl TlsListener {
    pub fn new(listener: TcpListener, tls: &Tls) -> io::Result<TlsListener> {
        let address = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(tls.config.clone());
        let (send, accepted) = mpsc::channel(ACCEPTED_QUEUE);
        let accepting = tokio::spawn(async move {
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(connection) => connection,
                    Err(e) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        eprintln!("local API: cannot accept a connection: {e}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let send = send.clone();
                tokio::spawn(async move {
                    // A failed handshake (plain HTTP, an untrusted certificate on the
                    // client's side, a timeout) is the client's to report: the
                    // connection just closes.
                    if let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        let _ = send.send((stream, peer)).await;
                    }
                });
            }
        });
        Ok(TlsListener {
            accepted,
            address,
            accepting,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.accepted.recv().await {
            Some(connection) => connection,
            // The accept loop holds a sender until the listener is dropped, so this
            // cannot end while the server runs; if it did, accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.address)
    }
}
