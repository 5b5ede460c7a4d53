//! The timing loop: warm up, calibrate a batch size, then run batches until the time is up.
//!
//! The operation under test is a closure that owns its key and buffers; it is called
//! over and over with no allocation between calls, and the clock is read only between
//! batches (each about a millisecond long), so the loop itself costs nothing measurable.
//!
//! One stream ([`run`]) is reported as the median of its batches' rates: on a machine
//! shared with other work, a batch during which another process held the CPU is an
//! outlier, while a clean batch is what the code does on the CPU, so rows measured a
//! moment apart compare with each other. The wall-clock rate (all calls over the whole
//! timed part) is kept beside it.
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

/// The most batch durations one measurement keeps: a 0.5 s run has about 500 batches,
/// a longer one keeps an even sample of them (see [`BatchTimes`]).
const MAX_KEPT_BATCHES: usize = 4096;

/// One measurement: how many calls ran in how long, each over how many bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measurement {
    /// Calls completed in the timed part (warm-up excluded).
    pub iterations: u64,
    /// Wall-clock seconds of the timed part.
    pub seconds: f64,
    /// Bytes processed per call.
    pub bytes_per_iter: usize,
    /// The median of the per-batch rates, when the batches were timed one by one (one
    /// stream); `None` for several streams and for figures from elsewhere (OpenSSL).
    pub batch_rate: Option<BatchRate>,
}

/// The median of a measurement's per-batch call rates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchRate {
    /// Median calls per second over the batches.
    pub ops_per_sec: f64,
    /// Batches timed (all of them, not only the sample kept).
    pub batches: u64,
}

impl Measurement {
    /// Throughput in bytes per second: the median batch rate when there is one, else the
    /// wall-clock rate.
    pub fn bytes_per_sec(&self) -> f64 {
        self.ops_per_sec() * self.bytes_per_iter as f64
    }

    /// Calls per second: the median batch rate when there is one, else wall clock.
    pub fn ops_per_sec(&self) -> f64 {
        match self.batch_rate {
            Some(b) => b.ops_per_sec,
            None => self.wall_ops_per_sec(),
        }
    }

    /// Throughput in bytes per second over the whole timed part (wall clock).
    pub fn wall_bytes_per_sec(&self) -> f64 {
        self.wall_ops_per_sec() * self.bytes_per_iter as f64
    }

    /// Calls per second over the whole timed part (wall clock).
    pub fn wall_ops_per_sec(&self) -> f64 {
        if self.seconds > 0.0 {
            self.iterations as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// The durations of a run's batches (each of the same number of calls), in bounded
/// memory: at most [`MAX_KEPT_BATCHES`] are kept; when that fills, every other one is
/// dropped and from then on only every second (fourth, ...) batch is recorded, so what
/// is kept stays an even sample of the whole run.
#[derive(Debug)]
struct BatchTimes {
    calls_per_batch: u64,
    kept: Vec<Duration>,
    cap: usize,
    /// Record one batch in this many.
    stride: u64,
    /// Batches seen, recorded or not.
    seen: u64,
}

impl BatchTimes {
    fn new(calls_per_batch: u64, cap: usize) -> BatchTimes {
        let cap = cap.max(2);
        BatchTimes {
            calls_per_batch,
            kept: Vec::with_capacity(cap.min(1024)),
            cap,
            stride: 1,
            seen: 0,
        }
    }

    fn push(&mut self, took: Duration) {
        self.seen += 1;
        if !(self.seen - 1).is_multiple_of(self.stride) {
            return;
        }
        self.kept.push(took);
        if self.kept.len() >= self.cap {
            let mut i = 0;
            self.kept.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.stride *= 2;
        }
    }

    /// The median of the kept batches' call rates (`None` when no batch took measurable
    /// time).
    fn median(&self) -> Option<BatchRate> {
        let calls = self.calls_per_batch as f64;
        let mut rates: Vec<f64> = self
            .kept
            .iter()
            .filter(|d| !d.is_zero())
            .map(|d| calls / d.as_secs_f64())
            .collect();
        if rates.is_empty() {
            return None;
        }
        rates.sort_by(f64::total_cmp);
        let mid = rates.len() / 2;
        let ops_per_sec = if rates.len() % 2 == 1 {
            rates[mid]
        } else {
            (rates[mid - 1] + rates[mid]) / 2.0
        };
        Some(BatchRate {
            ops_per_sec,
            batches: self.seen,
        })
    }
}

/// Runs `op` for about `duration` after a warm-up and reports what it did.
///
/// `op` processes `bytes_per_iter` bytes per call. The warm-up runs for a tenth of
/// `duration` (at most 100 ms, at least one call) and sets the batch size; the timed part
/// then runs whole batches until `duration` has passed, timing each. The measurement
/// carries both the median batch rate and the wall-clock totals. The first error stops
/// the run.
pub fn run<E>(
    duration: Duration,
    bytes_per_iter: usize,
    mut op: impl FnMut() -> Result<(), E>,
) -> Result<Measurement, E> {
    let batch = warm_up(duration, &mut op)?;

    let mut times = BatchTimes::new(batch, MAX_KEPT_BATCHES);
    let start = Instant::now();
    let mut batch_start = start;
    let mut iterations: u64 = 0;
    let elapsed = loop {
        for _ in 0..batch {
            op()?;
        }
        iterations += batch;
        let now = Instant::now();
        times.push(now - batch_start);
        batch_start = now;
        let elapsed = now - start;
        if elapsed >= duration {
            break elapsed;
        }
    };
    Ok(Measurement {
        iterations,
        seconds: elapsed.as_secs_f64(),
        bytes_per_iter,
        batch_rate: times.median(),
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
            batch_rate: None,
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
        batch_rate: None,
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
/// the last stream's finish: bytes/s summed across streams, what the machine delivered
/// (no median batch rate: the streams' batches do not line up). The first stream error is
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
        batch_rate: None,
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
        assert!((m.wall_bytes_per_sec() - expected).abs() < 1e-6 * expected);
        let b = m.batch_rate.expect("one stream times its batches");
        assert!(b.batches > 0 && b.batches <= m.iterations, "{b:?}");
        assert!(b.ops_per_sec > 0.0);
        assert_eq!(m.bytes_per_sec(), b.ops_per_sec * 100.0);
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_median_batch_rate_ignores_interrupted_batches() {
        // 1000 calls per batch; clean batches take 1 ms, three were preempted.
        let mut t = BatchTimes::new(1000, MAX_KEPT_BATCHES);
        for d in [1, 1, 40, 1, 1, 25, 1, 1, 90] {
            t.push(ms(d));
        }
        let b = t.median().unwrap();
        assert_eq!(b.batches, 9);
        assert!((b.ops_per_sec - 1e6).abs() < 1e-6, "{b:?}");

        // An even count: the mean of the two middle rates (1000/2 ms and 1000/4 ms).
        let mut t = BatchTimes::new(1000, MAX_KEPT_BATCHES);
        for d in [1, 2, 4, 8] {
            t.push(ms(d));
        }
        let b = t.median().unwrap();
        assert!(
            (b.ops_per_sec - (500e3 + 250e3) / 2.0).abs() < 1e-6,
            "{b:?}"
        );
    }

    #[test]
    fn one_batch_is_its_own_median() {
        let mut t = BatchTimes::new(7, MAX_KEPT_BATCHES);
        assert_eq!(t.median(), None, "no batch yet");
        t.push(ms(2));
        let b = t.median().unwrap();
        assert_eq!(b.batches, 1);
        assert!((b.ops_per_sec - 3500.0).abs() < 1e-9, "{b:?}");

        let mut t = BatchTimes::new(7, MAX_KEPT_BATCHES);
        t.push(Duration::ZERO);
        assert_eq!(
            t.median(),
            None,
            "a batch that took no measurable time has no rate"
        );
    }

    #[test]
    fn kept_batches_stay_bounded_and_evenly_sampled() {
        let mut t = BatchTimes::new(1, 64);
        // A long run: 10_000 batches, every tenth one interrupted (ten times as long).
        for i in 0..10_000u64 {
            t.push(if i % 10 == 9 { ms(10) } else { ms(1) });
            assert!(t.kept.len() < 64, "kept {} at batch {i}", t.kept.len());
        }
        assert!(
            t.kept.len() >= 32,
            "a sample of the whole run: {}",
            t.kept.len()
        );
        assert_eq!(t.median().unwrap().batches, 10_000);
        assert!((t.median().unwrap().ops_per_sec - 1000.0).abs() < 1e-9);
        // The sample spans the run rather than stopping at the cap.
        assert!(
            t.stride > 1 && t.seen / t.stride <= 64,
            "stride {}",
            t.stride
        );

        let mut t = BatchTimes::new(1, MAX_KEPT_BATCHES);
        for _ in 0..100_000 {
            t.push(ms(1));
        }
        assert!(t.kept.len() < MAX_KEPT_BATCHES);
        assert!(t.kept.capacity() <= 2 * MAX_KEPT_BATCHES);
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
            batch_rate: None,
        };
        assert_eq!(m.bytes_per_sec(), 0.0);
        assert_eq!(m.ops_per_sec(), 0.0);
        assert_eq!(m.wall_bytes_per_sec(), 0.0);
    }

    #[test]
    fn the_batch_rate_is_reported_beside_the_wall_rate() {
        // 1000 calls of 10 bytes in 2 s of wall time, but clean batches ran 1000 calls/s.
        let m = Measurement {
            iterations: 1000,
            seconds: 2.0,
            bytes_per_iter: 10,
            batch_rate: Some(BatchRate {
                ops_per_sec: 1000.0,
                batches: 10,
            }),
        };
        assert_eq!(m.ops_per_sec(), 1000.0);
        assert_eq!(m.bytes_per_sec(), 10_000.0);
        assert_eq!(m.wall_ops_per_sec(), 500.0);
        assert_eq!(m.wall_bytes_per_sec(), 5000.0);
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
