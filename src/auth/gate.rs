//! In-process queues for sign-in attempts, one per key (an address, an
//! account). The database's locks make the limits exact across servers;
//! these make a burst wait here, in memory, instead of on the database's
//! locks with a pooled connection each: a thousand guesses from one address
//! hold at most one connection, and other users' requests still get theirs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

type Table = Mutex<HashMap<String, Weak<AsyncMutex<()>>>>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Entries whose queue is gone are swept once the table grows past this.
const SWEEP_AT: usize = 4096;

/// Waits for the turn of `key`; the turn lasts as long as the guard.
pub async fn turn(key: &str) -> OwnedMutexGuard<()> {
    let queue = {
        // A poisoned table only means another thread panicked mid-insert;
        // the map itself is still sound.
        let mut t = table().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(q) = t.get(key).and_then(Weak::upgrade) {
            q
        } else {
            if t.len() >= SWEEP_AT {
                t.retain(|_, q| q.strong_count() > 0);
            }
            let q = Arc::new(AsyncMutex::new(()));
            t.insert(key.to_owned(), Arc::downgrade(&q));
            q
        }
    };
    queue.lock_owned().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_turn_at_a_time_per_key() {
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (inside, most) = (inside.clone(), most.clone());
                tokio::spawn(async move {
                    let _g = turn("gate-test-key").await;
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.is_ok());
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
        // Other keys do not wait.
        let _a = turn("gate-test-a").await;
        let _b = turn("gate-test-b").await;
    }
}
