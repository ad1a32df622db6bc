//! Start-up, configuration errors, shutdown, restarts and what reaches logs and disk.
use crate::support::flow::{place, wait_last, wait_msg};
use crate::support::{ADMIN, Script, TestApp, WAIT, spawn_bot};
use std::collections::BTreeMap;
use std::time::Duration;

#[tokio::test]
async fn starts_registers_menus_and_answers_start() {
    let mut app = TestApp::start().await;
    let sets = app.tg.my_commands();
    for lang in ["ar", "fr", "en"] {
        assert!(sets.iter().any(|s| s.language_code.as_deref() == Some(lang)), "menu for {lang}: {sets:?}");
    }
    let admin_menu = sets
        .iter()
        .find(|s| s.scope.as_ref().is_some_and(|sc| sc.to_string().contains(&ADMIN.to_string())))
        .expect("admin menu");
    assert!(admin_menu.commands.iter().any(|c| c.0 == "credit"));
    let default = sets.iter().find(|s| s.scope.is_none() && s.language_code.is_none()).expect("default menu");
    assert!(default.commands.iter().all(|c| c.0 != "credit"), "customers never see admin commands");
    let u = app.user(2001, "en");
    app.tg.send_text(&u, "/start");
    let m = wait_last(&app.tg, u.id, |m| m.plain.contains("Welcome")).await;
    for b in ["New order", "Balance", "My orders", "Language", "Help"] {
        assert!(m.has_button(b), "{b} in {:?}", m.buttons());
    }
    let took = app.stop().await;
    assert!(took < Duration::from_secs(5), "graceful stop took {took:?}");
}

#[tokio::test]
async fn throttled_production_mode_also_serves() {
    let app = TestApp::start_with(&[("TELEGRAM_THROTTLE", "on")]).await;
    let u = app.customer_with(2002, "en", 2000).await;
    let id = place(&app.tg, &u, "ADSL", "036362608", 1000).await;
    wait_msg(&app.tg, u.id, id, |m| m.plain.contains("delivered")).await;
}

async fn exit_with(vars: BTreeMap<String, String>) -> (i32, String) {
    let mut p = spawn_bot(&vars);
    let status = p.wait().await;
    // The status leads the output, so a failed check shows a signal too.
    (status.code().unwrap_or(-1), format!("{status}\n{}", p.logs()))
}

#[tokio::test]
async fn missing_or_invalid_settings_stop_with_one_clear_line() {
    let app = TestApp::prepare(&[]).await;
    let mut no_token = app.vars.clone();
    no_token.remove("TELOXIDE_TOKEN");
    let (code, out) = exit_with(no_token).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("TELOXIDE_TOKEN") && out.contains("BotFather"), "{out}");
    assert!(!out.contains("panicked") && !out.contains("backtrace"), "{out}");

    let mut no_key = app.vars.clone();
    no_key.remove("ONECLICK_API_KEY");
    let (code, out) = exit_with(no_key).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("ONECLICK_API_KEY"), "{out}");

    let mut bad_poll = app.vars.clone();
    bad_poll.insert("ORDER_POLL_SECS".into(), "soon".into());
    let (code, out) = exit_with(bad_poll).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("ORDER_POLL_SECS"), "{out}");

    let mut wrong_key = app.vars.clone();
    wrong_key.insert("ONECLICK_API_KEY".into(), "not-the-key".into());
    let (code, out) = exit_with(wrong_key).await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("ONECLICK_API_KEY") && out.contains("refused the key"), "{out}");
    assert!(!out.contains("not-the-key"), "the key itself is never printed");
}

#[tokio::test]
async fn sigterm_stops_cleanly_with_exit_code_zero() {
    let app = TestApp::prepare(&[]).await;
    let mut p = spawn_bot(&app.vars);
    app.tg.wait_for(WAIT, |tg| (tg.call_count("getupdates") > 0).then_some(())).await;
    crate::support::flow::wait_logs(&p, "connected to Telegram").await;
    let t = std::time::Instant::now();
    let status = p.terminate().await;
    assert!(status.success(), "{status:?}\n{}", p.logs());
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
}

#[tokio::test]
async fn killed_while_handling_then_restarted_delivers_with_one_post() {
    let mut app = TestApp::prepare(&[("RUST_LOG", "debug")]).await;
    app.oc.script("036000009", Script::Manual);
    let mut p = spawn_bot(&app.vars);
    app.tg.wait_for(WAIT, |tg| (tg.call_count("getupdates") > 0).then_some(())).await;
    let admin = app.user(ADMIN, "en");
    let u = app.user(2003, "en");
    app.tg.send_text(&u, "/start");
    wait_last(&app.tg, u.id, |_| true).await;
    let done = crate::support::flow::money_confirmed(&app.tg, &admin, "/credit 2003 5000").await;
    assert!(done.contains("Credited"), "{done}");
    let id = place(&app.tg, &u, "ADSL", "036000009", 1000).await;
    let r = app.oc.wait_for(WAIT, |oc| oc.topup_refs().first().cloned()).await;
    // Polled at least once while HANDLING, then the process dies without any shutdown code.
    app.oc.wait_for(WAIT, |oc| (oc.check_count(&r) >= 1).then_some(())).await;
    p.kill();
    app.oc.set_status(&r, "FULFILLED");
    let code = app.oc.card_code_for(&r).unwrap();
    let mut p2 = spawn_bot(&app.vars);
    let receipt = wait_msg(&app.tg, u.id, id, |m| m.text.contains(&code)).await;
    assert!(receipt.plain.contains("delivered"));
    assert_eq!(app.oc.send_count(&r), 1, "never sent twice");
    let status = p2.terminate().await;
    assert!(status.success());
    // The code never reached the logs, nor the database files in plain text.
    let logs = p.logs() + &p2.logs();
    assert!(logs.contains(&r), "order log lines carry the ref");
    assert!(!logs.contains(&code), "card code leaked to logs");
    assert!(!logs.contains(app.tg.token()) && !logs.contains(app.oc.api_key()), "secret leaked to logs");
    for entry in std::fs::read_dir(app.dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(code.len()).any(|w| w == code.as_bytes()), "card code stored in plain text");
    }
    let _ = &mut app;
}

#[tokio::test]
async fn dialogue_state_survives_a_restart() {
    let mut app = TestApp::start().await;
    let u = app.customer_with(2004, "en", 3000).await;
    let summary = crate::support::flow::to_confirm(&app.tg, &u, "ADSL", "036362608", 1000).await;
    app.restart().await;
    app.tg.press_button(&u, summary.message_id, "Confirm");
    wait_msg(&app.tg, u.id, summary.message_id, |m| m.plain.contains("delivered")).await;
    assert_eq!(app.oc.total_sends(), 1);
}
