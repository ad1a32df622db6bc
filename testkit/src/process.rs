//! The bot as a child process, for tests that kill it or read its logs and exit code.
use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

pub struct BotProcess {
    child: Child,
    output: Arc<Mutex<Vec<u8>>>,
}

impl BotProcess {
    /// Starts `program` (the bot binary: `env!("CARGO_BIN_EXE_netcard-bot")` in the bot's tests)
    /// with exactly `vars` as its environment.
    pub fn spawn(program: &str, vars: &BTreeMap<String, String>) -> BotProcess {
        let mut child = Command::new(program)
            .env_clear()
            .envs(vars)
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("bot binary starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        for mut pipe in
            [Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>, Box::new(child.stderr.take().unwrap())]
        {
            let out = output.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                // Read to the end: a reader that gave up on a signal's EINTR would close the pipe,
                // and the bot's next line to it would fail.
                loop {
                    match pipe.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => out.lock().unwrap().extend_from_slice(&buf[..n]),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(_) => break,
                    }
                }
            });
        }
        BotProcess { child, output }
    }

    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// As `kill -9`: no shutdown code runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then the exit status once it has stopped.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        self.wait().await
    }

    /// Waits without blocking the runtime: the fakes answering the bot live on it.
    pub async fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(std::time::Instant::now() < deadline, "bot did not exit in time; logs:\n{}", self.logs());
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
