//! The FTP control connection (`wirecrypt_xfer::ftp::control`): the line reader, the
//! session state machine under every policy, the driver's outcomes fed back, and the
//! client's reply parser reading back every reply the server sends.
//!
//! Input: a policy byte (TLS available, implicit TLS, TLS required for login and for
//! data, CCC policy, IPv4 or IPv6 peer), then chunks of the byte stream a client sends,
//! each a length byte and its bytes (length 255: a line of 5000 bytes), with the
//! driver's outcomes (login result, passive address, filesystem or transfer result)
//! read from the input when the session asks for them.
//!
//! Invariants, besides no panic and bounded memory:
//! * lines handed out are at most `MAX_LINE` bytes and hold no line feed;
//! * every reply has a code in 100..=599, and what `to_wire` sends the client's
//!   `LineReader` and `ReplyParser` read back as the same reply (line breaks in the text
//!   turned into spaces, continuation lines without leading blanks);
//! * paths never hold `.`, `..`, empty components, `/` or NUL (no escape from the root);
//! * file operations and transfers only for a logged-in user; login only over TLS when
//!   the policy requires it; transfers protected when the policy requires it; active
//!   data connections only to the control connection's address, on a port >= 1024;
//!   AUTH only when TLS is available, leaving the control connection protected.

#![no_main]

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use libfuzzer_sys::fuzz_target;
use wirecrypt_fuzz::Input;
use wirecrypt_xfer::ftp::control::{
    Action, CccPolicy, DataMode, FsOp, FsOutcome, LineReader, MAX_LINE, Policy, Reply, ReplyParser,
    Session, TransferError, VPath, greeting,
};

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let flags = input.byte();
    let peer = if flags & 0x80 == 0 {
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1))
    } else {
        IpAddr::V6(Ipv6Addr::LOCALHOST)
    };
    let policy = Policy {
        tls_available: flags & 1 != 0,
        implicit_tls: flags & 1 != 0 && flags & 2 != 0,
        require_tls_login: flags & 4 != 0,
        require_tls_data: flags & 8 != 0,
        ccc: match (flags >> 4) & 3 {
            0 => CccPolicy::Disabled,
            1 => CccPolicy::Refuse,
            _ => CccPolicy::Allow,
        },
        peer,
    };
    let mut session = Session::new(policy.clone());
    let mut reader = LineReader::new();
    check_reply(&greeting());
    while input.rest_len() > 0 {
        let n = input.byte();
        let chunk = if n == 255 {
            let mut long = vec![b'A'; 5000];
            long.push(b'\n');
            long
        } else {
            input.bytes(usize::from(n).min(input.rest_len()))
        };
        reader.feed(&chunk);
        while let Some(line) = reader.next_line() {
            let Ok(line) = line else { continue };
            assert!(line.len() <= MAX_LINE, "a line of {} bytes", line.len());
            assert!(!line.contains('\n'));
            let action = session.handle(&line);
            if !step(&mut session, &policy, &mut reader, &mut input, action) {
                return;
            }
        }
    }
});

/// Plays the driver for one action; false when the connection closes.
fn step(
    session: &mut Session,
    policy: &Policy,
    reader: &mut LineReader,
    input: &mut Input<'_>,
    action: Action,
) -> bool {
    match action {
        Action::Reply(r) => check_reply(&r),
        Action::Close(r) => {
            check_reply(&r);
            return false;
        }
        Action::StartTls(r) => {
            check_reply(&r);
            assert!(policy.tls_available, "AUTH without TLS configured");
            assert!(session.control_protected());
            assert!(session.user().is_none(), "AUTH keeps a login");
            // What came in clear after AUTH is dropped, as the driver does.
            reader.clear();
        }
        Action::ClearControl(r) => {
            check_reply(&r);
            assert!(policy.ccc == CccPolicy::Allow && !policy.implicit_tls);
            assert!(!session.control_protected());
        }
        Action::Login { user, password: _ } => {
            assert!(
                !policy.require_tls_login || session.control_protected(),
                "a login in clear under a TLS-only policy"
            );
            let ok = input.byte() & 1 != 0;
            check_reply(&session.login_done(&user, ok));
            assert_eq!(session.user(), ok.then_some(user.as_str()));
        }
        Action::OpenPassive { extended } => {
            let b = input.byte();
            let addr = match b % 3 {
                0 => None,
                1 => Some(SocketAddr::new(policy.peer, input.u16())),
                _ => Some(SocketAddr::from(([10, 0, 0, b], input.u16()))),
            };
            check_reply(&session.passive_ready(addr, extended));
        }
        Action::Transfer(t) => {
            assert!(session.user().is_some(), "a transfer before login");
            assert!(
                t.protect || !policy.require_tls_data,
                "an unprotected transfer under a TLS-only policy"
            );
            if let DataMode::Active(a) = t.mode {
                assert_eq!(a.ip(), policy.peer, "PORT to a third party");
                assert!(a.port() >= 1024, "PORT to a privileged port");
            }
            assert!(t.mode != DataMode::None);
            check_path(&t.path);
            let result = match input.byte() % 6 {
                0 => Ok(()),
                1 => Err(TransferError::NoConnection),
                2 => Err(TransferError::TlsRequired(text(input))),
                3 => Err(TransferError::Aborted),
                4 => Err(TransferError::File(io_error(input.byte()))),
                _ => Err(TransferError::Local(io_error(input.byte()))),
            };
            check_reply(&session.transfer_done(result));
        }
        Action::Fs(op) => {
            assert!(session.user().is_some(), "a file operation before login");
            match &op {
                FsOp::Cwd(p)
                | FsOp::Mkd(p)
                | FsOp::Rmd(p)
                | FsOp::Dele(p)
                | FsOp::Rnfr(p)
                | FsOp::Size(p)
                | FsOp::Mdtm(p)
                | FsOp::Mlst(p)
                | FsOp::Stat(p) => check_path(p),
                FsOp::Rename(a, b) => {
                    check_path(a);
                    check_path(b);
                }
            }
            let result = match input.byte() % 5 {
                0 => Ok(FsOutcome::Done),
                1 => Ok(FsOutcome::Size(input.u64())),
                2 => Ok(FsOutcome::Time(text(input))),
                3 => Ok(FsOutcome::Lines(
                    (0..input.byte() % 4).map(|_| text(input)).collect(),
                )),
                _ => Err(io_error(input.byte())),
            };
            check_reply(&session.fs_done(result));
            check_path(session.cwd());
        }
    }
    true
}

/// A short text from the input (lossy UTF-8: line breaks and all).
fn text(input: &mut Input<'_>) -> String {
    let n = usize::from(input.byte() % 32);
    String::from_utf8_lossy(&input.bytes(n)).into_owned()
}

fn io_error(b: u8) -> io::Error {
    use io::ErrorKind as K;
    let kinds = [
        K::NotFound,
        K::PermissionDenied,
        K::AlreadyExists,
        K::InvalidInput,
        K::DirectoryNotEmpty,
        K::NotADirectory,
        K::IsADirectory,
        K::Other,
    ];
    io::Error::from(kinds[usize::from(b) % kinds.len()])
}

fn check_path(p: &VPath) {
    for c in p.components() {
        assert!(
            !c.is_empty() && c != "." && c != ".." && !c.contains(['/', '\0']),
            "path component {c:?} in {p}"
        );
    }
}

/// The reply as the client reads it back.
fn check_reply(r: &Reply) {
    assert!((100..=599).contains(&r.code), "reply code {}", r.code);
    assert!(!r.lines.is_empty(), "a reply without lines");
    let wire = r.to_wire();
    // A reply line longer than a command line is more than the client's reader takes.
    if wire.split(|&b| b == b'\n').any(|l| l.len() + 1 > MAX_LINE) {
        return;
    }
    let mut reader = LineReader::new();
    reader.feed(&wire);
    let mut parser = ReplyParser::new();
    let mut got = None;
    while let Some(line) = reader.next_line() {
        let line = line.expect("a reply line the client cannot read");
        assert!(got.is_none(), "bytes after a complete reply: {line:?}");
        got = parser.push(&line).expect("a reply line the client refuses");
    }
    assert!(!reader.has_pending());
    let n = r.lines.len();
    let expected: Vec<String> = r
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let l = l.replace(['\r', '\n'], " ");
            if n > 1 && i > 0 && i < n - 1 {
                l.trim_start().to_owned()
            } else {
                l
            }
        })
        .collect();
    let got = got.expect("the client did not get a whole reply");
    assert_eq!(got.code, r.code);
    assert_eq!(got.lines, expected, "the reply read back differs");
}
