# Coming back (issue 17): Buy again and renewal reminders.
btn-buy-again = 🔁 Buy again
btn-stop-reminders = 🔕 Stop reminders
reminder-text = 🔔 <b>Time to recharge again?</b>
    Your { $kind } line <code>{ $number }</code> was last recharged with a { $value } DA card on { $date }.
    Tap <b>Buy again</b> to see the same card at today's price, then confirm.
reminders-turned-on = 🔔 Renewal reminders are on: a while after each card, you get one reminder to recharge that line again.
reminders-turned-off = 🔕 Renewal reminders are off. Send /reminders on to turn them back on.
reminders-status-on = 🔔 Renewal reminders are on. Send /reminders off to stop them.
reminders-status-off = 🔕 Renewal reminders are off. Send /reminders on to turn them back on.
buy-again-not-delivered = This order was not delivered, so it cannot be bought again. Start a new one with /order.
help-reminders = /reminders on | off renewal reminders
cmd-reminders = Renewal reminders on or off
