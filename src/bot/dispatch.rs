//! Our update dispatcher, in place of teloxide's. Updates of one chat are handled one at a time in
//! arrival order (dialogue state depends on it), different chats concurrently. teloxide's keeps a
//! worker with a channel block (~62 KB of `Update` slots) for every chat it has served at once and
//! keeps them after a burst; here a chat costs a task and a queue only while it has work.
use super::HandlerResult;
use std::collections::{HashMap, VecDeque};
use std::fmt::Debug;
use std::future::{Future, poll_fn};
use std::hash::Hash;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::Duration;
use teloxide::types::{AllowedUpdate, ChatId, Update, UpdateKind};
use teloxide::update_listeners::UpdateListener;
use tokio::sync::Notify;

/// How long shutdown waits for updates already taken; past it the process stops without them.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// The update kinds the bot handles (`schema`: texts and commands, button presses, being blocked
/// or unblocked), asked of Telegram by polling here and by `setWebhook` alike: any other kind would
/// only cost a round trip to be dropped.
pub const ALLOWED_UPDATES: [AllowedUpdate; 3] =
    [AllowedUpdate::Message, AllowedUpdate::CallbackQuery, AllowedUpdate::MyChatMember];

/// Serves updates from `listener` through `handle` until `shutdown` resolves: then the listener
/// stops (its last call confirms the updates taken), and the updates taken are handled (up to
/// [`DRAIN_LIMIT`]) before this returns. A handler error is logged; the chat goes on.
pub async fn serve<L, H, Fut>(mut listener: L, handle: H, shutdown: impl Future<Output = ()>)
where
    L: UpdateListener,
    L::Err: Debug,
    H: Fn(Box<Update>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send + 'static,
{
    listener.hint_allowed_updates(&mut ALLOWED_UPDATES.into_iter());
    let stop = listener.stop_token();
    let lanes = Lanes::new(move |upd: Box<Update>| {
        // A kind newer than teloxide. Its raw JSON is never logged: a customer's reply quotes the
        // message it answers, and a receipt holds a card code.
        let kind = update_kind(&upd.kind);
        let work = match &upd.kind {
            UpdateKind::Error(_) => {
                tracing::error!(update_id = upd.id.0, "cannot parse an update; skipped");
                None
            }
            _ => Some(handle(upd)),
        };
        async move {
            let started = std::time::Instant::now();
            if let Some(work) = work
                && let Err(e) = work.await
            {
                tracing::error!(error = %e, "handler error");
            }
            crate::metrics::update_handled(kind, started.elapsed());
        }
    });
    run(listener.as_stream(), chat_of, &lanes, shutdown, move || stop.stop(), DRAIN_LIMIT).await;
}

/// A fixed label per update kind for the metrics (one series each, not one per update).
fn update_kind(kind: &UpdateKind) -> &'static str {
    match kind {
        UpdateKind::Message(_) => "message",
        UpdateKind::EditedMessage(_) => "edited_message",
        UpdateKind::CallbackQuery(_) => "callback_query",
        UpdateKind::MyChatMember(_) => "my_chat_member",
        UpdateKind::Error(_) => "unparsed",
        _ => "other",
    }
}

/// Pushes each item of `items` into `lanes` under `key`, until the stream ends. When `shutdown`
/// resolves, `stop` asks the source to end (it still yields what it has already taken, as
/// teloxide's polling does). Then the work queued gets up to `drain` to finish.
/// Source errors are logged and skipped: the source retries by itself.
pub async fn run<S, T, E, K, H, Fut>(
    items: S,
    key: impl Fn(&T) -> Option<K>,
    lanes: &Lanes<K, T, H>,
    shutdown: impl Future<Output = ()>,
    stop: impl FnOnce(),
    drain: Duration,
) where
    S: futures_core::Stream<Item = Result<T, E>>,
    E: Debug,
    K: Hash + Eq + Clone + Send + 'static,
    T: Send + 'static,
    H: Fn(Box<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut items = pin!(items);
    let mut shutdown = pin!(shutdown);
    let mut stop = Some(stop);
    loop {
        tokio::select! {
            next = poll_fn(|cx| items.as_mut().poll_next(cx)) => match next {
                Some(Ok(item)) => lanes.push(key(&item), item),
                Some(Err(e)) => tracing::error!(error = ?e, "update listener error"),
                None => break,
            },
            () = &mut shutdown, if stop.is_some() => {
                if let Some(stop) = stop.take() {
                    stop();
                }
            }
        }
    }
    if !lanes.drain(drain).await {
        tracing::warn!(
            chats = lanes.lanes(),
            tasks = lanes.tasks(),
            ?drain,
            "stopping with updates still being handled"
        );
    }
}

/// Handlers running at once. Each holds an HTTP connection while it waits for Telegram or
/// OneClickDZ (a connection's buffers are tens of KB), so 1,000 chats served at the same instant
/// took 55–71 MB; capped, a waiting update costs its box (see BENCHMARKS.md). One core is
/// saturated at 96 (measured: same throughput as 128, 5 MB less at the peak; 64 was 5 % slower),
/// and 96 handlers each waiting ~100 ms on Telegram are already more requests a second than
/// Telegram accepts from one bot.
pub const MAX_RUNNING: usize = 96;

/// Below this many slots the key table is not shrunk: not worth the rehashing.
const MIN_TABLE: usize = 64;

/// Runs items one at a time per key, in the order pushed; different keys, and items without a key,
/// run concurrently. A key holds a task and a queue only while it has items.
pub struct Lanes<K, T, H> {
    shared: Arc<Shared<K, T, H>>,
}

struct Shared<K, T, H> {
    handle: H,
    /// Handlers running at once; the others wait their turn in arrival order.
    running: tokio::sync::Semaphore,
    state: Mutex<State<K, T>>,
    /// Signalled when the last task ends.
    idle: Notify,
}

struct State<K, T> {
    /// A key is here while its task runs; the queue holds what arrived behind the item in hand.
    /// Boxed, so a queue's spare capacity costs 8 bytes a slot, not an `Update`'s ~2 KB.
    queues: HashMap<K, VecDeque<Box<T>>>,
    /// Tasks running, keyed or not: shutdown waits until there are none.
    tasks: usize,
}

impl<K, T, H, Fut> Lanes<K, T, H>
where
    K: Hash + Eq + Clone + Send + 'static,
    T: Send + 'static,
    H: Fn(Box<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    pub fn new(handle: H) -> Self {
        Self::with_limit(MAX_RUNNING, handle)
    }

    /// At most `limit` handlers run at once.
    pub fn with_limit(limit: usize, handle: H) -> Self {
        let state = Mutex::new(State { queues: HashMap::new(), tasks: 0 });
        let running = tokio::sync::Semaphore::new(limit.max(1));
        Lanes { shared: Arc::new(Shared { handle, running, state, idle: Notify::new() }) }
    }

    /// Queues `item` behind its key's items, or starts its key's task; without a key it runs at once.
    /// Must be called within a tokio runtime.
    pub fn push(&self, key: Option<K>, item: T) {
        let item = Box::new(item);
        let mut st = self.shared.lock();
        if let Some(key) = &key {
            if let Some(queue) = st.queues.get_mut(key) {
                queue.push_back(item);
                return;
            }
            st.queues.insert(key.clone(), VecDeque::new());
        }
        st.tasks += 1;
        drop(st);
        let shared = self.shared.clone();
        tokio::spawn(async move {
            match key {
                Some(key) => shared.lane(key, item).await,
                None => shared.run_one(item).await,
            }
            shared.task_done();
        });
    }

    /// Keys with a task running (chats with work right now).
    pub fn lanes(&self) -> usize {
        self.shared.lock().queues.len()
    }

    /// Tasks running, keyed or not.
    pub fn tasks(&self) -> usize {
        self.shared.lock().tasks
    }

    #[cfg(test)]
    fn table_capacity(&self) -> usize {
        self.shared.lock().queues.capacity()
    }

    /// Waits until no task runs, at most `limit`; false if some still do.
    pub async fn drain(&self, limit: Duration) -> bool {
        let idle = async {
            loop {
                // Created before the check, so a task ending in between still wakes it.
                let notified = self.shared.idle.notified();
                if self.shared.lock().tasks == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, idle).await.is_ok()
    }
}

impl<K, T, H, Fut> Shared<K, T, H>
where
    K: Hash + Eq,
    H: Fn(Box<T>) -> Fut,
    Fut: Future<Output = ()>,
{
    fn lock(&self) -> MutexGuard<'_, State<K, T>> {
        // Never held across a handler, so a poisoned lock still holds consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Handles `item`, then the key's queue until it is empty; then the key is forgotten, under the
    /// same lock `push` takes, so an item pushed later starts a new task after this one.
    async fn lane(&self, key: K, mut item: Box<T>) {
        loop {
            self.run_one(item).await;
            let mut st = self.lock();
            match st.queues.get_mut(&key).and_then(VecDeque::pop_front) {
                Some(next) => item = next,
                None => {
                    st.queues.remove(&key);
                    // The table would otherwise stay the size of the biggest burst.
                    let (len, cap) = (st.queues.len(), st.queues.capacity());
                    if cap > MIN_TABLE && len < cap / 4 {
                        st.queues.shrink_to(MIN_TABLE.max(len * 2));
                    }
                    return;
                }
            }
        }
    }

    /// A panicking handler is logged and its chat goes on: otherwise its queue would never run.
    async fn run_one(&self, item: Box<T>) {
        // Never closed, so this only waits.
        let _turn = self.running.acquire().await;
        let mut work = pin!((self.handle)(item));
        let caught = poll_fn(|cx| match std::panic::catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(cx))) {
            Ok(Poll::Ready(())) => Poll::Ready(None),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Some(panic)),
        })
        .await;
        if let Some(panic) = caught {
            let msg = panic.downcast_ref::<&str>().copied().or(panic.downcast_ref::<String>().map(String::as_str));
            tracing::error!(panic = msg.unwrap_or("?"), "update handler panicked");
        }
    }

    fn task_done(&self) {
        let mut st = self.lock();
        st.tasks -= 1;
        if st.tasks == 0 {
            self.idle.notify_waiters();
        }
    }
}

/// The key teloxide's default distribution uses: the chat. Updates without one (inline queries,
/// polls, callbacks on inline messages) never reach the dialogue, so they need no order.
pub fn chat_of(upd: &Update) -> Option<ChatId> {
    upd.chat().map(|c| c.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::task::Context;
    use std::time::Instant;
    use tokio::sync::{mpsc, watch};

    type Item = Result<(u32, u32), &'static str>;

    /// Items sent on a channel; it ends once every sender is gone and what it holds is taken,
    /// as polling does after its stop token.
    struct Source(mpsc::UnboundedReceiver<Item>);

    impl futures_core::Stream for Source {
        type Item = Item;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
            self.0.poll_recv(cx)
        }
    }

    fn source() -> (mpsc::UnboundedSender<Item>, Source) {
        let (tx, rx) = mpsc::unbounded_channel();
        (tx, Source(rx))
    }

    fn key(item: &(u32, u32)) -> Option<u32> {
        Some(item.0)
    }

    /// Polls `cond` until it holds, at most `limit`.
    async fn eventually(limit: Duration, cond: impl Fn() -> bool) -> bool {
        let t = Instant::now();
        while !cond() {
            if t.elapsed() > limit {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn each_key_keeps_its_order_while_keys_overlap() {
        const KEYS: u32 = 50;
        const PER_KEY: u32 = 40;
        let seen: Arc<Mutex<HashMap<u32, Vec<u32>>>> = Arc::default();
        let busy: Arc<Mutex<HashSet<u32>>> = Arc::default();
        let same_key_overlaps = Arc::new(AtomicUsize::new(0));
        let (running, most_running) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let lanes = {
            let (seen, busy, same_key_overlaps) = (seen.clone(), busy.clone(), same_key_overlaps.clone());
            let (running, most_running) = (running.clone(), most_running.clone());
            Lanes::new(move |item: Box<(u32, u32)>| {
                let (seen, busy, same_key_overlaps) = (seen.clone(), busy.clone(), same_key_overlaps.clone());
                let (running, most_running) = (running.clone(), most_running.clone());
                async move {
                    let (key, seq) = *item;
                    if !busy.lock().unwrap().insert(key) {
                        same_key_overlaps.fetch_add(1, Ordering::SeqCst);
                    }
                    most_running.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                    match rand::random::<u8>() % 3 {
                        0 => tokio::task::yield_now().await,
                        1 => tokio::time::sleep(Duration::from_millis(1)).await,
                        _ => tokio::time::sleep(Duration::from_micros(rand::random::<u64>() % 3000)).await,
                    }
                    seen.lock().unwrap().entry(key).or_default().push(seq);
                    running.fetch_sub(1, Ordering::SeqCst);
                    busy.lock().unwrap().remove(&key);
                }
            })
        };
        let (tx, items) = source();
        let feeder = tokio::spawn(async move {
            for seq in 0..PER_KEY {
                for key in 0..KEYS {
                    tx.send(Ok((key, seq))).unwrap();
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
        run(items, key, &lanes, std::future::pending(), || {}, Duration::from_secs(10)).await;
        feeder.await.unwrap();

        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), KEYS as usize);
        for (key, order) in seen.iter() {
            assert_eq!(*order, (0..PER_KEY).collect::<Vec<_>>(), "key {key}");
        }
        assert_eq!(same_key_overlaps.load(Ordering::SeqCst), 0, "a key never runs two handlers at once");
        assert!(most_running.load(Ordering::SeqCst) > 1, "different keys run together");
        assert_eq!((lanes.lanes(), lanes.tasks()), (0, 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_slow_chat_does_not_hold_up_others() {
        let (open, gate) = watch::channel(false);
        let done: Arc<Mutex<Vec<u32>>> = Arc::default();
        let lanes = {
            let done = done.clone();
            Lanes::new(move |item: Box<u32>| {
                let (done, mut gate) = (done.clone(), gate.clone());
                async move {
                    if *item >= 100 {
                        let _ = gate.wait_for(|open| *open).await;
                    }
                    done.lock().unwrap().push(*item);
                }
            })
        };
        lanes.push(Some(1), 100);
        lanes.push(Some(1), 101);
        for k in 2..=20 {
            lanes.push(Some(k), k);
        }
        // Waits for the state, not for a time: a finished chat forgets its lane just after its
        // handler returns, and a loaded machine may take a while to get there. Chat 1's gate stays
        // shut throughout, so only a chat held up behind it keeps this from settling.
        let settled = || done.lock().unwrap().len() == 19 && (lanes.lanes(), lanes.tasks()) == (1, 1);
        let others_done = eventually(Duration::from_secs(20), settled).await;
        assert!(
            others_done,
            "chats 2..=20 answered while chat 1 waits: {:?}; lanes {}, tasks {}",
            done.lock().unwrap(),
            lanes.lanes(),
            lanes.tasks()
        );
        assert!(!done.lock().unwrap().contains(&100), "chat 1 is still held");
        open.send(true).unwrap();
        assert!(lanes.drain(Duration::from_secs(20)).await);
        assert_eq!(done.lock().unwrap()[19..], [100, 101], "chat 1 in its own order, after the others");
    }

    /// Many chats at once: no more than the limit run, the rest wait their turn and all finish.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_than_the_limit_run_at_once() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let handled = Arc::new(AtomicUsize::new(0));
        let lanes = {
            let (running, most, handled) = (running.clone(), most.clone(), handled.clone());
            Lanes::with_limit(3, move |_item: Box<u32>| {
                let (running, most, handled) = (running.clone(), most.clone(), handled.clone());
                async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    handled.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        for k in 0..40 {
            lanes.push(Some(k), k);
            lanes.push(None, k);
        }
        assert!(lanes.drain(Duration::from_secs(5)).await);
        assert_eq!(handled.load(Ordering::SeqCst), 80);
        assert_eq!(most.load(Ordering::SeqCst), 3, "the limit is reached and never passed");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn nothing_stays_per_chat_after_a_burst() {
        let (open, gate) = watch::channel(false);
        let handled = Arc::new(AtomicUsize::new(0));
        let lanes = {
            let handled = handled.clone();
            Lanes::new(move |_item: Box<u32>| {
                let (handled, mut gate) = (handled.clone(), gate.clone());
                async move {
                    let _ = gate.wait_for(|open| *open).await;
                    handled.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        for round in 0..3 {
            for chat in 0..1000 {
                lanes.push(Some(chat), round);
            }
        }
        assert_eq!((lanes.lanes(), lanes.tasks()), (1000, 1000), "one task per busy chat, the rest queued");
        open.send(true).unwrap();
        assert!(lanes.drain(Duration::from_secs(5)).await);
        assert_eq!(handled.load(Ordering::SeqCst), 3000);
        assert_eq!((lanes.lanes(), lanes.tasks()), (0, 0), "every chat forgotten once its queue is empty");
        assert!(lanes.table_capacity() <= 2 * MIN_TABLE, "table shrunk: {}", lanes.table_capacity());
        // A chat that comes back after its lane ended gets a new one.
        lanes.push(Some(7), 9);
        assert!(lanes.drain(Duration::from_secs(2)).await);
        assert_eq!((handled.load(Ordering::SeqCst), lanes.lanes()), (3001, 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_stops_the_source_and_waits_for_queued_work() {
        let handled: Arc<Mutex<Vec<(u32, u32)>>> = Arc::default();
        let lanes = {
            let handled = handled.clone();
            Lanes::new(move |item: Box<(u32, u32)>| {
                let handled = handled.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    handled.lock().unwrap().push(*item);
                }
            })
        };
        let (tx, items) = source();
        for seq in 0..10 {
            for chat in 0..5 {
                tx.send(Ok((chat, seq))).unwrap();
            }
        }
        let stopped = Arc::new(AtomicBool::new(false));
        let stop = {
            let stopped = stopped.clone();
            move || {
                stopped.store(true, Ordering::SeqCst);
                drop(tx);
            }
        };
        let t = Instant::now();
        // Shutdown at once: what the source already holds is still handled, in order.
        run(items, key, &lanes, async {}, stop, Duration::from_secs(5)).await;
        assert!(stopped.load(Ordering::SeqCst));
        assert!(t.elapsed() >= Duration::from_millis(100), "10 updates of 10 ms per chat, one at a time");
        let handled = handled.lock().unwrap();
        assert_eq!(handled.len(), 50, "nothing taken is dropped");
        for chat in 0..5 {
            let order: Vec<u32> = handled.iter().filter(|i| i.0 == chat).map(|i| i.1).collect();
            assert_eq!(order, (0..10).collect::<Vec<_>>());
        }
        assert_eq!((lanes.lanes(), lanes.tasks()), (0, 0));
    }

    #[tokio::test]
    async fn shutdown_gives_up_on_a_stuck_handler() {
        let lanes = Lanes::new(|_item: Box<(u32, u32)>| std::future::pending::<()>());
        let (tx, items) = source();
        tx.send(Ok((1, 1))).unwrap();
        let t = Instant::now();
        run(items, key, &lanes, async {}, move || drop(tx), Duration::from_millis(100)).await;
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        assert_eq!(lanes.tasks(), 1, "left running, not waited for");
    }

    #[tokio::test]
    async fn source_errors_are_skipped_and_reading_goes_on() {
        let handled: Arc<Mutex<Vec<u32>>> = Arc::default();
        let lanes = {
            let handled = handled.clone();
            Lanes::new(move |item: Box<(u32, u32)>| {
                let handled = handled.clone();
                async move { handled.lock().unwrap().push(item.1) }
            })
        };
        let (tx, items) = source();
        for item in [Ok((1, 1)), Err("network down"), Ok((1, 2))] {
            tx.send(item).unwrap();
        }
        drop(tx);
        run(items, key, &lanes, std::future::pending(), || {}, Duration::from_secs(2)).await;
        assert_eq!(*handled.lock().unwrap(), [1, 2]);
    }

    #[tokio::test]
    async fn a_panicking_handler_does_not_stall_its_chat() {
        let handled: Arc<Mutex<Vec<u32>>> = Arc::default();
        let lanes = {
            let handled = handled.clone();
            Lanes::new(move |item: Box<u32>| {
                let handled = handled.clone();
                async move {
                    tokio::task::yield_now().await;
                    assert!(*item != 1, "handler bug");
                    handled.lock().unwrap().push(*item);
                }
            })
        };
        for item in 1..=3 {
            lanes.push(Some(5), item);
        }
        assert!(lanes.drain(Duration::from_secs(2)).await);
        assert_eq!(*handled.lock().unwrap(), [2, 3]);
        assert_eq!((lanes.lanes(), lanes.tasks()), (0, 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn items_without_a_key_run_concurrently() {
        // Each waits for the other: run one after the other, they would never finish.
        let both = Arc::new(tokio::sync::Barrier::new(2));
        let lanes = Lanes::<u32, u32, _>::new(move |_item| {
            let both = both.clone();
            async move {
                both.wait().await;
            }
        });
        lanes.push(None, 1);
        lanes.push(None, 2);
        assert_eq!(lanes.lanes(), 0, "no per-chat state for them");
        assert!(lanes.drain(Duration::from_secs(2)).await);
    }

    mod teloxide_glue {
        use super::super::*;
        use std::convert::Infallible;
        use std::pin::Pin;
        use std::task::Context;
        use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
        use teloxide::update_listeners::AsUpdateStream;

        /// Hands out its updates, then waits for its stop token, as polling does.
        struct FakeListener {
            updates: Vec<Update>,
            hinted: Arc<Mutex<Vec<AllowedUpdate>>>,
            token: StopToken,
            flag: Option<StopFlag>,
        }

        struct FakeStream {
            updates: std::vec::IntoIter<Update>,
            flag: StopFlag,
        }

        impl UpdateListener for FakeListener {
            type Err = Infallible;
            fn stop_token(&mut self) -> StopToken {
                self.token.clone()
            }
            fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
                *self.hinted.lock().unwrap() = hint.collect();
            }
        }

        impl<'a> AsUpdateStream<'a> for FakeListener {
            type StreamErr = Infallible;
            type Stream = FakeStream;
            fn as_stream(&'a mut self) -> FakeStream {
                let flag = self.flag.take().expect("one stream");
                FakeStream { updates: std::mem::take(&mut self.updates).into_iter(), flag }
            }
        }

        impl futures_core::Stream for FakeStream {
            type Item = Result<Update, Infallible>;
            fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                if let Some(upd) = self.updates.next() {
                    return Poll::Ready(Some(Ok(upd)));
                }
                Pin::new(&mut self.flag).poll(cx).map(|()| None)
            }
        }

        /// From text, as teloxide reads updates (`from_value` yields `UpdateKind::Error`).
        fn update(json: serde_json::Value) -> Update {
            serde_json::from_str(&json.to_string()).expect("valid update")
        }

        fn message(update_id: i32, chat: i64, text: &str) -> Update {
            update(serde_json::json!({
                "update_id": update_id,
                "message": {
                    "message_id": update_id, "date": 0, "text": text,
                    "chat": { "id": chat, "type": "private", "first_name": "A" },
                    "from": { "id": chat, "is_bot": false, "first_name": "A" },
                },
            }))
        }

        type Log = Arc<Mutex<Vec<(Option<i64>, i32)>>>;

        /// Records each update; "fail" returns an error, which is logged and changes nothing.
        fn handler(log: Log) -> impl Fn(Box<Update>) -> std::future::Ready<HandlerResult> + Send + Sync {
            move |upd| {
                log.lock().unwrap().push((upd.chat().map(|c| c.id.0), upd.id.0 as i32));
                let failed = matches!(&upd.kind, UpdateKind::Message(m) if m.text() == Some("fail"));
                std::future::ready(if failed { Err("refused".into()) } else { Ok(()) })
            }
        }

        #[tokio::test]
        async fn serve_feeds_the_handler_per_chat_hints_our_kinds_and_stops() {
            let (token, flag) = mk_stop_token();
            let hinted = Arc::new(Mutex::new(Vec::new()));
            let inline_query = update(serde_json::json!({
                "update_id": 5,
                "inline_query": {
                    "id": "q", "query": "", "offset": "",
                    "from": { "id": 9, "is_bot": false, "first_name": "B" },
                },
            }));
            let unknown = update(serde_json::json!({ "update_id": 6, "from_the_future": {} }));
            let updates = vec![
                message(1, 10, "a"),
                message(2, 20, "fail"),
                message(3, 10, "b"),
                message(4, 20, "c"),
                inline_query,
                unknown,
                message(7, 10, "d"),
            ];
            let listener = FakeListener { updates, hinted: hinted.clone(), token, flag: Some(flag) };
            let log: Log = Arc::default();
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let shutdown = async {
                let _ = rx.await;
            };
            let served = tokio::spawn(serve(listener, handler(log.clone()), shutdown));
            let all_in = super::eventually(Duration::from_secs(2), || log.lock().unwrap().len() == 6).await;
            assert!(all_in, "{:?}", log.lock().unwrap());
            tx.send(()).unwrap();
            tokio::time::timeout(Duration::from_secs(2), served).await.expect("stops").unwrap();

            let log = log.lock().unwrap();
            let of = |chat: Option<i64>| log.iter().filter(|e| e.0 == chat).map(|e| e.1).collect::<Vec<_>>();
            assert_eq!(of(Some(10)), [1, 3, 7]);
            assert_eq!(of(Some(20)), [2, 4], "a handler error does not stop the chat");
            assert_eq!(of(None), [5]);
            assert!(!log.iter().any(|e| e.1 == 6), "an update teloxide cannot parse is skipped");
            assert_eq!(*hinted.lock().unwrap(), ALLOWED_UPDATES);
        }

        /// The kinds asked for are the kinds the router reads: anything else is never fetched.
        #[test]
        fn telegram_is_asked_only_for_what_the_bot_handles() {
            let names: Vec<String> =
                ALLOWED_UPDATES.iter().map(|k| serde_json::to_value(k).unwrap().as_str().unwrap().to_owned()).collect();
            assert_eq!(names, ["message", "callback_query", "my_chat_member"]);
        }
    }
}
