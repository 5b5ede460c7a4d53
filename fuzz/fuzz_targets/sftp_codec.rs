//! The SFTP v3 codec (`wirecrypt_xfer::sftp::codec`): framing, requests, responses,
//! INIT and VERSION.
//!
//! Input: a selector byte, then per selector the body of one packet (type byte onward)
//! read as 0: a request, 1: a response, 2: INIT or VERSION; or 3: a byte stream of
//! length-prefixed packets, framed by `read_frame` and decoded as requests.
//!
//! Invariants, besides no panic and bounded memory:
//! * whatever decodes encodes to a packet whose length prefix is right and which decodes
//!   back to the same value (decode, encode, decode is the identity);
//! * an error carries the request id exactly when the packet held one;
//! * `read_frame` never returns a packet longer than `MAX_PACKET_LEN`, and the frames
//!   it returns are the stream's bytes in order.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wirecrypt_fuzz::Input;
use wirecrypt_xfer::sftp::codec::{
    MAX_PACKET_LEN, decode_init, decode_request, decode_response, decode_version, encode_init,
    encode_request, encode_response, encode_version, read_frame,
};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let selector = input.byte() % 4;
    let body = input.rest();
    match selector {
        0 => request(body),
        1 => response(body),
        2 => hello(body),
        _ => stream(body),
    }
});

/// The body of a length-prefixed packet, checking the prefix.
fn unframe(packet: &[u8]) -> Vec<u8> {
    let len = u32::from_be_bytes(packet[..4].try_into().expect("a length prefix"));
    assert_eq!(len as usize, packet.len() - 4, "length prefix");
    assert!(len >= 1);
    packet[4..].to_vec()
}

fn request(body: &[u8]) {
    match decode_request(body.to_vec()) {
        Ok((id, req)) => {
            assert_eq!(body.get(1..5), Some(&id.to_be_bytes()[..]));
            let again = unframe(&encode_request(id, &req));
            assert_eq!(again[0], body[0], "packet type");
            let (id2, req2) = decode_request(again).expect("a re-encoded request decodes");
            assert_eq!((id2, req2), (id, req));
        }
        Err((Some(id), _)) => {
            assert_eq!(body.get(1..5), Some(&id.to_be_bytes()[..]), "error's id");
        }
        Err((None, _)) => {}
    }
}

fn response(body: &[u8]) {
    if let Ok((id, resp)) = decode_response(body.to_vec()) {
        assert_eq!(body.get(1..5), Some(&id.to_be_bytes()[..]));
        let again = unframe(&encode_response(id, &resp));
        assert_eq!(again[0], body[0], "packet type");
        let (id2, resp2) = decode_response(again).expect("a re-encoded response decodes");
        assert_eq!((id2, resp2), (id, resp));
    }
}

fn hello(body: &[u8]) {
    if let Ok(v) = decode_init(body) {
        assert_eq!(decode_init(&unframe(&encode_init(v))).expect("INIT"), v);
    }
    if let Ok((v, ext)) = decode_version(body) {
        // encode_version takes text; compare what is text.
        let text: Option<Vec<(String, String)>> = ext
            .iter()
            .map(|(n, d)| {
                Some((
                    String::from_utf8(n.clone()).ok()?,
                    String::from_utf8(d.clone()).ok()?,
                ))
            })
            .collect();
        if let Some(text) = text {
            let pairs: Vec<(&str, &str)> =
                text.iter().map(|(n, d)| (n.as_str(), d.as_str())).collect();
            let again = unframe(&encode_version(v, &pairs));
            assert_eq!(again, body, "VERSION re-encodes differently");
        }
    }
}

fn stream(bytes: &[u8]) {
    let mut cursor = bytes;
    let mut used = 0;
    loop {
        let before = cursor.len();
        match read_frame(&mut cursor) {
            Ok(Some(frame)) => {
                assert!(!frame.is_empty() && frame.len() <= MAX_PACKET_LEN as usize);
                assert_eq!(&bytes[used + 4..used + 4 + frame.len()], &frame[..]);
                used += 4 + frame.len();
                assert_eq!(before - cursor.len(), 4 + frame.len());
                request(&frame);
            }
            Ok(None) => {
                assert!(cursor.is_empty());
                break;
            }
            Err(_) => break,
        }
    }
}
