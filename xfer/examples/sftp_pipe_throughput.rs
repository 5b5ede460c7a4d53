//! SFTP throughput over local pipes, no SSH: our client and server beside OpenSSH's
//! `sftp` and `sftp-server`, measured in the same run, each pairing against OpenSSH's own
//! pair as the reference ratio.
//!
//! ```text
//! cargo build --release -p wirecrypt-xfer --bin wirecrypt-sftp-server --example sftp_pipe_throughput
//! target/release/examples/sftp_pipe_throughput [MiB] [dir]
//! ```
//!
//! The source is a sparse file (reads cost no disk), downloads go to /dev/null, uploads to
//! `dir` (default /dev/shm). Each figure is the best of three rounds, the pairings taking
//! turns within each round.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wirecrypt_xfer::root::Root;
use wirecrypt_xfer::sftp::{Client, Config, Server};

const OPENSSH_SERVER: &str = "/usr/lib/openssh/sftp-server";

fn main() {
    let mib: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(256);
    let base = std::env::args()
        .nth(2)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/dev/shm"));
    let dir = base.join(format!("wirecrypt-sftp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create bench dir");
    let src = dir.join("src");
    std::fs::File::create(&src)
        .and_then(|f| f.set_len(mib << 20))
        .expect("create sparse source");
    let our_server = std::env::current_exe()
        .ok()
        .and_then(|p| Some(p.parent()?.parent()?.join("wirecrypt-sftp-server")))
        .filter(|p| p.is_file());
    let have_openssh = Path::new(OPENSSH_SERVER).is_file() && which("sftp");

    println!("sftp over pipes, {mib} MiB, nproc {}", nproc());
    println!(
        "{:<48} {:>10} {:>10}",
        "client -> server", "get MiB/s", "put MiB/s"
    );
    // Each pairing is a (name, get, put) of runs; all are run in turn, round after round,
    // so that a change in machine load hits every pairing alike. Best of the rounds.
    type Run<'a> = Box<dyn Fn() -> Option<Duration> + 'a>;
    let mut pairings: Vec<(&str, Run, Run)> = Vec::new();
    let dir = dir.as_path();
    if have_openssh {
        pairings.push((
            "OpenSSH sftp -> OpenSSH sftp-server",
            Box::new(|| openssh_client(dir, OPENSSH_SERVER, "get src /dev/null", "0")),
            Box::new(|| openssh_client(dir, OPENSSH_SERVER, "put src up", "0")),
        ));
    } else {
        println!("(OpenSSH sftp or {OPENSSH_SERVER} missing: no reference pair)");
    }
    match (&our_server, have_openssh) {
        (Some(server), true) => {
            let server = server.to_str().expect("UTF-8 path");
            for (name, reply_thread) in [
                ("OpenSSH sftp -> wirecrypt server", "0"),
                ("OpenSSH sftp -> wirecrypt server, reply thread", "1"),
            ] {
                pairings.push((
                    name,
                    Box::new(move || {
                        openssh_client(dir, server, "get src /dev/null", reply_thread)
                    }),
                    Box::new(move || openssh_client(dir, server, "put src up", reply_thread)),
                ));
            }
        }
        (None, _) => {
            println!("(build wirecrypt-sftp-server next to this example for that pairing)")
        }
        _ => {}
    }
    if have_openssh {
        pairings.push((
            "wirecrypt client -> OpenSSH sftp-server",
            Box::new(|| our_client_vs_openssh(dir, true)),
            Box::new(|| our_client_vs_openssh(dir, false)),
        ));
    }
    for (name, reply_thread) in [
        ("wirecrypt client -> wirecrypt server", false),
        ("wirecrypt client -> wirecrypt server, reply thread", true),
    ] {
        pairings.push((
            name,
            Box::new(move || our_pair(dir, true, reply_thread)),
            Box::new(move || our_pair(dir, false, reply_thread)),
        ));
    }

    let mut best = vec![(None::<Duration>, None::<Duration>); pairings.len()];
    for _round in 0..3 {
        for (i, (_, get, put)) in pairings.iter().enumerate() {
            let keep = |old: Option<Duration>, new: Option<Duration>| match (old, new) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            best[i].0 = keep(best[i].0, get());
            best[i].1 = keep(best[i].1, put());
        }
    }

    let rate = |d: Option<Duration>| d.map(|d| mib as f64 / d.as_secs_f64());
    let show = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{r:.0}"));
    let reference = have_openssh.then(|| (rate(best[0].0), rate(best[0].1)));
    for ((name, _, _), (get, put)) in pairings.iter().zip(&best) {
        let (g, p) = (rate(*get), rate(*put));
        let ratio = match (reference, g, p) {
            (Some((Some(rg), Some(rp))), Some(g), Some(p))
                if !name.starts_with("OpenSSH sftp -> OpenSSH") =>
            {
                format!("  ({:.2}x / {:.2}x of OpenSSH pair)", g / rg, p / rp)
            }
            _ => String::new(),
        };
        println!("{name:<48} {:>10} {:>10}{ratio}", show(g), show(p));
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn openssh_client(dir: &Path, server: &str, command: &str, reply_thread: &str) -> Option<Duration> {
    let batch = dir.join("batch");
    std::fs::write(&batch, format!("{command}\n")).ok()?;
    let start = Instant::now();
    let status = Command::new("sftp")
        .args(["-q", "-b"])
        .arg(&batch)
        .arg("-D")
        .arg(server)
        .env("WIRECRYPT_SFTP_ROOT", dir)
        .env("WIRECRYPT_SFTP_REPLY_THREAD", reply_thread)
        .current_dir(dir)
        .stdout(Stdio::null())
        .status()
        .ok()?;
    let took = start.elapsed();
    status.success().then_some(took)
}

fn our_client_vs_openssh(dir: &Path, get: bool) -> Option<Duration> {
    let mut child = Command::new(OPENSSH_SERVER)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let (stdin, stdout) = (child.stdin.take()?, child.stdout.take()?);
    let mut client = Client::new(stdout, stdin).ok()?;
    let took = transfer(&mut client, dir, get);
    drop(client);
    child.wait().ok()?;
    took
}

fn our_pair(dir: &Path, get: bool, reply_thread: bool) -> Option<Duration> {
    let (c2s_r, c2s_w) = std::io::pipe().ok()?;
    let (s2c_r, s2c_w) = std::io::pipe().ok()?;
    let config = Config {
        reply_thread,
        ..Config::default()
    };
    let server = Server::new(Root::open(dir).ok()?, config);
    let t = std::thread::spawn(move || server.serve(c2s_r, s2c_w));
    let mut client = Client::new(s2c_r, c2s_w).ok()?;
    let took = transfer(&mut client, dir, get);
    drop(client);
    t.join().ok()?.ok()?;
    took
}

fn transfer(client: &mut Client, dir: &Path, get: bool) -> Option<Duration> {
    let start = Instant::now();
    if get {
        let sink = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .ok()?;
        client.get("src", &sink).ok()?;
    } else {
        client.put_file(dir.join("src"), "up").ok()?;
    }
    Some(start.elapsed())
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

fn nproc() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
