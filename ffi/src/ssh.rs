//! `wc_ssh_sealer` / `wc_ssh_opener`: the SSH binary packet protocol (RFC 4253 §6) for
//! every cipher the engine implements. Each owns one direction's sequence number.

use std::ffi::c_char;

use wirecrypt_engine::Error;
use wirecrypt_engine::ssh::{KeyMaterial, Mode, PacketOpener, PacketSealer};

use crate::args;
use crate::batch::{self, OpenArgs, SealArgs, wc_opened};
use crate::engine::wc_engine;
use crate::status::{Fail, guard, wc_status};
use crate::usage::wc_key_usage;

/// Writes SSH packets for one direction. Use from one thread at a time.
pub struct wc_ssh_sealer {
    inner: PacketSealer,
}

/// Reads SSH packets for one direction. Use from one thread at a time.
pub struct wc_ssh_opener {
    inner: PacketOpener,
}

/// The constructor arguments, as the C caller passed them; both constructors take the
/// same ones.
struct KeyArgs {
    engine: *const wc_engine,
    cipher_name: *const c_char,
    mac_name: *const c_char,
    key: *const u8,
    key_len: usize,
    iv: *const u8,
    iv_len: usize,
    mac_key: *const u8,
    mac_key_len: usize,
}

impl KeyArgs {
    /// The engine, mode and key material they name.
    ///
    /// # Safety
    /// As for `wc_ssh_sealer_new`.
    unsafe fn check<'a>(&self) -> Result<(&'a wc_engine, Mode, KeyMaterial<'a>), Fail> {
        // SAFETY: forwarded from the caller's contract.
        let (engine, cipher, mac, key, iv, mac_key) = unsafe {
            (
                args::handle(self.engine, "engine")?,
                args::string(self.cipher_name, "cipher_name")?,
                args::opt_string(self.mac_name, "mac_name")?,
                args::bytes(self.key, self.key_len, "key")?,
                args::bytes(self.iv, self.iv_len, "iv")?,
                args::bytes(self.mac_key, self.mac_key_len, "mac_key")?,
            )
        };
        let mode = Mode::new(cipher, mac)?;
        Ok((engine, mode, KeyMaterial { key, iv, mac_key }))
    }
}

/// The one body of both constructors: checks `raw`, makes the direction with `make`,
/// and hands it out through `out` (NULL on failure).
///
/// # Safety
/// As for `wc_ssh_sealer_new`.
unsafe fn new_direction<D, H>(
    raw: KeyArgs,
    out: *mut *mut H,
    make: impl FnOnce(&wc_engine, Mode, &KeyMaterial<'_>) -> Result<D, Fail>,
    wrap: impl FnOnce(D) -> H,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        unsafe {
            args::new_handle(out, || {
                let (engine, mode, keys) = raw.check()?;
                Ok(wrap(make(engine, mode, &keys)?))
            })
        }
    })
}

/// A sealer; in FIPS mode not in the `none` mode (sending in clear, which the FIPS
/// policy does not approve), and under each encryption key once for the engine's life: a
/// second sealer could repeat the first one's GCM nonces or CTR keystream — with the
/// same IV, or in another mode or at another IV whose counter blocks run into the
/// first's (GCM's counter blocks are CTR's).
fn make_sealer(
    engine: &wc_engine,
    mode: Mode,
    keys: &KeyMaterial<'_>,
) -> Result<PacketSealer, Fail> {
    let e = &engine.engine;
    if !e.fips_mode() {
        return Ok(PacketSealer::with_keys(e, mode, keys)?);
    }
    if mode.is_none() {
        e.status()?;
        return Err(Error::FipsNotApproved {
            what: "an SSH sealer in the none mode (sending in clear)",
            rule: wirecrypt_engine::fips::policy::ssh_cipher("none").rule,
        }
        .into());
    }
    // Made first, so that a cipher the policy refuses claims nothing.
    let sealer = PacketSealer::with_keys(e, mode, keys)?;
    engine
        .sealing_secrets
        .claim(e, "ssh", &[keys.key], "SSH encryption key")?;
    Ok(sealer)
}

/// An opener (in any mode: reading chooses no nonce and sends nothing).
fn make_opener(
    engine: &wc_engine,
    mode: Mode,
    keys: &KeyMaterial<'_>,
) -> Result<PacketOpener, Fail> {
    Ok(PacketOpener::with_keys(&engine.engine, mode, keys)?)
}

/// Makes a packet sealer for SSH `cipher_name` (`aes128-ctr`, `aes192-ctr`,
/// `aes256-ctr`, `aes128-gcm@openssh.com`, `aes256-gcm@openssh.com`,
/// `chacha20-poly1305@openssh.com`) and `mac_name` (`hmac-sha2-256`, `hmac-sha2-512`,
/// `hmac-sha1`, each also `...-etm@openssh.com`; NULL for the AEAD ciphers). Key, IV and
/// MAC key are as RFC 4253 §7.2 derives them, with the exact lengths the mode needs
/// (unused parts: NULL and 0). The sequence number starts at 0.
///
/// `none` (the key exchange before the first `SSH_MSG_NEWKEYS`, in clear) makes a sealer
/// outside FIPS mode only: the FIPS policy does not approve sending in clear, so there it
/// is refused (`WC_ERR_FIPS_REFUSED`) and a FIPS-mode program frames its few clear key
/// exchange packets itself. Openers accept `none` in any mode: reading the peer's clear
/// key exchange sends nothing.
///
/// What the engine guarantees about nonces (GCM IVs) and keystreams sealed through it: the
/// key and IV come from the caller's key exchange (RFC 4253 §7.2), and from there the
/// sealer alone moves them on — GCM nonces are the fixed field ‖ an invocation counter
/// that only increases (RFC 5647 §7.1), a CTR keystream runs on across packets, and the
/// 2^32nd packet under one key is refused (`WC_ERR_LIMIT`). Two sealers under one key
/// could repeat each other's nonces or keystream: in FIPS mode a second sealer under an
/// encryption key already used — whatever its IV or mode — is refused for the engine's
/// life (`WC_ERR_FIPS_REFUSED`); outside FIPS mode, make one sealer per key exchange.
///
/// # Safety
/// `engine` live; names NULL or C strings as described; each buffer valid for its length;
/// `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_ssh_sealer_new(
    engine: *const wc_engine,
    cipher_name: *const c_char,
    mac_name: *const c_char,
    key: *const u8,
    key_len: usize,
    iv: *const u8,
    iv_len: usize,
    mac_key: *const u8,
    mac_key_len: usize,
    out: *mut *mut wc_ssh_sealer,
) -> wc_status {
    let raw = KeyArgs {
        engine,
        cipher_name,
        mac_name,
        key,
        key_len,
        iv,
        iv_len,
        mac_key,
        mac_key_len,
    };
    // SAFETY: forwarded from the caller's contract.
    unsafe { new_direction(raw, out, make_sealer, |inner| wc_ssh_sealer { inner }) }
}

/// Makes a packet opener; arguments as for `wc_ssh_sealer_new`.
///
/// # Safety
/// As for `wc_ssh_sealer_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_ssh_opener_new(
    engine: *const wc_engine,
    cipher_name: *const c_char,
    mac_name: *const c_char,
    key: *const u8,
    key_len: usize,
    iv: *const u8,
    iv_len: usize,
    mac_key: *const u8,
    mac_key_len: usize,
    out: *mut *mut wc_ssh_opener,
) -> wc_status {
    let raw = KeyArgs {
        engine,
        cipher_name,
        mac_name,
        key,
        key_len,
        iv,
        iv_len,
        mac_key,
        mac_key_len,
    };
    // SAFETY: forwarded from the caller's contract.
    unsafe { new_direction(raw, out, make_opener, |inner| wc_ssh_opener { inner }) }
}

/// Writes one packet (length ‖ padding length ‖ payload ‖ random padding ‖ MAC or tag)
/// carrying `payload` into `out`; `*out_len` = bytes written. When `out_cap` is too
/// small: `WC_ERR_BUFFER_TOO_SMALL` with the size needed in `*out_len`, sequence number
/// unchanged. `WC_ERR_LIMIT` after 2^32 packets under one key (rekey first).
///
/// # Safety
/// `sealer` live and used by this thread only; `payload` valid for `len` bytes; `out`
/// writable for `out_cap` bytes; `out_len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_ssh_seal(
    sealer: *mut wc_ssh_sealer,
    payload: *const u8,
    len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract; `payload` is copied if it
        // overlaps `out`.
        let (sealer, out_len, payload) = unsafe {
            (
                args::handle_mut(sealer, "sealer")?,
                args::out(out_len, "out_len")?,
                args::input_beside(payload, len, out, out_cap, "payload")?,
            )
        };
        out_len.set(0);
        let needed = sealer.inner.sealed_len(len)?;
        out_len.ensure_room(needed, out_cap)?;
        // SAFETY: the caller guarantees `out` is writable for `out_cap` bytes; `payload`
        // does not alias it.
        let out = unsafe { args::bytes_mut(out, out_cap, "out") }?;
        out_len.set(sealer.inner.seal_into(&payload, out)?);
        Ok(())
    })
}

/// How many bytes of a packet to read before calling `wc_ssh_packet_length`: 4, or the
/// cipher block (16) for encrypt-and-MAC CTR modes.
///
/// # Safety
/// `opener` live; `header_len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_ssh_header_len(
    opener: *const wc_ssh_opener,
    header_len: *mut usize,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (opener, header_len) = unsafe {
            (
                args::handle(opener, "opener")?,
                args::out(header_len, "header_len")?,
            )
        };
        header_len.set(opener.inner.header_len());
        Ok(())
    })
}

/// Streaming: learns the next packet's length from its first `n` bytes (at least
/// `wc_ssh_header_len`; extra bytes are ignored) and sets `*remaining` to how many more
/// bytes of the packet to read after those header bytes. Then pass the whole packet to
/// `wc_ssh_open`. Once per packet. `remaining` must not overlap `first_bytes`
/// (`WC_ERR_INVALID_ARGUMENT`).
///
/// # Safety
/// `opener` live and used by this thread only; `first_bytes` valid for `n` bytes;
/// `remaining` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_ssh_packet_length(
    opener: *mut wc_ssh_opener,
    first_bytes: *const u8,
    n: usize,
    remaining: *mut usize,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (opener, remaining_out) = unsafe {
            (
                args::handle_mut(opener, "opener")?,
                args::out(remaining, "remaining")?,
            )
        };
        // The count written into the bytes being read would change them under the read.
        args::outputs_beside(
            first_bytes,
            n,
            "first_bytes",
            &[args::out_bytes(remaining, "remaining")],
        )?;
        // SAFETY: forwarded from the caller's contract; `remaining` does not overlap it.
        let first = unsafe { args::bytes(first_bytes, n, "first_bytes") }?;
        remaining_out.set(0);
        remaining_out.set(opener.inner.decrypt_length(first)?);
        Ok(())
    })
}

/// Authenticates and decrypts one whole packet (`len` bytes) in place; the payload lies
/// at `packet + *payload_offset` for `*payload_len` bytes. Calls `wc_ssh_packet_length`
/// itself when it has not been called for this packet. On failure the packet is wiped
/// and, except for a packet that is merely short (`WC_ERR_INVALID_ARGUMENT`), the opener
/// refuses everything after (the connection must close). Both out-pointers must not
/// overlap `packet` (`WC_ERR_INVALID_ARGUMENT`).
///
/// # Safety
/// `opener` live and used by this thread only; `packet` valid for reads and writes of
/// `len` bytes; both out-pointers writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_ssh_open(
    opener: *mut wc_ssh_opener,
    packet: *mut u8,
    len: usize,
    payload_offset: *mut usize,
    payload_len: *mut usize,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (opener, off_out, len_out) = unsafe {
            (
                args::handle_mut(opener, "opener")?,
                args::out(payload_offset, "payload_offset")?,
                args::out(payload_len, "payload_len")?,
            )
        };
        // Results written into the packet being opened would corrupt it (and alias it).
        args::outputs_beside(
            packet,
            len,
            "packet",
            &[
                args::out_bytes(payload_offset, "payload_offset"),
                args::out_bytes(payload_len, "payload_len"),
            ],
        )?;
        off_out.set(0);
        len_out.set(0);
        // SAFETY: the caller guarantees `packet` is valid for reads and writes of `len`
        // bytes; no out-parameter overlaps it.
        let packet = unsafe { args::bytes_mut(packet, len, "packet") }?;
        let range = opener.inner.open(packet)?;
        off_out.set(range.start);
        len_out.set(range.len());
        Ok(())
    })
}

/// Seals `count` packets, packet `i` carrying `lens[i]` bytes from `payloads[i]`, back
/// to back into `out`: one buffer to write. `*out_len` = bytes written. When `out_cap`
/// is too small: `WC_ERR_BUFFER_TOO_SMALL` with the size needed in `*out_len`, nothing
/// sealed. Each payload is read once, straight into its packet (a payload overlapping
/// `out` is copied first). Other failures as for `wc_ssh_seal`, checked for the whole
/// batch before anything is sealed; if sealing itself fails, `out` is wiped and the
/// sealer is finished.
///
/// # Safety
/// `sealer` live and used by this thread only; `payloads` and `lens` valid for `count`
/// entries (NULL when `count` is 0), each payload valid for its length; `out` writable
/// for `out_cap` bytes; `out_len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_ssh_seal_batch(
    sealer: *mut wc_ssh_sealer,
    payloads: *const *const u8,
    lens: *const usize,
    count: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> wc_status {
    let raw = SealArgs {
        payloads,
        lens,
        count,
        out,
        out_cap,
        out_len,
    };
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let sealer = unsafe { args::handle_mut(sealer, "sealer") }?;
        let wire_len = |s: &wc_ssh_sealer, len| Ok(s.inner.sealed_len(len)?);
        let seal = |s: &mut wc_ssh_sealer, p: &[&[u8]], w: &mut [u8]| s.inner.seal_from(p, w);
        // SAFETY: forwarded from the caller's contract.
        unsafe { batch::seal_batch(raw, sealer, wire_len, seal) }
    })
}

/// Opens as many whole packets as `buf` (`len` bytes, from the start of a packet)
/// holds, in place, at most `opened_cap`: packet `i`'s payload lies at
/// `buf + opened[i].offset` for `opened[i].len` bytes, its message number in
/// `opened[i].kind`; `*opened_count` packets were opened. `*consumed` bytes at the front
/// of `buf` held them. `*needed`: how many more bytes past the end of `buf` the next
/// packet needs (at least 1), or 0 when the call stopped early — after
/// `SSH_MSG_NEWKEYS` (install the new keys first) or at `opened_cap` packets. Either
/// way, call again with the unconsumed bytes at the front of the buffer and more read
/// after them: the opener may already have read the next packet's length.
///
/// A packet that fails is wiped and ends the connection, as for `wc_ssh_open`; the
/// packets before it stay opened and reported. `opened` and the three counts must not
/// overlap `buf` (`WC_ERR_INVALID_ARGUMENT`); `opened_cap` must be at least 1.
///
/// # Safety
/// `opener` live and used by this thread only; `buf` valid for reads and writes of
/// `len` bytes; `opened` writable for `opened_cap` entries; the counts writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_ssh_open_buffer(
    opener: *mut wc_ssh_opener,
    buf: *mut u8,
    len: usize,
    opened: *mut wc_opened,
    opened_cap: usize,
    opened_count: *mut usize,
    consumed: *mut usize,
    needed: *mut usize,
) -> wc_status {
    let raw = OpenArgs {
        buf,
        len,
        opened,
        opened_cap,
        opened_count,
        consumed,
        needed,
    };
    // SAFETY: forwarded from the caller's contract.
    unsafe {
        batch::open_buffer(
            opener,
            raw,
            |o| &mut o.inner,
            PacketOpener::open_buffer_at_most,
        )
    }
}

/// Where the sealer stands: `sequence` of the next packet, and `rekey_due` nonzero once
/// the key has sealed 2^31 packets or its cipher's block limit: start a key exchange.
///
/// # Safety
/// `sealer` live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_ssh_sealer_usage(
    sealer: *const wc_ssh_sealer,
    out: *mut wc_key_usage,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (sealer, out) = unsafe { (args::handle(sealer, "sealer")?, args::out(out, "out")?) };
        out.set(wc_key_usage {
            sequence: u64::from(sealer.inner.sequence()),
            rekey_due: i32::from(sealer.inner.needs_rekey()),
        });
        Ok(())
    })
}

/// Where the opener stands: `sequence` the next packet must carry, and `rekey_due` as
/// for the sealer.
///
/// # Safety
/// `opener` live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_ssh_opener_usage(
    opener: *const wc_ssh_opener,
    out: *mut wc_key_usage,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (opener, out) = unsafe { (args::handle(opener, "opener")?, args::out(out, "out")?) };
        out.set(wc_key_usage {
            sequence: u64::from(opener.inner.sequence()),
            rekey_due: i32::from(opener.inner.needs_rekey()),
        });
        Ok(())
    })
}

/// Frees an SSH sealer (keys wiped); NULL is a no-op.
///
/// # Safety
/// NULL or from `wc_ssh_sealer_new`, freed once, not in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_ssh_sealer_free(sealer: *mut wc_ssh_sealer) {
    // SAFETY: forwarded from the caller's contract.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe {
        args::free(sealer)
    }));
}

/// Frees an SSH opener (keys wiped); NULL is a no-op.
///
/// # Safety
/// NULL or from `wc_ssh_opener_new`, freed once, not in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_ssh_opener_free(opener: *mut wc_ssh_opener) {
    // SAFETY: forwarded from the caller's contract.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe {
        args::free(opener)
    }));
}
