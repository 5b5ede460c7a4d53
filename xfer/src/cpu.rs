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
        let previous = CURRENT.with(|c| c.replace(Some(self.clone())));
        self.0.inside.fetch_add(1, Ordering::Relaxed);
        Entered {
            account: self.clone(),
            since: thread_nanos(),
            previous,
        }
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
    let account = CpuAccount::current();
    builder.spawn(move || {
        let _in = account.as_ref().map(CpuAccount::enter);
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
    let account = CpuAccount::current();
    builder.spawn_scoped(scope, move || {
        let _in = account.as_ref().map(CpuAccount::enter);
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
