//! The timing loop: warm up, calibrate a batch size, then run batches until the time is up.
//!
//! The operation under test is a closure that owns its key and buffers; it is called
//! over and over with no allocation between calls, and the clock is read only between
//! batches (each about a millisecond long), so the loop itself costs nothing measurable.

use std::time::{Duration, Instant};

/// How long each batch of calls should take: the clock is read once per batch.
const BATCH_TARGET: Duration = Duration::from_millis(1);

/// The longest warm-up: enough to fault in the buffers, settle the caches and let the
/// CPU reach its working clock, without eating much of a short measurement.
const MAX_WARM_UP: Duration = Duration::from_millis(100);

/// One measurement: how many calls ran in how long, each over how many bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measurement {
    /// Calls completed in the timed part (warm-up excluded).
    pub iterations: u64,
    /// Wall-clock seconds of the timed part.
    pub seconds: f64,
    /// Bytes processed per call.
    pub bytes_per_iter: usize,
}

impl Measurement {
    /// Throughput in bytes per second (wall clock).
    pub fn bytes_per_sec(&self) -> f64 {
        if self.seconds > 0.0 {
            self.iterations as f64 * self.bytes_per_iter as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Calls per second.
    pub fn ops_per_sec(&self) -> f64 {
        if self.seconds > 0.0 {
            self.iterations as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Runs `op` for about `duration` after a warm-up and reports what it did.
///
/// `op` processes `bytes_per_iter` bytes per call. The warm-up runs for a tenth of
/// `duration` (at most 100 ms, at least one call) and sets the batch size; the timed part
/// then runs whole batches until `duration` has passed. The first error stops the run.
pub fn run<E>(
    duration: Duration,
    bytes_per_iter: usize,
    mut op: impl FnMut() -> Result<(), E>,
) -> Result<Measurement, E> {
    let warm_up = (duration / 10).min(MAX_WARM_UP);
    let start = Instant::now();
    let mut warm_calls: u64 = 0;
    loop {
        op()?;
        warm_calls += 1;
        if start.elapsed() >= warm_up {
            break;
        }
    }
    let per_call = start.elapsed().as_secs_f64() / warm_calls as f64;
    let batch = batch_size(per_call);

    let start = Instant::now();
    let mut iterations: u64 = 0;
    let elapsed = loop {
        for _ in 0..batch {
            op()?;
        }
        iterations += batch;
        let elapsed = start.elapsed();
        if elapsed >= duration {
            break elapsed;
        }
    };
    Ok(Measurement {
        iterations,
        seconds: elapsed.as_secs_f64(),
        bytes_per_iter,
    })
}

/// Calls per batch so that one batch takes about [`BATCH_TARGET`].
fn batch_size(seconds_per_call: f64) -> u64 {
    if seconds_per_call <= 0.0 || !seconds_per_call.is_finite() {
        return 1;
    }
    (BATCH_TARGET.as_secs_f64() / seconds_per_call).clamp(1.0, 1e6) as u64
}

/// The CPU clock in MHz as `/proc/cpuinfo` reports it (the first `cpu MHz` line), when known.
///
/// Under a hypervisor this is the nominal clock; turbo is not accounted for.
pub fn cpu_mhz() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    parse_cpu_mhz(&text)
}

/// The first `cpu MHz` value in the text of `/proc/cpuinfo`.
pub fn parse_cpu_mhz(cpuinfo: &str) -> Option<f64> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        if key.trim() != "cpu MHz" {
            return None;
        }
        let mhz: f64 = value.trim().parse().ok()?;
        (mhz.is_finite() && mhz > 0.0).then_some(mhz)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_calls_and_bytes() {
        let mut calls = 0u64;
        let m = run(Duration::from_millis(20), 100, || {
            calls += 1;
            std::hint::black_box(calls);
            Ok::<(), ()>(())
        })
        .unwrap();
        assert!(m.iterations > 0);
        assert!(calls > m.iterations, "warm-up calls are not counted");
        assert!(m.seconds >= 0.02);
        let expected = m.iterations as f64 * 100.0 / m.seconds;
        assert!((m.bytes_per_sec() - expected).abs() < 1e-6 * expected);
    }

    #[test]
    fn stops_at_the_first_error() {
        let mut calls = 0;
        let err = run(Duration::from_secs(10), 1, || {
            calls += 1;
            if calls == 3 { Err("boom") } else { Ok(()) }
        })
        .unwrap_err();
        assert_eq!(err, "boom");
        assert_eq!(calls, 3);
    }

    #[test]
    fn zero_seconds_gives_zero_rates() {
        let m = Measurement {
            iterations: 0,
            seconds: 0.0,
            bytes_per_iter: 64,
        };
        assert_eq!(m.bytes_per_sec(), 0.0);
        assert_eq!(m.ops_per_sec(), 0.0);
    }

    #[test]
    fn batch_size_is_about_a_millisecond() {
        assert_eq!(batch_size(1e-6), 1000);
        assert_eq!(batch_size(1.0), 1);
        assert_eq!(batch_size(0.0), 1);
        assert_eq!(batch_size(f64::NAN), 1);
        assert_eq!(batch_size(1e-12), 1_000_000);
    }

    #[test]
    fn reads_cpu_mhz() {
        let sample = "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n\
                      model name\t: Intel(R) Xeon(R) Platinum\ncpu MHz\t\t: 2100.000\n\
                      cache size\t: 107520 KB\n\nprocessor\t: 1\ncpu MHz\t\t: 2200.000\n";
        assert_eq!(parse_cpu_mhz(sample), Some(2100.0));
        assert_eq!(parse_cpu_mhz("processor : 0\nBogoMIPS : 50.00\n"), None);
        assert_eq!(parse_cpu_mhz("cpu MHz : unknown\n"), None);
    }
}
