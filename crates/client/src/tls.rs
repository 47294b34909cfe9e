//! How a client checks a server's certificate for `https://` and `wss://`: one rustls
//! configuration shared by the HTTP client (SQL) and the WebSocket client (live
//! queries), so both trust exactly the same certificates.
//!
//! With a CA certificate file (the CLI's `--ca-cert FILE`, the app's CA certificate
//! field) the certificates in that file are the only roots trusted (a team's own CA,
//! or a server's self-signed certificate); without it, the operating system's trust
//! store decides, through the platform verifier. No certificate check can be turned
//! off. Messages name the file as the caller's `ca_name` does ("--ca-cert").

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};
use rustls_platform_verifier::BuilderVerifierExt;

/// The client configuration for a CA certificate file (or the system's roots when
/// `None`).
pub fn client_config(ca_cert: Option<&Path>, ca_name: &str) -> Result<ClientConfig, String> {
    let builder = builder()?;
    let config = match ca_cert {
        Some(path) => builder
            .with_root_certificates(roots_from(path, ca_name)?)
            .with_no_client_auth(),
        None => builder
            .with_platform_verifier()
            .map_err(|e| {
                format!(
                    "cannot read the system's trusted certificates ({e}); give the server's \
                     certificate or its CA as {ca_name}"
                )
            })?
            .with_no_client_auth(),
    };
    Ok(config)
}

/// The configuration of a client of a plain http:// server, which never makes a TLS
/// connection: it trusts nothing (were it ever led to https://, that connection would
/// fail) and so needs neither a CA file nor the system's store, which a minimal
/// container may not have.
pub fn plain_http_config() -> Result<ClientConfig, String> {
    Ok(builder()?
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth())
}

fn builder() -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, String> {
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))
}

/// Every certificate of a PEM file, as trusted roots.
fn roots_from(path: &Path, ca_name: &str) -> Result<RootCertStore, String> {
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {ca_name} {shown}: {e}"))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{ca_name} {shown} is not valid PEM: {e}"))?;
    if certificates.is_empty() {
        return Err(format!(
            "{ca_name} {shown} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        ));
    }
    let mut roots = RootCertStore::empty();
    for certificate in certificates {
        roots
            .add(certificate)
            .map_err(|e| format!("{ca_name} {shown} holds a certificate that cannot be trusted: {e}"))?;
    }
    Ok(roots)
}

/// The certificate error behind a failed connection, if that is why it failed: rustls
/// reports it inside the clients' boxed and I/O errors, whose `source()` skips it.
pub fn certificate_refused<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(e @ rustls::Error::InvalidCertificate(_)) = error.downcast_ref::<rustls::Error>() {
        return Some(e);
    }
    let inner = error
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .map(|inner| inner as &(dyn std::error::Error + 'static));
    inner
        .and_then(certificate_refused)
        .or_else(|| error.source().and_then(certificate_refused))
}

/// What to tell the user when the server's certificate was refused.
pub fn refused_text(url: &str, error: &rustls::Error, ca_name: &str) -> String {
    // webpki names its reason only in its own error type, which rustls keeps as text.
    let hint = if format!("{error:?}").contains("CaUsedAsEndEntity") {
        "; it is marked as a CA certificate, which cannot be a server's own: make it with \
         basicConstraints CA:FALSE (see the README's TLS section)"
            .to_string()
    } else {
        format!("; if it is self-signed or from your own CA, give that certificate as {ca_name}")
    };
    format!("the server at {url} presented a certificate this client does not trust ({error}){hint}")
}
