//! Which side of a transfer a thread works for, and what that side's threads cost.
//!
//! A benchmark that runs a client and a server in one process sees one process's CPU
//! time. To tell the two apart, each side gets a [`CpuAccount`]; a thread charges its own
//! CPU time (`CLOCK_THREAD_CPUTIME_ID`, read by the thread itself) to the account it
//! [entered](CpuAccount::enter), and every thread this crate starts enters the account of
//! the thread that started it. So a server spawned by a thread inside the server's
//! account charges its accept loop, sessions, data movers and subsystems there, and a
//! client's reading thread charges the client's.

use std::cell::RefCell;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle, Scope, ScopedJoinHandle};

use rustix::time::{ClockId, clock_gettime};

/// CPU time charged by the threads that entered it (see the module docs); clones share
/// one total.
#[derive(Clone, Debug, Default)]
pub struct CpuAccount(Arc<Totals>);

#[derive(Debug, Default)]
struct Totals {
    /// Nanoseconds charged by threads that left.
    nanos: AtomicU64,
    /// Threads inside now.
    inside: AtomicUsize,
}

thread_local! {
    static CURRENT: RefCell<Option<CpuAccount>> = const { RefCell::new(None) };
}

/// This thread's CPU time so far, in nanoseconds.
fn thread_nanos() -> u64 {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    (t.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(t.tv_nsec as u64)
}

impl CpuAccount {
    /// A new account at zero.
    pub fn new() -> CpuAccount {
        CpuAccount::default()
    }

    /// CPU seconds charged so far by threads that have left the account (a thread still
    /// inside counts once its guard drops).
    pub fn seconds(&self) -> f64 {
        self.0.nanos.load(Ordering::Relaxed) as f64 / 1e9
    }

    /// How many threads are inside the account now (their time is not charged yet).
    pub fn threads_inside(&self) -> usize {
        self.0.inside.load(Ordering::Relaxed)
    }

    /// Charges this thread's CPU time from now on to this account, and makes it the
    /// account of the threads this crate starts from this thread, until the guard drops.
    pub fn enter(&self) -> Entered {
        self.0.inside.fetch_add(1, Ordering::Relaxed);
        Entered::begin(self.clone())
    }

    /// The account this thread is in, if any.
    pub fn current() -> Option<CpuAccount> {
        CURRENT.with(|c| c.borrow().clone())
    }
}

/// A thread's stay in a [`CpuAccount`]; dropping it charges the time spent.
#[must_use = "the time is charged when the guard drops"]
pub struct Entered {
    account: CpuAccount,
    since: u64,
    previous: Option<CpuAccount>,
}

impl Entered {
    /// Makes `account` this thread's, its place there already counted.
    fn begin(account: CpuAccount) -> Entered {
        let previous = CURRENT.with(|c| c.replace(Some(account.clone())));
        Entered {
            account,
            since: thread_nanos(),
            previous,
        }
    }
}

/// A place in an account, counted by the thread that starts another one, for the new
/// thread: a meter that starts right after the start counts that thread as inside even
/// if it has not run yet (counted only once it ran, it would look like a thread that
/// came and never left).
struct Seat(Option<CpuAccount>);

impl Seat {
    /// Counts one more thread inside `account`.
    fn take(account: CpuAccount) -> Seat {
        account.0.inside.fetch_add(1, Ordering::Relaxed);
        Seat(Some(account))
    }

    /// The started thread enters the account on the place counted for it.
    fn enter(mut self) -> Option<Entered> {
        self.0.take().map(Entered::begin)
    }
}

impl Drop for Seat {
    /// A thread that was never started gives its place back.
    fn drop(&mut self) {
        if let Some(account) = self.0.take() {
            account.0.inside.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        let spent = thread_nanos().saturating_sub(self.since);
        self.account.0.nanos.fetch_add(spent, Ordering::Relaxed);
        self.account.0.inside.fetch_sub(1, Ordering::Relaxed);
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Starts a thread in the account of the thread that starts it.
pub(crate) fn spawn<F, T>(builder: thread::Builder, f: F) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let seat = CpuAccount::current().map(Seat::take);
    builder.spawn(move || {
        let _in = seat.and_then(Seat::enter);
        f()
    })
}

/// [`spawn`] for a scoped thread.
pub(crate) fn spawn_scoped<'scope, 'env, F, T>(
    builder: thread::Builder,
    scope: &'scope Scope<'scope, 'env>,
    f: F,
) -> io::Result<ScopedJoinHandle<'scope, T>>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    let seat = CpuAccount::current().map(Seat::take);
    builder.spawn_scoped(scope, move || {
        let _in = seat.and_then(Seat::enter);
        f()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn burn(nanos: u64) {
        let start = thread_nanos();
        let mut x = 1u64;
        while thread_nanos() - start < nanos {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }

    #[test]
    fn a_started_thread_is_inside_before_it_first_runs() {
        let account = CpuAccount::new();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let t = {
            let _in = account.enter();
            spawn(thread::Builder::new(), move || {
                let _ = wait.recv();
            })
            .unwrap()
        };
        // Whether or not the new thread has run yet, it is counted (the exact case is the
        // seat below): a meter starting now sees it, and sees it leave.
        assert_eq!(account.threads_inside(), 1);
        go.send(()).unwrap();
        t.join().unwrap();
        assert_eq!(account.threads_inside(), 0);
        thread::scope(|s| {
            let _in = account.enter();
            let t = spawn_scoped(thread::Builder::new(), s, || ()).unwrap();
            assert!(account.threads_inside() >= 1);
            t.join().unwrap();
        });
        assert_eq!(account.threads_inside(), 0);

        // The seat a starting thread takes counts at once, deterministically: before the
        // new thread exists, while it is inside, and not after; one never used gives its
        // place back.
        let seat = Seat::take(account.clone());
        assert_eq!(account.threads_inside(), 1);
        let entered = seat.enter();
        assert_eq!(account.threads_inside(), 1);
        drop(entered);
        assert_eq!(account.threads_inside(), 0);
        drop(Seat::take(account.clone()));
        assert_eq!(account.threads_inside(), 0);
    }

    #[test]
    fn threads_charge_the_account_of_the_thread_that_started_them() {
        let (server, client) = (CpuAccount::new(), CpuAccount::new());
        let srv = {
            let _in = server.enter();
            // Started inside the server's account: its own spawns stay there too.
            spawn(thread::Builder::new(), || {
                let inner = spawn(thread::Builder::new(), || burn(30_000_000)).unwrap();
                burn(20_000_000);
                inner.join().unwrap();
            })
            .unwrap()
        };
        {
            let _in = client.enter();
            burn(10_000_000);
        }
        srv.join().unwrap();
        assert!(server.seconds() >= 0.050, "server {}", server.seconds());
        assert!(client.seconds() >= 0.010, "client {}", client.seconds());
        // The client's thread never ran the server's work.
        assert!(client.seconds() < server.seconds());
        assert!(
            CpuAccount::current().is_none(),
            "left after the guard dropped"
        );
        assert_eq!((server.threads_inside(), client.threads_inside()), (0, 0));
    }

    #[test]
    fn no_account_charges_nothing_and_nesting_restores_the_outer_one() {
        let outer = CpuAccount::new();
        let _o = outer.enter();
        let inner = CpuAccount::new();
        {
            let _i = inner.enter();
            assert!(Arc::ptr_eq(&CpuAccount::current().unwrap().0, &inner.0));
        }
        assert!(Arc::ptr_eq(&CpuAccount::current().unwrap().0, &outer.0));
        thread::scope(|s| {
            spawn_scoped(thread::Builder::new(), s, || {
                assert!(Arc::ptr_eq(&CpuAccount::current().unwrap().0, &outer.0));
            })
            .unwrap();
        });
    }
}
