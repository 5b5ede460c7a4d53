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
//! `dir` (default /dev/shm). Each figure is the best of three runs.

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
    let mut reference: Option<(f64, f64)> = None;
    let mut row = |name: &str, get: Option<Duration>, put: Option<Duration>| {
        let rate = |d: Option<Duration>| d.map(|d| mib as f64 / d.as_secs_f64());
        let (g, p) = (rate(get), rate(put));
        let show = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{r:.0}"));
        let ratio = match (reference, g, p) {
            (Some((rg, rp)), Some(g), Some(p)) => {
                format!("  ({:.2}x / {:.2}x of OpenSSH pair)", g / rg, p / rp)
            }
            _ => String::new(),
        };
        if let (None, Some(g), Some(p)) = (reference, g, p) {
            reference = Some((g, p));
        }
        println!("{name:<48} {:>10} {:>10}{ratio}", show(g), show(p));
    };

    if have_openssh {
        let get = best(|| openssh_client(&dir, OPENSSH_SERVER, "get src /dev/null", "1"));
        let put = best(|| openssh_client(&dir, OPENSSH_SERVER, "put src up", "1"));
        row("OpenSSH sftp -> OpenSSH sftp-server", get, put);
    } else {
        println!("(OpenSSH sftp or {OPENSSH_SERVER} missing: no reference pair)");
    }
    if let (true, Some(server)) = (have_openssh, &our_server) {
        let server = server.to_str().unwrap();
        for (name, reply_thread) in [
            ("OpenSSH sftp -> wirecrypt server", "0"),
            ("OpenSSH sftp -> wirecrypt server, reply thread", "1"),
        ] {
            let run = |cmd: &str| openssh_client(&dir, server, cmd, reply_thread);
            let get = best(|| run("get src /dev/null"));
            let put = best(|| run("put src up"));
            row(name, get, put);
        }
    } else if our_server.is_none() {
        println!("(build the wirecrypt-sftp-server binary next to this example for that pairing)");
    }
    if have_openssh {
        let get = best(|| our_client_vs_openssh(&dir, true));
        let put = best(|| our_client_vs_openssh(&dir, false));
        row("wirecrypt client -> OpenSSH sftp-server", get, put);
    }
    for (name, reply_thread) in [
        ("wirecrypt client -> wirecrypt server", false),
        ("wirecrypt client -> wirecrypt server, reply thread", true),
    ] {
        let get = best(|| our_pair(&dir, true, reply_thread));
        let put = best(|| our_pair(&dir, false, reply_thread));
        row(name, get, put);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn best(mut run: impl FnMut() -> Option<Duration>) -> Option<Duration> {
    (0..3).filter_map(|_| run()).min()
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
