"""The transaction coordinator: transactional producers' state, markers and timeouts (KIP-98)."""
