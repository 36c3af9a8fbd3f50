//! One TLS configuration per process, shared by every HTTP client (model API, HTTP MCP servers).
//!
//! Building a reqwest client with rustls loads and parses the system's CA store (about 5 ms of
//! CPU); doing it once instead of once per client takes that off the path to the first model
//! request. `ring` is the crypto provider: it keeps cmake and aws-lc out of the build.

use std::sync::{Arc, OnceLock};

/// Installs the process-wide crypto provider. Idempotent.
pub fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The shared client configuration: the platform's verifier, HTTP/2 and HTTP/1.1 by ALPN.
/// `None` when the platform verifier cannot be built (then reqwest builds its own, and fails
/// with a clear error if it cannot either).
fn config() -> Option<rustls::ClientConfig> {
    static CONFIG: OnceLock<Option<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            init();
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let verifier = match rustls_platform_verifier::Verifier::new(provider.clone()) {
                Ok(v) => v,
                Err(e) => {
                    tracing::debug!("platform TLS verifier unavailable: {e}");
                    return None;
                }
            };
            let mut c = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .ok()?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth();
            // reqwest does not add ALPN to a preconfigured config.
            c.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            Some(c)
        })
        .clone()
}

/// A reqwest client builder using the shared TLS configuration.
pub fn client_builder() -> reqwest::ClientBuilder {
    init();
    let builder = reqwest::Client::builder();
    match config() {
        Some(c) => builder.tls_backend_preconfigured(c),
        None => builder,
    }
}
