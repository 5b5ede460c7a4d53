//! `wirecrypt serve sftp --host-key pkcs11:LABEL`: the host key generated in a throwaway
//! SoftHSM2 token by `wirecrypt token keygen`, signing every key exchange inside the
//! token; `wirecrypt copy sftp://` records it once and then checks it.
//! Without softhsm2 it fails when `CI` is set and skips with a reason otherwise.
#![cfg(feature = "pkcs11")]

use std::process::Output;

mod cli_support;
mod common;

use cli_support::{Launch, serve_with, wirecrypt};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn serve_sftp_with_a_host_key_in_the_token() {
    let Some(token) = common::softhsm_token() else {
        return;
    };
    let env = token.env();
    let env = env.as_slice();
    let dir = std::env::temp_dir().join(format!("wirecrypt-sftp-p11-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("root")).unwrap();
    let label = "sftp-host";
    let made = wirecrypt(
        &["token", "keygen", "--label", label, "--kind", "ecdsa-p256"],
        env,
        None,
    );
    assert!(made.status.success(), "{}", text(&made));
    let users = dir.join("users");
    let added = wirecrypt(
        &["users", "add", users.to_str().unwrap(), "alice"],
        env,
        Some("correct horse\n"),
    );
    assert!(added.status.success(), "{}", text(&added));

    // A label the token does not hold: a clear error, no server.
    let missing = wirecrypt(
        &[
            "serve",
            "sftp",
            "--listen",
            "127.0.0.1:0",
            "--root",
            dir.join("root").to_str().unwrap(),
            "--users",
            users.to_str().unwrap(),
            "--host-key",
            "pkcs11:no-such-key",
        ],
        env,
        None,
    );
    assert!(!missing.status.success());
    assert!(text(&missing).contains("no-such-key"), "{}", text(&missing));

    let host_key = format!("pkcs11:{label}");
    let server = serve_with(
        &[
            "sftp",
            "--root",
            dir.join("root").to_str().unwrap(),
            "--users",
            users.to_str().unwrap(),
            "--host-key",
            &host_key,
        ],
        &Launch {
            env,
            ..Launch::default()
        },
    );
    let addr = server.addr.clone();

    let local = dir.join("local.bin");
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 + i / 255) as u8).collect();
    std::fs::write(&local, &data).unwrap();
    let known = dir.join("known_hosts");
    let url = format!("sftp://alice@{addr}/up.bin");
    let mut with_password = env.to_vec();
    with_password.push(("WIRECRYPT_PASSWORD", "correct horse"));
    let copy = |extra: &[&str]| {
        let mut args = vec![
            "copy",
            local.to_str().unwrap(),
            &url,
            "--known-hosts",
            known.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        wirecrypt(&args, &with_password, None)
    };
    // First contact records the token's key; the second copy checks it.
    let first = copy(&["--accept-new-host-key"]);
    assert!(first.status.success(), "{}", text(&first));
    let recorded = std::fs::read_to_string(&known).unwrap();
    assert!(recorded.contains("ecdsa-sha2-nistp256"), "{recorded}");
    let second = copy(&[]);
    assert!(second.status.success(), "{}", text(&second));
    assert_eq!(std::fs::read(dir.join("root/up.bin")).unwrap(), data);
    let _ = std::fs::remove_dir_all(&dir);
}
