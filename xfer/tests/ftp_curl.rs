//! curl and lftp against the in-process server: plain FTP, explicit FTPS (`--ssl-reqd`,
//! lftp `ftp:ssl-force`), implicit FTPS (`ftps://`); upload, download, list, resume,
//! 64 MiB with SHA-256 compared; and every FTPS reply code the talk lists, as curl
//! provokes them (234, 522 twice, CCC's 200/534/500; 533 through a raw connection).

mod ftp_common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use ftp_common::*;
use wirecrypt_xfer::ftp::control::CccPolicy;

fn curl(f: &Fixture, tls: &[&str]) -> Command {
    let mut c = Command::new("curl");
    c.args(["-sS", "--max-time", "120", "-u"])
        .arg(format!("{USER}:{PASS}"))
        .args(tls)
        .arg("--cacert")
        .arg(&f.ca);
    c
}

/// The file holds exactly `want` (a short message, not a byte dump, when not).
fn same(f: &Fixture, path: impl AsRef<std::path::Path>, want: &[u8]) {
    let got = fs::read(path.as_ref()).unwrap();
    assert!(
        got == want,
        "{}: {} bytes, want {} (sha256 {} vs {})\n{:#?}",
        path.as_ref().display(),
        got.len(),
        want.len(),
        sha256(&got),
        sha256(want),
        f.lines()
    );
}

fn url(f: &Fixture, scheme: &str, path: &str) -> String {
    format!("{scheme}://127.0.0.1:{}/{path}", f.port())
}

/// Upload, download, list and resume (both ways) with one curl flavour.
fn round_trip(f: &Fixture, scheme: &str, tls: &[&str]) {
    let data = pattern(300_000, 7);
    let local = f.dir.path().join("local.bin");
    fs::write(&local, &data).unwrap();

    let (ok, _, err) = run(curl(f, tls)
        .arg("-T")
        .arg(&local)
        .arg(url(f, scheme, "up.bin")));
    assert!(ok, "upload failed: {err}\n{:#?}", f.lines());
    assert!(
        fs::read(f.root.join("up.bin")).unwrap() == data,
        "upload differs"
    );

    let back = f.dir.path().join("back.bin");
    let (ok, _, err) = run(curl(f, tls)
        .arg("-o")
        .arg(&back)
        .arg(url(f, scheme, "up.bin")));
    assert!(ok, "download failed: {err}");
    same(f, &back, &data);

    let (ok, listing, err) = run(curl(f, tls).arg(url(f, scheme, "")));
    assert!(ok, "list failed: {err}");
    assert!(
        listing
            .lines()
            .any(|l| l.ends_with(" up.bin") && l.contains("300000")),
        "{listing}"
    );

    // resumed download: curl sends REST with the partial file's length
    let partial = f.dir.path().join("partial.bin");
    fs::write(&partial, &data[..100_000]).unwrap();
    let (ok, _, err) = run(curl(f, tls)
        .args(["-C", "-", "-o"])
        .arg(&partial)
        .arg(url(f, scheme, "up.bin")));
    assert!(ok, "resumed download failed: {err}");
    same(f, &partial, &data);
    assert!(f.lines().iter().any(|l| l.ends_with("> REST 100000")));

    // resumed upload: curl asks SIZE and APPEnds the rest
    fs::write(f.root.join("half.bin"), &data[..123_456]).unwrap();
    let (ok, _, err) = run(curl(f, tls)
        .args(["-C", "-", "-T"])
        .arg(&local)
        .arg(url(f, scheme, "half.bin")));
    assert!(ok, "resumed upload failed: {err}");
    same(f, f.root.join("half.bin"), &data);
    assert!(f.lines().iter().any(|l| l.ends_with("> APPE half.bin")));
}

#[test]
fn curl_plain_ftp() {
    if !have("curl") {
        return;
    }
    let f = fixture(Mode::Plain, |_| {});
    round_trip(&f, "ftp", &[]);
    assert!(!f.lines().iter().any(|l| l.contains("> AUTH")));
}

#[test]
fn curl_explicit_ftps_ssl_reqd() {
    if !have("curl") {
        return;
    }
    let f = fixture(Mode::Explicit, |_| {});
    round_trip(&f, "ftp", &["--ssl-reqd"]);
    // curl tries AUTH SSL first; both get 234. Then PBSZ before PROT, before login data.
    assert!(f.saw_in_order(&[
        "> AUTH", "< 234", "> USER", "> PASS", "> PBSZ 0", "< 200", "> PROT P", "< 200"
    ]));
    let lines = f.lines();
    assert!(
        lines.iter().any(|l| l.contains("data TLS Resumed")),
        "data connections resume"
    );
    assert!(
        !lines.iter().any(|l| l.contains(PASS)),
        "the password is never recorded"
    );
}

#[test]
fn curl_implicit_ftps() {
    if !have("curl") {
        return;
    }
    let f = fixture(Mode::Implicit, |_| {});
    round_trip(&f, "ftps", &[]);
    assert!(
        !f.lines().iter().any(|l| l.contains("> AUTH")),
        "implicit: no AUTH"
    );
}

#[test]
fn curl_tls12_and_tls13_both_resume() {
    if !have("curl") {
        return;
    }
    for v in [
        ["--tlsv1.2", "--tls-max", "1.2"],
        ["--tlsv1.3", "--tls-max", "1.3"],
    ] {
        let f = fixture(Mode::Explicit, |_| {});
        let data = pattern(1 << 20, 3);
        let local = f.dir.path().join("v.bin");
        fs::write(&local, &data).unwrap();
        let mut args = vec!["--ssl-reqd"];
        args.extend(v);
        let (ok, _, err) = run(curl(&f, &args)
            .arg("-T")
            .arg(&local)
            .arg(url(&f, "ftp", "v.bin")));
        assert!(ok, "{v:?} upload: {err}");
        let back = f.dir.path().join("vback.bin");
        let (ok, _, err) = run(curl(&f, &args)
            .arg("-o")
            .arg(&back)
            .arg(url(&f, "ftp", "v.bin")));
        assert!(ok, "{v:?} download: {err}");
        same(&f, &back, &data);
        let want = if v[0] == "--tlsv1.2" {
            "TLSv1_2"
        } else {
            "TLSv1_3"
        };
        assert!(
            f.lines().iter().any(|l| l.contains(want)),
            "{want} negotiated"
        );
        assert_eq!(
            f.lines()
                .iter()
                .filter(|l| l.contains("data TLS Resumed"))
                .count(),
            2
        );
    }
}

#[test]
fn curl_64_mib_both_ways_sha256() {
    if !have("curl") {
        return;
    }
    let f = fixture(Mode::Explicit, |_| {});
    let data = pattern(64 << 20, 64);
    let local = f.dir.path().join("big.bin");
    fs::write(&local, &data).unwrap();
    let want = sha256(&data);
    drop(data);
    let (ok, _, err) = run(curl(&f, &["--ssl-reqd"])
        .arg("-T")
        .arg(&local)
        .arg(url(&f, "ftp", "big.bin")));
    assert!(ok, "{err}");
    assert_eq!(sha256_file(&f.root.join("big.bin")), want);
    let back = f.dir.path().join("big.back");
    let (ok, _, err) = run(curl(&f, &["--ssl-reqd"])
        .arg("-o")
        .arg(&back)
        .arg(url(&f, "ftp", "big.bin")));
    assert!(ok, "{err}");
    assert_eq!(sha256_file(&back), want);
}

#[test]
fn reply_522_for_prot_c_when_protection_is_required() {
    if !have("curl") {
        return;
    }
    let f = fixture(Mode::Explicit, |_| {});
    fs::write(f.root.join("f"), b"data").unwrap();
    // --ftp-ssl-control: TLS for the login only, then PROT C
    let (ok, _, _) = run(curl(&f, &["--ftp-ssl-control"]).arg(url(&f, "ftp", "f")));
    assert!(!ok, "an unprotected transfer must fail");
    assert!(
        f.saw_in_order(&["> PROT C", "< 200", "> RETR f", "< 522"]),
        "{:#?}",
        f.lines()
    );
}

#[test]
fn reply_522_when_the_data_connection_does_not_resume() {
    if !have("curl") {
        return;
    }
    let f = fixture(Mode::Explicit, |_| {});
    fs::write(f.root.join("f"), b"data").unwrap();
    let (ok, _, _) = run(curl(&f, &["--ssl-reqd", "--no-sessionid"]).arg(url(&f, "ftp", "f")));
    assert!(
        !ok,
        "a fresh handshake on the data connection must be refused"
    );
    assert!(
        f.saw_in_order(&["> RETR f", "< 150", "data TLS refused", "< 522"]),
        "{:#?}",
        f.lines()
    );
    // and without reuse enforcement the same transfer goes through
    let relaxed = fixture(Mode::Explicit, |c| c.require_tls_reuse = false);
    fs::write(relaxed.root.join("f"), b"data").unwrap();
    let (ok, out, err) =
        run(curl(&relaxed, &["--ssl-reqd", "--no-sessionid"]).arg(url(&relaxed, "ftp", "f")));
    assert!(ok && out == "data", "{err}");
}

/// CCC → 200, close_notify, then the control connection in clear; the data
/// connection after it is still PROT P.
///
/// curl's *active* CCC mode sends its own close_notify, so OpenSSL keeps the session
/// resumable and the data connection resumes it (reuse enforced). In the default
/// *passive* mode curl frees the TLS connection without having sent close_notify, and
/// OpenSSL then marks the session not resumable: no client could resume it, so that
/// case runs with reuse enforcement off.
#[test]
fn ccc_200_then_clear_control_with_curl() {
    if !have("curl") {
        return;
    }
    for (mode, reuse) in [("active", true), ("passive", false)] {
        let f = fixture(Mode::Explicit, |c| c.require_tls_reuse = reuse);
        fs::write(f.root.join("f"), b"after ccc").unwrap();
        let (ok, out, err) = run(curl(
            &f,
            &["--ssl-reqd", "--ftp-ssl-ccc", "--ftp-ssl-ccc-mode", mode],
        )
        .arg(url(&f, "ftp", "f")));
        assert!(ok, "CCC {mode}: {err}\n{:#?}", f.lines());
        assert_eq!(out, "after ccc");
        let data_tls = if reuse {
            "data TLS Resumed"
        } else {
            "data TLS"
        };
        assert!(
            f.saw_in_order(&["> PROT P", "> CCC", "< 200", "> RETR f", data_tls, "< 226"]),
            "{:#?}",
            f.lines()
        );
    }
}

#[test]
fn ccc_534_and_500_with_curl() {
    if !have("curl") {
        return;
    }
    for (policy, code) in [(CccPolicy::Refuse, "< 534"), (CccPolicy::Disabled, "< 500")] {
        let f = fixture(Mode::Explicit, |c| c.ccc = policy);
        fs::write(f.root.join("f"), b"x").unwrap();
        // curl carries on over TLS when CCC is refused
        let (ok, out, err) =
            run(curl(&f, &["--ssl-reqd", "--ftp-ssl-ccc"]).arg(url(&f, "ftp", "f")));
        assert!(ok && out == "x", "{policy:?}: {err}");
        assert!(f.saw_in_order(&["> CCC", code]), "{:#?}", f.lines());
    }
}

fn raw_reply(r: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    line
}

#[test]
fn ccc_533_on_a_clear_control_connection_and_234_for_auth() {
    let f = fixture(Mode::Explicit, |_| {});
    let s = TcpStream::connect(f.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    assert!(raw_reply(&mut r).starts_with("220"));
    w.write_all(b"CCC\r\n").unwrap();
    assert!(raw_reply(&mut r).starts_with("533"));
    w.write_all(b"USER alice\r\n").unwrap();
    assert!(
        raw_reply(&mut r).starts_with("530"),
        "login refused before AUTH"
    );
    w.write_all(b"AUTH TLS\r\n").unwrap();
    assert!(raw_reply(&mut r).starts_with("234"));
}

#[test]
fn lftp_ssl_force_upload_download_list() {
    if !have("lftp") {
        return;
    }
    let f = fixture(Mode::Explicit, |_| {});
    let data = pattern(2 << 20, 11);
    let local = f.dir.path().join("l.bin");
    fs::write(&local, &data).unwrap();
    let back = f.dir.path().join("l.back");
    // halves already there: lftp resumes with REST + STOR and REST + RETR
    fs::write(f.root.join("resume.bin"), &data[..1_000_000]).unwrap();
    let partial = f.dir.path().join("l.partial");
    fs::write(&partial, &data[..777_777]).unwrap();
    let script = format!(
        "set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:ca-file {ca}; \
         set ssl:check-hostname no; set net:max-retries 1; set net:timeout 20; \
         open -u {USER},{PASS} -p {port} 127.0.0.1; put {local} -o up.bin; get up.bin -o {back}; \
         put -c {local} -o resume.bin; get -c up.bin -o {partial}; \
         cls -l; mkdir d; cd d; pwd; cd ..; rm up.bin; bye",
        ca = f.ca.display(),
        port = f.port(),
        local = local.display(),
        back = back.display(),
        partial = partial.display(),
    );
    let (ok, out, err) = run(Command::new("lftp").args(["-c", &script]));
    assert!(ok, "lftp failed: {err}\n{:#?}", f.lines());
    assert!(
        fs::read(&back).unwrap() == data,
        "download differs\n{:#?}",
        f.lines()
    );
    assert!(out.contains("up.bin"), "listing: {out}");
    same(&f, f.root.join("resume.bin"), &data);
    same(&f, &partial, &data);
    assert!(
        f.saw_in_order(&["> REST 1000000", "< 350", "> STOR resume.bin", "< 226"]),
        "{:#?}",
        f.lines()
    );
    assert!(
        f.saw_in_order(&["> REST 777777", "< 350", "> RETR up.bin", "< 226"]),
        "{:#?}",
        f.lines()
    );
    assert!(f.root.join("d").is_dir());
    assert!(!f.root.join("up.bin").exists(), "rm removed it");
    assert!(
        f.saw_in_order(&[
            "> AUTH TLS",
            "< 234",
            "> USER",
            "> PBSZ 0",
            "> PROT P",
            "> STOR up.bin",
            "data TLS Resumed",
            "< 226"
        ]),
        "{:#?}",
        f.lines()
    );
}

/// Active mode (PORT): lftp, since curl 7.88.1's active mode fails on its own side
/// ("sa_addr inet_ntop() failed with errno 97") before any data flows.
#[test]
fn lftp_active_mode_port() {
    if !have("lftp") {
        return;
    }
    let f = fixture(Mode::Explicit, |_| {});
    fs::write(f.root.join("a"), b"active data").unwrap();
    let out_path = f.dir.path().join("a.out");
    let script = format!(
        "set ftp:ssl-force true; set ssl:ca-file {ca}; set ssl:check-hostname no; \
         set ftp:passive-mode off; set net:max-retries 1; set net:timeout 20; \
         open -u {USER},{PASS} -p {port} 127.0.0.1; get a -o {out}; bye",
        ca = f.ca.display(),
        port = f.port(),
        out = out_path.display(),
    );
    let (ok, _, err) = run(Command::new("lftp").args(["-c", &script]));
    assert!(ok, "{err}\n{:#?}", f.lines());
    assert_eq!(fs::read(&out_path).unwrap(), b"active data");
    assert!(
        f.saw_in_order(&[
            "> PORT 127,0,0,1,",
            "< 200",
            "> RETR a",
            "< 150",
            "data TLS Resumed",
            "< 226"
        ]),
        "{:#?}",
        f.lines()
    );
}

#[test]
fn curl_type_a_download_converts_line_ends() {
    if !have("curl") {
        return;
    }
    let f = fixture(Mode::Plain, |_| {});
    fs::write(f.root.join("t.txt"), b"one\ntwo\r\nthree\n").unwrap();
    let (ok, out, err) = run(curl(&f, &["--use-ascii"]).arg(url(&f, "ftp", "t.txt")));
    assert!(ok, "{err}");
    // the wire form is CRLF (checked byte-exact in ftp_self); curl turns it back to LF
    assert_eq!(out, "one\ntwo\nthree\n");
    assert!(f.lines().iter().any(|l| l.ends_with("> TYPE A")));
}

#[test]
fn fips_server_serves_aes_gcm_and_refuses_chacha20() {
    if !have("curl") {
        return;
    }
    let f = fixture(Mode::Explicit, |c| {
        let engine = wirecrypt::Engine::builder().fips(true).build().unwrap();
        let provider = wirecrypt_xfer::ftp::tls::engine_provider(&engine);
        let old = c.tls.take().unwrap();
        // same certificate as the fixture's (its resolver is reused), FIPS provider
        let mut fips = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(old.cert_resolver.clone());
        fips.alpn_protocols.clear();
        c.tls = Some(std::sync::Arc::new(fips));
    });
    fs::write(f.root.join("g"), b"gcm").unwrap();
    let (ok, out, err) = run(curl(&f, &["--ssl-reqd"]).arg(url(&f, "ftp", "g")));
    assert!(ok && out == "gcm", "{err}");
    for chacha in [
        &[
            "--tls-max",
            "1.2",
            "--ciphers",
            "ECDHE-ECDSA-CHACHA20-POLY1305",
        ][..],
        &[
            "--tlsv1.3",
            "--tls13-ciphers",
            "TLS_CHACHA20_POLY1305_SHA256",
        ],
    ] {
        let mut args = vec!["--ssl-reqd"];
        args.extend_from_slice(chacha);
        let (ok, _, _) = run(curl(&f, &args).arg(url(&f, "ftp", "g")));
        assert!(!ok, "{chacha:?} must be refused at the handshake");
    }
    assert!(
        f.lines().iter().any(|l| l.contains("TLS handshake failed")),
        "{:#?}",
        f.lines()
    );
}

/// `curl --range` stops reading early and sends ABOR while the server is still sending
/// (16 MiB do not fit into the socket buffers): the server notices it mid-transfer,
/// closes the data connection and answers 426 then 226 (RFC 959 §4.1.3), plain and over
/// FTPS; curl still gets exactly its bytes.
#[test]
fn curl_range_download_stops_early() {
    if !have("curl") {
        return;
    }
    for tls in [true, false] {
        let f = fixture(if tls { Mode::Explicit } else { Mode::Plain }, |_| {});
        let data = pattern(16 << 20, 8);
        fs::write(f.root.join("r.bin"), &data).unwrap();
        let out = f.dir.path().join("r.part");
        let flags: &[&str] = if tls { &["--ssl-reqd"] } else { &[] };
        let (ok, _, err) = run(curl(&f, flags)
            .args(["--range", "1000-1999", "-o"])
            .arg(&out)
            .arg(url(&f, "ftp", "r.bin")));
        assert!(ok, "tls={tls}: {err}\n{:#?}", f.lines());
        same(&f, &out, &data[1000..2000]);
        // curl closes the data connection, then sends ABOR. Either the ABOR arrives
        // while the transfer runs (426 for the transfer, 226 for the ABOR), or the
        // transfer has already failed on the closed connection (426) and the ABOR finds
        // none running (225): RFC 959 §4.1.3 allows both, and which comes first is a race.
        let during = f.saw_in_order(&[
            "> REST 1000",
            "> RETR r.bin",
            "< 150",
            "> ABOR (during the transfer)",
            "transfer aborted by ABOR",
            "< 426",
            "< 226",
        ]);
        let after = f.saw_in_order(&[
            "> REST 1000",
            "> RETR r.bin",
            "< 150",
            "< 426",
            "> ABOR",
            "< 225",
        ]);
        assert!(during || after, "tls={tls}: {:#?}", f.lines());
    }
}
