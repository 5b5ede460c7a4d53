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
}
