//! Hostile and broken peers: each gets DISCONNECT (server side) or a typed error (client
//! side) — never a panic or a hang — while another client's transfer carries on.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use support::TempDir;
use support::ours::{MIB, Setup, client_config, echo, start};
use wirecrypt::Engine;
use wirecrypt::ssh::{PacketOpener, PacketReader, PacketSealer};
use wirecrypt_xfer::ssh::transport::negotiate::{KexInit, Preferences};
use wirecrypt_xfer::ssh::wire::msg;
use wirecrypt_xfer::ssh::{Client, ClientConfig, SshError};

/// A raw TCP peer: our version line sent, the server's read.
fn raw(s: &Setup) -> TcpStream {
    let mut t = TcpStream::connect(s.server.local_addr()).unwrap();
    t.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    t.write_all(b"SSH-2.0-raw_test\r\n").unwrap();
    t
}

fn plain(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PacketSealer::new(&Engine::builder().build().unwrap())
        .seal(payload, &mut out)
        .unwrap();
    out
}

fn strict_kexinit() -> Vec<u8> {
    KexInit::ours(&Preferences::new(vec!["ssh-ed25519".into()]), true, true).encode([3; 16])
}

/// Reads until the server closes; returns the DISCONNECT reason it sent.
fn disconnect_code(mut t: TcpStream) -> u32 {
    // Our half-close lets the server's lingering read end at once.
    t.shutdown(std::net::Shutdown::Write).unwrap();
    let mut all = Vec::new();
    t.read_to_end(&mut all)
        .expect("the server must close, not hang");
    let nl = all.iter().position(|&b| b == b'\n').unwrap();
    assert!(all.starts_with(b"SSH-2.0-wirecrypt"));
    let mut reader = PacketReader::new(PacketOpener::new(&Engine::builder().build().unwrap()));
    let mut rest = &all[nl + 1..];
    while !rest.is_empty() {
        let (taken, payload) = reader.feed(rest).unwrap();
        rest = &rest[taken..];
        if let Some(p) = payload
            && p[0] == msg::DISCONNECT
        {
            return u32::from_be_bytes([p[1], p[2], p[3], p[4]]);
        }
    }
    panic!("no DISCONNECT before the server closed");
}

#[test]
fn garbage_after_the_version_line() {
    let s = start(None);
    let mut t = raw(&s);
    t.write_all(&[0xff; 64]).unwrap();
    assert_eq!(disconnect_code(t), 2);
}

#[test]
fn oversized_packet_length() {
    let s = start(None);
    let mut t = raw(&s);
    // 16 MiB + 4: well past the 256 KiB limit, aligned so only the size is wrong.
    t.write_all(&[0x01, 0x00, 0x00, 0x04, 4, 0, 0, 0]).unwrap();
    assert_eq!(disconnect_code(t), 2);
}

#[test]
fn unknown_message_type_before_key_exchange() {
    let s = start(None);
    let mut t = raw(&s);
    t.write_all(&plain(&[200, 1, 2, 3])).unwrap();
    assert_eq!(disconnect_code(t), 2);
}

#[test]
fn strict_kex_ignore_before_kexinit_ends_the_connection() {
    let s = start(None);
    let mut t = raw(&s);
    t.write_all(&plain(&[msg::IGNORE, 0, 0, 0, 0])).unwrap();
    t.write_all(&plain(&strict_kexinit())).unwrap();
    assert_eq!(disconnect_code(t), 3);
}

#[test]
fn strict_kex_ignore_during_the_first_exchange_ends_the_connection() {
    let s = start(None);
    let mut t = raw(&s);
    t.write_all(&plain(&strict_kexinit())).unwrap();
    t.write_all(&plain(&[msg::IGNORE, 0, 0, 0, 0])).unwrap();
    assert_eq!(disconnect_code(t), 3);
}

#[test]
fn client_gets_a_typed_error_from_a_garbage_server() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let fake = std::thread::spawn(move || {
        let (mut c, _) = l.accept().unwrap();
        c.write_all(b"SSH-2.0-fake\r\n").unwrap();
        c.write_all(&[0x7f; 4096]).unwrap();
        let mut sink = Vec::new();
        let _ = c.read_to_end(&mut sink);
    });
    let dir = TempDir::new("fake");
    let cfg = ClientConfig::new(
        Engine::builder().build().unwrap(),
        "x",
        dir.path("known_hosts"),
    );
    let err = Client::connect(addr, cfg).unwrap_err();
    assert!(matches!(err, SshError::Packet(_)), "{err:?}");
    fake.join().unwrap();
}

/// Forwards a connection, flipping one bit of the client's bytes after `after` bytes.
fn bit_flipping_proxy(target: std::net::SocketAddr, after: usize) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let (client, _) = l.accept().unwrap();
        let server = TcpStream::connect(target).unwrap();
        let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
        let down = std::thread::spawn(move || {
            let (mut s_in, mut c_out) = (server, client);
            let _ = std::io::copy(&mut s_in, &mut c_out);
            // Half-close, so the client still reads everything the server sent.
            let _ = c_out.shutdown(std::net::Shutdown::Write);
        });
        let mut seen = 0usize;
        let mut buf = vec![0u8; 65536];
        let mut server_gone = false;
        loop {
            let n = match c_in.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if seen <= after && after < seen + n {
                buf[after - seen] ^= 0x10;
            }
            seen += n;
            if !server_gone && s_out.write_all(&buf[..n]).is_err() {
                // The server has closed. Keep reading (and dropping) what the client
                // sends until it closes too: a socket closed with unread data resets
                // the connection, and the client's kernel then discards what it had
                // received but not yet read — the server's DISCONNECT among it.
                server_gone = true;
                let _ = c_in.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            }
        }
        let _ = s_out.shutdown(std::net::Shutdown::Write);
        let _ = down.join();
    });
    addr
}

#[test]
fn wrong_mac_disconnects_while_another_client_carries_on() {
    let s = start(None);
    let addr = s.server.local_addr();
    let cfg = client_config(&s, None);
    // DISCONNECT is best effort (RFC 4253 §11.1): the server sends it and closes, and in
    // about one run in thirty the teardown through the proxy resets the client's
    // connection before the client has read it (a reset discards what the client had
    // received but not read). So up to three cut-off clients, each through its own
    // proxy: every one must end with a typed error, and one must read MAC_ERROR.
    let proxies: Vec<_> = (0..3).map(|_| bit_flipping_proxy(addr, 2 * MIB)).collect();
    // Each proxy's port needs its own known_hosts line, written before any client reads
    // the file.
    let kh = std::fs::read_to_string(s.dir.path("known_hosts")).unwrap();
    let mut lines = kh.clone();
    for proxy in &proxies {
        lines += &kh.replace(
            &format!("]:{} ", addr.port()),
            &format!("]:{} ", proxy.port()),
        );
    }
    std::fs::write(s.dir.path("known_hosts"), lines).unwrap();
    // The healthy client moves 32 MiB while the others are cut off.
    let healthy_cfg = cfg.clone();
    let healthy = std::thread::spawn(move || echo(addr, healthy_cfg, 32 * MIB));

    let mut seen = Vec::new();
    for proxy in proxies {
        let text = cut_off_client(proxy, cfg.clone());
        println!("cut-off client saw: {text}");
        assert!(text.contains("SSH"), "not a typed error: {text}");
        let got_reason = text.contains("reason 5");
        seen.push(text);
        if got_reason {
            break;
        }
    }
    assert!(
        seen.last().is_some_and(|t| t.contains("reason 5")),
        "expected DISCONNECT MAC_ERROR: {seen:?}"
    );
    assert!(healthy.join().unwrap() >= 1);
}

/// Runs an echo session through `proxy`, which flips a bit at 2 MiB: writes 4 MiB, then
/// reads until the connection ends; returns what the writer and the reader saw.
fn cut_off_client(proxy: std::net::SocketAddr, cfg: ClientConfig) -> String {
    let client = Client::connect(proxy, cfg).unwrap();
    let (mut r, mut w) = client.open_subsystem("echo").unwrap();
    let writer = std::thread::spawn(move || {
        let buf = vec![0x55u8; 64 * 1024];
        for _ in 0..64 {
            if let Err(e) = w.write_all(&buf) {
                return Some(e);
            }
        }
        None
    });
    let mut sink = vec![0u8; 65536];
    let read_err = loop {
        match r.read(&mut sink) {
            Ok(0) => break None,
            Ok(_) => continue,
            Err(e) => break Some(e),
        }
    };
    let write_err = writer.join().unwrap();
    format!("{write_err:?} / {read_err:?}")
}

#[test]
fn client_ends_a_strict_first_exchange_that_starts_with_ignore() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let fake = std::thread::spawn(move || {
        let (mut c, _) = l.accept().unwrap();
        c.write_all(b"SSH-2.0-fake\r\n").unwrap();
        c.write_all(&plain(&[msg::IGNORE, 0, 0, 0, 0])).unwrap();
        let kexinit = KexInit::ours(&Preferences::new(vec!["ssh-ed25519".into()]), false, true)
            .encode([4; 16]);
        c.write_all(&plain(&kexinit)).unwrap();
        let mut sink = Vec::new();
        let _ = c.read_to_end(&mut sink);
        sink
    });
    let dir = TempDir::new("fake-strict");
    let cfg = ClientConfig::new(
        Engine::builder().build().unwrap(),
        "x",
        dir.path("known_hosts"),
    );
    let err = Client::connect(addr, cfg).unwrap_err();
    assert!(matches!(err, SshError::StrictKex(_)), "{err:?}");
    // What the client sent ends with DISCONNECT reason 3 (key exchange failed).
    let sent = fake.join().unwrap();
    let nl = sent.iter().position(|&b| b == b'\n').unwrap();
    let mut reader = PacketReader::new(PacketOpener::new(&Engine::builder().build().unwrap()));
    let mut rest = &sent[nl + 1..];
    let mut last = Vec::new();
    while !rest.is_empty() {
        let (taken, payload) = reader.feed(rest).unwrap();
        rest = &rest[taken..];
        if let Some(p) = payload {
            last = p.to_vec();
        }
    }
    assert_eq!(last[0], msg::DISCONNECT);
    assert_eq!(u32::from_be_bytes([last[1], last[2], last[3], last[4]]), 3);
}
