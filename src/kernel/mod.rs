//! What the app's server, its pages' shell and its P100 sandbox stand on, and nothing else: the
//! database (`db`), outbound HTTP clients, the comparison of secrets and the pages'
//! Content-Security-Policy. Nothing here imports either side.

pub mod db;

/// The start of every outbound HTTP client (to P100, and the sandbox's webhooks): TLS from rustls
/// with the ring provider, installed once for the process.
pub fn http_client() -> reqwest::ClientBuilder {
    static PROVIDER: std::sync::Once = std::sync::Once::new();
    PROVIDER.call_once(|| {
        // Err means another part of the process installed one first; that one serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}

/// Compares secrets without an early exit, so timing does not reveal how much matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The Content-Security-Policy of pages. Scripts need this response's nonce (the hydration
/// bootstrap is inline); WebAssembly needs 'wasm-unsafe-eval'.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn secrets_compare_exactly() {
        assert!(constant_time_eq(b"token-1", b"token-1"));
        assert!(!constant_time_eq(b"token-1", b"token-2"));
        assert!(!constant_time_eq(b"token", b"token-1"));
    }
}
