//! Long-lived tasks started once at start-up. Each resumes from the database after a restart and
//! stops at the end of its current step when shutdown is signalled.
pub mod books;
pub mod broadcaster;
pub mod health;
pub mod notifier;
pub mod reminders;
pub mod topups;
pub mod tracker;

/// Resolves when shutdown has been signalled (or its sender is gone).
pub async fn stopped(rx: &mut tokio::sync::watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}
