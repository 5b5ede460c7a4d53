//! `wc_key_usage`: where a sealer or opener stands — the sequence number of its next
//! record or packet, and whether its key is due to be replaced — so a C program knows
//! when to send a TLS KeyUpdate or start an SSH key exchange, before the engine refuses.

/// The state of one direction's key, filled by `wc_tls_*_usage` and `wc_ssh_*_usage`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct wc_key_usage {
    /// The sequence number the next record or packet will carry (SSH: 32 bits, wraps).
    pub sequence: u64,
    /// Nonzero when the key nears its limit: TLS sealer — send a KeyUpdate (AES-GCM's
    /// record limit is near); SSH — rekey (2^31 packets or the block limit). Always 0
    /// for a TLS opener: the peer decides when its key is replaced.
    pub rekey_due: i32,
}
