//! What the app's server and its P100 sandbox both stand on, and nothing else: the database
//! (`db`) and the comparison of secrets. Neither side is imported from here.

pub mod db;

/// Compares secrets without an early exit, so timing does not reveal how much matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
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
