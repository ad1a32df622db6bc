//! One bot per database, with real processes: a second `netcard-bot` on the same database exits 2
//! with one line; after `kill -9` of the first, a new one starts. No network: Telegram and
//! OneClickDZ point at a closed port, so a bot that got past the lock keeps retrying `getMe`
//! (and says so in its log) until it is killed.
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn bot(dir: &Path) -> Command {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netcard-bot"));
    // In the temp dir: no `.env` of the developer's is read.
    cmd.current_dir(dir)
        .env_clear()
        .env("TELOXIDE_TOKEN", "1:lock-test")
        .env("ONECLICK_API_KEY", "k")
        .env("TELOXIDE_API_URL", format!("http://{closed}/"))
        .env("ONECLICK_BASE_URL", format!("http://{closed}"))
        .env("DATABASE_URL", format!("sqlite://{}", dir.join("shop.db").display()))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Waits until the bot logs that it is trying Telegram: it holds the lock by then.
fn wait_past_the_lock(child: &mut Child) {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if line.contains("Telegram not reachable yet") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30)).expect("the bot started and tried Telegram");
}

#[test]
fn a_second_instance_exits_2_and_a_killed_one_does_not_block() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = bot(dir.path()).spawn().unwrap();
    wait_past_the_lock(&mut first);

    let second = bot(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim(), "another netcard-bot is running on this database");

    first.kill().unwrap(); // SIGKILL: no clean-up runs.
    first.wait().unwrap();
    let mut third = bot(dir.path()).spawn().unwrap();
    wait_past_the_lock(&mut third);
    third.kill().unwrap();
    third.wait().unwrap();
}
