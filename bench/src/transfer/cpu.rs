//! CPU time, read from `/proc`: what a side of a transfer cost, beside how long it took.
//!
//! Linux reports process times in clock ticks of `USER_HZ`, which the kernel fixes at 100
//! per second for every user-space ABI, so no `sysconf` call (and no `unsafe`) is needed.

use std::fs;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clients {
    /// Threads of this process (wirecrypt's own clients).
    ThisProcess,
    /// Child processes this process waits for (curl, OpenSSH's sftp).
    Children,
}

/// The CPU time both ends of one timed run spend: started before the run, read after.
#[derive(Clone, Copy, Debug)]
pub struct Meter {
    clients: Clients,
    server: Option<u32>,
    me: Option<CpuTimes>,
    server_before: Option<CpuTimes>,
}

impl Meter {
    /// Starts counting for `clients` and a server that is process `server`, or this
    /// process when `None`.
    pub fn start(clients: Clients, server: Option<u32>) -> Meter {
        Meter {
            clients,
            server,
            me: this_process(),
            server_before: server.and_then(process),
        }
    }

    /// CPU seconds both ends spent since [`start`](Self::start), and whether both ends
    /// could be read.
    pub fn finish(&self) -> (f64, bool) {
        if self.server.is_some() || self.clients == Clients::Children {
            // Session and client processes end with the transfer and are reaped a moment
            // later; only then is their time counted.
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let Some(me) = this_process().zip(self.me).map(|(a, b)| a.since(&b)) else {
            return (0.0, false);
        };
        let clients = match self.clients {
            Clients::ThisProcess => me.own,
            Clients::Children => me.children,
        };
        match self.server {
            // The server's threads are this process's own time.
            None if self.clients == Clients::Children => (clients + me.own, true),
            None => (clients, true),
            Some(pid) => match process(pid).zip(self.server_before) {
                Some((a, b)) => (clients + a.since(&b).total(), true),
                None => (clients, false),
            },
        }
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
    fn a_meter_counts_this_process_and_marks_an_unreadable_server() {
        let meter = Meter::start(Clients::ThisProcess, None);
        let mut x = 1u64;
        let start = std::time::Instant::now();
        while start.elapsed().as_millis() < 120 {
            x = x.wrapping_mul(3).wrapping_add(7);
        }
        std::hint::black_box(x);
        let (spent, complete) = meter.finish();
        assert!(spent > 0.0 && complete, "{spent} {complete}");
        // A server process that does not exist cannot be read: one end only.
        let meter = Meter::start(Clients::ThisProcess, Some(u32::MAX));
        assert!(!meter.finish().1);
    }
}
