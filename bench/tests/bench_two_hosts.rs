//! `wirecrypt serve` on one host and `wirecrypt bench --target` on another: two network
//! namespaces this test makes itself, joined by a veth pair, each with its own address
//! (the project's own test hosts; nothing leaves this machine).

mod cli_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cli_support::{Dir, Launch, Serving, serve_with, wirecrypt};

const BIN: &str = env!("CARGO_BIN_EXE_wirecrypt");

/// Two namespaces and the veth pair between them; removed when dropped.
struct Hosts {
    server_ns: String,
    client_ns: String,
    server_ip: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Hosts {
    /// Two hosts for the test `tag` (a digit: the tests of this file run in parallel,
    /// each with its own pair).
    fn new(tag: u32) -> Result<Hosts, String> {
        let id = std::process::id();
        let hosts = Hosts {
            server_ns: format!("wc-srv{tag}-{id}"),
            client_ns: format!("wc-cli{tag}-{id}"),
            server_ip: format!("10.231.{}.1", id % 250),
        };
        let client_ip = format!("10.231.{}.2", id % 250);
        let (vs, vc) = (
            format!("wcs{tag}{}", id % 100_000),
            format!("wcc{tag}{}", id % 100_000),
        );
        ip(&["netns", "add", &hosts.server_ns])?;
        ip(&["netns", "add", &hosts.client_ns])?;
        ip(&["link", "add", &vs, "type", "veth", "peer", "name", &vc])?;
        ip(&["link", "set", &vs, "netns", &hosts.server_ns])?;
        ip(&["link", "set", &vc, "netns", &hosts.client_ns])?;
        for (ns, dev, addr) in [
            (&hosts.server_ns, &vs, &hosts.server_ip),
            (&hosts.client_ns, &vc, &client_ip),
        ] {
            ip(&["-n", ns, "addr", "add", &format!("{addr}/30"), "dev", dev])?;
            ip(&["-n", ns, "link", "set", dev, "up"])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        Ok(hosts)
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth end inside it, and so the pair.
        let _ = ip(&["netns", "del", &self.server_ns]);
        let _ = ip(&["netns", "del", &self.client_ns]);
    }
}

fn can_make_hosts() -> Result<(), String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        == Some("0");
    if !root {
        return Err("network namespaces need root".into());
    }
    Command::new("ip")
        .arg("-V")
        .output()
        .map_err(|e| format!("`ip` (iproute2) is missing: {e}"))?;
    Ok(())
}

fn identity(dir: &Path, ip: &str) -> (PathBuf, PathBuf) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec![ip.to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (c, k)
}

/// Whether this test can run; outside CI it may skip (and says why), under CI it fails.
fn hosts_or_skip() -> bool {
    if let Err(why) = can_make_hosts() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{why} (CI is set, so this fails)"
        );
        println!("SKIP: {why}");
        return false;
    }
    true
}

/// Runs `wirecrypt bench` in the client's namespace and returns its JSON rows, each
/// checked: measured, verified, our client against `listen`, `size` bytes per stream.
fn bench_from_client(
    hosts: &Hosts,
    listen: &str,
    args: &[&str],
    env: &[(&str, &str)],
    dir: &Path,
) -> Vec<serde_json::Value> {
    let json = dir.join("bench.json");
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &hosts.client_ns,
            BIN,
            "bench",
            "--target",
            listen,
        ])
        .args(args)
        .args(["--size", "2MiB", "--runs", "1", "--streams", "1,2"])
        .args(["--json", json.to_str().unwrap()])
        .envs(env.iter().copied())
        .env_remove("WIRECRYPT_PROVIDER")
        .env_remove("WIRECRYPT_FIPS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for row in &rows {
        assert!(row["error"].is_null(), "{row}");
        assert_eq!(row["verified"], true, "{row}");
        assert_eq!(row["peer"], format!("wirecrypt -> {listen}"), "{row}");
        let streams = row["streams"].as_u64().unwrap();
        assert_eq!(row["bytes"].as_u64().unwrap(), streams * 2 * 1024 * 1024);
    }
    rows
}

/// Starts `wirecrypt serve ARGS --listen LISTEN` on the server host.
fn serve_on(hosts: &Hosts, listen: &str, args: &[&str]) -> Serving {
    let under = ["ip", "netns", "exec", hosts.server_ns.as_str()];
    let server = serve_with(
        args,
        &Launch {
            under: &under,
            listen: Some(listen),
            ..Launch::default()
        },
    );
    assert_eq!(server.addr, listen, "server said {:?}", server.line);
    server
}

#[test]
fn bench_measures_an_sftp_server_on_another_host() {
    if !hosts_or_skip() {
        return;
    }
    if Command::new("ssh-keygen")
        .arg("-?")
        .stderr(Stdio::null())
        .status()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "ssh-keygen is missing and CI is set (scripts/setup installs openssh-client)"
        );
        println!("SKIP: ssh-keygen not installed (apt-get install openssh-client)");
        return;
    }
    let hosts = Hosts::new(2).expect("make two test hosts");
    let dir = Dir::new("sftp-hosts");
    let root = dir.path("root");
    std::fs::create_dir_all(&root).unwrap();
    for key in ["host_key", "id"] {
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
            .arg(dir.path(key))
            .status()
            .unwrap();
        assert!(st.success());
    }
    let listen = format!("{}:2222", hosts.server_ip);
    let _server = serve_on(
        &hosts,
        &listen,
        &[
            "sftp",
            "--root",
            root.to_str().unwrap(),
            "--host-key",
            dir.path("host_key").to_str().unwrap(),
            "--authorized-keys",
            dir.path("id.pub").to_str().unwrap(),
        ],
    );
    let host_pub = std::fs::read_to_string(dir.path("host_key.pub")).unwrap();
    let known_hosts = dir.path("known_hosts");
    std::fs::write(
        &known_hosts,
        format!("[{}]:2222 {host_pub}", hosts.server_ip),
    )
    .unwrap();
    let rows = bench_from_client(
        &hosts,
        &listen,
        &[
            "--protocols",
            "sftp",
            "--user",
            "bench",
            "--identity",
            dir.path("id").to_str().unwrap(),
            "--known-hosts",
            known_hosts.to_str().unwrap(),
        ],
        &[],
        &dir.0,
    );
    // sftp alone (no FTP baseline on an SFTP port), each way, at 1 and 2 streams.
    assert_eq!(rows.len(), 4, "{rows:#?}");
    assert!(rows.iter().all(|r| r["protocol"] == "sftp"), "{rows:#?}");
    // The payload was published on the other host, in the served root; the uploads
    // were fetched back, checked and removed there.
    assert_eq!(
        std::fs::metadata(root.join("source.bin")).unwrap().len(),
        2 * 1024 * 1024
    );
    assert!(!root.join("up-0.bin").exists() && !root.join("up-1.bin").exists());
}

#[test]
fn bench_measures_a_server_on_another_host() {
    if !hosts_or_skip() {
        return;
    }
    let hosts = Hosts::new(1).expect("make two test hosts");
    let dir = Dir::new("hosts");
    let root = dir.path("root");
    std::fs::create_dir_all(&root).unwrap();
    let users = dir.path("users");
    let add = wirecrypt(
        &["users", "add", users.to_str().unwrap(), "alice"],
        &[],
        Some("two hosts\n"),
    );
    assert!(add.status.success());
    let (cert, key) = identity(&dir.0, &hosts.server_ip);
    let listen = format!("{}:2121", hosts.server_ip);

    let _server = serve_on(
        &hosts,
        &listen,
        &[
            "ftps",
            "--root",
            root.to_str().unwrap(),
            "--users",
            users.to_str().unwrap(),
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    let rows = bench_from_client(
        &hosts,
        &listen,
        &[
            "--protocols",
            "ftp,ftps",
            "--user",
            "alice",
            "--ca-file",
            cert.to_str().unwrap(),
        ],
        &[("WIRECRYPT_PASSWORD", "two hosts")],
        &dir.0,
    );
    // ftp and ftps (TLS 1.3), each up and down, at 1 and 2 streams.
    assert_eq!(rows.len(), 8, "{rows:#?}");
}
