//! The timing loop: warm up, calibrate a batch size, then run batches until the time is up.
//!
//! The operation under test is a closure that owns its key and buffers; it is called
//! over and over with no allocation between calls, and the clock is read only between
//! batches (each about a millisecond long), so the loop itself costs nothing measurable.
//!
//! Several streams ([`run_streams`]) model N independent connections (TLS sessions, SSH
//! channels) on one machine: N threads, each with its own keyed object and buffers, warm
//! up on their own, wait at a [`Gate`] until all are ready, start on one shared clock
//! reading and stop at the same deadline. Their calls are summed and divided by the wall
//! time from that common start to the last stream's finish, so the aggregate is what the
//! machine delivered, not a sum of per-thread rates that may not have overlapped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
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
    let batch = warm_up(duration, &mut op)?;

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

/// Runs `op` for a tenth of `duration` (at most [`MAX_WARM_UP`], at least one call) and
/// returns the batch size that calibrates.
fn warm_up<E>(duration: Duration, op: &mut impl FnMut() -> Result<(), E>) -> Result<u64, E> {
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
    Ok(batch_size(per_call))
}

/// How one measurement is timed: on its own, or as one of several concurrent streams.
///
/// Workloads take a `Timing` and call [`Timing::run`] where they would call [`run`], so
/// the same workload code serves one stream and many.
#[derive(Clone, Copy, Debug)]
pub enum Timing<'a> {
    /// One stream on the calling thread, timed by [`run`] for this long.
    Alone(Duration),
    /// One of several streams that start and stop together at this gate.
    Stream(&'a Gate),
}

impl Timing<'_> {
    /// Times `op` (over `bytes_per_iter` bytes per call) as this timing says.
    pub fn run<E>(
        &self,
        bytes_per_iter: usize,
        op: impl FnMut() -> Result<(), E>,
    ) -> Result<Measurement, E> {
        match *self {
            Timing::Alone(duration) => run(duration, bytes_per_iter, op),
            Timing::Stream(gate) => run_stream(gate, bytes_per_iter, op),
        }
    }
}

/// Where concurrent streams wait for each other, get their common start, and learn that
/// one of them failed (so that none waits forever for a stream that will never arrive).
#[derive(Debug)]
pub struct Gate {
    streams: usize,
    duration: Duration,
    /// The common start, set by the last stream to arrive.
    state: Mutex<GateState>,
    opened: Condvar,
    /// Set when a stream failed: the others stop waiting and stop measuring.
    failed: AtomicBool,
}

#[derive(Debug, Default)]
struct GateState {
    arrived: usize,
    start: Option<Instant>,
}

impl Gate {
    /// A gate for `streams` streams that measure for `duration` after they all arrive.
    pub fn new(streams: usize, duration: Duration) -> Gate {
        Gate {
            streams,
            duration,
            state: Mutex::new(GateState::default()),
            opened: Condvar::new(),
            failed: AtomicBool::new(false),
        }
    }

    /// Waits until every stream has arrived; the common start instant, or `None` when a
    /// stream failed instead.
    fn arrive(&self) -> Option<Instant> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.arrived += 1;
        if state.arrived >= self.streams && state.start.is_none() {
            state.start = Some(Instant::now());
            self.opened.notify_all();
        }
        loop {
            if self.failed() {
                return None;
            }
            if let Some(start) = state.start {
                return Some(start);
            }
            state = self
                .opened
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Records that a stream failed and wakes every stream waiting to start.
    fn fail(&self) {
        // Under the lock, so that a stream about to wait cannot miss the wake-up.
        let _state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.failed.store(true, Ordering::SeqCst);
        self.opened.notify_all();
    }

    /// True once a stream has failed.
    fn failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }
}

/// Fails the gate if its thread unwinds, so the other streams do not wait for it forever.
struct FailOnPanic<'a>(&'a Gate);

impl Drop for FailOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.fail();
        }
    }
}

/// One stream of several: warm up alone, wait at `gate`, then run batches from the common
/// start until the gate's duration has passed (or another stream failed).
///
/// The measurement's seconds run from the common start to this stream's last batch.
fn run_stream<E>(
    gate: &Gate,
    bytes_per_iter: usize,
    mut op: impl FnMut() -> Result<(), E>,
) -> Result<Measurement, E> {
    let batch = warm_up(gate.duration, &mut op)?;
    let Some(start) = gate.arrive() else {
        // Another stream failed; its error is the one reported.
        return Ok(Measurement {
            iterations: 0,
            seconds: 0.0,
            bytes_per_iter,
        });
    };
    let mut iterations: u64 = 0;
    let elapsed = loop {
        for _ in 0..batch {
            op()?;
        }
        iterations += batch;
        let elapsed = start.elapsed();
        if elapsed >= gate.duration || gate.failed() {
            break elapsed;
        }
    };
    Ok(Measurement {
        iterations,
        seconds: elapsed.as_secs_f64(),
        bytes_per_iter,
    })
}

/// Runs `streams` copies of a workload at once for about `duration` and sums them.
///
/// `workload` is called once per stream, on that stream's thread, with the [`Timing`] to
/// pass on: it makes its own keyed object and buffers there (as a connection would) and
/// times its loop with [`Timing::run`]. With one stream it runs on the calling thread
/// with [`Timing::Alone`], exactly as [`run`] always has.
///
/// The result counts every stream's calls over the wall time from the common start to
/// the last stream's finish: bytes/s summed across streams. The first stream error is
/// returned (the others stop at their next batch); a failure to start a thread is an
/// error too, and a panic in a stream is resumed on the calling thread.
pub fn run_streams<E>(
    streams: usize,
    duration: Duration,
    workload: impl Fn(Timing<'_>) -> Result<Measurement, E> + Sync,
) -> Result<Measurement, E>
where
    E: From<String> + Send,
{
    if streams <= 1 {
        return workload(Timing::Alone(duration));
    }
    let gate = Gate::new(streams, duration);
    let stream = || {
        let _guard = FailOnPanic(&gate);
        let result = workload(Timing::Stream(&gate));
        if result.is_err() {
            gate.fail();
        }
        result
    };
    let joined = std::thread::scope(|scope| {
        let mut handles = Vec::with_capacity(streams);
        let mut spawn_error = None;
        for i in 0..streams {
            match std::thread::Builder::new()
                .name(format!("speed-stream-{i}"))
                .spawn_scoped(scope, stream)
            {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    gate.fail();
                    spawn_error = Some(format!("cannot start stream {} of {streams}: {e}", i + 1));
                    break;
                }
            }
        }
        let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        (results, spawn_error)
    });
    let (results, spawn_error) = joined;
    let mut total = Measurement {
        iterations: 0,
        seconds: 0.0,
        bytes_per_iter: 0,
    };
    let mut first_error = None;
    for result in results {
        match result {
            Ok(Ok(m)) => {
                total.iterations += m.iterations;
                total.seconds = total.seconds.max(m.seconds);
                total.bytes_per_iter = m.bytes_per_iter;
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if let Some(why) = spawn_error {
        return Err(E::from(why));
    }
    Ok(total)
}

/// [`run_streams`] for a workload that may not exist (`None`), as peers and bare loops
/// report: `None` when it does not, else the summed measurement or the first error.
pub fn run_streams_optional(
    streams: usize,
    duration: Duration,
    workload: impl Fn(Timing<'_>) -> Option<Result<Measurement, String>> + Sync,
) -> Option<Result<Measurement, String>> {
    // `Err(None)` carries "no such workload" through run_streams; `Option<String>`
    // is `From<String>`, so real errors travel as `Err(Some(..))`.
    let result = run_streams(streams, duration, |timing| match workload(timing) {
        Some(Ok(m)) => Ok(m),
        Some(Err(e)) => Err(Some(e)),
        None => Err(None),
    });
    match result {
        Ok(m) => Some(Ok(m)),
        Err(Some(e)) => Some(Err(e)),
        Err(None) => None,
    }
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
    fn streams_run_together_and_sum() {
        use std::sync::atomic::AtomicUsize;
        let threads = AtomicUsize::new(0);
        let m = run_streams(4, Duration::from_millis(30), |timing| {
            assert!(matches!(timing, Timing::Stream(_)));
            threads.fetch_add(1, Ordering::SeqCst);
            let mut calls = 0u64;
            timing.run(64, || {
                calls += 1;
                std::hint::black_box(calls);
                Ok::<(), String>(())
            })
        })
        .unwrap();
        assert_eq!(threads.load(Ordering::SeqCst), 4);
        assert!(m.iterations > 0);
        assert_eq!(m.bytes_per_iter, 64);
        assert!(
            m.seconds >= 0.03,
            "wall time from the common start: {}",
            m.seconds
        );
        assert!(m.seconds < 5.0, "{}", m.seconds);
    }

    #[test]
    fn one_stream_runs_alone_on_this_thread() {
        let here = std::thread::current().id();
        let m = run_streams(1, Duration::from_millis(5), |timing| {
            assert!(matches!(timing, Timing::Alone(_)));
            assert_eq!(std::thread::current().id(), here);
            timing.run(8, || Ok::<(), String>(()))
        })
        .unwrap();
        assert!(m.iterations > 0);
    }

    #[test]
    fn a_failing_stream_stops_the_others_and_is_reported() {
        use std::sync::atomic::AtomicUsize;
        // One stream fails before it reaches the gate: the others must not wait forever.
        let next = AtomicUsize::new(0);
        let err = run_streams(3, Duration::from_secs(60), |timing| {
            if next.fetch_add(1, Ordering::SeqCst) == 1 {
                return Err("no key for you".to_owned());
            }
            timing.run(1, || Ok::<(), String>(()))
        })
        .unwrap_err();
        assert_eq!(err, "no key for you");

        // One stream fails while measuring: the others stop at their next batch.
        let next = AtomicUsize::new(0);
        let start = Instant::now();
        let err = run_streams(3, Duration::from_secs(60), |timing| {
            let failing = next.fetch_add(1, Ordering::SeqCst) == 0;
            let mut calls = 0u64;
            timing.run(1, || {
                calls += 1;
                if failing && calls == 100_000 {
                    Err("token removed".to_owned())
                } else {
                    Ok(())
                }
            })
        })
        .unwrap_err();
        assert_eq!(err, "token removed");
        assert!(start.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn optional_workloads_pass_none_through() {
        let none = run_streams_optional(2, Duration::from_millis(1), |_| None);
        assert!(none.is_none());
        let err = run_streams_optional(2, Duration::from_millis(1), |_| Some(Err("x".into())));
        assert_eq!(err, Some(Err("x".to_owned())));
        let ok = run_streams_optional(2, Duration::from_millis(2), |t| {
            Some(t.run(4, || Ok::<(), String>(())))
        });
        assert!(ok.unwrap().unwrap().iterations > 0);
    }

    #[test]
    #[should_panic(expected = "stream bug")]
    fn a_panicking_stream_panics_the_caller_without_hanging() {
        let _ = run_streams(2, Duration::from_secs(60), |timing| {
            if std::thread::current().name() == Some("speed-stream-0") {
                panic!("stream bug");
            }
            timing.run(1, || Ok::<(), String>(()))
        });
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
