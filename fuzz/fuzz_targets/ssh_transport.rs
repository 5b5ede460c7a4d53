//! The SSH transport's parsers (`wirecrypt_xfer::ssh`): the version exchange, KEXINIT
//! and algorithm negotiation, and the RFC 4251 field reader every message decoder uses.
//!
//! Input: a selector byte, then per selector —
//! 0: a flags byte (bit 0: client, which accepts lines before the version) and the
//!    bytes received, which the parser is fed in chunks whose lengths the input picks;
//! 1: flags (our side, FIPS, first exchange) and a KEXINIT payload from the peer;
//! 2: a script of reads (byte, bool, uint32, string, text, name-list) over the rest.
//!
//! Invariants, besides no panic and bounded memory:
//! * the version line is the same however the stream is cut, it is printable ASCII,
//!   at most 255 bytes with its line end, `SSH-2.0-` or `SSH-1.99-`, and the bytes after
//!   it are handed back untouched;
//! * a KEXINIT that decodes encodes to the same bytes (boolean and reserved field
//!   normalised, trailing bytes cut) and decodes back equal;
//! * negotiation picks, for each slot, a name both sides offer, never one outside our
//!   (possibly FIPS-narrowed) list; the chosen cipher and MAC make a packet mode; AEAD
//!   ciphers get no MAC;
//! * no read returns bytes beyond the message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wirecrypt_fuzz::Input;
use wirecrypt_xfer::ssh::transport::negotiate::{
    HOST_KEY_ALGORITHMS, KexInit, Preferences, negotiate,
};
use wirecrypt_xfer::ssh::transport::version::{MAX_LINE, VersionParser};
use wirecrypt_xfer::ssh::wire::Reader;

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    match input.byte() % 3 {
        0 => version(input),
        1 => kexinit(input),
        _ => reader(input),
    }
});

fn version(mut input: Input<'_>) {
    let client = input.byte() & 1 != 0;
    let cuts = input.bytes(8);
    let stream = input.rest();
    let whole = VersionParser::new(client).feed(stream);

    let mut parser = VersionParser::new(client);
    let mut at = 0;
    let mut chunked = Ok(None);
    for (i, &c) in cuts.iter().cycle().enumerate() {
        let end = if i >= 64 {
            stream.len()
        } else {
            (at + usize::from(c)).min(stream.len())
        };
        chunked = parser.feed(&stream[at..end]);
        at = end;
        match &chunked {
            Ok(None) if at < stream.len() => continue,
            _ => break,
        }
    }
    match (whole, chunked) {
        (Ok(Some((line, rest))), Ok(Some((line2, rest2)))) => {
            assert_eq!(line, line2, "the version line depends on the cuts");
            let mut joined = rest2;
            joined.extend_from_slice(&stream[at..]);
            assert_eq!(rest, joined, "bytes after the version line");
            // At most 255 bytes with its line end (CR LF, or a bare LF).
            assert!(line.len() + 1 <= MAX_LINE);
            assert!(line.starts_with("SSH-2.0-") || line.starts_with("SSH-1.99-"));
            assert!(line.bytes().all(|b| (0x20..0x7f).contains(&b)));
            assert!(stream.ends_with(&rest));
        }
        (Ok(None), Ok(None)) | (Err(_), Err(_)) => {}
        (w, c) => panic!("whole: {w:?}, in chunks: {c:?}"),
    }
}

fn kexinit(mut input: Input<'_>) {
    let flags = input.byte();
    let payload = input.rest();
    let Ok(theirs) = KexInit::decode(payload) else {
        return;
    };
    // Encode with the peer's cookie: the same bytes, normalised.
    let cookie: [u8; 16] = payload[1..17].try_into().expect("decode read the cookie");
    let again = theirs.encode(cookie);
    let consumed = again.len();
    let mut expected = payload[..consumed].to_vec();
    expected[consumed - 5] = u8::from(expected[consumed - 5] != 0);
    expected[consumed - 4..].fill(0);
    assert_eq!(again, expected, "KEXINIT re-encodes differently");
    assert_eq!(KexInit::decode(&again).expect("re-decodes"), theirs);

    let host_keys = HOST_KEY_ALGORITHMS
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let fips = flags & 2 != 0;
    let prefs = if fips {
        Preferences::new(host_keys).fips_only()
    } else {
        Preferences::new(host_keys)
    };
    let we_are_client = flags & 1 != 0;
    let first = flags & 4 != 0;
    let ours = KexInit::ours(&prefs, we_are_client, first);
    let (c, s) = if we_are_client {
        (&ours, &theirs)
    } else {
        (&theirs, &ours)
    };
    let Ok(n) = negotiate(c, s, we_are_client, fips, first) else {
        return;
    };
    let both = |i: usize, name: &str| {
        assert!(
            c.lists[i].iter().any(|x| x == name) && s.lists[i].iter().any(|x| x == name),
            "{name} chosen for slot {i} but not offered by both"
        );
    };
    both(0, &n.kex);
    both(1, &n.host_key);
    both(2, &n.cipher_c2s);
    both(3, &n.cipher_s2c);
    for (i, (cipher, mac)) in [(&n.cipher_c2s, &n.mac_c2s), (&n.cipher_s2c, &n.mac_s2c)]
        .into_iter()
        .enumerate()
    {
        if let Some(m) = mac {
            both(4 + i, m);
        }
        let mode = wirecrypt::ssh::Mode::new(cipher, mac.as_deref())
            .unwrap_or_else(|e| panic!("negotiated {cipher} with {mac:?}: {e}"));
        assert_eq!(mode.cipher().is_aead(), mac.is_none());
    }
    assert!(!n.strict || first);
}

fn reader(mut input: Input<'_>) {
    let ops = input.bytes(16);
    let message = input.rest();
    let mut r = Reader::new(message);
    for op in ops {
        let before = r.rest().len();
        let ok = match op % 7 {
            0 => r.u8().is_ok(),
            1 => r.bool().is_ok(),
            2 => r.u32().is_ok(),
            3 => r.string().map(|s| assert!(s.len() + 4 <= before)).is_ok(),
            4 => r.str().map(|s| assert!(s.len() + 4 <= before)).is_ok(),
            5 => r
                .names()
                .map(|n| assert!(n.iter().all(|x| !x.contains(',')) && n.len() <= before))
                .is_ok(),
            _ => {
                assert_eq!(r.end().is_ok(), before == 0);
                true
            }
        };
        let after = r.rest().len();
        assert!(after <= before);
        if !ok {
            break;
        }
    }
}
