//! The C ABI (`ffi/`), every `wc_` function called through its Rust-side declarations
//! the way a careless or hostile C caller would: arbitrary lengths, NULL pointers (with
//! and without lengths), inputs (nonce, AAD, data, payload) lying inside the output
//! buffer, arbitrary and non-UTF-8 names, handles used after their peer failed.
//!
//! Input: a fill for the shared buffer every operation works in, then a sequence of
//! operations, each an opcode byte followed by its arguments (see [`Run::step`]).
//!
//! Invariants, besides no crash, no hang and no leak (LeakSanitizer runs at the end of
//! every input; every handle and string is freed):
//! * every status is one of `wc_status`'s values, never `WC_ERR_PANIC` or
//!   `WC_ERR_INTERNAL`, and `wc_last_error()` is empty exactly when it is `WC_OK`;
//! * a NULL handle or out-pointer gives `WC_ERR_NULL_POINTER`;
//! * nothing outside the output range is written, and a call refused for its buffer size
//!   writes nothing and names the size it needs;
//! * a failed open releases no plaintext: each byte of the output is what it was before
//!   the call or zero, and the lengths returned are zero;
//! * what a sealer seals, its twin opener opens to the same bytes; a flipped byte is
//!   refused.

#![no_main]

use std::ffi::{CStr, CString, c_char, c_int};
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wirecrypt_ffi::*;
use wirecrypt_fuzz::Input;

use wc_status::*;

/// The most operations one input runs, and handles of one kind it keeps.
const MAX_OPS: usize = 48;
const MAX_HANDLES: usize = 4;

const AEAD_NAMES: &[&str] = &[
    "aes-128-gcm",
    "aes-256-gcm",
    "chacha20-poly1305",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "tls_chacha20_poly1305_sha256",
    "aes256-gcm@openssh.com",
];
const SSH_CIPHERS: &[&str] = &[
    "none",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
    "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
];
const SSH_MACS: &[&str] = &[
    "hmac-sha2-256",
    "hmac-sha2-512",
    "hmac-sha1",
    "hmac-sha2-256-etm@openssh.com",
    "hmac-sha2-512-etm@openssh.com",
    "hmac-sha1-etm@openssh.com",
    "none",
];
const OTHER_NAMES: &[&str] = &[
    "rustcrypto",
    "ecdsa-p256",
    "rsa-2048",
    "rsa_pss_rsae_sha256",
];

/// Engines made once: the default one, one in FIPS mode, and one per provider forced.
/// Kept as addresses: the handles are `Send + Sync`, raw pointers are not.
fn engines() -> &'static [usize] {
    static ENGINES: OnceLock<Vec<usize>> = OnceLock::new();
    ENGINES.get_or_init(|| {
        let mut names: Vec<Option<CString>> = vec![None, None];
        for p in wirecrypt_fuzz::engines()[0].available() {
            names.push(Some(
                CString::new(p.id().as_str()).expect("no NUL in an id"),
            ));
        }
        names
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                let cfg = wc_engine_config {
                    provider: name.as_ref().map_or(null(), |n| n.as_ptr()),
                    fips: c_int::from(i == 1),
                    allow_fallback: 1,
                    ignore_env: 1,
                };
                let mut e = null_mut();
                // SAFETY: a valid config (its name outlives the call) and out-pointer.
                let st = unsafe { wc_engine_new(&cfg, &mut e) };
                (st == WC_OK).then_some(e as usize)
            })
            .collect()
    })
}

/// The checks every call's status gets: a value of the enum, never a caught panic or
/// an internal error, and a last-error message exactly when it failed.
fn check(st: wc_status, what: &str) -> wc_status {
    let code = st as i32;
    assert!(
        (0..=12).contains(&code),
        "{what}: status {code} out of range"
    );
    // SAFETY: wc_last_error never returns NULL; the string lives until the next call.
    let msg = unsafe { CStr::from_ptr(wc_last_error()) }.to_owned();
    assert!(
        st != WC_ERR_PANIC && st != WC_ERR_INTERNAL,
        "{what}: {st:?}: {msg:?}"
    );
    assert_eq!(
        st == WC_OK,
        msg.is_empty(),
        "{what}: {st:?} with last error {msg:?}"
    );
    st
}

/// A call with a NULL required argument fails: for the NULL, or for an argument
/// checked before it.
fn check_null(st: wc_status, null_arg: bool, what: &str) {
    if null_arg {
        assert!(
            matches!(
                st,
                WC_ERR_NULL_POINTER
                    | WC_ERR_INVALID_ARGUMENT
                    | WC_ERR_UNSUPPORTED
                    | WC_ERR_FIPS_REFUSED
            ),
            "{what}: {st:?} with a NULL argument"
        );
    }
}

/// Where an input argument's bytes come from.
#[derive(Clone)]
enum Span {
    /// NULL, with this length.
    Null(usize),
    /// A buffer of its own.
    Own(Vec<u8>),
    /// Inside the shared buffer: offset and length.
    Shared(usize, usize),
}

/// What `wc_aead_seal` made: key slot, nonce, AAD, plaintext, sealed bytes.
type Sealed = (usize, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

/// The operations' state: the shared buffer and the live handles.
struct Run<'a> {
    input: Input<'a>,
    buf: Vec<u8>,
    made_engines: Vec<*mut wc_engine>,
    aeads: Vec<*mut wc_aead>,
    tls_sealers: Vec<*mut wc_tls_sealer>,
    tls_openers: Vec<*mut wc_tls_opener>,
    tls_pairs: Vec<(*mut wc_tls_sealer, *mut wc_tls_opener)>,
    ssh_sealers: Vec<*mut wc_ssh_sealer>,
    ssh_openers: Vec<*mut wc_ssh_opener>,
    ssh_pairs: Vec<(*mut wc_ssh_sealer, *mut wc_ssh_opener)>,
    /// The last successful `wc_aead_seal`.
    last_seal: Option<Sealed>,
    /// Owned C strings handed out for the current call.
    names: Vec<CString>,
}

impl Drop for Run<'_> {
    fn drop(&mut self) {
        // SAFETY: each handle came from its `_new` and is freed once, here.
        unsafe {
            for a in self.aeads.drain(..) {
                wc_aead_free(a);
            }
            for s in self.tls_sealers.drain(..) {
                wc_tls_sealer_free(s);
            }
            for o in self.tls_openers.drain(..) {
                wc_tls_opener_free(o);
            }
            for (s, o) in self.tls_pairs.drain(..) {
                wc_tls_sealer_free(s);
                wc_tls_opener_free(o);
            }
            for s in self.ssh_sealers.drain(..) {
                wc_ssh_sealer_free(s);
            }
            for o in self.ssh_openers.drain(..) {
                wc_ssh_opener_free(o);
            }
            for (s, o) in self.ssh_pairs.drain(..) {
                wc_ssh_sealer_free(s);
                wc_ssh_opener_free(o);
            }
            // After the handles made from them: handles must not need their engine.
            for e in self.made_engines.drain(..) {
                wc_engine_free(e);
            }
            wc_engine_free(null_mut());
            wc_aead_free(null_mut());
            wc_string_free(null_mut());
        }
    }
}

/// Picks slot `b` of `v`, or NULL when `b` lands one past its end.
fn pick<T>(v: &[*mut T], b: u8) -> *mut T {
    let i = usize::from(b) % (v.len() + 1);
    v.get(i).copied().unwrap_or(null_mut())
}

/// Keeps a new handle, or frees it when the slots are full.
fn keep<T>(v: &mut Vec<*mut T>, h: *mut T, free: unsafe extern "C" fn(*mut T)) {
    if h.is_null() {
        return;
    }
    if v.len() < MAX_HANDLES {
        v.push(h);
    } else {
        // SAFETY: a live handle from its `_new`, freed once.
        unsafe { free(h) };
    }
}

/// Each byte of `after` is the same byte of `before` or zero.
fn assert_no_plaintext(before: &[u8], after: &[u8], what: &str) {
    let leaked = before
        .iter()
        .zip(after)
        .filter(|&(&b, &a)| a != b && a != 0)
        .count();
    assert_eq!(leaked, 0, "{what}: a failed open left {leaked} new bytes");
}

impl<'a> Run<'a> {
    fn new(data: &'a [u8]) -> Self {
        let mut input = Input::new(data);
        // 64 bytes to 32 KiB: room for TLS's 16 KiB records and their overflow.
        let size = 64usize << (input.byte() % 10);
        let fill_len = usize::from(input.byte());
        let fill = input.bytes(fill_len);
        let buf = (0..size)
            .map(|i| fill.get(i % fill.len().max(1)).copied().unwrap_or(i as u8))
            .collect();
        Run {
            input,
            buf,
            made_engines: Vec::new(),
            aeads: Vec::new(),
            tls_sealers: Vec::new(),
            tls_openers: Vec::new(),
            tls_pairs: Vec::new(),
            ssh_sealers: Vec::new(),
            ssh_openers: Vec::new(),
            ssh_pairs: Vec::new(),
            last_seal: None,
            names: Vec::new(),
        }
    }

    /// A length: mostly small or a size the API cares about, sometimes anywhere in the
    /// shared buffer or beyond it.
    fn len(&mut self) -> usize {
        let b = self.input.byte();
        match b >> 6 {
            0 => usize::from(b & 63),
            1 => [0, 4, 12, 16, 20, 24, 32, 48, 64, 5, 13, 17, 31, 33, 47, 49][usize::from(b & 15)],
            2 => usize::from(self.input.u16()) % (self.buf.len() + 1),
            _ => [16384, 16385, 16401, 17000, 35000, 1 << 18, 5, 6][usize::from(b & 7)],
        }
    }

    /// An input argument.
    fn span(&mut self) -> Span {
        let kind = self.input.byte();
        let len = self.len();
        match kind % 8 {
            0 => Span::Null(if kind & 8 == 0 { 0 } else { len }),
            1..=3 => {
                let len = len.min(1 << 16);
                Span::Own(self.input.bytes(len))
            }
            _ => {
                let off = usize::from(self.input.u16()) % (self.buf.len() + 1);
                Span::Shared(off, len.min(self.buf.len() - off))
            }
        }
    }

    /// An output range in the shared buffer (or NULL with a capacity).
    fn out_span(&mut self) -> (Option<usize>, usize) {
        let kind = self.input.byte();
        let cap = self.len();
        if kind.is_multiple_of(16) {
            return (None, if kind & 16 == 0 { 0 } else { cap });
        }
        let off = usize::from(self.input.u16()) % (self.buf.len() + 1);
        (Some(off), cap.min(self.buf.len() - off))
    }

    /// The pointer and length of an input span; `own` holds owned bytes alive.
    fn ptr(&mut self, s: &Span) -> (*const u8, usize) {
        let base = self.buf.as_mut_ptr();
        match s {
            Span::Null(n) => (null(), *n),
            Span::Own(v) => (v.as_ptr(), v.len()),
            // SAFETY: off + len <= buf.len(), checked when the span was made.
            Span::Shared(off, len) => (unsafe { base.add(*off) }.cast_const(), *len),
        }
    }

    fn out_ptr(&mut self, o: (Option<usize>, usize)) -> *mut u8 {
        let base = self.buf.as_mut_ptr();
        match o.0 {
            None => null_mut(),
            // SAFETY: off + cap <= buf.len(), checked when the range was made.
            Some(off) => unsafe { base.add(off) },
        }
    }

    /// The bytes of a span as they are now (None for NULL).
    fn bytes_of(&self, s: &Span) -> Option<Vec<u8>> {
        match s {
            Span::Null(_) => None,
            Span::Own(v) => Some(v.clone()),
            Span::Shared(off, len) => Some(self.buf[*off..off + len].to_vec()),
        }
    }

    /// A C string: a known name, arbitrary bytes (maybe not UTF-8), or NULL.
    fn name(&mut self, known: &[&str]) -> *const c_char {
        let b = self.input.byte();
        let s = if b < 0xC0 {
            CString::new(known[usize::from(b) % known.len()]).expect("no NUL")
        } else if b < 0xF8 {
            let n = usize::from(self.input.byte() % 48);
            let mut raw = self.input.bytes(n);
            raw.retain(|&c| c != 0);
            CString::new(raw).expect("NULs removed")
        } else {
            return null();
        };
        self.names.push(s);
        self.names.last().expect("just pushed").as_ptr()
    }

    fn engine(&mut self) -> *const wc_engine {
        let b = self.input.byte();
        let fixed = engines();
        let i = usize::from(b) % (fixed.len() + self.made_engines.len() + 1);
        if let Some(&e) = fixed.get(i) {
            e as *const wc_engine
        } else {
            self.made_engines
                .get(i - fixed.len())
                .map_or(null(), |&e| e.cast_const())
        }
    }

    /// Runs one operation; false when the input is spent.
    fn step(&mut self) -> bool {
        if self.input.rest_len() == 0 {
            return false;
        }
        self.names.clear();
        match self.input.byte() % 25 {
            0 => self.engine_new(),
            1 => self.engine_info(),
            2 => self.fips_check(),
            3 => self.aead_new(),
            4 | 5 => self.aead_seal(),
            6 | 7 => self.aead_open(),
            8 => self.tls_new(),
            9 => self.tls_seal(),
            10 => self.tls_open(),
            11 | 12 => self.tls_pair(),
            13 => self.ssh_new(),
            14 => self.ssh_seal(),
            15 => self.ssh_open(),
            16 | 17 => self.ssh_pair(),
            18 => self.usage(),
            19 => self.token(),
            20 => self.open_buffer(true),
            21 => self.open_buffer(false),
            22 => self.seal_batch(true),
            23 => self.seal_batch(false),
            _ => self.batch_pair(),
        }
        true
    }

    fn engine_new(&mut self) {
        let provider = self.name(OTHER_NAMES);
        let flags = self.input.byte();
        let cfg = wc_engine_config {
            provider,
            // FIPS mode runs every self-test: only now and then, for speed.
            fips: c_int::from(flags & 0x31 == 0x31),
            allow_fallback: c_int::from(flags & 2 != 0),
            ignore_env: 1,
        };
        let cfg_ptr: *const wc_engine_config = if flags & 4 != 0 { null() } else { &cfg };
        let mut e = std::ptr::dangling_mut::<wc_engine>();
        let null_out = flags & 8 != 0;
        let out = if null_out {
            null_mut()
        } else {
            &mut e as *mut _
        };
        // SAFETY: config NULL or valid with a NULL or C-string provider; out NULL or valid.
        let st = check(unsafe { wc_engine_new(cfg_ptr, out) }, "wc_engine_new");
        check_null(st, null_out, "wc_engine_new");
        if null_out {
            return;
        }
        if st == WC_OK {
            assert!(!e.is_null());
            keep(&mut self.made_engines, e, wc_engine_free);
        } else {
            assert!(e.is_null(), "wc_engine_new: *out not cleared on failure");
        }
    }

    fn engine_info(&mut self) {
        let e = self.engine();
        let flags = self.input.byte();
        let null_out = flags & 1 != 0;
        match flags % 3 {
            0 => {
                let mut json: *mut c_char = std::ptr::dangling_mut();
                let out = if null_out {
                    null_mut()
                } else {
                    &mut json as *mut _
                };
                // SAFETY: a live engine or NULL; out NULL or valid.
                let st = check(unsafe { wc_engine_probe_json(e, out) }, "probe_json");
                check_null(st, e.is_null() || null_out, "probe_json");
                if st == WC_OK {
                    // SAFETY: a string this library returned, read then freed once.
                    let s = unsafe { CStr::from_ptr(json) };
                    assert!(s.to_bytes().starts_with(b"{"), "probe_json: not JSON");
                    // SAFETY: as above.
                    unsafe { wc_string_free(json) };
                }
            }
            1 => {
                let mut on: c_int = -1;
                let out = if null_out {
                    null_mut()
                } else {
                    &mut on as *mut _
                };
                // SAFETY: a live engine or NULL; out NULL or valid.
                let st = check(unsafe { wc_engine_fips_mode(e, out) }, "fips_mode");
                check_null(st, e.is_null() || null_out, "fips_mode");
                if st == WC_OK {
                    assert!(on == 0 || on == 1);
                }
            }
            // Every self-test on every provider: only now and then, for speed.
            _ if flags & 0xF0 == 0xA0 => {
                let mut json: *mut c_char = std::ptr::dangling_mut();
                let out = if null_out {
                    null_mut()
                } else {
                    &mut json as *mut _
                };
                // SAFETY: a live engine or NULL; out NULL or valid.
                let st = check(unsafe { wc_selftest_run(e, out) }, "selftest_run");
                check_null(st, e.is_null() || null_out, "selftest_run");
                assert!(st == WC_OK || st == WC_ERR_NULL_POINTER, "selftest: {st:?}");
                if st == WC_OK {
                    // SAFETY: a string this library returned, freed once.
                    unsafe { wc_string_free(json) };
                }
            }
            _ => {}
        }
        // SAFETY: a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(wc_version()) };
        assert!(!v.to_bytes().is_empty());
    }

    fn fips_check(&mut self) {
        let flags = self.input.byte();
        let text = if flags & 1 != 0 {
            null()
        } else {
            let n = usize::from(self.input.u16() % 2048);
            let mut raw = self.input.bytes(n);
            raw.retain(|&c| c != 0);
            self.names.push(CString::new(raw).expect("NULs removed"));
            self.names.last().expect("just pushed").as_ptr()
        };
        let mut compliant: c_int = -1;
        let mut json: *mut c_char = std::ptr::dangling_mut();
        let c_out = if flags & 2 != 0 {
            null_mut()
        } else {
            &mut compliant as *mut _
        };
        let j_out = if flags & 4 != 0 {
            null_mut()
        } else {
            &mut json as *mut _
        };
        // SAFETY: text NULL or a C string; outs NULL or valid.
        let st = unsafe {
            if flags & 8 != 0 {
                wc_fips_check_ciphersuites(text, c_out, j_out)
            } else {
                wc_fips_check_sshd_config(text, c_out, j_out)
            }
        };
        let st = check(st, "fips_check");
        check_null(st, text.is_null() || c_out.is_null(), "fips_check");
        if st == WC_OK {
            assert!(compliant == 0 || compliant == 1);
            if !j_out.is_null() {
                assert!(!json.is_null());
                // SAFETY: a string this library returned, freed once.
                unsafe { wc_string_free(json) };
            }
        } else {
            assert!(
                st == WC_ERR_NULL_POINTER || st == WC_ERR_INVALID_ARGUMENT,
                "fips_check: {st:?}"
            );
            if !j_out.is_null() {
                assert!(
                    json.is_null(),
                    "fips_check: *json_out not cleared on failure"
                );
            }
        }
    }

    fn aead_new(&mut self) {
        let e = self.engine();
        let name = self.name(AEAD_NAMES);
        let key = self.span();
        let null_out = self.input.byte() == 0xFF;
        let (kp, kl) = self.ptr(&key);
        let mut a = std::ptr::dangling_mut::<wc_aead>();
        let out = if null_out {
            null_mut()
        } else {
            &mut a as *mut _
        };
        // SAFETY: engine live or NULL; name NULL or C string; key valid for kl or NULL.
        let st = check(unsafe { wc_aead_new(e, name, kp, kl, out) }, "wc_aead_new");
        check_null(st, null_out || e.is_null() || name.is_null(), "wc_aead_new");
        if null_out {
            return;
        }
        if st == WC_OK {
            keep(&mut self.aeads, a, wc_aead_free);
        } else {
            assert!(a.is_null(), "wc_aead_new: *out not cleared on failure");
        }
    }

    /// Seals, then (on success) opens what it sealed into a buffer of its own.
    fn aead_seal(&mut self) {
        let slot = self.input.byte();
        let a = pick(&self.aeads, slot);
        let nonce = self.span();
        let aad = self.span();
        let data = self.span();
        let out = self.out_span();
        let null_len = self.input.byte() == 0xFF;
        let (plain, n_bytes, aad_bytes) = (
            self.bytes_of(&data),
            self.bytes_of(&nonce),
            self.bytes_of(&aad),
        );
        let before = self.buf.clone();
        let (np, nl) = self.ptr(&nonce);
        let (ap, al) = self.ptr(&aad);
        let (dp, dl) = self.ptr(&data);
        let op = self.out_ptr(out);
        let mut written = usize::MAX;
        let wl = if null_len {
            null_mut()
        } else {
            &mut written as *mut _
        };
        // SAFETY: every pointer is NULL or valid for its length (`op` for writes of
        // `out.1` bytes); overlaps are the API's to handle.
        let st = unsafe { wc_aead_seal(a, np, nl, ap, al, dp, dl, op, out.1, wl) };
        let st = check(st, "wc_aead_seal");
        check_null(st, a.is_null() || null_len, "wc_aead_seal");
        let (off, cap) = (out.0.unwrap_or(0), out.1);
        self.assert_untouched_outside(&before, out.0.map(|o| (o, cap)), "wc_aead_seal");
        match st {
            WC_OK => {
                assert_eq!(written, dl + 16, "wc_aead_seal: length");
                let sealed = self.buf[off..off + written].to_vec();
                let (plain, nonce, aad) = (
                    plain.unwrap_or_default(),
                    n_bytes.unwrap_or_default(),
                    aad_bytes.unwrap_or_default(),
                );
                let mut back = vec![0u8; plain.len()];
                let mut n = 0;
                // SAFETY: a live key and buffers of our own, valid for their lengths.
                let st = unsafe {
                    wc_aead_open(
                        a,
                        nonce.as_ptr(),
                        nonce.len(),
                        aad.as_ptr(),
                        aad.len(),
                        sealed.as_ptr(),
                        sealed.len(),
                        back.as_mut_ptr(),
                        back.len(),
                        &mut n,
                    )
                };
                assert_eq!(check(st, "wc_aead_open"), WC_OK, "sealed but does not open");
                assert_eq!(back, plain, "wc_aead_seal: round trip");
                let i = self
                    .aeads
                    .iter()
                    .position(|&x| x == a)
                    .expect("a live slot");
                self.last_seal = Some((i, nonce, aad, plain, sealed));
            }
            WC_ERR_BUFFER_TOO_SMALL => {
                assert!(written > cap && written == dl + 16, "needed {written}");
                assert_eq!(before, self.buf, "wc_aead_seal wrote to a short buffer");
            }
            WC_ERR_NULL_POINTER => {}
            _ if !null_len => assert_eq!(written, 0, "wc_aead_seal: length on failure"),
            _ => {}
        }
    }

    /// Opens arbitrary bytes, or the last sealed message placed anywhere in the shared
    /// buffer (in place or beside), maybe with one byte flipped.
    fn aead_open(&mut self) {
        let slot = self.input.byte();
        let mode = self.input.byte();
        let mut flipped = false;
        let mut expect = None;
        let (a, nonce, aad, data) = match (&self.last_seal, mode & 1) {
            (Some((i, nonce, aad, plain, sealed)), 1) if !self.buf.is_empty() => {
                let (i, nonce, aad, plain, mut sealed) = (
                    *i,
                    nonce.clone(),
                    aad.clone(),
                    plain.clone(),
                    sealed.clone(),
                );
                let flip = self.input.byte();
                if flip != 0 && !sealed.is_empty() {
                    let at = usize::from(self.input.u16()) % sealed.len();
                    sealed[at] ^= flip;
                    flipped = true;
                }
                let off = usize::from(self.input.u16()) % self.buf.len();
                let data = if sealed.len() <= self.buf.len() - off {
                    self.buf[off..off + sealed.len()].copy_from_slice(&sealed);
                    Span::Shared(off, sealed.len())
                } else {
                    Span::Own(sealed)
                };
                expect = Some(plain);
                (self.aeads[i], Span::Own(nonce), Span::Own(aad), data)
            }
            _ => {
                let a = pick(&self.aeads, slot);
                (a, self.span(), self.span(), self.span())
            }
        };
        let out = self.out_span();
        let null_len = self.input.byte() == 0xFF;
        let before = self.buf.clone();
        let (np, nl) = self.ptr(&nonce);
        let (ap, al) = self.ptr(&aad);
        let (dp, dl) = self.ptr(&data);
        let op = self.out_ptr(out);
        let mut written = usize::MAX;
        let wl = if null_len {
            null_mut()
        } else {
            &mut written as *mut _
        };
        // SAFETY: as in aead_seal.
        let st = unsafe { wc_aead_open(a, np, nl, ap, al, dp, dl, op, out.1, wl) };
        let st = check(st, "wc_aead_open");
        check_null(st, a.is_null() || null_len, "wc_aead_open");
        let (off, cap) = (out.0.unwrap_or(0), out.1);
        self.assert_untouched_outside(&before, out.0.map(|o| (o, cap)), "wc_aead_open");
        if st == WC_OK {
            assert!(!flipped, "wc_aead_open accepted a flipped byte");
            assert_eq!(written, dl - 16, "wc_aead_open: length");
            if let Some(plain) = expect {
                assert_eq!(&self.buf[off..off + written], &plain[..], "round trip");
            }
            return;
        }
        if expect.is_some() && !flipped && out.0.is_some() && !null_len {
            assert!(
                st == WC_ERR_BUFFER_TOO_SMALL,
                "wc_aead_open refused its own seal: {st:?}"
            );
        }
        if st == WC_ERR_BUFFER_TOO_SMALL {
            assert!(written > cap && written + 16 == dl, "needed {written}");
            assert_eq!(before, self.buf, "wc_aead_open wrote to a short buffer");
            return;
        }
        if !null_len && st != WC_ERR_NULL_POINTER {
            assert_eq!(written, 0, "wc_aead_open: length on failure");
        }
        if let Some(o) = out.0 {
            assert_no_plaintext(&before[o..o + cap], &self.buf[o..o + cap], "wc_aead_open");
        }
    }

    fn assert_untouched_outside(&self, before: &[u8], out: Option<(usize, usize)>, what: &str) {
        let (off, cap) = out.unwrap_or((0, 0));
        assert_eq!(&before[..off], &self.buf[..off], "{what} wrote before out");
        assert_eq!(
            &before[off + cap..],
            &self.buf[off + cap..],
            "{what} wrote past out_cap"
        );
    }

    /// Makes a TLS sealer or opener: from a key and IV (any version), or from a secret.
    fn tls_make(&mut self, sealer: bool) -> *mut u8 {
        let e = self.engine();
        let flags = self.input.byte();
        let name = self.name(AEAD_NAMES);
        let version = match flags >> 4 {
            0..=6 => 13,
            7..=13 => 12,
            _ => c_int::from(self.input.byte()),
        };
        let key = self.span();
        let iv = self.span();
        let (kp, kl) = self.ptr(&key);
        let (ip, il) = self.ptr(&iv);
        let null_out = flags & 3 == 3;
        let from_secret = flags & 4 != 0;
        let mut h: *mut u8 = std::ptr::dangling_mut();
        let out = if null_out {
            null_mut()
        } else {
            &mut h as *mut *mut u8
        };
        // SAFETY: engine live or NULL; name NULL or a C string; key and IV NULL or valid
        // for their lengths; out NULL or valid.
        let st = unsafe {
            match (sealer, from_secret) {
                (true, false) => wc_tls_sealer_new(e, version, name, kp, kl, ip, il, out.cast()),
                (false, false) => wc_tls_opener_new(e, version, name, kp, kl, ip, il, out.cast()),
                (true, true) => wc_tls13_sealer_from_secret(e, name, kp, kl, out.cast()),
                (false, true) => wc_tls13_opener_from_secret(e, name, kp, kl, out.cast()),
            }
        };
        let st = check(st, "wc_tls_*_new");
        check_null(st, null_out || e.is_null(), "wc_tls_*_new");
        if null_out {
            return null_mut();
        }
        if st != WC_OK {
            assert!(h.is_null(), "wc_tls_*_new: *out not cleared on failure");
        }
        h
    }

    fn tls_new(&mut self) {
        let sealer = self.input.byte() & 1 == 0;
        let h = self.tls_make(sealer);
        if sealer {
            keep(&mut self.tls_sealers, h.cast(), wc_tls_sealer_free);
        } else {
            keep(&mut self.tls_openers, h.cast(), wc_tls_opener_free);
        }
    }

    /// Seals into the shared buffer; returns the record's range on success.
    fn tls_seal_with(&mut self, s: *mut wc_tls_sealer) -> Option<(usize, usize, u8, Vec<u8>)> {
        let typ = match self.input.byte() {
            b @ 0..=0xEF => 20 + b % 4,
            b => b,
        };
        let data = self.span();
        let out = self.out_span();
        let null_len = self.input.byte() == 0xFF;
        let plain = self.bytes_of(&data);
        let before = self.buf.clone();
        let seq_before = tls_sealer_seq(s);
        let (dp, dl) = self.ptr(&data);
        let op = self.out_ptr(out);
        let mut written = usize::MAX;
        let wl = if null_len {
            null_mut()
        } else {
            &mut written as *mut _
        };
        // SAFETY: sealer live or NULL; data NULL or valid; out valid for out.1 bytes.
        let st = check(
            unsafe { wc_tls_seal(s, typ, dp, dl, op, out.1, wl) },
            "wc_tls_seal",
        );
        check_null(st, s.is_null() || null_len, "wc_tls_seal");
        self.assert_untouched_outside(&before, out.0.map(|o| (o, out.1)), "wc_tls_seal");
        match st {
            WC_OK => {
                assert!(dl <= 16384, "wc_tls_seal: {dl} bytes in one record");
                assert_eq!(tls_sealer_seq(s), seq_before.map(|q| q + 1));
                let off = out.0.expect("sealed into a buffer");
                assert!(written <= out.1 && written >= 5 + dl);
                let rec = &self.buf[off..off + written];
                assert_eq!(
                    usize::from(u16::from_be_bytes([rec[3], rec[4]])) + 5,
                    written,
                    "wc_tls_seal: header length"
                );
                Some((off, written, typ, plain.unwrap_or_default()))
            }
            WC_ERR_BUFFER_TOO_SMALL => {
                assert!(written > out.1, "needed {written}");
                assert_eq!(before, self.buf, "wc_tls_seal wrote to a short buffer");
                assert_eq!(tls_sealer_seq(s), seq_before);
                None
            }
            _ => {
                if !null_len && st != WC_ERR_NULL_POINTER {
                    assert_eq!(written, 0, "wc_tls_seal: length on failure");
                }
                None
            }
        }
    }

    fn tls_seal(&mut self) {
        let s = pick(&self.tls_sealers, self.input.byte());
        self.tls_seal_with(s);
    }

    /// Opens `len` bytes at `off` of the shared buffer; on failure checks that nothing
    /// was released.
    fn tls_open_at(
        &mut self,
        o: *mut wc_tls_opener,
        rec: Option<(usize, usize)>,
        null_outs: u8,
    ) -> (wc_status, u8, usize, usize) {
        let before = self.buf.clone();
        let (ptr, len) = match rec {
            Some((off, len)) => (self.out_ptr((Some(off), len)), len),
            None => (null_mut(), self.len()),
        };
        let (mut typ, mut at, mut n) = (0xEEu8, usize::MAX, usize::MAX);
        let tp = if null_outs & 1 != 0 {
            null_mut()
        } else {
            &mut typ as *mut u8
        };
        let ap = if null_outs & 2 != 0 {
            null_mut()
        } else {
            &mut at as *mut usize
        };
        let np = if null_outs & 4 != 0 {
            null_mut()
        } else {
            &mut n as *mut usize
        };
        // SAFETY: opener live or NULL; record NULL or valid for reads and writes of len.
        let st = check(
            unsafe { wc_tls_open(o, ptr, len, tp, ap, np) },
            "wc_tls_open",
        );
        check_null(st, o.is_null() || null_outs & 7 != 0, "wc_tls_open");
        self.assert_untouched_outside(&before, rec, "wc_tls_open");
        if st == WC_OK {
            assert!(
                at >= 5 && at + n <= len,
                "wc_tls_open: content at {at}+{n} of {len}"
            );
            assert!(n <= 16384, "wc_tls_open: {n} bytes of content");
        } else if st != WC_ERR_NULL_POINTER {
            assert_eq!((typ, at, n), (0, 0, 0), "wc_tls_open: outputs on failure");
            if let Some((off, len)) = rec {
                let from = off + len.min(5);
                assert_no_plaintext(
                    &before[from..off + len],
                    &self.buf[from..off + len],
                    "wc_tls_open",
                );
            }
        }
        (st, typ, at, n)
    }

    fn tls_open(&mut self) {
        let o = pick(&self.tls_openers, self.input.byte());
        let null_outs = if self.input.byte() == 0xFF {
            self.input.byte()
        } else {
            0
        };
        let rec = match self.out_span() {
            (Some(off), len) => Some((off, len)),
            (None, _) => None,
        };
        self.tls_open_at(o, rec, null_outs);
    }

    /// A sealer and an opener from the same arguments: what one seals the other opens,
    /// and a flipped byte is refused. New pairs, or records through an existing one.
    fn tls_pair(&mut self) {
        if self.input.byte() & 1 == 0 || self.tls_pairs.is_empty() {
            let snapshot = self.input.mark();
            let s = self.tls_make(true);
            self.input.rewind(snapshot);
            let o = self.tls_make(false);
            match (s.is_null(), o.is_null()) {
                (false, false) if self.tls_pairs.len() < MAX_HANDLES => {
                    self.tls_pairs.push((s.cast(), o.cast()))
                }
                _ => {
                    // SAFETY: live handles or NULL, freed once.
                    unsafe {
                        wc_tls_sealer_free(s.cast());
                        wc_tls_opener_free(o.cast());
                    }
                }
            }
            return;
        }
        let i = usize::from(self.input.byte()) % self.tls_pairs.len();
        let (s, o) = self.tls_pairs[i];
        let flip = self.input.byte();
        let Some((off, len, typ, plain)) = self.tls_seal_with(s) else {
            return;
        };
        if flip != 0 {
            let at = usize::from(self.input.u16()) % len;
            self.buf[off + at] ^= flip;
        }
        let (st, got_typ, at, n) = self.tls_open_at(o, Some((off, len)), 0);
        if flip == 0 {
            assert_eq!(st, WC_OK, "wc_tls_open refused its twin's record");
            assert_eq!(got_typ, typ, "wc_tls_open: content type");
            assert_eq!(&self.buf[off + at..off + at + n], &plain[..], "round trip");
        } else {
            assert_ne!(st, WC_OK, "wc_tls_open accepted a flipped byte");
            // The opener is dead now; drop the pair.
            self.tls_pairs.swap_remove(i);
            // SAFETY: live handles, freed once.
            unsafe {
                wc_tls_sealer_free(s);
                wc_tls_opener_free(o);
            }
        }
    }

    /// Makes an SSH sealer or opener.
    fn ssh_make(&mut self, sealer: bool) -> *mut u8 {
        let e = self.engine();
        let cipher = self.name(SSH_CIPHERS);
        let mac = self.name(SSH_MACS);
        // Often no MAC name at all, as the AEAD modes want.
        let mac = if self.input.byte().is_multiple_of(4) {
            null()
        } else {
            mac
        };
        let key = self.span();
        let iv = self.span();
        let mac_key = self.span();
        let null_out = self.input.byte() == 0xFF;
        let (kp, kl) = self.ptr(&key);
        let (ip, il) = self.ptr(&iv);
        let (mp, ml) = self.ptr(&mac_key);
        let mut h: *mut u8 = std::ptr::dangling_mut();
        let out = if null_out {
            null_mut()
        } else {
            &mut h as *mut *mut u8
        };
        // SAFETY: engine live or NULL; names NULL or C strings; buffers NULL or valid.
        let st = unsafe {
            if sealer {
                wc_ssh_sealer_new(e, cipher, mac, kp, kl, ip, il, mp, ml, out.cast())
            } else {
                wc_ssh_opener_new(e, cipher, mac, kp, kl, ip, il, mp, ml, out.cast())
            }
        };
        let st = check(st, "wc_ssh_*_new");
        check_null(
            st,
            null_out || e.is_null() || cipher.is_null(),
            "wc_ssh_*_new",
        );
        if null_out {
            return null_mut();
        }
        if st != WC_OK {
            assert!(h.is_null(), "wc_ssh_*_new: *out not cleared on failure");
        }
        h
    }

    fn ssh_new(&mut self) {
        let sealer = self.input.byte() & 1 == 0;
        let h = self.ssh_make(sealer);
        if sealer {
            keep(&mut self.ssh_sealers, h.cast(), wc_ssh_sealer_free);
        } else {
            keep(&mut self.ssh_openers, h.cast(), wc_ssh_opener_free);
        }
    }

    fn ssh_seal_with(&mut self, s: *mut wc_ssh_sealer) -> Option<(usize, usize, Vec<u8>)> {
        let data = self.span();
        let out = self.out_span();
        let null_len = self.input.byte() == 0xFF;
        let plain = self.bytes_of(&data);
        let before = self.buf.clone();
        let (dp, dl) = self.ptr(&data);
        let op = self.out_ptr(out);
        let mut written = usize::MAX;
        let wl = if null_len {
            null_mut()
        } else {
            &mut written as *mut _
        };
        // SAFETY: sealer live or NULL; payload NULL or valid; out valid for out.1 bytes.
        let st = check(
            unsafe { wc_ssh_seal(s, dp, dl, op, out.1, wl) },
            "wc_ssh_seal",
        );
        check_null(st, s.is_null() || null_len, "wc_ssh_seal");
        self.assert_untouched_outside(&before, out.0.map(|o| (o, out.1)), "wc_ssh_seal");
        match st {
            WC_OK => {
                assert!(written <= out.1 && written >= 4 + 1 + dl + 4);
                Some((
                    out.0.expect("sealed into a buffer"),
                    written,
                    plain.unwrap_or_default(),
                ))
            }
            WC_ERR_BUFFER_TOO_SMALL => {
                assert!(written > out.1, "needed {written}");
                assert_eq!(before, self.buf, "wc_ssh_seal wrote to a short buffer");
                None
            }
            _ => {
                if !null_len && st != WC_ERR_NULL_POINTER {
                    assert_eq!(written, 0, "wc_ssh_seal: length on failure");
                }
                None
            }
        }
    }

    fn ssh_seal(&mut self) {
        let s = pick(&self.ssh_sealers, self.input.byte());
        self.ssh_seal_with(s);
    }

    /// The streaming calls (header length, packet length) then the open, on `len` bytes
    /// at `off` of the shared buffer.
    fn ssh_open_at(
        &mut self,
        o: *mut wc_ssh_opener,
        pkt: Option<(usize, usize)>,
        flags: u8,
    ) -> (wc_status, usize, usize) {
        if flags & 1 != 0 {
            let mut h = usize::MAX;
            let hp = if flags & 2 != 0 {
                null_mut()
            } else {
                &mut h as *mut usize
            };
            // SAFETY: opener live or NULL; out NULL or valid.
            let st = check(unsafe { wc_ssh_header_len(o, hp) }, "wc_ssh_header_len");
            check_null(st, o.is_null() || hp.is_null(), "wc_ssh_header_len");
            if st == WC_OK {
                assert!(h == 4 || h == 16 || h == 8, "header length {h}");
            }
        }
        let before = self.buf.clone();
        let (ptr, len) = match pkt {
            Some((off, len)) => (self.out_ptr((Some(off), len)), len),
            None => (null_mut(), self.len()),
        };
        if flags & 4 != 0 {
            let first = if flags & 8 != 0 {
                len
            } else {
                self.len().min(len)
            };
            let mut rem = usize::MAX;
            // SAFETY: opener live or NULL; `first` <= len bytes of a valid buffer or NULL.
            let st = check(
                unsafe { wc_ssh_packet_length(o, ptr, first, &mut rem) },
                "wc_ssh_packet_length",
            );
            check_null(st, o.is_null(), "wc_ssh_packet_length");
            if st == WC_OK {
                assert!(
                    rem <= 256 * 1024 + 128,
                    "wc_ssh_packet_length: {rem} more bytes"
                );
            } else if st != WC_ERR_NULL_POINTER {
                assert_eq!(rem, 0, "wc_ssh_packet_length: remaining on failure");
            }
            self.assert_untouched_outside(&before, None, "wc_ssh_packet_length");
        }
        let (mut at, mut n) = (usize::MAX, usize::MAX);
        let null_outs = flags & 0x30 == 0x30;
        let (ap, np) = if null_outs {
            (null_mut(), &mut n as *mut usize)
        } else {
            (&mut at as *mut usize, &mut n as *mut usize)
        };
        let before = self.buf.clone();
        // SAFETY: opener live or NULL; packet NULL or valid for len bytes; outs valid/NULL.
        let st = check(unsafe { wc_ssh_open(o, ptr, len, ap, np) }, "wc_ssh_open");
        check_null(st, o.is_null() || null_outs, "wc_ssh_open");
        self.assert_untouched_outside(&before, pkt, "wc_ssh_open");
        if st == WC_OK {
            assert!(
                at >= 5 && at + n <= len,
                "wc_ssh_open: payload at {at}+{n} of {len}"
            );
        } else if st != WC_ERR_NULL_POINTER {
            assert_eq!((at, n), (0, 0), "wc_ssh_open: outputs on failure");
            if let Some((off, len)) = pkt {
                assert_no_plaintext(
                    &before[off..off + len],
                    &self.buf[off..off + len],
                    "wc_ssh_open",
                );
            }
        }
        (st, at, n)
    }

    fn ssh_open(&mut self) {
        let o = pick(&self.ssh_openers, self.input.byte());
        let flags = self.input.byte();
        let pkt = match self.out_span() {
            (Some(off), len) => Some((off, len)),
            (None, _) => None,
        };
        self.ssh_open_at(o, pkt, flags);
    }

    fn ssh_pair(&mut self) {
        if self.input.byte() & 1 == 0 || self.ssh_pairs.is_empty() {
            let snapshot = self.input.mark();
            let s = self.ssh_make(true);
            self.input.rewind(snapshot);
            let o = self.ssh_make(false);
            match (s.is_null(), o.is_null()) {
                (false, false) if self.ssh_pairs.len() < MAX_HANDLES => {
                    self.ssh_pairs.push((s.cast(), o.cast()))
                }
                _ => {
                    // SAFETY: live handles or NULL, freed once.
                    unsafe {
                        wc_ssh_sealer_free(s.cast());
                        wc_ssh_opener_free(o.cast());
                    }
                }
            }
            return;
        }
        let i = usize::from(self.input.byte()) % self.ssh_pairs.len();
        let (s, o) = self.ssh_pairs[i];
        let flip = self.input.byte();
        let flags = self.input.byte() & 0x0D;
        let Some((off, len, plain)) = self.ssh_seal_with(s) else {
            return;
        };
        if flip != 0 {
            let at = usize::from(self.input.u16()) % len;
            self.buf[off + at] ^= flip;
        }
        // Whole packets only: the first bytes given are the whole packet (flag 8).
        let (st, at, n) = self.ssh_open_at(o, Some((off, len)), flags | 8);
        if flip == 0 {
            assert_eq!(st, WC_OK, "wc_ssh_open refused its twin's packet");
            assert_eq!(&self.buf[off + at..off + at + n], &plain[..], "round trip");
        } else {
            // The none mode has no integrity: a flipped byte may open.
            if st == WC_OK {
                return;
            }
            self.ssh_pairs.swap_remove(i);
            // SAFETY: live handles, freed once.
            unsafe {
                wc_ssh_sealer_free(s);
                wc_ssh_opener_free(o);
            }
        }
    }

    /// `wc_tls_seal_batch` (`tls`) or `wc_ssh_seal_batch` with sealer `s`: up to four
    /// payloads, each anywhere an input may be (NULL, owned, inside the output), or NULL
    /// arrays. Nothing is written outside the output, and a short buffer names its size
    /// and is not written. Returns the batch's range and payloads when it sealed.
    fn seal_batch_with(&mut self, tls: bool, s: *mut u8) -> Option<(usize, usize, Vec<Vec<u8>>)> {
        let what = if tls {
            "wc_tls_seal_batch"
        } else {
            "wc_ssh_seal_batch"
        };
        let typ = 20 + self.input.byte() % 4;
        let count = usize::from(self.input.byte() % 5);
        let spans: Vec<Span> = (0..count).map(|_| self.span()).collect();
        let out = self.out_span();
        let flags = self.input.byte();
        let plains: Vec<Vec<u8>> = spans
            .iter()
            .map(|s| self.bytes_of(s).unwrap_or_default())
            .collect();
        let (ptrs, lens): (Vec<*const u8>, Vec<usize>) = spans.iter().map(|s| self.ptr(s)).unzip();
        let null_arrays = count > 0 && flags & 3 != 0;
        let pp = if flags & 1 != 0 {
            null()
        } else {
            ptrs.as_ptr()
        };
        let lp = if flags & 2 != 0 {
            null()
        } else {
            lens.as_ptr()
        };
        let null_len = flags & 4 != 0;
        let before = self.buf.clone();
        let op = self.out_ptr(out);
        let mut written = usize::MAX;
        let wl = if null_len {
            null_mut()
        } else {
            &mut written as *mut usize
        };
        // SAFETY: sealer live or NULL; the arrays NULL or `count` entries; each payload
        // NULL or valid for its length; out valid for out.1 bytes.
        let st = check(
            unsafe {
                if tls {
                    wc_tls_seal_batch(s.cast(), typ, pp, lp, count, op, out.1, wl)
                } else {
                    wc_ssh_seal_batch(s.cast(), pp, lp, count, op, out.1, wl)
                }
            },
            what,
        );
        check_null(st, s.is_null() || null_len || null_arrays, what);
        self.assert_untouched_outside(&before, out.0.map(|o| (o, out.1)), what);
        match st {
            WC_OK => {
                assert!(written <= out.1, "{what}: wrote {written} of {}", out.1);
                out.0.map(|off| (off, written, plains))
            }
            WC_ERR_BUFFER_TOO_SMALL => {
                assert!(written > out.1, "{what}: needed {written}");
                assert_eq!(before, self.buf, "{what} wrote to a short buffer");
                None
            }
            _ => None,
        }
    }

    fn seal_batch(&mut self, tls: bool) {
        let b = self.input.byte();
        let s: *mut u8 = if tls {
            pick(&self.tls_sealers, b).cast()
        } else {
            pick(&self.ssh_sealers, b).cast()
        };
        self.seal_batch_with(tls, s);
    }

    /// `wc_tls_open_buffer` (`tls`) or `wc_ssh_open_buffer` with opener `o` on a range of
    /// the shared buffer: at most `cap` results, a hostile `cap`, results placed inside
    /// the range (refused), NULL out-pointers. Nothing outside the range is written,
    /// every result lies inside it, and a call that opened nothing and failed released
    /// nothing. Returns the status and each result's kind and payload.
    fn open_buffer_with(
        &mut self,
        tls: bool,
        o: *mut u8,
        range: Option<(usize, usize)>,
    ) -> (wc_status, usize, Vec<(u8, Vec<u8>)>) {
        let what = if tls {
            "wc_tls_open_buffer"
        } else {
            "wc_ssh_open_buffer"
        };
        let b = self.input.byte();
        let null_outs = if b == 0xFF { self.input.byte() } else { 0 };
        let mut results = [wc_opened::default(); 8];
        let cap = match b >> 5 {
            0 => 0,
            1 => usize::MAX / 2,
            _ => usize::from(b % 8) + 1,
        };
        let before = self.buf.clone();
        let (ptr, len) = match range {
            Some((off, len)) => (self.out_ptr((Some(off), len)), len),
            None => (null_mut(), self.len()),
        };
        // Results inside the range being opened: refused before anything is opened.
        let inside = match range {
            Some((off, len)) if b & 0x10 != 0 && len >= 64 => {
                let base = self.buf.as_mut_ptr();
                // SAFETY: off + len <= buf.len(); the aligned start stays inside the range.
                let p = unsafe { base.add(off) };
                let p = unsafe { p.add(p.align_offset(align_of::<wc_opened>())) };
                Some(p.cast::<wc_opened>())
            }
            _ => None,
        };
        let (mut count, mut consumed, mut needed) = (usize::MAX, usize::MAX, usize::MAX);
        let rp = if null_outs & 1 != 0 {
            null_mut()
        } else {
            inside.unwrap_or(results.as_mut_ptr())
        };
        let outs = [&mut count, &mut consumed, &mut needed];
        let [cp, sp, np] = outs.map(|r| r as *mut usize);
        let cp = if null_outs & 2 != 0 { null_mut() } else { cp };
        let sp = if null_outs & 4 != 0 { null_mut() } else { sp };
        let np = if null_outs & 8 != 0 { null_mut() } else { np };
        // SAFETY: opener live or NULL; buf NULL or valid for len bytes; results NULL,
        // 8 entries (cap is at most 8, or too large to be accepted), or inside buf
        // (refused); the counts NULL or valid.
        let st = check(
            unsafe {
                if tls {
                    wc_tls_open_buffer(o.cast(), ptr, len, rp, cap, cp, sp, np)
                } else {
                    wc_ssh_open_buffer(o.cast(), ptr, len, rp, cap, cp, sp, np)
                }
            },
            what,
        );
        check_null(st, o.is_null() || null_outs & 15 != 0, what);
        self.assert_untouched_outside(&before, range, what);
        if inside.is_some() && st != WC_ERR_NULL_POINTER {
            assert_eq!(st, WC_ERR_INVALID_ARGUMENT, "{what}: results inside buf");
        }
        if st == WC_ERR_NULL_POINTER || inside.is_some() {
            return (st, 0, Vec::new());
        }
        assert!(count <= cap.min(8), "{what}: {count} results for {cap}");
        let mut opened = Vec::new();
        for r in &results[..count] {
            assert!(
                r.offset + r.len <= len,
                "{what}: payload at {}+{} of {len}",
                r.offset,
                r.len
            );
            let (off, _) = range.expect("opened something in a buffer");
            opened.push((
                r.kind,
                self.buf[off + r.offset..off + r.offset + r.len].to_vec(),
            ));
        }
        if st == WC_OK {
            assert!(consumed <= len, "{what}: consumed {consumed} of {len}");
        } else if count == 0 {
            if let Some((off, len)) = range {
                assert_no_plaintext(&before[off..off + len], &self.buf[off..off + len], what);
            }
        }
        (st, consumed, opened)
    }

    fn open_buffer(&mut self, tls: bool) {
        let b = self.input.byte();
        let o: *mut u8 = if tls {
            pick(&self.tls_openers, b).cast()
        } else {
            pick(&self.ssh_openers, b).cast()
        };
        let range = match self.out_span() {
            (Some(off), len) => Some((off, len)),
            (None, _) => None,
        };
        self.open_buffer_with(tls, o, range);
    }

    /// A batch sealed by a pair's sealer opens with its twin opener, payload for payload
    /// (up to where the opener stops: a TLS record other than application data, SSH's
    /// `SSH_MSG_NEWKEYS`, or its results running out).
    fn batch_pair(&mut self) {
        let tls = self.input.byte() & 1 == 0;
        let pairs = if tls {
            self.tls_pairs.len()
        } else {
            self.ssh_pairs.len()
        };
        if pairs == 0 {
            return;
        }
        let i = usize::from(self.input.byte()) % pairs;
        let (s, o): (*mut u8, *mut u8) = if tls {
            (self.tls_pairs[i].0.cast(), self.tls_pairs[i].1.cast())
        } else {
            (self.ssh_pairs[i].0.cast(), self.ssh_pairs[i].1.cast())
        };
        let Some((off, len, plains)) = self.seal_batch_with(tls, s) else {
            return;
        };
        let (st, consumed, opened) = self.open_buffer_with(tls, o, Some((off, len)));
        // Only a caller's mistake (no results, results inside the buffer) may refuse a
        // twin's batch.
        assert!(
            matches!(st, WC_OK | WC_ERR_INVALID_ARGUMENT | WC_ERR_NULL_POINTER),
            "{st:?}: a twin's batch refused"
        );
        assert!(opened.len() <= plains.len());
        for ((_, got), want) in opened.iter().zip(&plains) {
            assert_eq!(got, want, "batch round trip");
        }
        if st == WC_OK && opened.len() == plains.len() {
            assert_eq!(consumed, len, "the whole batch consumed");
            return;
        }
        // The opener stopped short of the sealer: the pair is out of step; drop it.
        // SAFETY: live handles, freed once (and forgotten below).
        unsafe {
            if tls {
                self.tls_pairs.swap_remove(i);
                wc_tls_sealer_free(s.cast());
                wc_tls_opener_free(o.cast());
            } else {
                self.ssh_pairs.swap_remove(i);
                wc_ssh_sealer_free(s.cast());
                wc_ssh_opener_free(o.cast());
            }
        }
    }

    fn usage(&mut self) {
        let b = self.input.byte();
        let null_out = b & 0x80 != 0;
        let mut u = wc_key_usage {
            sequence: u64::MAX,
            rekey_due: -1,
        };
        let out = if null_out {
            null_mut()
        } else {
            &mut u as *mut _
        };
        let slot = self.input.byte();
        // SAFETY: handles live or NULL; out NULL or valid.
        let (st, null_h) = unsafe {
            match b % 4 {
                0 => {
                    let h = pick(&self.tls_sealers, slot);
                    (wc_tls_sealer_usage(h, out), h.is_null())
                }
                1 => {
                    let h = pick(&self.tls_openers, slot);
                    (wc_tls_opener_usage(h, out), h.is_null())
                }
                2 => {
                    let h = pick(&self.ssh_sealers, slot);
                    (wc_ssh_sealer_usage(h, out), h.is_null())
                }
                _ => {
                    let h = pick(&self.ssh_openers, slot);
                    (wc_ssh_opener_usage(h, out), h.is_null())
                }
            }
        };
        let st = check(st, "usage");
        check_null(st, null_out || null_h, "usage");
        if st == WC_OK {
            assert!(u.rekey_due == 0 || u.rekey_due == 1);
        } else {
            assert_eq!(st, WC_ERR_NULL_POINTER);
        }
    }

    /// The token calls: no token is configured here, so each fails, with the right
    /// status, and hands out nothing.
    fn token(&mut self) {
        let b = self.input.byte();
        let label = self.name(OTHER_NAMES);
        let other = self.name(OTHER_NAMES);
        let msg = self.span();
        let (mp, ml) = self.ptr(&msg);
        let mut key = std::ptr::dangling_mut::<wc_token_key>();
        let mut n = usize::MAX;
        let mut out = [0u8; 64];
        // SAFETY: names NULL or C strings; buffers valid for their lengths; the key
        // handle is NULL (there is no token to open one from).
        let st = unsafe {
            match b % 6 {
                0 => wc_token_key_open(label, &mut key),
                1 => wc_token_key_generate(label, other, &mut key),
                2 => wc_token_key_delete(label, &mut n),
                3 => wc_token_key_public_spki(null(), out.as_mut_ptr(), out.len(), &mut n),
                4 => wc_token_key_sign(null(), other, mp, ml, out.as_mut_ptr(), 64, &mut n),
                _ => {
                    wc_token_key_free(null_mut());
                    return;
                }
            }
        };
        let st = check(st, "wc_token_*");
        assert!(
            matches!(
                st,
                WC_ERR_UNSUPPORTED | WC_ERR_NULL_POINTER | WC_ERR_INVALID_ARGUMENT
            ),
            "wc_token_*: {st:?} without a token"
        );
        if b % 6 < 2 {
            assert!(key.is_null(), "*out not cleared on failure");
        }
    }
}

/// The sequence number a TLS sealer will use next (None for NULL).
fn tls_sealer_seq(s: *const wc_tls_sealer) -> Option<u64> {
    let mut u = wc_key_usage::default();
    // SAFETY: a live sealer (or NULL, refused) and a valid out-pointer.
    (unsafe { wc_tls_sealer_usage(s, &mut u) } == WC_OK).then_some(u.sequence)
}

fuzz_target!(|data: &[u8]| {
    let mut run = Run::new(data);
    for _ in 0..MAX_OPS {
        if !run.step() {
            break;
        }
    }
});
