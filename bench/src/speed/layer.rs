//! `wirecrypt speed --layer key|tls13|tls12|ssh`: what a whole TLS record or SSH packet
//! costs, beside the bare AEAD key it runs on, measured in the same run.
//!
//! The `key` rows are the provider's own keyed AEAD, unguarded (even under `--fips`), on
//! the same payload size with 13 bytes of additional data: the most a record layer on
//! that provider could reach. Every layer row carries its rate over that key row
//! (`x key`): the record layer's own cost (framing, copies, sequence numbers, the FIPS
//! guard) shows as the distance below 1.
//!
//! * seal: the bulk path — the content already sits in its slot in the wire buffer
//!   (where a file read put it) and `seal_batch` frames and seals it there; the key seals
//!   in place.
//! * open: a real sealed record or packet is copied into the receive buffer (the
//!   socket's part) and `open_buffer` opens it there; the key does the same copy and
//!   opens in place.
//!
//! `--records N` puts N records (packets) in each call: N payload slots laid out and
//! sealed by one `seal_batch` — which hands the batch to the key's batch call, where a
//! provider may keep several in flight (the `pkcs11` provider runs them on several token
//! sessions at once) — or N sealed records in one receive buffer for one `open_buffer`.
//! Rates stay payload bytes per second, so the N = 1 rows mean what they always did;
//! each row with N > 1 also shows its gain over the N = 1 row (`x 1 rec`). The key rows
//! stay one message per call, the reference for every N.
//!
//! Peers, with the `ring-peers` feature (part of `peers`): rustls's own *ring* provider
//! for TLS records (its `MessageEncrypter`/`MessageDecrypter`), and ring's
//! `chacha20_poly1305_openssh` for `chacha20-poly1305@openssh.com` packets.

use std::error::Error;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use wirecrypt::record::Opened;
use wirecrypt::ssh::{KeyMaterial, Mode, PacketOpener, PacketSealer};
use wirecrypt::tls::{
    ContentType, HEADER_LEN, Tls12Keys, Tls13Keys, TlsKeys, TlsOpener, TlsSealer,
};
use wirecrypt::{AeadAlg, Engine, Provider, TAG_LEN};

use super::measure::Measurement;
use super::op::{self, AAD, Aligned, OPEN_NONCE};

/// One record layer (or the bare key under it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Layer {
    /// The provider's bare AEAD key (always measured, as the reference).
    Key,
    /// TLS 1.3 records (RFC 8446 §5.2).
    Tls13,
    /// TLS 1.2 AEAD records (RFC 5288, RFC 7905).
    Tls12,
    /// SSH binary packets with the AEAD modes (`aes*-gcm@openssh.com`,
    /// `chacha20-poly1305@openssh.com`).
    Ssh,
}

impl Layer {
    fn name(self) -> &'static str {
        match self {
            Layer::Key => "key",
            Layer::Tls13 => "tls13",
            Layer::Tls12 => "tls12",
            Layer::Ssh => "ssh",
        }
    }

    /// The payload size measured when `--size` is not given: a full TLS record, or
    /// OpenSSH's 32 KiB SFTP read.
    fn default_size(self) -> usize {
        match self {
            Layer::Key | Layer::Tls13 | Layer::Tls12 => 16 << 10,
            Layer::Ssh => 32 << 10,
        }
    }
}

/// The AEADs measured when `--alg` names none (every one FIPS mode allows).
const DEFAULT_ALGS: [AeadAlg; 3] = [
    AeadAlg::Aes128Gcm,
    AeadAlg::Aes256Gcm,
    AeadAlg::ChaCha20Poly1305,
];

/// Records (or packets) sealed ahead for the open measurements, in receive buffers of
/// `--records` each (at least one buffer); the opener is made anew each time they run
/// out, since its sequence number must match theirs.
const OPEN_RING: usize = 64;

/// One measured row.
#[derive(Debug, Clone)]
pub struct Row {
    /// Which layer.
    pub layer: Layer,
    /// The AEAD (for SSH, the mode built on it).
    pub alg: AeadAlg,
    /// What implements it: an engine provider id, or a peer's name.
    pub who: String,
    /// seal or open.
    pub op: &'static str,
    /// Payload bytes per record or packet.
    pub size: usize,
    /// Records or packets per call (1 for the key rows).
    pub records: usize,
    /// Payload bytes per second.
    pub rate: f64,
    /// The rate over the `key` row of the same provider, algorithm, size and operation.
    pub ratio_to_key: Option<f64>,
    /// For more than one record per call: `ratio_to_key` over that of the one-record row
    /// of the same layer, implementation, algorithm, size and operation.
    pub ratio_to_single: Option<f64>,
}

/// The SSH mode on `alg`.
fn ssh_mode(alg: AeadAlg) -> Mode {
    let name = match alg {
        AeadAlg::Aes128Gcm => "aes128-gcm@openssh.com",
        AeadAlg::Aes256Gcm => "aes256-gcm@openssh.com",
        AeadAlg::ChaCha20Poly1305 => "chacha20-poly1305@openssh.com",
    };
    Mode::new(name, None).expect("an AEAD mode in the table")
}

/// How long each measurement runs.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Time per round and side.
    pub duration: Duration,
    /// Rounds per cell (the best round's rate is kept, the median ratio).
    pub rounds: usize,
}

/// Runs the layer measurements and prints the table.
pub fn run(
    layers: &[Layer],
    algs: &[AeadAlg],
    sizes: &[usize],
    records: &[usize],
    providers: &[std::sync::Arc<dyn Provider>],
    timing: Timing,
    fips: bool,
) -> Result<(), Box<dyn Error>> {
    let algs: Vec<AeadAlg> = if algs.is_empty() {
        DEFAULT_ALGS.to_vec()
    } else {
        algs.to_vec()
    }
    .into_iter()
    .filter(|a| !fips || wirecrypt::Algorithm::Aead(*a).info().fips.is_approved())
    .collect();
    let rows = measure_all(layers, &algs, sizes, records, providers, timing, fips)?;
    print!("{}", table(&rows, fips));
    Ok(())
}

/// Measures every (layer, algorithm, size, implementation, records per call) cell, key
/// rows first.
pub fn measure_all(
    layers: &[Layer],
    algs: &[AeadAlg],
    sizes: &[usize],
    records: &[usize],
    providers: &[std::sync::Arc<dyn Provider>],
    timing: Timing,
    fips: bool,
) -> Result<Vec<Row>, Box<dyn Error>> {
    let mut rows: Vec<Row> = Vec::new();
    for &layer in layers {
        let sizes: Vec<usize> = if sizes.is_empty() {
            vec![layer.default_size()]
        } else {
            sizes.to_vec()
        };
        for &alg in algs {
            for &size in &sizes {
                if matches!(layer, Layer::Tls13 | Layer::Tls12)
                    && size > wirecrypt::tls::MAX_PLAINTEXT
                {
                    continue;
                }
                for provider in providers
                    .iter()
                    .filter(|p| p.supports(wirecrypt::Algorithm::Aead(alg)))
                {
                    let engine = Engine::builder()
                        .provider(provider.id().as_str())
                        .fips(fips)
                        .build()?;
                    let who = provider.id().to_string();
                    for op in ["seal", "open"] {
                        // The key rows are one message per call whatever `--records`.
                        let per_call: &[usize] = if layer == Layer::Key { &[1] } else { records };
                        for &n in per_call {
                            // Key and layer take turns, round by round, so a burst of
                            // load from elsewhere hits one round of one of them, not a
                            // whole row.
                            let mut key_op = key(provider.as_ref(), alg, op, size)?;
                            let mut layer_op = if layer == Layer::Key {
                                None
                            } else {
                                Some(engine_layer(&engine, layer, alg, op, size, n)?)
                            };
                            let p = paired(
                                (&mut key_op, size),
                                layer_op.as_mut().map(|w| (w, size * n)),
                                timing.duration,
                                timing.rounds,
                            )?;
                            keep_key(&mut rows, row(Layer::Key, alg, &who, op, size, p.key));
                            if let Some(rate) = p.layer {
                                let mut r = row(layer, alg, &who, op, size, rate);
                                r.records = n;
                                r.ratio_to_key = Some(p.ratio);
                                rows.push(r);
                            }
                        }
                    }
                }
                for op in ["seal", "open"] {
                    if let Some(m) = peer::measure(layer, alg, op, size, timing.duration) {
                        let (who, m) = m?;
                        // Wall clock, as `paired` times the engine's rows.
                        rows.push(row(layer, alg, who, op, size, m.wall_bytes_per_sec()));
                    }
                }
            }
        }
    }
    attach_ratios(&mut rows);
    attach_single_ratios(&mut rows);
    Ok(rows)
}

/// Each many-records row's `x key` over the one-record row's: both are medians against
/// the key measured beside them, so load from elsewhere cancels out of the gain.
fn attach_single_ratios(rows: &mut [Row]) {
    let singles: Vec<Row> = rows.iter().filter(|r| r.records == 1).cloned().collect();
    for r in rows.iter_mut().filter(|r| r.records > 1) {
        let single = singles.iter().find(|s| {
            s.layer == r.layer
                && s.alg == r.alg
                && s.who == r.who
                && s.op == r.op
                && s.size == r.size
        });
        r.ratio_to_single = match (single.and_then(|s| s.ratio_to_key), r.ratio_to_key) {
            (Some(one), Some(many)) if one > 0.0 => Some(many / one),
            _ => None,
        };
    }
}

/// One call of a measured operation; its key and buffers are made before.
type Work<'a> = Box<dyn FnMut() -> Result<(), wirecrypt::Error> + 'a>;

/// What [`paired`] measured.
struct Paired {
    /// The key's best rate in one round, bytes per second.
    key: f64,
    /// The layer's best rate in one round.
    layer: Option<f64>,
    /// The median over the rounds of the layer's rate over the key's in that round.
    ratio: f64,
}

/// How long each of the alternating batches runs.
const TURN: Duration = Duration::from_millis(2);

/// Measures the key and the layer in alternating batches of about [`TURN`] each, for
/// `duration` per round and side, `rounds` times: on a machine shared with other work a
/// burst of load falls on both sides alike, so the ratio holds where the rates do not.
/// Each side is its work and the payload bytes one call of it moves.
fn paired(
    (key, key_bytes): (&mut Work<'_>, usize),
    layer: Option<(&mut Work<'_>, usize)>,
    duration: Duration,
    rounds: usize,
) -> Result<Paired, Box<dyn Error>> {
    let (mut layer, layer_bytes) = match layer {
        Some((w, b)) => (Some(w), b),
        None => (None, 0),
    };
    let batch = |op: &mut Work<'_>| -> Result<u64, wirecrypt::Error> {
        // Warm up, then size a batch to about one turn.
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < TURN * 5 {
            op()?;
            n += 1;
        }
        Ok((n / 5).max(1))
    };
    let key_batch = batch(key)?;
    let layer_batch = match layer.as_deref_mut() {
        Some(op) => batch(op)?,
        None => 0,
    };
    let (mut best_key, mut best_layer) = (0f64, 0f64);
    let mut ratios = Vec::new();
    for _ in 0..rounds.max(1) {
        let (mut key_time, mut layer_time) = (Duration::ZERO, Duration::ZERO);
        let (mut key_calls, mut layer_calls) = (0u64, 0u64);
        while key_time < duration {
            let t = Instant::now();
            for _ in 0..key_batch {
                key()?;
            }
            key_time += t.elapsed();
            key_calls += key_batch;
            if let Some(op) = layer.as_deref_mut() {
                let t = Instant::now();
                for _ in 0..layer_batch {
                    op()?;
                }
                layer_time += t.elapsed();
                layer_calls += layer_batch;
            }
        }
        let rate = |calls: u64, bytes: usize, time: Duration| {
            calls as f64 * bytes as f64 / time.as_secs_f64()
        };
        let k = rate(key_calls, key_bytes, key_time);
        best_key = best_key.max(k);
        if layer.is_some() {
            let l = rate(layer_calls, layer_bytes, layer_time);
            best_layer = best_layer.max(l);
            ratios.push(l / k);
        }
    }
    ratios.sort_by(f64::total_cmp);
    Ok(Paired {
        key: best_key,
        layer: layer.is_some().then_some(best_layer),
        ratio: ratios.get(ratios.len() / 2).copied().unwrap_or(0.0),
    })
}

/// Adds a key row, or keeps the faster of it and the one already measured in its cell.
fn keep_key(rows: &mut Vec<Row>, new: Row) {
    let same = |r: &&mut Row| {
        r.layer == Layer::Key
            && r.alg == new.alg
            && r.size == new.size
            && r.who == new.who
            && r.op == new.op
    };
    match rows.iter_mut().find(same) {
        Some(r) => r.rate = r.rate.max(new.rate),
        None => rows.push(new),
    }
}

fn row(layer: Layer, alg: AeadAlg, who: &str, op: &'static str, size: usize, rate: f64) -> Row {
    Row {
        layer,
        alg,
        who: who.to_owned(),
        op,
        size,
        records: 1,
        rate,
        ratio_to_key: None,
        ratio_to_single: None,
    }
}

/// Each peer row's rate over the fastest key row of the same algorithm, size and
/// operation (engine rows already carry the ratio to the key measured beside them).
fn attach_ratios(rows: &mut [Row]) {
    let keys: Vec<Row> = rows
        .iter()
        .filter(|r| r.layer == Layer::Key)
        .cloned()
        .collect();
    for r in rows
        .iter_mut()
        .filter(|r| r.layer != Layer::Key && r.ratio_to_key.is_none())
    {
        let same = |k: &&Row| k.alg == r.alg && k.size == r.size && k.op == r.op;
        let key = keys
            .iter()
            .filter(same)
            .find(|k| k.who == r.who)
            .or_else(|| {
                keys.iter()
                    .filter(same)
                    .max_by(|a, b| a.rate.total_cmp(&b.rate))
            });
        r.ratio_to_key = key.filter(|k| k.rate > 0.0).map(|k| r.rate / k.rate);
    }
}

/// The table: one line per row, with the ratio to the key.
pub fn table(rows: &[Row], fips: bool) -> String {
    let many = rows.iter().any(|r| r.records > 1);
    let mut out = String::new();
    let _ = write!(
        out,
        "{:<6} {:<18} {:>6} {:<16} {:<5} {:>10} {:>7}",
        "layer", "aead", "bytes", "implementation", "op", "MB/s", "x key"
    );
    if many {
        let _ = write!(out, " {:>4} {:>8}", "recs", "x 1 rec");
    }
    out.push('\n');
    let fmt = |q: Option<f64>| q.map_or_else(|| "-".to_owned(), |q| format!("{q:.3}"));
    for r in rows {
        let _ = write!(
            out,
            "{:<6} {:<18} {:>6} {:<16} {:<5} {:>10.1} {:>7}",
            r.layer.name(),
            r.alg.id(),
            r.size,
            r.who,
            r.op,
            r.rate / 1e6,
            fmt(r.ratio_to_key)
        );
        if many {
            let _ = write!(out, " {:>4} {:>8}", r.records, fmt(r.ratio_to_single));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\nkey = the provider's bare AEAD key (no FIPS guard) on the same payload with 13 \
         bytes of AAD, measured in alternating ~2 ms batches with each layer row; MB/s = \
         the best round; 'x key' = the median over the rounds of the layer's rate over \
         the key's in the same round (peers: over the fastest key row)."
    );
    let _ = writeln!(
        out,
        "open = a real sealed record/packet copied into the receive buffer and opened \
         there (the key: the same copy, then open in place). The layers' wire buffers are \
         placed so the ciphertext starts on a cache line, like the key's buffer."
    );
    if many {
        let _ = writeln!(
            out,
            "recs = records (packets) per call: one seal_batch, or one open_buffer over a \
             receive buffer holding them all; MB/s counts payload bytes. 'x 1 rec' = the \
             row's 'x key' over the 1-record row's (each against the key measured beside \
             it, one message per call): the gain from batching."
        );
    }
    if fips {
        let _ = writeln!(
            out,
            "FIPS mode: the layers run under the engine's FIPS guard."
        );
    }
    out
}

/// The bare key: seal in place, or copy a sealed message in and open it in place.
fn key<'a>(
    provider: &dyn Provider,
    alg: AeadAlg,
    op: &str,
    size: usize,
) -> Result<Work<'a>, Box<dyn Error>> {
    let key = provider.aead(alg, &op::key(alg.info().key_len))?;
    if op == "seal" {
        let mut buf = op::message(size);
        let mut counter = 0u64;
        return Ok(Box::new(move || {
            counter += 1;
            black_box(key.seal_in_place(&op::seal_nonce(counter), &AAD, &mut buf)?);
            Ok(())
        }));
    }
    let plaintext = op::message(size);
    let mut sealed = Aligned::zeroed(size + TAG_LEN);
    key.seal(&OPEN_NONCE, &AAD, &plaintext, &mut sealed)?;
    let mut buf = Aligned::zeroed(size + TAG_LEN);
    let mut open = move || {
        buf.copy_from_slice(&sealed);
        let (body, tag) = buf.split_at_mut(size);
        key.open_in_place(&OPEN_NONCE, &AAD, body, tag)?;
        Ok(black_box(buf[..size] == plaintext[..]))
    };
    if !open()? {
        return Err(format!(
            "{} {} open returned the wrong plaintext",
            provider.id(),
            alg.id()
        )
        .into());
    }
    Ok(Box::new(move || open().map(drop)))
}

/// A record layer on `engine`: seal `records` records/packets laid out in a caller's
/// buffer with one call, or open that many from one receive buffer.
fn engine_layer<'a>(
    engine: &'a Engine,
    layer: Layer,
    alg: AeadAlg,
    op: &str,
    size: usize,
    records: usize,
) -> Result<Work<'a>, Box<dyn Error>> {
    let content = op::message(size);
    let payload_lens = vec![size; records];
    let mut slots = Vec::with_capacity(records);
    let key = op::key(alg.info().key_len);
    match layer {
        Layer::Key => unreachable!("the key rows are measured by `key`"),
        Layer::Tls13 | Layer::Tls12 => {
            // TLS 1.3 takes a 12-byte IV; TLS 1.2 its key block's write IV (4 bytes for
            // GCM, 12 for ChaCha20-Poly1305).
            let implicit = layer == Layer::Tls12 && alg != AeadAlg::ChaCha20Poly1305;
            let iv = vec![0xa5u8; if implicit { 4 } else { 12 }];
            let keys = move || -> Result<TlsKeys, wirecrypt::Error> {
                Ok(if layer == Layer::Tls13 {
                    Tls13Keys::new(engine, alg, &key, &iv)?.into()
                } else {
                    Tls12Keys::new(engine, alg, &key, &iv)?.into()
                })
            };
            let mut sealer = TlsSealer::new(keys()?);
            let total = sealer.slots(&payload_lens, &mut slots)?;
            let mut wire = Wire::new(total, sealer.payload_offset());
            if op == "seal" {
                for slot in &slots {
                    wire[slot.clone()].copy_from_slice(&content);
                }
                return Ok(Box::new(move || {
                    sealer
                        .seal_batch(ContentType::ApplicationData, &mut wire, &payload_lens)
                        .map(drop)?;
                    Ok(())
                }));
            }
            let record_len = sealer.record_len(size);
            let buffers = ring(
                |w| sealer.seal_into(ContentType::ApplicationData, &content, w),
                record_len,
                records,
            )?;
            let mut opener = TlsOpener::new(keys()?);
            let mut opened = Vec::with_capacity(records);
            let mut i = 0;
            Ok(Box::new(move || {
                if i == buffers.len() {
                    opener = TlsOpener::new(keys()?);
                    i = 0;
                }
                wire.copy_from_slice(&buffers[i]);
                i += 1;
                opened.clear();
                opener.open_buffer(&mut wire, &mut opened)?;
                check_opened(&opened, records, size)
            }))
        }
        Layer::Ssh => {
            let mode = ssh_mode(alg);
            let lens = mode.key_lens();
            let (k, iv) = (op::key(lens.key), vec![0xa5u8; lens.iv]);
            let keyed = move || {
                let material = KeyMaterial {
                    key: &k,
                    iv: &iv,
                    mac_key: &[],
                };
                Ok::<_, wirecrypt::Error>((
                    PacketSealer::with_keys(engine, mode, &material)?,
                    PacketOpener::with_keys(engine, mode, &material)?,
                ))
            };
            let (mut sealer, mut opener) = keyed()?;
            let total = sealer.slots(&payload_lens, &mut slots)?;
            // The cipher's input starts after the length field, one byte before the payload.
            let mut wire = Wire::new(total, sealer.payload_offset() - 1);
            if op == "seal" {
                for slot in &slots {
                    wire[slot.clone()].copy_from_slice(&content);
                }
                return Ok(Box::new(move || {
                    sealer.seal_batch(&mut wire, &payload_lens).map(drop)?;
                    Ok(())
                }));
            }
            let packet_len = sealer.sealed_len(size)?;
            let buffers = ring(|w| sealer.seal_into(&content, w), packet_len, records)?;
            let mut opened = Vec::with_capacity(records);
            let mut i = 0;
            Ok(Box::new(move || {
                if i == buffers.len() {
                    opener = keyed()?.1;
                    i = 0;
                }
                wire.copy_from_slice(&buffers[i]);
                i += 1;
                opened.clear();
                opener
                    .open_buffer(&mut wire, &mut opened)
                    .map_err(wirecrypt::Error::from)?;
                check_opened(&opened, records, size)
            }))
        }
    }
}

/// A wire buffer placed so that the bytes the cipher runs over start on a cache line,
/// as the key's buffer does: the comparison is then of the layers' own work, not of
/// how the allocator happened to align a header-sized offset.
struct Wire {
    buf: Aligned,
    lead: usize,
    len: usize,
}

impl Wire {
    /// `len` bytes whose byte `encrypted_from` is 64-byte aligned.
    fn new(len: usize, encrypted_from: usize) -> Wire {
        let lead = (op::ALIGN - encrypted_from % op::ALIGN) % op::ALIGN;
        Wire {
            buf: Aligned::zeroed(lead + len),
            lead,
            len,
        }
    }
}

impl std::ops::Deref for Wire {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.buf[self.lead..self.lead + self.len]
    }
}

impl std::ops::DerefMut for Wire {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.lead..self.lead + self.len]
    }
}

/// Receive buffers of `per_buffer` records each, every record `len` bytes, sealed one
/// after another by `seal`: [`OPEN_RING`] records in all, or one buffer when it holds
/// more.
fn ring(
    mut seal: impl FnMut(&mut [u8]) -> Result<usize, wirecrypt::Error>,
    len: usize,
    per_buffer: usize,
) -> Result<Vec<Aligned>, wirecrypt::Error> {
    (0..(OPEN_RING / per_buffer).max(1))
        .map(|_| {
            let mut w = Aligned::zeroed(len * per_buffer);
            for record in w.chunks_mut(len) {
                seal(record)?;
            }
            Ok(w)
        })
        .collect()
}

fn check_opened(opened: &[Opened], records: usize, want: usize) -> Result<(), wirecrypt::Error> {
    if opened.len() == records && opened.iter().all(|o| o.payload.len() == want) {
        Ok(())
    } else {
        Err(wirecrypt::Error::Malformed(
            "opened payload has the wrong length",
        ))
    }
}

const _: () = assert!(HEADER_LEN == 5);

/// A peer's name and measurement.
type PeerResult = Result<(&'static str, Measurement), Box<dyn Error>>;

/// rustls's *ring* provider and ring's `chacha20_poly1305_openssh`, measured the same way.
mod peer {
    use std::time::Duration;

    use wirecrypt::AeadAlg;

    use super::Layer;

    /// The peer's name and measurement for this cell, or `None` when no linked peer
    /// implements it.
    #[cfg_attr(not(feature = "ring-peers"), allow(unused_variables))]
    pub fn measure(
        layer: Layer,
        alg: AeadAlg,
        op: &str,
        size: usize,
        duration: Duration,
    ) -> Option<super::PeerResult> {
        #[cfg(feature = "ring-peers")]
        {
            super::ring_peer::measure(layer, alg, op, size, duration)
        }
        #[cfg(not(feature = "ring-peers"))]
        {
            None
        }
    }
}

#[cfg(feature = "ring-peers")]
mod ring_peer {
    use std::error::Error;
    use std::hint::black_box;
    use std::time::Duration;

    use rustls::crypto::cipher::{
        AeadKey, InboundOpaqueMessage, Iv, MessageDecrypter, MessageEncrypter, OutboundChunks,
        OutboundPlainMessage,
    };
    use rustls::{CipherSuite, ContentType, ProtocolVersion, SupportedCipherSuite};
    use wirecrypt::AeadAlg;

    use super::super::measure::{self, Measurement};
    use super::super::op;
    use super::Layer;

    /// rustls builds keys of 32 bytes only from outside the crate, so only the 256-bit
    /// suites are measured.
    fn suite(layer: Layer, alg: AeadAlg) -> Option<SupportedCipherSuite> {
        let want = match (layer, alg) {
            (Layer::Tls13, AeadAlg::Aes256Gcm) => CipherSuite::TLS13_AES_256_GCM_SHA384,
            (Layer::Tls13, AeadAlg::ChaCha20Poly1305) => {
                CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
            }
            (Layer::Tls12, AeadAlg::Aes256Gcm) => {
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
            }
            (Layer::Tls12, AeadAlg::ChaCha20Poly1305) => {
                CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
            }
            _ => return None,
        };
        rustls::crypto::ring::ALL_CIPHER_SUITES
            .iter()
            .copied()
            .find(|s| s.suite() == want)
    }

    fn keys(suite: SupportedCipherSuite) -> (Box<dyn MessageEncrypter>, Box<dyn MessageDecrypter>) {
        let key = || AeadKey::from([0x5a; 32]);
        match suite {
            SupportedCipherSuite::Tls13(s) => (
                s.aead_alg.encrypter(key(), Iv::new([0xa5; 12])),
                s.aead_alg.decrypter(key(), Iv::new([0xa5; 12])),
            ),
            SupportedCipherSuite::Tls12(s) => {
                let iv_len = s.aead_alg.key_block_shape().fixed_iv_len;
                let iv = vec![0xa5; iv_len];
                let extra = vec![0x3c; s.aead_alg.key_block_shape().explicit_nonce_len];
                (
                    s.aead_alg.encrypter(key(), &iv, &extra),
                    s.aead_alg.decrypter(key(), &iv),
                )
            }
        }
    }

    pub fn measure(
        layer: Layer,
        alg: AeadAlg,
        op: &str,
        size: usize,
        duration: Duration,
    ) -> Option<super::PeerResult> {
        if layer == Layer::Ssh {
            return (alg == AeadAlg::ChaCha20Poly1305)
                .then(|| ssh_chacha(op, size, duration).map(|m| ("ring", m)));
        }
        let suite = suite(layer, alg)?;
        Some(tls(suite, op, size, duration).map(|m| ("rustls-ring", m)))
    }

    fn tls(
        suite: SupportedCipherSuite,
        op: &str,
        size: usize,
        duration: Duration,
    ) -> Result<Measurement, Box<dyn Error>> {
        let content = op::message(size);
        let (mut enc, mut dec) = keys(suite);
        let msg = || OutboundPlainMessage {
            typ: ContentType::ApplicationData,
            version: ProtocolVersion::TLSv1_2,
            payload: OutboundChunks::Single(&content),
        };
        if op == "seal" {
            let mut seq = 0u64;
            return Ok(measure::run(duration, size, || {
                seq += 1;
                enc.encrypt(msg(), seq).map(|r| drop(black_box(r)))
            })?);
        }
        let sealed = enc.encrypt(msg(), 0)?.encode();
        let mut buf = op::Aligned::zeroed(sealed.len());
        Ok(measure::run(duration, size, || {
            buf.copy_from_slice(&sealed);
            let m = InboundOpaqueMessage::new(
                ContentType::ApplicationData,
                ProtocolVersion::TLSv1_2,
                &mut buf[5..],
            );
            dec.decrypt(m, 0).map(|p| {
                black_box(p.payload.len());
            })
        })?)
    }

    /// ring's `chacha20-poly1305@openssh.com`: the packet (length ‖ padding length ‖
    /// payload ‖ padding) sealed in place, the payload's padding as OpenSSH sends it.
    fn ssh_chacha(
        op: &str,
        size: usize,
        duration: Duration,
    ) -> Result<Measurement, Box<dyn Error>> {
        use ring::aead::chacha20_poly1305_openssh::{OpeningKey, SealingKey};
        let k = [0x5au8; 64];
        let mode = super::ssh_mode(AeadAlg::ChaCha20Poly1305);
        let padding = wirecrypt::ssh::padding_len(mode, size);
        let packet_len = 4 + 1 + size + padding;
        let mut packet = op::message(packet_len);
        packet[..4].copy_from_slice(&((packet_len - 4) as u32).to_be_bytes());
        packet[4] = padding as u8;
        let sealing = SealingKey::new(&k);
        if op == "seal" {
            let mut seq = 0u32;
            let mut tag = [0u8; 16];
            return Ok(measure::run(duration, size, || {
                seq = seq.wrapping_add(1);
                sealing.seal_in_place(seq, &mut packet, &mut tag);
                black_box(&tag);
                Ok::<(), String>(())
            })?);
        }
        let mut tag = [0u8; 16];
        let sealed = {
            let mut p = packet.clone();
            sealing.seal_in_place(0, &mut p, &mut tag);
            p
        };
        let opening = OpeningKey::new(&k);
        let mut buf = op::Aligned::zeroed(packet_len);
        Ok(measure::run(duration, size, || {
            buf.copy_from_slice(&sealed);
            let mut len = [0u8; 4];
            len.copy_from_slice(&buf[..4]);
            black_box(opening.decrypt_packet_length(0, len));
            opening
                .open_in_place(0, &mut buf, &tag)
                .map(|p| {
                    black_box(p.len());
                })
                .map_err(|_| "ring could not open its own packet".to_owned())
        })?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One quick round (2 ms per turn) of `measure_all` on this machine's providers (all
    /// of them, or the best one only).
    fn quick(
        layers: &[Layer],
        algs: &[AeadAlg],
        sizes: &[usize],
        records: &[usize],
        every_provider: bool,
        fips: bool,
    ) -> Vec<Row> {
        let engine = Engine::builder().ignore_env().build().unwrap();
        let providers: Vec<_> = engine
            .available()
            .take(if every_provider { usize::MAX } else { 1 })
            .collect();
        let timing = Timing {
            duration: Duration::from_millis(2),
            rounds: 1,
        };
        measure_all(layers, algs, sizes, records, &providers, timing, fips).unwrap()
    }

    #[test]
    fn every_layer_runs_and_is_compared_to_its_key() {
        let engine = Engine::builder().ignore_env().build().unwrap();
        let best = engine.available().next().unwrap().id();
        let rows = quick(
            &[Layer::Tls13, Layer::Tls12, Layer::Ssh],
            &[AeadAlg::Aes256Gcm, AeadAlg::ChaCha20Poly1305],
            &[1000],
            &[1],
            true,
            false,
        );
        for layer in [Layer::Tls13, Layer::Tls12, Layer::Ssh] {
            for op in ["seal", "open"] {
                let r = rows
                    .iter()
                    .find(|r| r.layer == layer && r.op == op && r.who == best.as_str())
                    .unwrap_or_else(|| panic!("{layer:?} {op} missing"));
                assert!(r.rate > 0.0, "{r:?}");
                assert!(r.ratio_to_key.is_some(), "{r:?}");
            }
        }
        assert!(table(&rows, false).contains("x key"));
    }

    #[test]
    fn fips_mode_measures_only_approved_aeads_under_the_guard() {
        let rows = quick(
            &[Layer::Tls13, Layer::Ssh],
            &[AeadAlg::Aes128Gcm],
            &[256],
            &[1],
            false,
            true,
        );
        assert!(rows.iter().any(|r| r.layer == Layer::Ssh && r.op == "open"));
    }

    #[test]
    fn several_records_per_call_are_compared_to_one() {
        let rows = quick(
            &[Layer::Tls13, Layer::Ssh],
            &[AeadAlg::Aes256Gcm],
            &[500],
            &[1, 3],
            false,
            false,
        );
        for layer in [Layer::Tls13, Layer::Ssh] {
            for op in ["seal", "open"] {
                let of = |n: usize| {
                    rows.iter()
                        .find(|r| r.layer == layer && r.op == op && r.records == n)
                        .unwrap_or_else(|| panic!("{layer:?} {op} x{n} missing"))
                };
                assert!(of(1).ratio_to_single.is_none(), "{:?}", of(1));
                let three = of(3);
                assert!(three.rate > 0.0, "{three:?}");
                let gain = three.ratio_to_single.expect("a gain over one record");
                let expected = three.ratio_to_key.unwrap() / of(1).ratio_to_key.unwrap();
                assert!((gain - expected).abs() < 1e-9, "{three:?}");
            }
        }
        // The key rows stay one message per call.
        assert!(
            rows.iter()
                .filter(|r| r.layer == Layer::Key)
                .all(|r| r.records == 1)
        );
        let t = table(&rows, false);
        assert!(t.contains("x 1 rec") && t.contains("recs"), "{t}");
        // Without several records per call the table keeps its old columns.
        let single: Vec<Row> = rows.into_iter().filter(|r| r.records == 1).collect();
        assert!(!table(&single, false).contains("x 1 rec"));
    }
}
