//! Start-up and shutdown only; everything else lives in the library.
use clap::Parser;
use netcard_bot::cli::{self, Cli, Command};
use netcard_bot::config::{Config, DEFAULT_LOG_FILTER, LogFormat};
use netcard_bot::instance_lock::{InstanceLock, LockError};
use netcard_bot::{app, store::Store};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // Before anything else: `--help` and `--version` need no configuration.
    let cli = Cli::parse();
    // On a single core the work-stealing scheduler is pure overhead: every wake-up crosses
    // threads for nothing. Measured with `cargo bench --bench load` (see BENCHMARKS.md).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = if cores == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()
    };
    let rt = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = match cli.command.unwrap_or(Command::Run) {
        Command::Run => rt.block_on(run()),
        Command::Check => {
            logs(LogFormat::Text, "warn");
            rt.block_on(cli::check(Config::from_env()))
        }
        Command::Backup { file } => {
            logs(LogFormat::Text, "warn");
            rt.block_on(cli::backup(Config::from_env(), &file))
        }
        Command::Health => {
            let _ = dotenvy::dotenv();
            rt.block_on(cli::health(std::env::var("HTTP_LISTEN").ok()))
        }
    };
    ExitCode::from(code)
}

/// `RUST_LOG` when set, else `default`; human-readable or JSON lines.
fn logs(format: LogFormat, default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // teloxide logs through `log`; `init` bridges it into tracing.
    match format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .with_env_filter(filter)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt().json().with_env_filter(filter).init(),
    }
}

async fn run() -> u8 {
    let cfg = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return 2;
        }
    };
    logs(cfg.log_format, DEFAULT_LOG_FILTER);
    // First, before the database is touched: a second bot on it would fight over updates and orders.
    let _lock = match Store::database_path(&cfg.database_url).filter(|p| p.as_os_str() != ":memory:") {
        None => None,
        Some(db) => match InstanceLock::acquire(&db) {
            Ok(lock) => Some(lock),
            Err(e @ LockError::Held) => {
                eprintln!("{e}");
                return 2;
            }
            Err(e) => {
                eprintln!("cannot start: {e}");
                return 1;
            }
        },
    };
    // Handlers are installed now, before start-up, so an early SIGTERM is never the default kill.
    let shutdown = match shutdown_signal() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot install signal handlers: {e}");
            return 1;
        }
    };
    match app::run(cfg, shutdown).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("cannot start: {e}");
            e.exit_code()
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
