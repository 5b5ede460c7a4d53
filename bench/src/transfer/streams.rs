//! Running N transfers at once and timing them as one: every stream connects and logs in
//! first, then all start together at a barrier, and the transfer time runs from that
//! common start to the last stream's finish.

use std::sync::{Barrier, Mutex};
use std::time::Instant;

use super::cpu::CpuAccount;

/// When the streams of one run did what.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timing {
    /// The slowest stream's connect, handshake and login.
    pub handshake_seconds: f64,
    /// From the common start to the last stream's finish.
    pub seconds: f64,
}

/// Runs `streams` threads: each calls `connect(i)` (timed as the handshake), waits for
/// the others, then calls `transfer(i, connection)`. The first error of any stream is
/// returned; a stream that fails to connect still releases the others. The threads (and
/// those our clients start) charge their CPU time to `account`, if given.
pub fn run<C, E>(
    streams: usize,
    account: Option<&CpuAccount>,
    connect: impl Fn(usize) -> Result<C, E> + Sync,
    transfer: impl Fn(usize, C) -> Result<(), E> + Sync,
) -> Result<Timing, E>
where
    C: Send,
    E: Send,
{
    let barrier = Barrier::new(streams);
    let handshake = Mutex::new(0.0f64);
    // Each stream's own start (just past the barrier) and finish: a stream may finish
    // before another thread is even scheduled again, so no single clock reading taken
    // outside the streams can stand for their common start.
    let spans = Mutex::new(Vec::<(Instant, Instant)>::with_capacity(streams));
    let results: Vec<Result<(), E>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..streams)
            .map(|i| {
                let (barrier, handshake, spans) = (&barrier, &handshake, &spans);
                let (connect, transfer) = (&connect, &transfer);
                s.spawn(move || {
                    let _in = account.map(CpuAccount::enter);
                    let t0 = Instant::now();
                    let conn = connect(i);
                    let took = t0.elapsed().as_secs_f64();
                    {
                        let mut h = handshake.lock().unwrap_or_else(|p| p.into_inner());
                        *h = h.max(took);
                    }
                    barrier.wait();
                    let start = Instant::now();
                    let result = conn.and_then(|c| transfer(i, c));
                    spans
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((start, Instant::now()));
                    result
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results.into_iter().collect::<Result<(), E>>()?;
    let spans = spans.into_inner().unwrap_or_else(|p| p.into_inner());
    let start = spans.iter().map(|s| s.0).min();
    let end = spans.iter().map(|s| s.1).max();
    Ok(Timing {
        handshake_seconds: handshake.into_inner().unwrap_or_else(|p| p.into_inner()),
        seconds: start
            .zip(end)
            .map_or(0.0, |(a, b)| b.saturating_duration_since(a).as_secs_f64()),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn streams_start_together_and_time_the_slowest() {
        let t = run(
            3,
            None,
            |i| -> Result<usize, String> {
                std::thread::sleep(Duration::from_millis(20 * i as u64));
                Ok(i)
            },
            |_, i| {
                std::thread::sleep(Duration::from_millis(30 + 30 * i as u64));
                Ok(())
            },
        )
        .unwrap();
        assert!(t.handshake_seconds >= 0.04, "{t:?}");
        // The slowest transfer takes 90 ms; all started at the barrier.
        assert!(t.seconds >= 0.09 && t.seconds < 0.5, "{t:?}");
    }

    #[test]
    fn the_first_error_is_returned_and_nobody_hangs() {
        let r = run(
            2,
            None,
            |i| {
                if i == 0 {
                    Err("no route".to_string())
                } else {
                    Ok(i)
                }
            },
            |_, _| Ok(()),
        );
        assert_eq!(r.unwrap_err(), "no route");
        let r = run(2, None, Ok::<usize, String>, |i, _| {
            if i == 1 {
                Err(format!("stream {i} broke"))
            } else {
                Ok(())
            }
        });
        assert_eq!(r.unwrap_err(), "stream 1 broke");
    }
}
