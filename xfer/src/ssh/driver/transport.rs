//! The receiving half of a connection: reads the socket, opens packets, and runs the
//! transport layer — key exchanges (the first and every rekey), strict KEX, EXT_INFO,
//! IGNORE/DEBUG/UNIMPLEMENTED/DISCONNECT — handing every other message upward.

use std::io::Read;
use std::net::TcpStream;
use std::ops::Range;
use std::sync::Arc;

use ssh_key::PublicKey;
use wirecrypt::Engine;
use wirecrypt::ssh::{Mode, PacketConfig, PacketOpener, PacketSealer};

use super::link::{Link, Out};
use super::recv::RecvBuf;
use crate::ssh::error::{Result, SshError};
use crate::ssh::hostkey::{self, KeyPair};
use crate::ssh::transport::kex::{Ephemeral, HashInputs, KexMethod, direction_keys, exchange_hash};
use crate::ssh::transport::negotiate::{KexInit, Negotiated, Preferences, negotiate};
use crate::ssh::transport::version::{VersionParser, our_version};
use crate::ssh::wire::{Reader, Writer, msg};

/// The receive buffer's starting size: two of the largest packets we accept, so a
/// batch usually holds several and a packet rarely has to move to the front.
const RECV_BUFFER: usize = 512 * 1024;

/// Decides whether the client trusts a server's host key (called once, at the first
/// key exchange).
pub(crate) type HostKeyCheck = Box<dyn FnMut(&PublicKey) -> Result<()> + Send>;

/// What the transport needs to know about its side.
pub(crate) struct Side {
    pub engine: Engine,
    pub prefs: Preferences,
    pub packet: PacketConfig,
    /// The server's host keys; empty on a client.
    pub host_keys: Vec<Arc<KeyPair>>,
    /// The client's host-key check; `None` on a server.
    pub check_host: Option<HostKeyCheck>,
    /// The algorithms a server names in `server-sig-algs`.
    pub server_sig_algs: Vec<String>,
}

/// What the key exchanges of a connection agreed on, readable from any thread.
#[derive(Debug, Default)]
pub struct ConnectionInfo {
    kex_count: std::sync::atomic::AtomicU32,
    negotiated: std::sync::Mutex<Option<Negotiated>>,
}

impl ConnectionInfo {
    /// How many key exchanges completed (1 after the handshake; more after rekeys).
    pub fn kex_count(&self) -> u32 {
        self.kex_count.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The algorithms of the latest key exchange.
    pub fn negotiated(&self) -> Option<Negotiated> {
        self.negotiated
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn record(&self, n: Negotiated) {
        *self.negotiated.lock().unwrap_or_else(|e| e.into_inner()) = Some(n);
        self.kex_count
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The receiving half (see the module docs).
pub(crate) struct Transport {
    stream: TcpStream,
    /// Socket bytes, opened in place.
    rx: RecvBuf,
    side: Side,
    pub(crate) link: Arc<Link>,
    v_c: String,
    v_s: String,
    session_id: Option<Vec<u8>>,
    strict: bool,
    first_done: bool,
    host_key_blob: Option<Vec<u8>>,
    /// `server-sig-algs` from the server's EXT_INFO (client side).
    pub(crate) peer_sig_algs: Option<Vec<String>>,
    pub(crate) info: Arc<ConnectionInfo>,
    /// The sequence number of the last message handed upward (for UNIMPLEMENTED).
    pub(crate) last_seq: u32,
}

fn is_client(side: &Side) -> bool {
    side.check_host.is_some()
}

impl Transport {
    /// Exchanges versions on `stream` and runs the first key exchange.
    pub(crate) fn handshake(mut stream: TcpStream, side: Side) -> Result<Self> {
        use std::io::Write;
        let client = is_client(&side);
        let ours = our_version();
        stream.write_all(format!("{ours}\r\n").as_bytes())?;
        let mut parser = VersionParser::new(client);
        let mut chunk = [0u8; 512];
        let (theirs, rest) = loop {
            let n = match stream.read(&mut chunk) {
                // A socket with a read timeout returns EINTR when the process is stopped
                // and continued (signal(7)), with no handler involved: read again.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => r?,
            };
            if n == 0 {
                return Err(SshError::Version(
                    "connection closed during the version exchange".into(),
                ));
            }
            if let Some(done) = parser.feed(&chunk[..n])? {
                break done;
            }
        };
        let (v_c, v_s) = if client {
            (ours, theirs)
        } else {
            (theirs, ours)
        };
        let sealer = PacketSealer::new(&side.engine).with_config(side.packet);
        let opener = PacketOpener::new(&side.engine).with_config(side.packet);
        let link = Link::new(&stream, sealer, side.prefs.clone(), client)?;
        let mut t = Transport {
            stream,
            rx: RecvBuf::new(opener, RECV_BUFFER, &rest),
            side,
            link,
            v_c,
            v_s,
            session_id: None,
            strict: false,
            first_done: false,
            host_key_blob: None,
            peer_sig_algs: None,
            info: Arc::new(ConnectionInfo::default()),
            last_seq: 0,
        };
        t.link.kexinit();
        let result = (|| {
            let (seq, first) = t.read_vec()?;
            if first[0] != msg::KEXINIT {
                // Before the first exchange only KEXINIT (or IGNORE/DEBUG, which strict
                // KEX then refuses by the KEXINIT's sequence number) may come.
                return match first[0] {
                    msg::IGNORE | msg::DEBUG => {
                        let again = t.next_kex_packet_lenient()?;
                        t.run_kex(&again, seq.wrapping_add(1))
                    }
                    msg::DISCONNECT => Err(parse_disconnect(&first)),
                    m => Err(SshError::protocol(format!(
                        "message {m} before the first key exchange"
                    ))),
                };
            }
            t.run_kex(&first, seq)
        })();
        if let Err(e) = &result {
            t.link.disconnect(e.disconnect_reason(), &e.to_string());
            t.linger();
        }
        result.map(|()| t)
    }

    fn next_kex_packet_lenient(&mut self) -> Result<Vec<u8>> {
        loop {
            let (_, p) = self.read_vec()?;
            match p[0] {
                msg::IGNORE | msg::DEBUG => continue,
                msg::KEXINIT => return Ok(p),
                msg::DISCONNECT => return Err(parse_disconnect(&p)),
                m => {
                    return Err(SshError::protocol(format!(
                        "message {m} before the first key exchange"
                    )));
                }
            }
        }
    }

    /// After our DISCONNECT: reads (and drops) what the peer still sends until it closes,
    /// a bounded amount for a bounded time, so that closing the socket with unread data
    /// does not reset the connection before the peer has read the DISCONNECT.
    pub(crate) fn linger(&mut self) {
        let _ = self.stream.set_read_timeout(Some(super::link::LINGER));
        let mut total = 0usize;
        // Wiped once: what arrives now is ciphertext to drop.
        let scratch = self.rx.scratch();
        while total < 8 * 1024 * 1024 {
            match self.stream.read(scratch) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
        self.link.kill("disconnected");
    }

    /// The session identifier (the first exchange hash).
    pub(crate) fn session_id(&self) -> &[u8] {
        self.session_id.as_deref().unwrap_or(&[])
    }

    /// Reads one packet and returns its sequence number and where its payload (never
    /// empty) lies in the receive buffer ([`payload`](Self::payload)), valid until the
    /// next read.
    fn read_packet(&mut self) -> Result<(u32, Range<usize>)> {
        loop {
            match self.rx.next_packet() {
                Ok(Some((_, r))) if r.is_empty() => {
                    return Err(SshError::protocol("empty packet payload"));
                }
                Ok(Some(packet)) => return Ok(packet),
                Ok(None) => {}
                Err(e) => return Err(SshError::Packet(e.into())),
            }
            let n = match self.stream.read(self.rx.spare()) {
                Ok(n) => n,
                // EINTR after a stop and continue (see `handshake`): read again.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // The socket's read timeout (login or idle) ran out.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(SshError::Timeout(format!(
                        "nothing received for {:?}",
                        self.stream
                            .read_timeout()
                            .ok()
                            .flatten()
                            .unwrap_or_default()
                    )));
                }
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                return Err(SshError::Closed("the peer closed the connection".into()));
            }
            self.rx.received(n);
        }
    }

    /// Reads one packet and returns its sequence number and a copy of its payload (for
    /// the key exchange and login, where a copy costs nothing that matters).
    fn read_vec(&mut self) -> Result<(u32, Vec<u8>)> {
        let (seq, r) = self.read_packet()?;
        Ok((seq, self.rx.payload(r).to_vec()))
    }

    /// The payload of a message returned by [`next_range`](Self::next_range).
    pub(crate) fn payload(&self, range: Range<usize>) -> &[u8] {
        self.rx.payload(range)
    }

    /// The next message for the layers above, copied out (for login).
    pub(crate) fn next(&mut self) -> Result<Vec<u8>> {
        let r = self.next_range()?;
        Ok(self.rx.payload(r).to_vec())
    }

    /// The next message for the layers above, as a range of the receive buffer
    /// ([`payload`](Self::payload)) valid until the next call; transport messages are
    /// handled here. On error the peer has been sent DISCONNECT and the connection is
    /// closed.
    pub(crate) fn next_range(&mut self) -> Result<Range<usize>> {
        let r = self.next_inner();
        if let Err(e) = &r {
            if !matches!(e, SshError::Disconnected { .. } | SshError::Closed(_)) {
                self.link.disconnect(e.disconnect_reason(), &e.to_string());
                self.linger();
            } else if matches!(e, SshError::Disconnected { .. }) {
                self.link.peer_disconnected(&e.to_string());
            } else {
                self.link.kill(&e.to_string());
            }
        }
        r
    }

    fn next_inner(&mut self) -> Result<Range<usize>> {
        loop {
            if self.rx.opener().needs_rekey() || self.link.sealer_wants_rekey() {
                self.link.kexinit();
            }
            let (seq, r) = self.read_packet()?;
            let p = self.rx.payload(r.clone());
            match p[0] {
                msg::KEXINIT => {
                    let p = p.to_vec();
                    self.run_kex(&p, seq)?;
                }
                msg::DISCONNECT => return Err(parse_disconnect(p)),
                msg::IGNORE | msg::DEBUG | msg::UNIMPLEMENTED => {}
                msg::EXT_INFO => {
                    if let Some(algs) = server_sig_algs(p)? {
                        self.peer_sig_algs = Some(algs);
                    }
                }
                m if msg::is_kex(m) => {
                    return Err(SshError::protocol(format!(
                        "key-exchange message {m} outside a key exchange"
                    )));
                }
                _ => {
                    self.last_seq = seq;
                    return Ok(r);
                }
            }
        }
    }

    /// Reads a message inside a key exchange: only key-exchange messages; IGNORE and
    /// DEBUG are skipped except during a strict first exchange.
    fn read_kex_message(&mut self, want: u8) -> Result<Vec<u8>> {
        loop {
            let (_, p) = self.read_vec()?;
            match p[0] {
                m if m == want => return Ok(p),
                msg::DISCONNECT => return Err(parse_disconnect(&p)),
                m @ (msg::IGNORE | msg::DEBUG | msg::UNIMPLEMENTED) => {
                    if self.strict && !self.first_done {
                        return Err(SshError::StrictKex(format!(
                            "message {m} during the first key exchange"
                        )));
                    }
                }
                m => {
                    let e = format!("message {m} where key-exchange message {want} was due");
                    return Err(if self.strict && !self.first_done {
                        SshError::StrictKex(e)
                    } else {
                        SshError::Protocol(e)
                    });
                }
            }
        }
    }

    /// One key exchange, from the peer's KEXINIT (received at sequence number `seq`)
    /// to both NEWKEYS.
    fn run_kex(&mut self, peer_payload: &[u8], seq: u32) -> Result<()> {
        let client = is_client(&self.side);
        let ours = self.link.kexinit();
        let mine = KexInit::decode(&ours)?;
        let peer = KexInit::decode(peer_payload)?;
        let (ci, si, i_c, i_s) = if client {
            (&mine, &peer, &ours[..], peer_payload)
        } else {
            (&peer, &mine, peer_payload, &ours[..])
        };
        let first = !self.first_done;
        let neg = negotiate(ci, si, client, self.side.prefs.fips, first)?;
        if first {
            self.strict = neg.strict;
            if self.strict && seq != 0 {
                return Err(SshError::StrictKex(
                    "KEXINIT was not the first packet of the connection".into(),
                ));
            }
        }
        let method = KexMethod::from_name(&neg.kex)?;
        if neg.skip_guess {
            let skip = if client {
                msg::KEX_ECDH_REPLY
            } else {
                msg::KEX_ECDH_INIT
            };
            self.read_kex_message(skip)?;
        }
        let eph = Ephemeral::generate(method)?;
        let (k, h) = if client {
            self.link.queue_kex(
                Writer::msg(msg::KEX_ECDH_INIT)
                    .string(eph.public())
                    .finish(),
            );
            let reply = self.read_kex_message(msg::KEX_ECDH_REPLY)?;
            let mut r = Reader::new(&reply[1..]);
            let (k_s, q_s, sig) = (r.string()?, r.string()?, r.string()?);
            r.end()?;
            let key = hostkey::parse_public(k_s)?;
            match &self.host_key_blob {
                None => {
                    let check = self.side.check_host.as_mut().expect("client side");
                    check(&key)?;
                    self.host_key_blob = Some(k_s.to_vec());
                }
                Some(b) if b == k_s => {}
                Some(_) => {
                    return Err(SshError::HostKey(
                        "the server changed its host key during a rekey".into(),
                    ));
                }
            }
            let q_c = eph.public().to_vec();
            let k = eph.agree(q_s)?;
            let inputs = HashInputs {
                v_c: &self.v_c,
                v_s: &self.v_s,
                i_c,
                i_s,
                k_s,
                q_c: &q_c,
                q_s,
            };
            let h = exchange_hash(method, &inputs, &k);
            hostkey::verify(&key, &neg.host_key, &h, sig)
                .map_err(|e| SshError::Kex(format!("host key signature: {e}")))?;
            (k, h)
        } else {
            let init = self.read_kex_message(msg::KEX_ECDH_INIT)?;
            let mut r = Reader::new(&init[1..]);
            let q_c = r.string()?.to_vec();
            r.end()?;
            let host = self
                .side
                .host_keys
                .iter()
                .find(|k| k.signature_algorithms().contains(&neg.host_key))
                .cloned()
                .ok_or_else(|| SshError::Kex(format!("no host key for {}", neg.host_key)))?;
            let k_s = host.public_blob();
            let q_s = eph.public().to_vec();
            let k = eph.agree(&q_c)?;
            let inputs = HashInputs {
                v_c: &self.v_c,
                v_s: &self.v_s,
                i_c,
                i_s,
                k_s: &k_s,
                q_c: &q_c,
                q_s: &q_s,
            };
            let h = exchange_hash(method, &inputs, &k);
            let sig = host.sign(&neg.host_key, &h)?;
            self.link.queue_kex(
                Writer::msg(msg::KEX_ECDH_REPLY)
                    .string(&k_s)
                    .string(&q_s)
                    .string(&sig)
                    .finish(),
            );
            (k, h)
        };
        let session_id = self.session_id.get_or_insert_with(|| h.clone()).clone();
        let mode_c2s = Mode::new(&neg.cipher_c2s, neg.mac_c2s.as_deref())?;
        let mode_s2c = Mode::new(&neg.cipher_s2c, neg.mac_s2c.as_deref())?;
        let keys_c2s = direction_keys(method, &k, &h, &session_id, mode_c2s, true);
        let keys_s2c = direction_keys(method, &k, &h, &session_id, mode_s2c, false);
        let (out_mode, out_keys, in_mode, in_keys) = if client {
            (mode_c2s, keys_c2s, mode_s2c, keys_s2c)
        } else {
            (mode_s2c, keys_s2c, mode_c2s, keys_c2s)
        };
        let ext_info = (!client && first && neg.client_ext_info).then(|| {
            Writer::msg(msg::EXT_INFO)
                .u32(1)
                .str("server-sig-algs")
                .names(&self.side.server_sig_algs)
                .finish()
        });
        self.link.finish_kex(
            Out::NewKeys {
                mode: out_mode,
                keys: out_keys,
                reset_sequence: self.strict,
            },
            ext_info,
        );
        self.read_kex_message(msg::NEWKEYS)?;
        let seq = if self.strict {
            0
        } else {
            self.rx.opener().sequence()
        };
        // The receive buffer stopped opening at NEWKEYS, so the packets behind it, even
        // those already received, are opened under these keys.
        let opener = PacketOpener::with_keys(&self.side.engine, in_mode, &in_keys.material())?
            .with_config(self.side.packet)
            .with_sequence(seq);
        self.rx.set_opener(opener);
        self.first_done = true;
        self.info.record(neg);
        Ok(())
    }
}

/// `server-sig-algs` from an EXT_INFO payload, if it names it.
fn server_sig_algs(p: &[u8]) -> Result<Option<Vec<String>>> {
    let mut r = Reader::new(&p[1..]);
    let n = r.u32()?;
    let mut algs = None;
    for _ in 0..n.min(64) {
        let name = r.str()?;
        let value = r.str()?;
        if name == "server-sig-algs" {
            algs = Some(value.split(',').map(str::to_owned).collect());
        }
    }
    Ok(algs)
}

/// Turns a DISCONNECT payload into the typed error.
pub(crate) fn parse_disconnect(p: &[u8]) -> SshError {
    let mut r = Reader::new(&p[1..]);
    let code = r.u32().unwrap_or(0);
    let description = r
        .str()
        .map(|s| s.chars().filter(|c| !c.is_control()).take(512).collect())
        .unwrap_or_default();
    SshError::Disconnected { code, description }
}
