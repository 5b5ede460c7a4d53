//! What the batch calls share: `wc_opened`, the results of `wc_tls_open_buffer` and
//! `wc_ssh_open_buffer`, with the checks of their arguments; and the arrays of payloads
//! `wc_tls_seal_batch` and `wc_ssh_seal_batch` take.

use std::mem::size_of;

use wirecrypt_engine::record::{Opened, Progress, RecordError};

use crate::args::{self, Input};
use crate::status::{Fail, guard, wc_status};

/// One record or packet opened by `wc_tls_open_buffer` / `wc_ssh_open_buffer`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct wc_opened {
    /// Where the payload starts, from the start of the buffer given to the call.
    pub offset: usize,
    /// The payload's length.
    pub len: usize,
    /// TLS: the content type (23 application_data, ...). SSH: the message number (the
    /// payload's first byte; 0 for an empty payload).
    pub kind: u8,
}

impl From<RecordError> for Fail {
    fn from(e: RecordError) -> Fail {
        wirecrypt_engine::Error::from(e).into()
    }
}

/// The C arguments of an `open_buffer` call, as passed.
pub(crate) struct OpenArgs {
    pub(crate) buf: *mut u8,
    pub(crate) len: usize,
    pub(crate) opened: *mut wc_opened,
    pub(crate) opened_cap: usize,
    pub(crate) opened_count: *mut usize,
    pub(crate) consumed: *mut usize,
    pub(crate) needed: *mut usize,
}

/// What the engine's openers offer: `open_buffer_at_most`.
type OpenAtMost<I> =
    fn(&mut I, &mut [u8], &mut Vec<Opened>, usize) -> Result<Progress, RecordError>;

/// The one body of `wc_tls_open_buffer` and `wc_ssh_open_buffer`: checks the handle
/// and `raw`, and opens with `open` on the engine's opener inside the handle.
///
/// # Safety
/// As for `wc_tls_open_buffer`.
pub(crate) unsafe fn open_buffer<H, I>(
    opener: *mut H,
    raw: OpenArgs,
    inner: fn(&mut H) -> &mut I,
    open: OpenAtMost<I>,
) -> wc_status {
    guard(|| {
        // SAFETY: forwarded from the caller's contract.
        let opener = inner(unsafe { args::handle_mut(opener, "opener") }?);
        // SAFETY: forwarded from the caller's contract.
        unsafe { open_checked(raw, |buf, opened, max| open(opener, buf, opened, max)) }
    })
}

/// Checks `raw`, lets `open` open at most `opened_cap` records or packets in `buf`, and
/// reports them. Every out-parameter is zeroed first; on failure `*opened_count` still
/// says how many were opened, and reported, before the one that failed.
///
/// # Safety
/// As for `wc_tls_open_buffer`.
unsafe fn open_checked(
    raw: OpenArgs,
    open: impl FnOnce(&mut [u8], &mut Vec<Opened>, usize) -> Result<Progress, RecordError>,
) -> Result<(), Fail> {
    // SAFETY: forwarded from the caller's contract.
    let (count, consumed, needed) = unsafe {
        (
            args::out(raw.opened_count, "opened_count")?,
            args::out(raw.consumed, "consumed")?,
            args::out(raw.needed, "needed")?,
        )
    };
    count.set(0);
    consumed.set(0);
    needed.set(0);
    if raw.opened.is_null() {
        return Err(Fail::null("opened"));
    }
    if raw.opened_cap == 0 {
        return Err(Fail::invalid("opened_cap must be at least 1"));
    }
    let array_len = raw
        .opened_cap
        .checked_mul(size_of::<wc_opened>())
        .filter(|&n| n <= isize::MAX as usize)
        .ok_or_else(|| Fail::invalid(format!("opened_cap {} is too large", raw.opened_cap)))?;
    // Results written into the buffer being opened would corrupt it (and alias it).
    args::outputs_beside(
        raw.buf.cast_const(),
        raw.len,
        "buf",
        &[
            (raw.opened.cast::<u8>().cast_const(), array_len, "opened"),
            args::out_bytes(raw.opened_count, "opened_count"),
            args::out_bytes(raw.consumed, "consumed"),
            args::out_bytes(raw.needed, "needed"),
        ],
    )?;
    // SAFETY: the caller guarantees `buf` is valid for reads and writes of `len` bytes;
    // no output overlaps it.
    let data = unsafe { args::bytes_mut(raw.buf, raw.len, "buf") }?;
    let mut opened = Vec::new();
    let result = open(data, &mut opened, raw.opened_cap);
    for (i, o) in opened.iter().enumerate() {
        let entry = wc_opened {
            offset: o.payload.start,
            len: o.payload.len(),
            kind: o.kind,
        };
        // SAFETY: the caller guarantees `opened` is writable for `opened_cap` entries,
        // and the opener stops at `opened_cap`, so `i < opened_cap`.
        unsafe { raw.opened.add(i).write(entry) };
    }
    count.set(opened.len());
    let progress = result?;
    consumed.set(progress.consumed);
    needed.set(progress.needed);
    Ok(())
}

/// The payloads of a `seal_batch` call: `count` pointers and lengths, each payload
/// checked like any input (NULL only with length 0) and copied when it overlaps the
/// output buffer `out[..out_cap]`, so the output can be written afterwards.
///
/// # Safety
/// `payloads` and `lens` valid for reads of `count` entries (or NULL with `count` 0);
/// each payload valid for its length; call before any mutable slice of `out` exists.
pub(crate) unsafe fn payloads<'a>(
    payloads: *const *const u8,
    lens: *const usize,
    count: usize,
    out: *const u8,
    out_cap: usize,
) -> Result<Vec<Input<'a>>, Fail> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if payloads.is_null() {
        return Err(Fail::null("payloads"));
    }
    if lens.is_null() {
        return Err(Fail::null("lens"));
    }
    if count > isize::MAX as usize / size_of::<usize>() {
        return Err(Fail::invalid(format!("count {count} is too large")));
    }
    // SAFETY: non-NULL, count within isize, and the caller guarantees both arrays hold
    // `count` entries; they are only read here, before `out` is written.
    let (ptrs, lens) = unsafe {
        (
            std::slice::from_raw_parts(payloads, count),
            std::slice::from_raw_parts(lens, count),
        )
    };
    let mut inputs = Vec::new();
    inputs
        .try_reserve_exact(count)
        .map_err(|_| Fail::invalid(format!("count {count} is more than memory holds")))?;
    for (i, (&ptr, &len)) in ptrs.iter().zip(lens).enumerate() {
        // SAFETY: forwarded from the caller's contract.
        inputs.push(
            unsafe { args::input_beside(ptr, len, out, out_cap, "a payload") }
                .map_err(|f| Fail::new(f.status, format!("payload {i}: {}", f.message)))?,
        );
    }
    Ok(inputs)
}

/// The C arguments of a `seal_batch` call, as passed.
pub(crate) struct SealArgs {
    pub(crate) payloads: *const *const u8,
    pub(crate) lens: *const usize,
    pub(crate) count: usize,
    pub(crate) out: *mut u8,
    pub(crate) out_cap: usize,
    pub(crate) out_len: *mut usize,
}

/// Checks `raw`, makes sure `out` holds the batch (`wire_len` gives `sealer`'s record
/// or packet length for one payload; too small: `WC_ERR_BUFFER_TOO_SMALL` with the size in
/// `*out_len`), and lets `seal` write it; `*out_len` = bytes written.
///
/// # Safety
/// As for `wc_tls_seal_batch`.
pub(crate) unsafe fn seal_batch<S>(
    raw: SealArgs,
    sealer: &mut S,
    wire_len: impl Fn(&S, usize) -> Result<usize, Fail>,
    seal: impl FnOnce(&mut S, &[&[u8]], &mut [u8]) -> Result<usize, RecordError>,
) -> Result<(), Fail> {
    // SAFETY: forwarded from the caller's contract; payloads overlapping `out` are
    // copied before `out` is written.
    let (out_len, inputs) = unsafe {
        (
            args::out(raw.out_len, "out_len")?,
            payloads(raw.payloads, raw.lens, raw.count, raw.out, raw.out_cap)?,
        )
    };
    out_len.set(0);
    let mut needed = 0usize;
    for input in &inputs {
        needed = needed
            .checked_add(wire_len(sealer, input.len())?)
            .ok_or_else(|| Fail::invalid("the batch is larger than memory"))?;
    }
    out_len.ensure_room(needed, raw.out_cap)?;
    let slices: Vec<&[u8]> = inputs.iter().map(|i| &**i).collect();
    // SAFETY: the caller guarantees `out` is writable for `out_cap` bytes; no payload
    // aliases it.
    let out = unsafe { args::bytes_mut(raw.out, raw.out_cap, "out") }?;
    out_len.set(seal(sealer, &slices, out)?);
    Ok(())
}
