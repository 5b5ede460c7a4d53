use super::*;

const PEER: &str = "127.0.0.1";

fn policy() -> Policy {
    Policy {
        tls_available: true,
        implicit_tls: false,
        require_tls_login: true,
        require_tls_data: true,
        ccc: CccPolicy::Allow,
        peer: PEER.parse().unwrap(),
    }
}

fn code(a: &Action) -> u16 {
    match a {
        Action::Reply(r) | Action::Close(r) | Action::StartTls(r) | Action::ClearControl(r) => {
            r.code
        }
        other => panic!("expected a reply, got {other:?}"),
    }
}

/// AUTH TLS, login, PBSZ 0, PROT P: a fully protected session.
fn secured(p: Policy) -> Session {
    let mut s = Session::new(p);
    assert!(matches!(s.handle("AUTH TLS"), Action::StartTls(r) if r.code == 234));
    login(&mut s);
    assert_eq!(code(&s.handle("PBSZ 0")), 200);
    assert_eq!(code(&s.handle("PROT P")), 200);
    s
}

fn login(s: &mut Session) {
    assert_eq!(code(&s.handle("USER alice")), 331);
    match s.handle("PASS pw") {
        Action::Login { user, password } => {
            assert_eq!(user, "alice");
            assert_eq!(password.0, "pw");
            assert_eq!(s.login_done(&user, true).code, 230);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn reply_wire_format_single_and_multi_line() {
    assert_eq!(Reply::new(200, "ok").to_wire(), b"200 ok\r\n");
    let r = Reply::multi(211, vec!["Features:".into(), "EPSV".into(), "End".into()]);
    assert_eq!(r.to_wire(), b"211-Features:\r\n EPSV\r\n211 End\r\n");
    // an injected line break cannot start a forged reply
    assert_eq!(Reply::new(550, "a\r\n230 b").to_wire(), b"550 a  230 b\r\n");
}

#[test]
fn reply_parser_reassembles_multi_line_replies() {
    let mut p = ReplyParser::new();
    assert_eq!(p.push("211-Features:").unwrap(), None);
    assert_eq!(p.push(" EPSV").unwrap(), None);
    assert_eq!(p.push("211-not the end").unwrap(), None);
    let r = p.push("211 End").unwrap().unwrap();
    assert_eq!(r.code, 211);
    assert_eq!(r.lines, ["Features:", "EPSV", "211-not the end", "End"]);
    assert_eq!(
        p.push("226 done").unwrap().unwrap(),
        Reply::new(226, "done")
    );
    assert!(p.push("hello").is_err());
    assert!(p.push("99 x").is_err());
}

#[test]
fn line_reader_splits_and_bounds_lines() {
    let mut r = LineReader::new();
    r.feed(b"USER a\r\nPASS");
    assert_eq!(r.next_line(), Some(Ok("USER a".into())));
    assert_eq!(r.next_line(), None);
    assert!(r.has_pending());
    r.feed(b" b\nNOOP\r\n");
    assert_eq!(r.next_line(), Some(Ok("PASS b".into())));
    assert_eq!(r.next_line(), Some(Ok("NOOP".into())));
    assert!(!r.has_pending());

    // an overlong line is dropped, reported once, and never buffered whole
    for _ in 0..100 {
        r.feed(&[b'A'; 1000]);
        assert!(r.buf.len() <= MAX_LINE + 2);
    }
    r.feed(b"\r\nNOOP\r\n");
    assert_eq!(r.next_line(), Some(Err(LineError::TooLong)));
    assert_eq!(r.next_line(), Some(Ok("NOOP".into())));

    r.feed(b"\xc3\x28\r\n");
    assert_eq!(r.next_line(), Some(Err(LineError::NotUtf8)));
    // exactly at the limit is fine
    let mut line = vec![b'B'; MAX_LINE - 2];
    line.extend_from_slice(b"\r\n");
    r.feed(&line);
    assert_eq!(r.next_line().unwrap().unwrap().len(), MAX_LINE - 2);
}

#[test]
fn paths_never_climb_above_the_root() {
    let root = VPath::root();
    let p = root.resolve("a/b/../c/./d").unwrap();
    assert_eq!(p.to_string(), "/a/c/d");
    assert_eq!(
        p.resolve("../../../../../etc/passwd").unwrap().to_string(),
        "/etc/passwd"
    );
    assert_eq!(root.resolve("..").unwrap(), root);
    assert_eq!(p.resolve("/x").unwrap().to_string(), "/x");
    assert_eq!(p.resolve("//x//y/").unwrap().components(), ["x", "y"]);
    assert!(root.resolve("a\0b").is_none());
    for p in ["../../etc", "/../..", "a/../../.."] {
        let v = root.resolve(p).unwrap();
        assert!(
            v.components()
                .iter()
                .all(|c| c != ".." && c != "." && !c.is_empty())
        );
    }
}

#[test]
fn greeting_syst_feat_noop_quit_before_login() {
    let mut s = Session::new(policy());
    assert_eq!(greeting().code, 220);
    assert_eq!(code(&s.handle("SYST")), 215);
    assert_eq!(code(&s.handle("NOOP")), 200);
    match s.handle("FEAT") {
        Action::Reply(r) => {
            assert_eq!(r.code, 211);
            for f in [
                "AUTH TLS",
                "PBSZ",
                "PROT",
                "CCC",
                "EPSV",
                "MLST type*;size*;modify*;",
                "REST STREAM",
                "UTF8",
            ] {
                assert!(r.lines.iter().any(|l| l == f), "FEAT lacks {f}");
            }
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(code(&s.handle("OPTS UTF8 ON")), 200);
    assert_eq!(code(&s.handle("OPTS MLST type")), 501);
    assert!(matches!(s.handle("quit"), Action::Close(r) if r.code == 221));
}

#[test]
fn unknown_commands_and_commands_before_login() {
    let mut s = Session::new(Policy::plain(PEER.parse().unwrap()));
    assert_eq!(code(&s.handle("XYZZY")), 500);
    assert_eq!(code(&s.handle("")), 500);
    for cmd in [
        "PWD", "CWD /", "LIST", "RETR a", "STOR a", "PASV", "DELE a", "ACCT x",
    ] {
        assert_eq!(code(&s.handle(cmd)), 530, "{cmd}");
    }
    assert_eq!(code(&s.handle("PASS x")), 503);
    assert_eq!(code(&s.handle("USER")), 501);
}

#[test]
fn login_success_and_failure() {
    let mut s = Session::new(Policy::plain(PEER.parse().unwrap()));
    assert_eq!(code(&s.handle("USER bob")), 331);
    let Action::Login { user, password } = s.handle("PASS wrong") else {
        panic!()
    };
    assert_eq!(format!("{password:?}"), "Password(<redacted>)");
    assert_eq!(s.login_done(&user, false).code, 530);
    assert_eq!(s.user(), None);
    assert_eq!(code(&s.handle("PWD")), 530);
    login(&mut s);
    assert_eq!(s.user(), Some("alice"));
    assert_eq!(code(&s.handle("PASS again")), 230);
    assert_eq!(code(&s.handle("ACCT x")), 202);
    match s.handle("PWD") {
        Action::Reply(r) => assert_eq!(r, Reply::new(257, "\"/\" is the current directory")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn tls_required_refuses_user_and_pass_before_auth() {
    let mut s = Session::new(policy());
    assert_eq!(code(&s.handle("USER alice")), 530);
    assert_eq!(code(&s.handle("PASS pw")), 530);
    assert_eq!(s.user(), None);
    // and a server without the requirement lets them through in clear
    let mut relaxed = Session::new(Policy {
        require_tls_login: false,
        ..policy()
    });
    assert_eq!(code(&relaxed.handle("USER alice")), 331);
}

#[test]
fn auth_tls_and_ssl_answer_234_and_reset_login() {
    for mech in ["TLS", "tls", "SSL", "TLS-C", "TLS-P"] {
        let mut s = Session::new(Policy {
            require_tls_login: false,
            ..policy()
        });
        login(&mut s);
        assert!(matches!(s.handle(&format!("AUTH {mech}")), Action::StartTls(r) if r.code == 234));
        assert!(s.control_protected());
        assert_eq!(s.user(), None, "AUTH resets the login (RFC 4217 §4)");
        assert_eq!(code(&s.handle("AUTH TLS")), 503, "no second AUTH");
    }
    let mut s = Session::new(policy());
    assert_eq!(code(&s.handle("AUTH KERBEROS")), 504);
    assert_eq!(code(&s.handle("AUTH")), 501);
    let mut plain = Session::new(Policy::plain(PEER.parse().unwrap()));
    assert_eq!(code(&plain.handle("AUTH TLS")), 502);
}

#[test]
fn pbsz_and_prot_follow_rfc_4217_order() {
    let mut s = Session::new(policy());
    assert_eq!(code(&s.handle("PBSZ 0")), 503, "PBSZ before AUTH");
    assert_eq!(code(&s.handle("PROT P")), 503, "PROT before AUTH");
    s.handle("AUTH TLS");
    assert_eq!(code(&s.handle("PROT P")), 503, "PROT before PBSZ");
    assert_eq!(code(&s.handle("PBSZ x")), 501);
    assert_eq!(code(&s.handle("PBSZ 0")), 200);
    assert_eq!(code(&s.handle("PROT S")), 536);
    assert_eq!(code(&s.handle("PROT E")), 536);
    assert_eq!(code(&s.handle("PROT Q")), 504);
    assert_eq!(code(&s.handle("PROT C")), 200);
    assert_eq!(s.prot(), Prot::Clear);
    assert_eq!(code(&s.handle("PROT P")), 200);
    assert_eq!(s.prot(), Prot::Private);
}

#[test]
fn unprotected_transfers_get_522_when_protection_is_required() {
    let mut s = secured(policy());
    assert_eq!(code(&s.handle("PROT C")), 200);
    for cmd in ["RETR f", "STOR f", "APPE f", "LIST", "NLST", "MLSD"] {
        s.handle("PASV");
        s.passive_ready(Some("127.0.0.1:50000".parse().unwrap()), false);
        assert_eq!(code(&s.handle(cmd)), 522, "{cmd}");
    }
    // with PROT P the transfer goes ahead, protected
    assert_eq!(code(&s.handle("PROT P")), 200);
    s.handle("EPSV");
    s.passive_ready(Some("127.0.0.1:50000".parse().unwrap()), true);
    match s.handle("RETR f") {
        Action::Transfer(t) => {
            assert!(t.protect);
            assert_eq!(t.kind, TransferKind::Retr);
            assert_eq!(t.mode, DataMode::Passive);
        }
        other => panic!("{other:?}"),
    }
    // a server that does not require it lets PROT C transfers through, in clear
    let mut relaxed = secured(Policy {
        require_tls_data: false,
        ..policy()
    });
    relaxed.handle("PROT C");
    relaxed.handle("PASV");
    relaxed.passive_ready(Some("127.0.0.1:50000".parse().unwrap()), false);
    assert!(matches!(relaxed.handle("RETR f"), Action::Transfer(t) if !t.protect));
}

#[test]
fn ccc_answers_200_533_534_500() {
    // 533: control connection not protected
    let mut s = Session::new(Policy {
        require_tls_login: false,
        ..policy()
    });
    assert_eq!(code(&s.handle("CCC")), 533);
    // 200: protected and allowed; PBSZ/PROT refused afterwards, PROT level kept
    let mut s = secured(policy());
    assert!(matches!(s.handle("CCC"), Action::ClearControl(r) if r.code == 200));
    assert!(!s.control_protected());
    assert_eq!(code(&s.handle("PBSZ 0")), 503);
    assert_eq!(code(&s.handle("PROT C")), 503);
    assert_eq!(code(&s.handle("AUTH TLS")), 503);
    assert_eq!(s.prot(), Prot::Private);
    s.handle("PASV");
    s.passive_ready(Some("127.0.0.1:50000".parse().unwrap()), false);
    assert!(matches!(s.handle("RETR f"), Action::Transfer(t) if t.protect));
    assert_eq!(code(&s.handle("CCC")), 533, "already clear");
    // 534: refused by policy
    let mut s = secured(Policy {
        ccc: CccPolicy::Refuse,
        ..policy()
    });
    assert_eq!(code(&s.handle("CCC")), 534);
    assert!(s.control_protected());
    // 500: disabled
    let mut s = secured(Policy {
        ccc: CccPolicy::Disabled,
        ..policy()
    });
    assert_eq!(code(&s.handle("CCC")), 500);
    let mut plain = Session::new(Policy::plain(PEER.parse().unwrap()));
    assert_eq!(code(&plain.handle("CCC")), 500);
}

#[test]
fn implicit_tls_starts_protected_with_prot_p() {
    let mut s = Session::new(Policy {
        implicit_tls: true,
        ..policy()
    });
    assert!(s.control_protected());
    assert_eq!(s.prot(), Prot::Private);
    login(&mut s);
    assert_eq!(code(&s.handle("PBSZ 0")), 200);
    assert_eq!(code(&s.handle("CCC")), 534);
}

#[test]
fn type_mode_stru() {
    let mut s = Session::new(Policy::plain(PEER.parse().unwrap()));
    login(&mut s);
    assert_eq!(code(&s.handle("TYPE A")), 200);
    s.handle("PASV");
    s.passive_ready(Some("127.0.0.1:50000".parse().unwrap()), false);
    assert!(matches!(s.handle("RETR f"), Action::Transfer(t) if t.ascii));
    assert_eq!(code(&s.handle("TYPE I")), 200);
    s.handle("PASV");
    s.passive_ready(Some("127.0.0.1:50000".parse().unwrap()), false);
    assert!(matches!(s.handle("RETR f"), Action::Transfer(t) if !t.ascii));
    assert_eq!(code(&s.handle("TYPE E")), 504);
    assert_eq!(code(&s.handle("TYPE")), 501);
    assert_eq!(code(&s.handle("MODE S")), 200);
    assert_eq!(code(&s.handle("MODE B")), 504);
    assert_eq!(code(&s.handle("STRU F")), 200);
    assert_eq!(code(&s.handle("STRU R")), 504);
}

#[test]
fn passive_and_active_setup() {
    let mut s = Session::new(Policy::plain(PEER.parse().unwrap()));
    login(&mut s);
    assert_eq!(code(&s.handle("LIST")), 425, "no data connection set up");
    assert_eq!(s.handle("PASV"), Action::OpenPassive { extended: false });
    let r = s.passive_ready(Some("127.0.0.1:51202".parse().unwrap()), false);
    assert_eq!(
        r,
        Reply::new(227, "Entering Passive Mode (127,0,0,1,200,2).")
    );
    assert_eq!(s.handle("EPSV"), Action::OpenPassive { extended: true });
    let r = s.passive_ready(Some("127.0.0.1:51234".parse().unwrap()), true);
    assert_eq!(
        r,
        Reply::new(229, "Entering Extended Passive Mode (|||51234|)")
    );
    assert_eq!(s.passive_ready(None, true).code, 425);
    assert_eq!(code(&s.handle("EPSV 2")), 522);
    assert_eq!(code(&s.handle("EPSV x")), 501);

    assert_eq!(code(&s.handle("PORT 127,0,0,1,200,2")), 200);
    assert!(
        matches!(s.handle("LIST"), Action::Transfer(t) if t.mode == DataMode::Active("127.0.0.1:51202".parse().unwrap()))
    );
    assert_eq!(code(&s.handle("EPRT |1|127.0.0.1|51000|")), 200);
    // only the control connection's peer, never a third party (FTP bounce)
    assert_eq!(code(&s.handle("PORT 10,0,0,1,200,2")), 500);
    assert_eq!(code(&s.handle("EPRT |1|127.0.0.2|51000|")), 500);
    assert_eq!(
        code(&s.handle("PORT 127,0,0,1,0,21")),
        500,
        "privileged port"
    );
    assert_eq!(code(&s.handle("PORT 127,0,0,1,300,2")), 501);
    assert_eq!(code(&s.handle("PORT 1,2,3")), 501);
    assert_eq!(code(&s.handle("EPRT |3|x|1|")), 522);
    assert_eq!(code(&s.handle("EPRT |1|nope|1|")), 501);
    assert_eq!(code(&s.handle("EPSV ALL")), 200);
    assert_eq!(code(&s.handle("PASV")), 501);
    assert_eq!(code(&s.handle("PORT 127,0,0,1,200,2")), 501);
}

#[test]
fn rest_applies_to_the_next_transfer_only() {
    let mut s = Session::new(Policy::plain(PEER.parse().unwrap()));
    login(&mut s);
    assert_eq!(code(&s.handle("REST 1000")), 350);
    assert_eq!(code(&s.handle("REST x")), 501);
    assert_eq!(code(&s.handle("REST 1000")), 350);
    s.handle("TYPE I");
    s.handle("PASV");
    s.passive_ready(Some("127.0.0.1:50000".parse().unwrap()), false);
    assert!(matches!(s.handle("RETR f"), Action::Transfer(t) if t.offset == 1000));
    s.handle("PASV");
    s.passive_ready(Some("127.0.0.1:50000".parse().unwrap()), false);
    assert!(matches!(s.handle("STOR f"), Action::Transfer(t) if t.offset == 0));
    assert_eq!(code(&s.handle("REST 5")), 350);
    s.handle("PASV");
    s.passive_ready(Some("127.0.0.1:50000".parse().unwrap()), false);
    assert!(matches!(s.handle("APPE f"), Action::Transfer(t) if t.offset == 0));
}

#[test]
fn filesystem_commands_and_their_replies() {
    use std::io::{Error, ErrorKind};
    let mut s = Session::new(Policy::plain(PEER.parse().unwrap()));
    login(&mut s);
    assert_eq!(
        s.handle("CWD a/b"),
        Action::Fs(FsOp::Cwd(VPath::root().resolve("a/b").unwrap()))
    );
    assert_eq!(s.fs_done(Ok(FsOutcome::Done)).code, 250);
    assert_eq!(s.cwd().to_string(), "/a/b");
    assert_eq!(
        s.handle("CDUP"),
        Action::Fs(FsOp::Cwd(VPath::root().resolve("a").unwrap()))
    );
    assert_eq!(s.fs_done(Err(Error::from(ErrorKind::NotFound))).code, 550);
    assert_eq!(
        s.cwd().to_string(),
        "/a/b",
        "a failed CWD leaves the directory"
    );
    assert_eq!(code(&s.handle("CWD")), 501);

    assert!(matches!(s.handle("MKD new"), Action::Fs(FsOp::Mkd(_))));
    let r = s.fs_done(Ok(FsOutcome::Done));
    assert_eq!(r, Reply::new(257, "\"/a/b/new\" created"));
    assert!(matches!(s.handle("RMD new"), Action::Fs(FsOp::Rmd(_))));
    assert_eq!(
        s.fs_done(Err(Error::from(ErrorKind::DirectoryNotEmpty)))
            .code,
        550
    );
    assert_eq!(code(&s.handle("RMD /")), 550);
    assert!(matches!(s.handle("DELE f"), Action::Fs(FsOp::Dele(_))));
    assert_eq!(s.fs_done(Ok(FsOutcome::Done)).code, 250);
    assert!(matches!(s.handle("SIZE f"), Action::Fs(FsOp::Size(_))));
    assert_eq!(s.fs_done(Ok(FsOutcome::Size(42))), Reply::new(213, "42"));
    assert!(matches!(s.handle("MDTM f"), Action::Fs(FsOp::Mdtm(_))));
    assert_eq!(
        s.fs_done(Ok(FsOutcome::Time("20261205010203".into()))).code,
        213
    );
    assert!(matches!(s.handle("MLST f"), Action::Fs(FsOp::Mlst(_))));
    let r = s.fs_done(Ok(FsOutcome::Lines(vec![" type=file;size=1; f".into()])));
    assert_eq!(r.code, 250);
    assert_eq!(r.lines.len(), 3);
    assert!(matches!(s.handle("STAT f"), Action::Fs(FsOp::Stat(_))));
    assert_eq!(s.fs_done(Ok(FsOutcome::Lines(vec![]))).code, 213);
    assert_eq!(code(&s.handle("STAT")), 211);
    assert_eq!(s.fs_done(Ok(FsOutcome::Done)).code, 503, "nothing pending");

    // RNFR/RNTO
    assert_eq!(code(&s.handle("RNTO x")), 503);
    assert!(matches!(s.handle("RNFR old"), Action::Fs(FsOp::Rnfr(_))));
    assert_eq!(s.fs_done(Ok(FsOutcome::Done)).code, 350);
    match s.handle("RNTO /new") {
        Action::Fs(FsOp::Rename(from, to)) => {
            assert_eq!(from.to_string(), "/a/b/old");
            assert_eq!(to.to_string(), "/new");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.fs_done(Ok(FsOutcome::Done)).code, 250);
    assert_eq!(code(&s.handle("RNTO again")), 503, "RNFR is used up");
    assert!(matches!(s.handle("RNFR old"), Action::Fs(_)));
    s.fs_done(Ok(FsOutcome::Done));
    s.handle("NOOP");
    assert_eq!(
        code(&s.handle("RNTO x")),
        503,
        "RNTO must follow RNFR directly"
    );
    assert_eq!(code(&s.handle("ABOR")), 225);
}

#[test]
fn transfer_outcomes_map_to_reply_codes() {
    use std::io::{Error, ErrorKind};
    let mut s = Session::new(Policy::plain(PEER.parse().unwrap()));
    assert_eq!(s.transfer_done(Ok(())).code, 226);
    assert_eq!(s.transfer_done(Err(TransferError::NoConnection)).code, 425);
    assert_eq!(
        s.transfer_done(Err(TransferError::TlsRequired("x".into())))
            .code,
        522
    );
    assert_eq!(s.transfer_done(Err(TransferError::Aborted)).code, 426);
    assert_eq!(
        s.transfer_done(Err(TransferError::File(Error::from(ErrorKind::NotFound))))
            .code,
        550
    );
    assert_eq!(
        s.transfer_done(Err(TransferError::Local(Error::other("disk"))))
            .code,
        451
    );
}

#[test]
fn list_options_are_not_paths() {
    let mut s = Session::new(Policy::plain(PEER.parse().unwrap()));
    login(&mut s);
    for (cmd, want) in [
        ("LIST -la", "/"),
        ("LIST -la sub", "/sub"),
        ("NLST sub", "/sub"),
        ("MLSD", "/"),
    ] {
        s.handle("PASV");
        s.passive_ready(Some("127.0.0.1:50000".parse().unwrap()), false);
        match s.handle(cmd) {
            Action::Transfer(t) => assert_eq!(t.path.to_string(), want, "{cmd}"),
            other => panic!("{cmd}: {other:?}"),
        }
    }
}

#[test]
fn random_input_never_panics() {
    const VERBS: &[&str] = &[
        "USER", "PASS", "AUTH", "PBSZ", "PROT", "CCC", "PORT", "EPRT", "EPSV", "PASV", "REST",
        "RETR", "STOR", "LIST", "CWD", "RNFR", "RNTO", "TYPE", "OPTS", "MLST", "STAT", "x",
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut reader = LineReader::new();
    for round in 0..20_000 {
        let mut s = Session::new(if round % 2 == 0 {
            policy()
        } else {
            Policy::plain(PEER.parse().unwrap())
        });
        if round % 2 == 0 {
            s.handle("AUTH TLS");
        }
        if round % 5 != 0 {
            login(&mut s);
        }
        let verb = VERBS[(next() % VERBS.len() as u64) as usize];
        let len = (next() % 40) as usize;
        let arg: String = (0..len)
            .map(|_| char::from_u32((next() % 0x3000) as u32).unwrap_or('?'))
            .collect();
        let line = format!("{verb} {arg}");
        match s.handle(&line) {
            Action::Reply(r) | Action::Close(r) | Action::StartTls(r) | Action::ClearControl(r) => {
                assert!((100..600).contains(&r.code));
                let _ = r.to_wire();
            }
            Action::Fs(_) => {
                let _ = s.fs_done(Err(std::io::Error::from(std::io::ErrorKind::NotFound)));
            }
            Action::OpenPassive { extended } => {
                let _ = s.passive_ready(None, extended);
            }
            _ => {}
        }
        let mut bytes = vec![0u8; (next() % 64) as usize];
        bytes.iter_mut().for_each(|b| *b = next() as u8);
        reader.feed(&bytes);
        while reader.next_line().is_some() {}
        let mut p = ReplyParser::new();
        let _ = p.push(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn line_limit_holds_across_feeds_and_after_complete_lines() {
    // The unfinished line's length is counted as bytes arrive (found by fuzzing: it was
    // recounted from the buffer for every byte); the limit must not move with the cuts.
    let mut r = LineReader::new();
    r.feed(b"NOOP\r\nSYST\r\n");
    for _ in 0..MAX_LINE - 1 {
        r.feed(b"C");
    }
    assert_eq!(r.partial, MAX_LINE - 1);
    r.feed(b"\r");
    assert!(
        !r.discarding,
        "exactly MAX_LINE bytes before the line feed are kept"
    );
    r.feed(b"\nD");
    assert_eq!(r.partial, 1);
    assert_eq!(r.next_line(), Some(Ok("NOOP".into())));
    assert_eq!(r.next_line(), Some(Ok("SYST".into())));
    assert_eq!(r.next_line().unwrap().unwrap().len(), MAX_LINE - 1);
    assert_eq!(
        r.partial, 1,
        "taking lines leaves the unfinished one's count"
    );
    r.feed(&vec![b'D'; MAX_LINE]);
    assert!(r.discarding, "one byte past the limit starts discarding");
    assert_eq!(r.partial, 0);
    assert!(r.buf.is_empty());
    r.feed(b"DDD\nQUIT\r\n");
    assert_eq!(r.next_line(), Some(Err(LineError::TooLong)));
    assert_eq!(r.next_line(), Some(Ok("QUIT".into())));
    r.feed(b"half");
    r.clear();
    assert_eq!(r.partial, 0);
    r.feed(&vec![b'E'; MAX_LINE]);
    r.feed(b"\n");
    assert_eq!(r.next_line().unwrap().unwrap().len(), MAX_LINE);
}

#[test]
fn telnet_commands_before_abor_are_dropped() {
    let mut r = LineReader::new();
    // IAC IP, IAC DM (lftp's interrupt sequence), then ABOR
    r.feed(b"\xff\xf4\xff\xf2ABOR\r\n");
    assert_eq!(r.next_line(), Some(Ok("ABOR".into())));
    // option negotiation (IAC DO 1) and a doubled IAC
    r.feed(b"\xff\xfd\x01NOOP\r\n\xff\xff\r\n");
    assert_eq!(r.next_line(), Some(Ok("NOOP".into())));
    assert_eq!(
        r.next_line(),
        Some(Err(LineError::NotUtf8)),
        "a literal 0xFF is not UTF-8"
    );
    r.feed(b"\xff");
    r.feed(b"\r\n");
    assert_eq!(r.next_line(), Some(Ok(String::new())));
}

#[test]
fn commands_during_a_transfer() {
    assert_eq!(during_transfer("ABOR"), DuringTransfer::Abort);
    assert_eq!(during_transfer("abor"), DuringTransfer::Abort);
    match during_transfer("STAT") {
        DuringTransfer::Reply(r) => assert_eq!(r.code, 213),
        other => panic!("STAT mid-transfer: {other:?}"),
    }
    // STAT with a path, QUIT and everything else wait for the transfer's end.
    assert_eq!(during_transfer("STAT /etc"), DuringTransfer::Later);
    assert_eq!(during_transfer("QUIT"), DuringTransfer::Later);
    assert_eq!(during_transfer("RETR x"), DuringTransfer::Later);
    assert_eq!(during_transfer("ABORT"), DuringTransfer::Later);
    let [a, b] = aborted_replies();
    assert_eq!((a.code, b.code), (426, 226));
}

#[test]
fn many_short_lines_in_one_read_come_out_in_order() {
    let mut r = LineReader::new();
    let mut wire = Vec::new();
    for i in 0..2000 {
        wire.extend_from_slice(format!("NOOP {i}\r\n").as_bytes());
    }
    wire.extend_from_slice(b"PWD");
    r.feed(&wire);
    for i in 0..2000 {
        assert_eq!(r.next_line().unwrap().unwrap(), format!("NOOP {i}"));
    }
    assert!(r.next_line().is_none());
    assert!(r.has_pending(), "the unfinished PWD waits");
    r.feed(b"\r\n");
    assert_eq!(r.next_line().unwrap().unwrap(), "PWD");
    assert!(!r.has_pending());
    assert!(r.next_line().is_none());
}
