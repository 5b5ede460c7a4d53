//! Several messages of one batch in flight on the token at once.
//!
//! A PKCS#11 call is synchronous: `C_Encrypt` returns only when the token has sealed the
//! record, and a token pays 10–20 µs of call overhead on top of the cipher itself. A
//! token serves calls from several sessions at once, though — an HSM has several crypto
//! engines behind its session layer, ICSF spreads requests over CPACF on several
//! processors, SoftHSM2 runs each session's call on the calling thread — so the way to
//! keep several records in flight is several calling threads, each with its own session.
//!
//! [`run`] splits a batch into contiguous chunks, one per worker: the caller's thread
//! takes the first chunk and scoped threads (`std::thread::scope`) the others. Each
//! thread calls the token through its own session — the caller's thread through its
//! per-thread session, each worker through a session the token lends it for the batch
//! (kept between batches, so a batch does not open and close sessions) — against the key
//! object the owner session made, which every session of the application sees.
//!
//! The batch contract of [`AeadKey`](crate::provider::AeadKey) is kept by the caller of
//! [`run`], which wipes the whole batch on any error; here a worker stops early once
//! another one failed (those messages are wiped anyway), and a worker that panics is an
//! error, never a panic carried over to the caller.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::Error;
use crate::provider::InPlace;

/// The most threads one batch runs on: past a handful of calls in flight a token's own
/// queue is full, and every thread costs a session and a start-up.
pub(super) const MAX_WORKERS: usize = 8;

/// The smallest batch sent to workers. Starting a thread costs about as much as one call
/// to SoftHSM2 (15–20 µs against 10–25 µs per record, measured on x86-64), so below four
/// messages the workers would mostly wait for their own start-up.
pub(super) const MIN_PARALLEL_BATCH: usize = 4;

/// The threads a batch of `len` messages runs on: 1 (the caller alone) below
/// [`MIN_PARALLEL_BATCH`], else one per message up to `limit` (the configured most, 1
/// by default) and [`MAX_WORKERS`]. Threads are opt-in: SoftHSM2 on this project's 2-core
/// machines ran 8-record TLS batches at 0.43x of one record per call on threads (its
/// sessions do not run in parallel there), and whether a token does is known only to
/// whoever deploys it.
pub(super) fn workers(len: usize, limit: usize) -> usize {
    if len < MIN_PARALLEL_BATCH {
        1
    } else {
        len.min(limit).clamp(1, MAX_WORKERS)
    }
}

/// One worker's share of the batch, taken by the thread that runs it.
type Slot<'b, 'm> = Mutex<Option<&'b mut [InPlace<'m>]>>;

/// Runs `each` on every message of `batch`, split over `workers` threads (the caller's
/// among them). Returns the error of the first failing chunk; after a failure the other
/// workers stop early, so some messages may not have been processed — the caller wipes
/// the batch. A panic in `each` becomes `panicked()`. A thread that cannot be started
/// leaves its chunk to the caller's thread. `on_worker` runs each started worker's
/// share (it must call the function it is given: the token lends a session around it).
pub(super) fn run<F, W>(
    batch: &mut [InPlace<'_>],
    workers: usize,
    each: F,
    on_worker: W,
    panicked: impl Fn() -> Error,
) -> Result<(), Error>
where
    F: Fn(&mut InPlace<'_>) -> Result<(), Error> + Sync,
    W: Fn(&mut dyn FnMut()) + Sync,
{
    if batch.is_empty() {
        return Ok(());
    }
    let chunk = batch.len().div_ceil(workers.max(1));
    let slots: Vec<Slot<'_, '_>> = batch
        .chunks_mut(chunk)
        .map(|c| Mutex::new(Some(c)))
        .collect();
    let failed = AtomicBool::new(false);
    // Runs the chunk in `slot`; Ok(Err) is a failed message, Err a panic.
    let work = |slot: &Slot<'_, '_>| -> std::thread::Result<Result<(), Error>> {
        let taken = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        let Some(messages) = taken else {
            return Ok(Ok(()));
        };
        catch_unwind(AssertUnwindSafe(|| {
            for m in messages {
                if failed.load(Ordering::Relaxed) {
                    break;
                }
                if let Err(e) = each(m) {
                    failed.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
            Ok(())
        }))
        .inspect_err(|_| failed.store(true, Ordering::Relaxed))
    };
    let results: Vec<std::thread::Result<Result<(), Error>>> = std::thread::scope(|s| {
        let (work, on_worker) = (&work, &on_worker);
        let handles: Vec<_> = slots[1..]
            .iter()
            .map(|slot| {
                std::thread::Builder::new()
                    .name("wirecrypt-pkcs11-batch".to_owned())
                    .spawn_scoped(s, move || {
                        let mut out = None;
                        on_worker(&mut || out = Some(work(slot)));
                        // A hook that never ran the share: as bad as a panic.
                        out.unwrap_or_else(|| Err(Box::new("the batch worker did not run")))
                    })
            })
            .collect();
        let mut results = vec![work(&slots[0])];
        for (handle, slot) in handles.into_iter().zip(&slots[1..]) {
            results.push(match handle {
                Ok(h) => h.join().unwrap_or_else(Err),
                // No thread: the chunk is still in its slot, and runs here.
                Err(_) => work(slot),
            });
        }
        results
    });
    for result in results {
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(panicked()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NONCE_LEN, TAG_LEN};

    fn batch<'a>(data: &'a mut [Vec<u8>], tags: &'a mut [[u8; TAG_LEN]]) -> Vec<InPlace<'a>> {
        data.iter_mut()
            .zip(tags.iter_mut())
            .enumerate()
            .map(|(i, (d, t))| InPlace {
                nonce: [i as u8; NONCE_LEN],
                aad: b"",
                data: d,
                tag: t,
            })
            .collect()
    }

    #[test]
    fn workers_are_capped_by_the_batch_and_the_limit() {
        assert_eq!(workers(0, 4), 1);
        assert_eq!(workers(1, 4), 1);
        assert_eq!(workers(MIN_PARALLEL_BATCH - 1, 4), 1);
        assert_eq!(workers(4, 4), 4);
        assert_eq!(workers(5, 2), 2);
        assert_eq!(workers(100, 64), MAX_WORKERS);
        assert_eq!(workers(5, 1), 1);
    }

    #[test]
    fn every_message_is_visited_once_on_several_threads() {
        for (len, workers) in [(1, 1), (2, 2), (7, 3), (9, 8), (20, 8), (3, 8)] {
            let mut data = vec![vec![0u8; 4]; len];
            let mut tags = vec![[0u8; TAG_LEN]; len];
            let mut b = batch(&mut data, &mut tags);
            let threads = Mutex::new(std::collections::HashSet::new());
            run(
                &mut b,
                workers,
                |m| {
                    m.data[0] += 1;
                    m.tag[0] = m.nonce[0];
                    threads.lock().unwrap().insert(std::thread::current().id());
                    Ok(())
                },
                |f| f(),
                || Error::Malformed("panic"),
            )
            .unwrap();
            assert!(data.iter().all(|d| d[0] == 1), "{len} {workers}");
            assert!(tags.iter().enumerate().all(|(i, t)| t[0] == i as u8));
            let chunks = len.div_ceil(len.div_ceil(workers));
            assert_eq!(
                threads.into_inner().unwrap().len(),
                chunks,
                "{len} {workers}"
            );
        }
    }

    #[test]
    fn a_failure_in_any_chunk_is_returned() {
        let mut data = vec![vec![0u8; 4]; 9];
        let mut tags = vec![[0u8; TAG_LEN]; 9];
        let mut b = batch(&mut data, &mut tags);
        let e = run(
            &mut b,
            3,
            |m| {
                if m.nonce[0] == 7 {
                    Err(Error::AuthenticationFailed)
                } else {
                    Ok(())
                }
            },
            |f| f(),
            || Error::Malformed("panic"),
        );
        assert_eq!(e, Err(Error::AuthenticationFailed));
    }

    #[test]
    fn a_panicking_worker_is_an_error_not_a_panic() {
        let mut data = vec![vec![0u8; 4]; 8];
        let mut tags = vec![[0u8; TAG_LEN]; 8];
        let mut b = batch(&mut data, &mut tags);
        // A panic on a spawned thread (message 6) and on the caller's own (message 0).
        for bad in [6u8, 0] {
            let e = run(
                &mut b,
                4,
                |m| {
                    assert_ne!(m.nonce[0], bad, "worker fault (expected by this test)");
                    Ok(())
                },
                |f| f(),
                || Error::Malformed("a batch worker panicked"),
            );
            assert_eq!(e, Err(Error::Malformed("a batch worker panicked")));
        }
    }
}
