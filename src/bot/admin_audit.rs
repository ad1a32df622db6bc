//! Audit entries for the admin commands whose store functions take no admin id (`/setrole`,
//! `/ban`, `/unban`, `/maintenance`, `/broadcast_cancel`): the state is read before and after the
//! command, and a change is written to the audit log as the panel writes it. Money, prices, refunds, broadcasts and
//! top-up decisions are audited inside their store functions instead.
use super::commands::Command;
use crate::shop::Ctx;
use crate::store::audit::AuditEntry;

/// What a command may change, read before it runs: (action, target, state).
pub struct Snapshot(Option<(&'static str, String, Option<String>)>);

async fn read(ctx: &Ctx, cmd: Command, args: &[&str]) -> Option<(&'static str, String, Option<String>)> {
    let user = || args.first().and_then(|s| s.trim_start_matches('#').parse::<i64>().ok()).filter(|id| *id > 0);
    match cmd {
        Command::SetRole => {
            let id = user()?;
            let u = ctx.store.user(id).await.ok()??;
            Some((crate::store::panel::AUDIT_SET_ROLE, format!("user:{id}"), Some(u.role.as_str().to_owned())))
        }
        Command::Ban | Command::Unban => {
            let id = user()?;
            let u = ctx.store.user(id).await.ok()??;
            let action = if cmd == Command::Ban { "ban" } else { "unban" };
            Some((action, format!("user:{id}"), Some(if u.banned { "banned" } else { "not banned" }.to_owned())))
        }
        Command::BroadcastCancel => {
            let ids: Vec<String> =
                ctx.store.running_broadcasts().await.ok()?.iter().map(|j| j.id.to_string()).collect();
            Some((crate::store::panel::AUDIT_BROADCAST_CANCEL, "broadcasts".to_owned(), Some(ids.join(","))))
        }
        Command::Maintenance => {
            Some(("maintenance", "shop".to_owned(), Some(if ctx.in_maintenance() { "on" } else { "off" }.to_owned())))
        }
        _ => None,
    }
}

pub async fn before(ctx: &Ctx, cmd: Command, args: &[&str]) -> Snapshot {
    Snapshot(read(ctx, cmd, args).await)
}

/// Writes the entry when the command changed what it names.
pub async fn after(ctx: &Ctx, admin_id: i64, cmd: Command, args: &[&str], before: Snapshot) {
    let (Some((action, target, old)), Some((_, _, new))) = (before.0, read(ctx, cmd, args).await) else { return };
    if old == new {
        return;
    }
    let entry = AuditEntry { admin_id, action: action.into(), target: Some(target), before: old, after: new };
    if let Err(e) = ctx.store.record_audit(&entry).await {
        tracing::error!(error = %e, action, "audit entry not written");
    }
}
