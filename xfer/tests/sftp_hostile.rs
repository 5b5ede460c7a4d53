//! Hostile and odd peers: the server against malformed client bytes, the client against
//! a server that answers out of order, short, oversized or not at all. Every case ends in
//! a status or a typed error, never a panic, a hang or a large allocation.

mod common;

use std::io::{Read, Write};

use common::{TempDir, pattern};
use wirecrypt_xfer::root::Root;
use wirecrypt_xfer::sftp::codec::{
    self, Attrs, CodecError, Request, Response, encode_request, encode_response, fx, fxp,
};
use wirecrypt_xfer::sftp::{Client, ClientError, Config, ServeError, ServeStats, Server};

fn frame(body: &[u8]) -> Vec<u8> {
    let mut f = (body.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(body);
    f
}

/// Feeds `input` to a server on a fresh root; returns its result and every reply frame.
fn serve_bytes(input: &[u8]) -> (Result<ServeStats, ServeError>, Vec<Vec<u8>>) {
    let dir = TempDir::new("hostile-srv");
    std::fs::write(dir.path().join("f"), b"file").unwrap();
    std::os::unix::fs::symlink("/../../../../etc/passwd", dir.path().join("out")).unwrap();
    let server = Server::new(Root::open(dir.path()).unwrap(), Config::default());
    let mut out = Vec::new();
    let r = server.serve(input, &mut out);
    let mut frames = Vec::new();
    let mut s = &out[..];
    while let Some(f) = codec::read_frame(&mut s).unwrap() {
        frames.push(f);
    }
    (r, frames)
}

fn init() -> Vec<u8> {
    codec::encode_init(3)
}

fn status_of(f: &[u8]) -> (u32, u32) {
    match codec::decode_response(f.to_vec()).unwrap() {
        (id, Response::Status { code, .. }) => (id, code),
        other => panic!("expected STATUS, got {other:?}"),
    }
}

#[test]
fn hostile_packet_lengths_end_the_connection_with_a_typed_error() {
    for len in [u32::MAX, codec::MAX_PACKET_LEN + 1, 0] {
        let mut input = init();
        input.extend_from_slice(&len.to_be_bytes());
        input.extend_from_slice(&[fxp::STAT; 16]);
        let (r, frames) = serve_bytes(&input);
        assert!(
            matches!(r, Err(ServeError::Codec(CodecError::BadPacketLength(l))) if l == len),
            "{len}: {r:?}"
        );
        assert_eq!(frames.len(), 1, "only VERSION was sent");
        assert_eq!(frames[0][0], fxp::VERSION);
    }
}

#[test]
fn truncated_streams_and_packets_are_typed_errors() {
    // The stream ends inside a packet, after one complete request.
    let mut input = init();
    input.extend(encode_request(
        1,
        &Request::Stat {
            path: b"f".to_vec(),
        },
    ));
    let partial = encode_request(
        2,
        &Request::Stat {
            path: b"f".to_vec(),
        },
    );
    input.extend_from_slice(&partial[..partial.len() - 3]);
    let (r, frames) = serve_bytes(&input);
    assert!(
        matches!(r, Err(ServeError::Codec(CodecError::Io(_)))),
        "{r:?}"
    );
    assert_eq!(frames.len(), 2, "VERSION and the reply to request 1");
    // A packet too short to carry a request id cannot be answered.
    let mut input = init();
    input.extend(frame(&[fxp::STAT, 0]));
    let (r, _) = serve_bytes(&input);
    assert!(
        matches!(r, Err(ServeError::Codec(CodecError::Truncated { .. }))),
        "{r:?}"
    );
    // No INIT first.
    let (r, frames) = serve_bytes(&encode_request(
        1,
        &Request::Stat {
            path: b"f".to_vec(),
        },
    ));
    assert!(
        matches!(r, Err(ServeError::Codec(CodecError::Invalid { .. }))),
        "{r:?}"
    );
    assert!(frames.is_empty());
    // Nothing at all is a clean end.
    assert!(serve_bytes(&[]).0.is_ok());
}

#[test]
fn malformed_requests_get_a_status_and_the_session_goes_on() {
    let mut input = init();
    // Unknown packet type with an id.
    input.extend(frame(&[99, 0, 0, 0, 7]));
    // A path string claiming 4 GiB inside a 12-byte packet.
    input.extend(frame(&[
        fxp::STAT,
        0,
        0,
        0,
        8,
        0xff,
        0xff,
        0xff,
        0xff,
        b'x',
    ]));
    // An unknown extension.
    input.extend(encode_request(
        9,
        &Request::Extended(codec::ExtendedRequest::Unknown {
            name: b"evil@example.org".to_vec(),
        }),
    ));
    // A handle longer than 256 bytes, and a well-formed handle that was never issued.
    let mut long = vec![fxp::CLOSE, 0, 0, 0, 10, 0, 0, 1, 44];
    long.extend_from_slice(&[7; 300]);
    input.extend(frame(&long));
    input.extend(encode_request(
        11,
        &Request::Close {
            handle: vec![0xde, 0xad, 0xbe, 0xef],
        },
    ));
    // A READ asking for 4 GiB is cut to the limit, not allocated.
    input.extend(encode_request(
        12,
        &Request::Open {
            path: b"f".to_vec(),
            pflags: 1,
            attrs: Attrs::default(),
        },
    ));
    input.extend(encode_request(
        13,
        &Request::Read {
            handle: 0u32.to_be_bytes().to_vec(),
            offset: 0,
            len: u32::MAX,
        },
    ));
    // Path escapes.
    input.extend(encode_request(
        14,
        &Request::Stat {
            path: b"../../../../etc/passwd".to_vec(),
        },
    ));
    input.extend(encode_request(
        15,
        &Request::Stat {
            path: b"out".to_vec(),
        },
    ));
    input.extend(encode_request(
        16,
        &Request::Realpath {
            path: b"/../../..".to_vec(),
        },
    ));
    // 60000 ids whose names would overflow any reply packet.
    input.extend(encode_request(
        18,
        &Request::Extended(codec::ExtendedRequest::UsersGroupsById {
            uids: vec![0; 60_000],
            gids: Vec::new(),
        }),
    ));
    // And a good request at the end.
    input.extend(encode_request(
        17,
        &Request::Stat {
            path: b"f".to_vec(),
        },
    ));
    let (r, frames) = serve_bytes(&input);
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(frames.len(), 13);
    assert_eq!(status_of(&frames[1]), (7, fx::OP_UNSUPPORTED));
    assert_eq!(status_of(&frames[2]), (8, fx::BAD_MESSAGE));
    assert_eq!(status_of(&frames[3]), (9, fx::OP_UNSUPPORTED));
    assert_eq!(status_of(&frames[4]), (10, fx::BAD_MESSAGE));
    assert_eq!(status_of(&frames[5]), (11, fx::FAILURE));
    match codec::decode_response(frames[7].clone()).unwrap() {
        (13, Response::Data(d)) => assert_eq!(d.as_slice(), b"file"),
        other => panic!("{other:?}"),
    }
    assert_eq!(status_of(&frames[8]), (14, fx::NO_SUCH_FILE));
    assert_eq!(status_of(&frames[9]), (15, fx::NO_SUCH_FILE));
    match codec::decode_response(frames[10].clone()).unwrap() {
        (16, Response::Name(n)) => assert_eq!(n[0].filename, b"/"),
        other => panic!("{other:?}"),
    }
    assert_eq!(status_of(&frames[11]), (18, fx::FAILURE));
    assert!(matches!(
        codec::decode_response(frames[12].clone()).unwrap(),
        (17, Response::Attrs(_))
    ));
}

#[test]
fn mutated_requests_never_panic_or_hang() {
    // Every valid request type, with bytes flipped and cut at pseudo-random places.
    let reqs = [
        Request::Open {
            path: b"f".to_vec(),
            pflags: 0x1a,
            attrs: Attrs {
                size: Some(1),
                permissions: Some(0o644),
                ..Default::default()
            },
        },
        Request::Read {
            handle: vec![0, 0, 0, 0],
            offset: 0,
            len: 10,
        },
        Request::Setstat {
            path: b"f".to_vec(),
            attrs: Attrs {
                times: Some((1, 2)),
                ..Default::default()
            },
        },
        Request::Rename {
            from: b"f".to_vec(),
            to: b"g".to_vec(),
        },
        Request::Extended(codec::ExtendedRequest::CopyData {
            read_handle: vec![0; 4],
            read_offset: 0,
            length: 0,
            write_handle: vec![0; 4],
            write_offset: 9,
        }),
        Request::Extended(codec::ExtendedRequest::UsersGroupsById {
            uids: vec![0],
            gids: vec![0],
        }),
    ];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut input = init();
    for round in 0..3000u32 {
        let mut f = encode_request(round, &reqs[round as usize % reqs.len()])[4..].to_vec();
        for _ in 0..1 + next() % 3 {
            let i = (next() as usize) % f.len();
            f[i] = next() as u8;
        }
        // Keep the type and id bytes' positions, so each packet is answerable.
        let keep = 5 + (next() as usize) % (f.len() - 4);
        f.truncate(keep);
        input.extend(frame(&f));
    }
    let (r, frames) = serve_bytes(&input);
    // Every packet still has a type and an id, so every one gets exactly one reply.
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(frames.len(), 3001);
    let refused = frames[1..]
        .iter()
        .filter(|f| {
            f[0] == fxp::STATUS && matches!(status_of(f).1, fx::BAD_MESSAGE | fx::OP_UNSUPPORTED)
        })
        .count();
    assert!(
        refused > 300,
        "only {refused} of 3000 mutations were refused"
    );
}

/// A scripted server on the far end of a pipe pair: VERSION with `extensions`, then
/// `reply` for each decoded request. Returns the connected client's result.
fn with_fake_server<F>(
    extensions: &'static [(&'static str, &'static str)],
    mut reply: F,
) -> Result<Client, ClientError>
where
    F: FnMut(u32, Request, &mut dyn Write) -> bool + Send + 'static,
{
    let (c2s_r, c2s_w) = std::io::pipe().unwrap();
    let (s2c_r, mut s2c_w) = std::io::pipe().unwrap();
    std::thread::spawn(move || {
        let mut r = c2s_r;
        let Ok(Some(_init)) = codec::read_frame(&mut r) else {
            return;
        };
        if s2c_w
            .write_all(&codec::encode_version(3, extensions))
            .is_err()
        {
            return;
        }
        while let Ok(Some(f)) = codec::read_frame(&mut r) {
            let Ok((id, req)) = codec::decode_request(f) else {
                return;
            };
            if !reply(id, req, &mut s2c_w) {
                return; // dropping both ends closes the connection
            }
        }
    });
    Client::new(s2c_r, c2s_w)
}

#[test]
fn client_handles_out_of_order_short_replies_and_a_missing_size() {
    // Replies to READ come short (half of what was asked), pairs are answered in reverse
    // order, FSTAT reports no size, and no limits extension is offered.
    let data = std::sync::Arc::new(pattern(40 * 32768 + 123, 11));
    let served = data.clone();
    let mut held: Option<(u32, u64, u32)> = None;
    let mut c = with_fake_server(&[], move |id, req, w| {
        let answer = |id: u32, offset: u64, len: u32, w: &mut dyn Write| {
            let start = offset.min(served.len() as u64) as usize;
            let end = (start + (len as usize / 2).max(1)).min(served.len());
            let resp = if start >= served.len() {
                Response::Status {
                    code: fx::EOF,
                    message: "eof".into(),
                }
            } else {
                Response::Data(codec::Payload::from_vec(served[start..end].to_vec()))
            };
            w.write_all(&encode_response(id, &resp)).is_ok()
        };
        match req {
            Request::Open { .. } => w
                .write_all(&encode_response(id, &Response::Handle(b"h".to_vec())))
                .is_ok(),
            Request::Fstat { .. } => w
                .write_all(&encode_response(id, &Response::Attrs(Attrs::default())))
                .is_ok(),
            Request::Close { .. } => w.write_all(&codec::encode_status(id, fx::OK, "")).is_ok(),
            Request::Read { offset, len, .. } => {
                if let Some((hid, hoff, hlen)) = held.take() {
                    answer(id, offset, len, w) && answer(hid, hoff, hlen, w)
                } else if len == 32768
                    && offset > 0
                    && offset + 2 * len as u64 <= served.len() as u64
                {
                    // Held until the next READ, which is sure to come: a full-size read
                    // well inside the file is always followed by another (the first is
                    // answered at once: with no size known the client probes alone, and
                    // re-requests after short reads may be the last ones sent).
                    held = Some((id, offset, len));
                    true
                } else {
                    answer(id, offset, len, w)
                }
            }
            _ => false,
        }
    })
    .unwrap();
    assert_eq!(
        c.request_sizes(),
        (32768, 32768),
        "default size without limits@openssh.com"
    );
    assert!(c.limits().is_none());
    let local = TempDir::new("hostile-ooo");
    let n = c.get_file("x", local.path().join("x")).unwrap();
    assert_eq!(n, data.len() as u64);
    assert_eq!(std::fs::read(local.path().join("x")).unwrap(), *data);
}

fn hostile_reply(resp_frame: Vec<u8>) -> ClientError {
    let mut once = Some(resp_frame);
    // One reply, then the server hangs up.
    let mut c = with_fake_server(&[], move |_id, _req, w| {
        if let Some(f) = once.take() {
            let _ = w.write_all(&f);
        }
        false
    })
    .unwrap();
    let local = TempDir::new("hostile-reply");
    let f = std::fs::File::create(local.path().join("x")).unwrap();
    c.stat("x")
        .and_then(|_| c.get("x", &f).map(|_| Attrs::default()))
        .unwrap_err()
}

#[test]
fn client_refuses_hostile_server_replies() {
    // A frame length of 4 GiB.
    let e = hostile_reply(u32::MAX.to_be_bytes().to_vec());
    assert!(
        matches!(e, ClientError::Codec(CodecError::BadPacketLength(_))),
        "{e}"
    );
    // NAME claiming 4 billion entries.
    let mut name = vec![fxp::NAME, 0, 0, 0, 0];
    name.extend_from_slice(&u32::MAX.to_be_bytes());
    let e = hostile_reply(frame(&name));
    assert!(
        matches!(e, ClientError::Codec(CodecError::Truncated { .. })),
        "{e}"
    );
    // A reply to a request that was never sent.
    let e = hostile_reply(codec::encode_status(77, fx::OK, ""));
    assert!(matches!(e, ClientError::Protocol(_)), "{e}");
    // The wrong reply type.
    let e = hostile_reply(encode_response(0, &Response::Handle(b"h".to_vec())));
    assert!(matches!(e, ClientError::Protocol(_)), "{e}");
    // An unknown reply type.
    let e = hostile_reply(frame(&[250, 0, 0, 0, 0]));
    assert!(
        matches!(e, ClientError::Codec(CodecError::UnknownType { .. })),
        "{e}"
    );
    // A connection closed before the reply.
    let e = hostile_reply(Vec::new());
    assert!(matches!(e, ClientError::Closed), "{e}");
    // A packet cut short by the end of the stream.
    let e = hostile_reply(vec![0, 0, 0, 50, fxp::ATTRS]);
    assert!(matches!(e, ClientError::Codec(CodecError::Io(_))), "{e}");
}

#[test]
fn client_refuses_more_data_than_requested() {
    let mut c = with_fake_server(&[], |id, req, w| {
        let resp = match req {
            Request::Open { .. } => Response::Handle(b"h".to_vec()),
            Request::Fstat { .. } => Response::Attrs(Attrs {
                size: Some(10),
                ..Default::default()
            }),
            Request::Read { len, .. } => {
                Response::Data(codec::Payload::from_vec(vec![0; len as usize + 1]))
            }
            _ => Response::Status {
                code: fx::OK,
                message: String::new(),
            },
        };
        w.write_all(&encode_response(id, &resp)).is_ok()
    })
    .unwrap();
    let local = TempDir::new("hostile-more");
    let f = std::fs::File::create(local.path().join("x")).unwrap();
    assert!(matches!(c.get("x", &f), Err(ClientError::Protocol(_))));
}

#[test]
fn client_refuses_a_server_of_another_version() {
    let (c2s_r, c2s_w) = std::io::pipe().unwrap();
    let (s2c_r, mut s2c_w) = std::io::pipe().unwrap();
    let t = std::thread::spawn(move || {
        let mut r = c2s_r;
        codec::read_frame(&mut r).unwrap();
        s2c_w.write_all(&codec::encode_version(6, &[])).unwrap();
        let mut rest = Vec::new();
        let _ = r.read_to_end(&mut rest);
    });
    let e = Client::new(s2c_r, c2s_w).unwrap_err();
    assert!(matches!(e, ClientError::Protocol(_)), "{e}");
    t.join().unwrap();
}

/// A server that holds transfer requests until 64 are waiting (or the client has gone
/// quiet), then answers them all: the count it saw before its first
/// reply shows how deep the client pipelines, for a get and for a put.
#[test]
fn client_keeps_64_requests_in_flight_both_ways() {
    use std::sync::mpsc;
    use std::time::Duration;

    const CHUNK: u64 = 261_120;
    let (c2s_r, c2s_w) = std::io::pipe().unwrap();
    let (s2c_r, mut s2c_w) = std::io::pipe().unwrap();
    let (seen_tx, seen_rx) = mpsc::channel::<usize>();
    std::thread::spawn(move || {
        let (req_tx, req_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = c2s_r;
            let _ = codec::read_frame(&mut r);
            while let Ok(Some(f)) = codec::read_frame(&mut r) {
                if req_tx.send(codec::decode_request(f).unwrap()).is_err() {
                    return;
                }
            }
        });
        let limits: Vec<u8> = [262_144u64, CHUNK, CHUNK, 1000]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        s2c_w
            .write_all(&codec::encode_version(3, &[("limits@openssh.com", "1")]))
            .unwrap();
        let mut pending = Vec::new();
        let mut record = false;
        let is_transfer = |r: &Request| matches!(r, Request::Read { .. } | Request::Write { .. });
        loop {
            match req_rx.recv_timeout(Duration::from_secs(60)) {
                Ok(r) => pending.push(r),
                Err(_) => return,
            }
            // Hold transfer requests until 64 are waiting, or the client went quiet.
            loop {
                let transfers = pending.iter().filter(|(_, r)| is_transfer(r)).count();
                if transfers == 0 || transfers >= 64 {
                    break;
                }
                // Generous while measuring (a loaded machine may pause the client), short
                // afterwards, when only the tail of a transfer is left.
                let quiet = Duration::from_millis(if record { 5000 } else { 200 });
                match req_rx.recv_timeout(quiet) {
                    Ok(r) => pending.push(r),
                    Err(_) => break,
                }
            }
            let transfers = pending.iter().filter(|(_, r)| is_transfer(r)).count();
            if record && transfers > 0 {
                let _ = seen_tx.send(transfers);
                record = false;
            }
            for (id, req) in pending.drain(..) {
                let resp = match req {
                    Request::Extended(codec::ExtendedRequest::Limits) => {
                        Response::ExtendedReply(limits.clone())
                    }
                    Request::Open { .. } => {
                        record = true;
                        Response::Handle(b"h".to_vec())
                    }
                    Request::Fstat { .. } => Response::Attrs(Attrs {
                        size: Some(200 * CHUNK),
                        ..Default::default()
                    }),
                    Request::Read { offset, len, .. } if offset < 200 * CHUNK => {
                        Response::Data(codec::Payload::from_vec(vec![0; len as usize]))
                    }
                    Request::Read { .. } => Response::Status {
                        code: fx::EOF,
                        message: String::new(),
                    },
                    _ => Response::Status {
                        code: fx::OK,
                        message: String::new(),
                    },
                };
                if s2c_w.write_all(&encode_response(id, &resp)).is_err() {
                    return;
                }
            }
        }
    });
    let mut c = Client::new(s2c_r, c2s_w).unwrap();
    assert_eq!(c.request_sizes(), (261_120, 261_120));
    let local = TempDir::new("pipelining");
    let sink = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .unwrap();
    assert_eq!(c.get("x", &sink).unwrap(), 200 * CHUNK);
    assert_eq!(
        seen_rx.recv().unwrap(),
        64,
        "READs in flight before the first reply"
    );
    std::fs::write(local.path().join("src"), pattern(100 * CHUNK as usize, 4)).unwrap();
    assert_eq!(
        c.put_file(local.path().join("src"), "y").unwrap(),
        100 * CHUNK
    );
    assert_eq!(
        seen_rx.recv().unwrap(),
        64,
        "WRITEs in flight before the first reply"
    );
}
