//! `wc_tls_sealer` / `wc_tls_opener`: TLS 1.3 and 1.2 record protection from traffic keys
//! or TLS 1.3 traffic secrets, for C programs that run their own handshake. Each owns one
//! direction's sequence number.
//!
//! In FIPS mode a sealer is made only from a TLS 1.3 traffic secret, once per secret
//! (see `wc_tls13_sealer_from_secret`): the engine then derives the key and IV and counts
//! the nonces itself, so no C caller chooses or repeats a GCM IV.

use std::ffi::{c_char, c_int};

use wirecrypt_engine::tls::{ContentType, Tls12Keys, Tls13Keys, TlsKeys, TlsOpener, TlsSealer};

use wirecrypt_engine::Error;

use crate::aead::aead_alg;
use crate::args;
use crate::batch::{self, OpenArgs, SealArgs, wc_opened};
use crate::engine::wc_engine;
use crate::status::{Fail, guard, wc_status};
use crate::usage::wc_key_usage;

/// Writes protected TLS records for one direction. Use from one thread at a time.
pub struct wc_tls_sealer {
    inner: TlsSealer,
}

/// Reads protected TLS records for one direction. Use from one thread at a time.
pub struct wc_tls_opener {
    inner: TlsOpener,
}

/// The arguments of `wc_tls_sealer_new` and `wc_tls_opener_new`, as the C caller passed
/// them.
struct KeyArgs {
    engine: *const wc_engine,
    version: c_int,
    alg_name: *const c_char,
    key: *const u8,
    key_len: usize,
    iv: *const u8,
    iv_len: usize,
}

impl KeyArgs {
    /// The engine and the keys they name.
    ///
    /// # Safety
    /// As for `wc_tls_sealer_new`.
    unsafe fn check<'a>(&self) -> Result<(&'a wc_engine, TlsKeys), Fail> {
        // SAFETY: forwarded from the caller's contract.
        let (engine, name, key, iv) = unsafe {
            (
                args::handle(self.engine, "engine")?,
                args::string(self.alg_name, "alg_name")?,
                args::bytes(self.key, self.key_len, "key")?,
                args::bytes(self.iv, self.iv_len, "iv")?,
            )
        };
        let alg = aead_alg(name)?;
        let keys = match self.version {
            13 => Tls13Keys::new(&engine.engine, alg, key, iv)?.into(),
            12 => Tls12Keys::new(&engine.engine, alg, key, iv)?.into(),
            v => {
                return Err(Fail::invalid(format!(
                    "TLS version must be 12 or 13, got {v}"
                )));
            }
        };
        Ok((engine, keys))
    }
}

/// The arguments of the `_from_secret` constructors, as the C caller passed them.
struct SecretArgs {
    engine: *const wc_engine,
    alg_name: *const c_char,
    secret: *const u8,
    secret_len: usize,
}

impl SecretArgs {
    /// The engine, the secret and the keys derived from it.
    ///
    /// # Safety
    /// As for `wc_tls13_sealer_from_secret`.
    unsafe fn check<'a>(&self) -> Result<(&'a wc_engine, &'a [u8], Tls13Keys), Fail> {
        // SAFETY: forwarded from the caller's contract.
        let (engine, name, secret) = unsafe {
            (
                args::handle(self.engine, "engine")?,
                args::string(self.alg_name, "alg_name")?,
                args::bytes(self.secret, self.secret_len, "secret")?,
            )
        };
        let keys = Tls13Keys::from_traffic_secret(&engine.engine, aead_alg(name)?, secret)?;
        Ok((engine, secret, keys))
    }
}

/// The one body of the four constructors: `*out` is set to NULL, then to the handle
/// `make` builds from what `check` returns.
///
/// # Safety
/// `out` as for `wc_tls_sealer_new`.
unsafe fn new_direction<K, H>(
    out: *mut *mut H,
    check: impl FnOnce() -> Result<K, Fail>,
    make: impl FnOnce(K) -> Result<H, Fail>,
) -> wc_status {
    // SAFETY: forwarded from the caller's contract.
    guard(|| unsafe { args::new_handle(out, || make(check()?)) })
}

/// A sealer from a caller's key and IV, refused in FIPS mode: its IV would be the
/// caller's.
fn sealer_from_keys((engine, keys): (&wc_engine, TlsKeys)) -> Result<wc_tls_sealer, Fail> {
    if !engine.engine.fips_mode() {
        return Ok(wc_tls_sealer {
            inner: TlsSealer::new(keys),
        });
    }
    engine.engine.status()?;
    Err(Error::FipsNotApproved {
        what: "a TLS sealer from a caller's key and IV",
        rule: "in FIPS mode the engine derives the key and IV itself: use \
               wc_tls13_sealer_from_secret (TLS 1.2 sealers are not offered)",
    }
    .into())
}

/// A sealer from a traffic secret; in FIPS mode the secret is claimed for the engine's
/// life, so no second sealer repeats its nonces.
fn sealer_from_secret(
    (engine, secret, keys): (&wc_engine, &[u8], Tls13Keys),
) -> Result<wc_tls_sealer, Fail> {
    if engine.engine.fips_mode() {
        engine.sealing_secrets.claim(
            &engine.engine,
            keys.algorithm().id(),
            &[secret],
            "TLS traffic secret",
        )?;
    }
    Ok(wc_tls_sealer {
        inner: TlsSealer::new(keys),
    })
}

/// Makes a record sealer for TLS `version` 13 or 12 from a traffic key and IV.
/// `alg_name`: `"aes-128-gcm"`, `"aes-256-gcm"`, `"chacha20-poly1305"` or a suite name
/// (`"TLS_AES_128_GCM_SHA256"`). IV: 12 bytes for TLS 1.3; for TLS 1.2 the
/// `write_IV` of the key block (4 bytes for AES-GCM, 12 for ChaCha20-Poly1305).
/// Sequence numbers start at 0, and no sealer seals one number twice; but two sealers
/// made from one key and IV repeat each other's nonces — make one per key. In FIPS mode
/// this is refused (`WC_ERR_FIPS_REFUSED`): use `wc_tls13_sealer_from_secret`.
///
/// # Safety
/// `engine` live, `alg_name` a C string, `key`/`iv` valid for their lengths, `out`
/// writable.
// The C prototypes of the constructors are kept as compact as the header's: sealer and
// opener take the same arguments, and their one body is `new_direction`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_tls_sealer_new(
    engine: *const wc_engine,
    version: c_int,
    alg_name: *const c_char,
    key: *const u8,
    key_len: usize,
    iv: *const u8,
    iv_len: usize,
    out: *mut *mut wc_tls_sealer,
) -> wc_status {
    let raw = KeyArgs {
        engine,
        version,
        alg_name,
        key,
        key_len,
        iv,
        iv_len,
    };
    // SAFETY: forwarded from the caller's contract.
    unsafe { new_direction(out, || raw.check(), sealer_from_keys) }
}

/// Makes a record opener; arguments as for `wc_tls_sealer_new`.
///
/// # Safety
/// As for `wc_tls_sealer_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_tls_opener_new(
    engine: *const wc_engine,
    version: c_int,
    alg_name: *const c_char,
    key: *const u8,
    key_len: usize,
    iv: *const u8,
    iv_len: usize,
    out: *mut *mut wc_tls_opener,
) -> wc_status {
    let raw = KeyArgs {
        engine,
        version,
        alg_name,
        key,
        key_len,
        iv,
        iv_len,
    };
    let opener = |(_, keys)| {
        Ok(wc_tls_opener {
            inner: TlsOpener::new(keys),
        })
    };
    // SAFETY: forwarded from the caller's contract.
    unsafe { new_direction(out, || raw.check(), opener) }
}

/// Makes a TLS 1.3 record sealer from a traffic secret
/// (`[sender]_handshake_traffic_secret` or `[sender]_application_traffic_secret_N`,
/// RFC 8446 §7.1): the write key and IV are derived inside by HKDF-Expand-Label with the
/// suite's hash (SHA-384 for `aes-256-gcm` / `TLS_AES_256_GCM_SHA384`, SHA-256 otherwise),
/// and `secret_len` must be that hash's length (48 or 32). Sequence numbers start at 0.
///
/// What the engine guarantees about nonces (GCM IVs) sealed through it: each is the
/// derived IV XOR the sealer's own sequence number, which only moves forward and is never
/// sealed twice; the caller never supplies an IV. In FIPS mode it also refuses a second
/// sealer from the same secret for the engine's life (`WC_ERR_FIPS_REFUSED`), so two
/// sealers cannot repeat each other's nonces; outside FIPS mode, make one sealer per
/// secret (a KeyUpdate gives a new secret).
///
/// # Safety
/// `engine` live, `alg_name` a C string, `secret` valid for `secret_len` bytes, `out`
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_tls13_sealer_from_secret(
    engine: *const wc_engine,
    alg_name: *const c_char,
    secret: *const u8,
    secret_len: usize,
    out: *mut *mut wc_tls_sealer,
) -> wc_status {
    let raw = SecretArgs {
        engine,
        alg_name,
        secret,
        secret_len,
    };
    // SAFETY: forwarded from the caller's contract.
    unsafe { new_direction(out, || raw.check(), sealer_from_secret) }
}

/// Makes a TLS 1.3 record opener from a traffic secret; arguments as for
/// `wc_tls13_sealer_from_secret` (openers may share a secret).
///
/// # Safety
/// As for `wc_tls13_sealer_from_secret`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_tls13_opener_from_secret(
    engine: *const wc_engine,
    alg_name: *const c_char,
    secret: *const u8,
    secret_len: usize,
    out: *mut *mut wc_tls_opener,
) -> wc_status {
    let raw = SecretArgs {
        engine,
        alg_name,
        secret,
        secret_len,
    };
    let opener = |(_, _, keys)| {
        Ok(wc_tls_opener {
            inner: TlsOpener::new(keys),
        })
    };
    // SAFETY: forwarded from the caller's contract.
    unsafe { new_direction(out, || raw.check(), opener) }
}

/// Writes one whole protected record (5-byte header ‖ body) carrying `data` of
/// `content_type` (20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data)
/// into `out`; `*out_len` = record length. At most 16384 bytes of data
/// (`WC_ERR_RECORD` otherwise). TLS 1.3 never protects change_cipher_spec: sealing one
/// gives `WC_ERR_RECORD` (send it in clear). When `out_cap` is too small: `WC_ERR_BUFFER_TOO_SMALL`
/// with the size needed in `*out_len` and the sequence number unchanged.
///
/// # Safety
/// `sealer` live and used by this thread only; `data` valid for `len` bytes; `out`
/// writable for `out_cap` bytes; `out_len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_tls_seal(
    sealer: *mut wc_tls_sealer,
    content_type: u8,
    data: *const u8,
    len: usize,
    out: *mut u8,
    out_cap: usize,
    out_len: *mut usize,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract; `data` is copied if it overlaps
        // `out`.
        let (sealer, out_len, data) = unsafe {
            (
                args::handle_mut(sealer, "sealer")?,
                args::out(out_len, "out_len")?,
                args::input_beside(data, len, out, out_cap, "data")?,
            )
        };
        out_len.set(0);
        let typ = ContentType::from_u8(content_type)
            .map_err(|_| Fail::invalid(format!("unknown TLS content type {content_type}")))?;
        let needed = sealer.inner.record_len(len);
        if len <= wirecrypt_engine::tls::MAX_PLAINTEXT {
            out_len.ensure_room(needed, out_cap)?;
        }
        // SAFETY: the caller guarantees `out` is writable for `out_cap` bytes; `data`
        // does not alias it.
        let out = unsafe { args::bytes_mut(out, out_cap, "out") }?;
        let n = sealer.inner.seal_into(typ, &data, out)?;
        out_len.set(n);
        Ok(())
    })
}

/// Opens one whole record (header ‖ body, `len` bytes) in place. On success the content
/// lies at `record + *plaintext_offset` for `*plaintext_len` bytes and `*content_type`
/// is its type. On failure the record is wiped past its header and the sequence number
/// does not advance (`WC_ERR_AUTH_FAILED`, `WC_ERR_RECORD`). A record that fails to open
/// ends the connection (RFC 8446 §5.2): every later call on this opener fails with the
/// same status — except when `len` is not the record's length (shorter than the 5-byte
/// header, or not matching its length field), which is the caller's framing. The three
/// out-pointers must not overlap `record` (`WC_ERR_INVALID_ARGUMENT`).
///
/// # Safety
/// `opener` live and used by this thread only; `record` valid for reads and writes of
/// `len` bytes; the three out-pointers writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_tls_open(
    opener: *mut wc_tls_opener,
    record: *mut u8,
    len: usize,
    content_type: *mut u8,
    plaintext_offset: *mut usize,
    plaintext_len: *mut usize,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (opener, typ_out, off_out, len_out) = unsafe {
            (
                args::handle_mut(opener, "opener")?,
                args::out(content_type, "content_type")?,
                args::out(plaintext_offset, "plaintext_offset")?,
                args::out(plaintext_len, "plaintext_len")?,
            )
        };
        // Results written into the record being opened would corrupt it (and alias it).
        args::outputs_beside(
            record,
            len,
            "record",
            &[
                args::out_bytes(content_type, "content_type"),
                args::out_bytes(plaintext_offset, "plaintext_offset"),
                args::out_bytes(plaintext_len, "plaintext_len"),
            ],
        )?;
        off_out.set(0);
        len_out.set(0);
        typ_out.set(0);
        // SAFETY: the caller guarantees `record` is valid for reads and writes of `len`
        // bytes; no out-parameter overlaps it.
        let record = unsafe { args::bytes_mut(record, len, "record") }?;
        let base = record.as_ptr() as usize;
        let (typ, content) = opener.inner.open(record)?;
        typ_out.set(typ.to_u8());
        off_out.set(content.as_ptr() as usize - base);
        len_out.set(content.len());
        Ok(())
    })
}

/// Seals `count` records of one `content_type`, record `i` carrying `lens[i]` bytes
/// from `payloads[i]` (each at most 16384), back to back into `out`: one buffer to
/// write. `*out_len` = bytes written. When `out_cap` is too small:
/// `WC_ERR_BUFFER_TOO_SMALL` with the size needed in `*out_len`, nothing sealed. Each
/// payload is read once, straight into its record (a payload overlapping `out` is
/// copied first). Other failures as for `wc_tls_seal`; if sealing itself fails, `out`
/// is wiped and the sealer is finished.
///
/// # Safety
/// `sealer` live and used by this thread only; `payloads` and `lens` valid for `count`
/// entries (NULL when `count` is 0), each payload valid for its length; `out` writable
/// for `out_cap` bytes; `out_len` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_tls_seal_batch(
    sealer: *mut wc_tls_sealer,
    content_type: u8,
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
        let typ = ContentType::from_u8(content_type)
            .map_err(|_| Fail::invalid(format!("unknown TLS content type {content_type}")))?;
        let wire_len = |sealer: &wc_tls_sealer, len| {
            if len > wirecrypt_engine::tls::MAX_PLAINTEXT {
                return Err(Fail::from(Error::RecordOverflow {
                    what: "record content",
                    length: len,
                    max: wirecrypt_engine::tls::MAX_PLAINTEXT,
                }));
            }
            Ok(sealer.inner.record_len(len))
        };
        let seal = |s: &mut wc_tls_sealer, p: &[&[u8]], w: &mut [u8]| s.inner.seal_from(typ, p, w);
        // SAFETY: forwarded from the caller's contract.
        unsafe { batch::seal_batch(raw, sealer, wire_len, seal) }
    })
}

/// Opens as many whole records as `buf` (`len` bytes, from the start of a record) holds,
/// in place, at most `opened_cap`: record `i`'s content lies at `buf + opened[i].offset`
/// for `opened[i].len` bytes, of type `opened[i].kind`; `*opened_count` records were
/// opened. `*consumed` bytes at the front of `buf` held them: keep the rest, read more
/// after it, and call again from there. `*needed`: how many more bytes past the end of
/// `buf` the next record needs before it can be opened (at least 1), or 0 when the call
/// stopped early — after a record that is not application data (a KeyUpdate or alert
/// may change what follows) or at `opened_cap` records — call again on the rest.
///
/// A record that fails (`WC_ERR_AUTH_FAILED`, `WC_ERR_RECORD`) is wiped past its header
/// and ends the connection, as for `wc_tls_open`; the records before it stay opened and
/// reported. `opened` and the three counts must not overlap `buf`
/// (`WC_ERR_INVALID_ARGUMENT`); `opened_cap` must be at least 1.
///
/// # Safety
/// `opener` live and used by this thread only; `buf` valid for reads and writes of
/// `len` bytes; `opened` writable for `opened_cap` entries; the counts writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_tls_open_buffer(
    opener: *mut wc_tls_opener,
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
            TlsOpener::open_buffer_at_most,
        )
    }
}

/// Where the sealer stands: `sequence` of the next record, and `rekey_due` nonzero when
/// a KeyUpdate should be sent now (AES-GCM keys near their record limit).
///
/// # Safety
/// `sealer` live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_tls_sealer_usage(
    sealer: *const wc_tls_sealer,
    out: *mut wc_key_usage,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (sealer, out) = unsafe { (args::handle(sealer, "sealer")?, args::out(out, "out")?) };
        let (sequence, due) = (sealer.inner.sequence(), sealer.inner.needs_key_update());
        out.set(wc_key_usage {
            sequence,
            rekey_due: i32::from(due),
        });
        Ok(())
    })
}

/// Where the opener stands: `sequence` of the next record it expects (`rekey_due` is 0).
///
/// # Safety
/// `opener` live; `out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_tls_opener_usage(
    opener: *const wc_tls_opener,
    out: *mut wc_key_usage,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let (opener, out) = unsafe { (args::handle(opener, "opener")?, args::out(out, "out")?) };
        let sequence = opener.inner.sequence();
        out.set(wc_key_usage {
            sequence,
            rekey_due: 0,
        });
        Ok(())
    })
}

/// Frees a TLS sealer (keys wiped); NULL is a no-op.
///
/// # Safety
/// NULL or from `wc_tls_sealer_new`, freed once, not in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_tls_sealer_free(sealer: *mut wc_tls_sealer) {
    // SAFETY: forwarded from the caller's contract.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe {
        args::free(sealer)
    }));
}

/// Frees a TLS opener (keys wiped); NULL is a no-op.
///
/// # Safety
/// NULL or from `wc_tls_opener_new`, freed once, not in use.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wc_tls_opener_free(opener: *mut wc_tls_opener) {
    // SAFETY: forwarded from the caller's contract.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe {
        args::free(opener)
    }));
}
