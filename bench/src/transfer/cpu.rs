//! CPU time, read from `/proc`: what a side of a transfer cost, beside how long it took.
//!
//! Linux reports process times in clock ticks of `USER_HZ`, which the kernel fixes at 100
//! per second for every user-space ABI, so no `sysconf` call (and no `unsafe`) is needed.

use std::fs;

pub use wirecrypt_xfer::cpu::CpuAccount;

/// Clock ticks per second in `/proc/*/stat` (Linux's `USER_HZ`).
const TICKS_PER_SEC: f64 = 100.0;

/// A process's CPU seconds so far: its own user + system time, and that of the children
/// it has waited for (a daemon's finished sessions).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuTimes {
    /// The process's own threads.
    pub own: f64,
    /// Children that exited and were reaped.
    pub children: f64,
}

impl CpuTimes {
    /// Own and reaped children's time together.
    pub fn total(&self) -> f64 {
        self.own + self.children
    }

    /// What was spent between `earlier` and `self`.
    pub fn since(&self, earlier: &CpuTimes) -> CpuTimes {
        CpuTimes {
            own: (self.own - earlier.own).max(0.0),
            children: (self.children - earlier.children).max(0.0),
        }
    }
}

/// This process's CPU times.
pub fn this_process() -> Option<CpuTimes> {
    read("/proc/self/stat")
}

/// Another process's CPU times (`None` once it is gone or on systems without `/proc`).
pub fn process(pid: u32) -> Option<CpuTimes> {
    read(&format!("/proc/{pid}/stat"))
}

/// Where a measurement's clients run.
#[derive(Clone, Debug)]
pub enum Clients {
    /// Threads of this process in this account (wirecrypt's own clients).
    Threads(CpuAccount),
    /// Child processes this process waits for (curl, OpenSSH's sftp).
    Children,
}

/// Where a measurement's server runs.
#[derive(Clone, Debug)]
pub enum Server {
    /// Threads of this process in this account (wirecrypt's own servers).
    Threads(CpuAccount),
    /// Another process on this machine (vsftpd, sshd).
    Process(u32),
    /// Another machine: its time cannot be read from here.
    Remote,
}

/// CPU seconds each end of one timed run spent; `None` where it could not be read.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spent {
    /// The clients.
    pub client: Option<f64>,
    /// The server.
    pub server: Option<f64>,
}

impl Spent {
    /// Whether both ends could be read.
    pub fn complete(&self) -> bool {
        self.client.is_some() && self.server.is_some()
    }
}

/// What one side had spent when a meter started.
#[derive(Clone, Copy, Debug)]
enum Start {
    Account { seconds: f64, inside: usize },
    Process(Option<CpuTimes>),
    Nothing,
}

/// The CPU time each end of one timed run spends: started before the run, read after.
#[derive(Clone, Debug)]
pub struct Meter {
    clients: Clients,
    server: Server,
    me: Option<CpuTimes>,
    clients_start: Start,
    server_start: Start,
}

/// How long [`Meter::finish`] waits for the threads of a run to end (a session thread
/// ends a moment after its client has gone): they are charged as they end.
const THREADS_END: std::time::Duration = std::time::Duration::from_secs(2);

fn account_start(a: &CpuAccount) -> Start {
    Start::Account {
        seconds: a.seconds(),
        inside: a.threads_inside(),
    }
}

/// The seconds `a` gained since `start`, once no more of its threads are inside than
/// then (waiting at most until `deadline`); `None` if some never ended.
fn account_spent(a: &CpuAccount, start: Start, deadline: std::time::Instant) -> Option<f64> {
    let Start::Account { seconds, inside } = start else {
        return None;
    };
    while a.threads_inside() > inside {
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    Some((a.seconds() - seconds).max(0.0))
}

/// Runs `f` (a server's start) inside a new account, which every thread `f` starts
/// then charges: the server's side of the meter.
pub fn in_new_account<T>(f: impl FnOnce() -> T) -> (CpuAccount, T) {
    let account = CpuAccount::new();
    let made = {
        let _in = account.enter();
        f()
    };
    (account, made)
}

impl Meter {
    /// A meter for our own clients (threads that enter the returned account) against
    /// `server`.
    pub fn our_clients(server: Server) -> (Meter, CpuAccount) {
        let clients = CpuAccount::new();
        (
            Meter::start(Clients::Threads(clients.clone()), server),
            clients,
        )
    }

    /// Starts counting for `clients` and `server`.
    pub fn start(clients: Clients, server: Server) -> Meter {
        let clients_start = match &clients {
            Clients::Threads(a) => account_start(a),
            Clients::Children => Start::Nothing,
        };
        let server_start = match &server {
            Server::Threads(a) => account_start(a),
            Server::Process(pid) => Start::Process(process(*pid)),
            Server::Remote => Start::Nothing,
        };
        Meter {
            clients,
            server,
            me: this_process(),
            clients_start,
            server_start,
        }
    }

    /// What each end spent since [`start`](Self::start).
    pub fn finish(&self) -> Spent {
        if matches!(self.server, Server::Process(_)) || matches!(self.clients, Clients::Children) {
            // Session and client processes end with the transfer and are reaped a moment
            // later; only then is their time counted.
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let deadline = std::time::Instant::now() + THREADS_END;
        let client = match &self.clients {
            Clients::Threads(a) => account_spent(a, self.clients_start, deadline),
            Clients::Children => this_process()
                .zip(self.me)
                .map(|(now, then)| now.since(&then).children),
        };
        let server = match (&self.server, self.server_start) {
            (Server::Threads(a), start) => account_spent(a, start, deadline),
            (Server::Process(pid), Start::Process(Some(then))) => {
                process(*pid).map(|now| now.since(&then).total())
            }
            _ => None,
        };
        Spent { client, server }
    }
}

fn read(path: &str) -> Option<CpuTimes> {
    parse_stat(&fs::read_to_string(path).ok()?)
}

/// Reads utime, stime, cutime and cstime (fields 14–17) from a `/proc/PID/stat` line.
/// The command name (field 2) may hold spaces and parentheses, so fields are counted
/// from the last `)`.
pub fn parse_stat(line: &str) -> Option<CpuTimes> {
    let rest = &line[line.rfind(')')? + 1..];
    // After the name: state is field 3, so utime (14) is the 12th field here.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick =
        |i: usize| -> Option<f64> { Some(fields.get(i)?.parse::<f64>().ok()? / TICKS_PER_SEC) };
    Some(CpuTimes {
        own: tick(11)? + tick(12)?,
        children: tick(13)? + tick(14)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_stat_line_with_an_awkward_name() {
        let line = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 1 1 1";
        let t = parse_stat(line).unwrap();
        assert!((t.own - 3.0).abs() < 1e-9, "{t:?}");
        assert!((t.children - 0.1).abs() < 1e-9, "{t:?}");
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn this_process_spends_cpu_when_it_works() {
        let before = this_process().expect("/proc/self/stat");
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed().as_millis() < 150 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let spent = this_process().unwrap().since(&before);
        assert!(
            spent.own > 0.0,
            "150 ms of spinning showed no CPU time: {spent:?}"
        );
    }

    #[test]
    fn a_meter_tells_the_two_sides_apart_and_marks_an_unreadable_server() {
        let (clients, server) = (CpuAccount::new(), CpuAccount::new());
        let meter = Meter::start(
            Clients::Threads(clients.clone()),
            Server::Threads(server.clone()),
        );
        // Fixed work, not wall time: on a busy machine a thread gets less CPU than the
        // wall clock says.
        let spin = |rounds: u64| {
            let mut x = 1u64;
            for _ in 0..rounds * 1_000_000 {
                x = std::hint::black_box(x.wrapping_mul(3).wrapping_add(7));
            }
        };
        // A thread of the server's, charged when it ends (the meter waits for it).
        let (entered, inside) = std::sync::mpsc::channel();
        let worker = std::thread::spawn({
            let server = server.clone();
            move || {
                let _in = server.enter();
                entered.send(()).unwrap();
                spin(200);
            }
        });
        inside.recv().unwrap();
        {
            let _in = clients.enter();
            spin(50);
        }
        let spent = meter.finish();
        worker.join().unwrap();
        let (c, s) = (spent.client.unwrap(), spent.server.unwrap());
        assert!(c > 0.0 && s > c, "four times the work: {spent:?}");
        assert!(spent.complete());
        // A server process that does not exist, or one on another machine, cannot be
        // read: one end only.
        for server in [Server::Process(u32::MAX), Server::Remote] {
            let spent = Meter::start(Clients::Threads(CpuAccount::new()), server).finish();
            assert!(!spent.complete() && spent.client == Some(0.0), "{spent:?}");
        }
    }
}
