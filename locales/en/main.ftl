## netcard-bot — English. HTML parse mode: only <b>, <i>, <code> are used; variables are escaped by the bot.

amount = { $amount } DA
language-name = English
yes = yes
no = no

## Menus and buttons
menu-greeting = 👋 Welcome, { $name }!
    I sell <b>Idoom ADSL</b> and <b>Idoom 4G LTE</b> recharge cards. Pay from your balance and get the code right here in seconds.
    What would you like to do?
menu-text = What would you like to do?
btn-new-order = 🛒 New order
btn-balance = 💰 Balance
btn-orders = 📦 My orders
btn-language = 🌐 Language
btn-help = ❓ Help
btn-main-menu = ⬅️ Main menu
btn-back = ⬅️ Back
btn-cancel = ✖️ Cancel
btn-confirm = ✅ Confirm
btn-type-adsl = 🌐 Idoom ADSL
btn-type-4g = 📶 Idoom 4G LTE
btn-copy-code = 📋 Copy code
btn-prev = ◀️ Previous
btn-next = Next ▶️
btn-value = { $value } DA card · { $price }

type-adsl = Idoom ADSL
type-4g = Idoom 4G LTE

help-text = <b>How it works</b>
    1. Tap <b>New order</b> (or send /order) and choose ADSL or 4G.
    2. Send the number of the line to recharge: the fixed-line number for ADSL, the number of the Idoom 4G LTE line (not your personal mobile) for 4G.
    3. Pick a card value, check the number and confirm: the price is taken from your balance.
    4. The card code arrives here, usually within a minute. Find it again any time in /orders.
    If a card cannot be delivered, the price goes back to your balance automatically.

    /order new order
    /balance your balance and how to top it up
    /orders my orders
    /language language
    /cancel stop the current step
help-admin = <b>Admin</b>: /credit /debit /setrole /user /setprice /broadcast /broadcast_cancel /stats /ban /unban /maintenance /lookup
topup-how = To top up your balance, contact { $contact }.
topup-how-admin = To top up your balance, contact the shop's administrator.

## Order wizard
order-choose-type = Which card do you need?
order-recent-numbers = Or tap one you used before:
phone-error-digits = ⚠️ A phone number contains digits only. Please send the { $kind } number again, e.g. <code>{ $example }</code>.
phone-error-adsl-length = ⚠️ An ADSL number has 9 digits and starts with 0 (area code included), e.g. <code>{ $example }</code>. Please try again.
phone-error-adsl-prefix = ⚠️ An ADSL number starts with 0, e.g. <code>{ $example }</code>. Please try again.
phone-error-4g-length = ⚠️ A 4G number has 10 digits (<code>0661…</code>) or 12 with 213 (<code>213661…</code>), e.g. <code>{ $example }</code>. Please try again.
phone-error-4g-prefix = ⚠️ That does not look like a 4G number. Send it like <code>{ $example }</code> or <code>+213 661 23 45 67</code>.
phone-send-text = Please type the number and send it as text, e.g. <code>{ $example }</code>.
phone-rejected = ❌ Algérie Télécom does not recognise <code>{ $number }</code> as an { $kind } line. Check the number and send it again.
service-unavailable = ⏳ The card service is not answering right now. Please try again in a few minutes.
order-no-values = 😕 No { $kind } card is available right now. Please try again later.
order-choose-value = { $kind } · <code>{ $number }</code>
    Choose the card value:
order-value-gone = ⚠️ The { $value } DA card is no longer available.
order-summary = <b>Check your order</b>
    Card: { $kind }, <b>{ $value } DA</b>
    Number: <code>{ $number }</code>
    Price: <b>{ $price }</b>
    Balance now: { $balance }
    Balance after: { $after }

    ⚠️ Check the number: a card sent to the wrong number cannot be taken back.
order-summary-short = ⚠️ Your balance is short by <b>{ $missing }</b>. Top it up before confirming.
order-price-changed = ⚠️ The price has just changed. Please check it again.
order-insufficient = ❌ <b>Not enough balance.</b> No order was placed.
    Balance: { $balance }
    Price: { $price }
    Missing: <b>{ $missing }</b>
order-cancelled = Cancelled. Nothing was ordered.
use-buttons = Please use the buttons above, or /cancel to stop.

## Order status
order-processing = ⏳ <b>Order #{ $id }</b> is being processed…
    { $kind } { $value } DA for <code>{ $number }</code>
    Your card code will appear here in a moment.
order-queued = 🕒 <b>Order #{ $id }</b> is queued at Algérie Télécom.
    { $kind } { $value } DA for <code>{ $number }</code>
    This is not a failure: queued cards usually arrive within 12 to 48 hours. The code will appear here: no need to order again. The amount stays reserved, and comes back to your balance automatically if the card cannot be delivered.
order-receipt = ✅ <b>Order #{ $id }: delivered</b>
    { $kind } card, <b>{ $value } DA</b>
    Number: <code>{ $number }</code>
    Code: <code>{ $code }</code>
    Transaction: <code>{ $trans }</code>
    Processed: { $date }
    Paid: { $price } · ordered { $placed }

    { $howto }
order-code-unavailable = (not provided; contact the shop's administrator)
howto-adsl = 💡 To recharge the line, enter this code in the Idoom customer area or app for the fixed line above.
howto-4g = 💡 To recharge the line, enter this code in the Idoom customer area or app for the Idoom 4G LTE line above.
order-refunded = ↩️ <b>Order #{ $id }: not delivered, refunded</b>
    { $kind } { $value } DA for <code>{ $number }</code>
    { $reason }
    Your balance was credited back with { $price }. Balance: <b>{ $balance }</b>
    You can order again with /order.
fail-invalid-number = The operator refused this number.
fail-out-of-stock = This card value ran out of stock.
fail-unavailable = The card service is temporarily unavailable.
fail-not-sent = The order could not be submitted.
fail-refunded = The operator could not deliver this card.
order-delivered-below = ✅ Order #{ $id } was delivered: see the receipt below.

## History
orders-empty = You have no orders yet.
orders-title = 📦 <b>Your orders</b> (page { $page } of { $pages }, { $total } in all). Tap one to see it again.
orders-line = #{ $id } · { $kind } { $value } DA · { $status } · { $date }
order-not-found = This order does not exist.
status-processing = processing
status-queued = queued
status-fulfilled = delivered
status-refunded = refunded
status-failed = failed

## Wallet
balance-view = 💰 <b>Your balance</b>
    Available: <b>{ $balance }</b>
    Reserved by orders in progress: { $held }
    Account: { $role }
balance-no-history = No movements yet.
balance-history = <b>Last movements</b>
ledger-credit = +{ $amount } balance top-up · { $date }
ledger-debit = −{ $amount } balance correction · { $date }
ledger-hold = −{ $amount } reserved for order #{ $order } · { $date }
ledger-capture = { $amount } paid for order #{ $order } · { $date }
ledger-release = +{ $amount } refund of order #{ $order } · { $date }
balance-admin = <b>Shop</b>
    OneClickDZ balance: <b>{ $upstream }</b> ({ $env })
    Owed to customers (balances): { $owed }
balance-admin-warning = ⚠️ OneClickDZ balance is { $missing } below what customer balances hold.
balance-admin-unavailable = <b>Shop</b>
    OneClickDZ balance: unavailable right now
    Owed to customers (balances): { $owed }
role-customer = customer
role-reseller = reseller
role-admin = admin
credit-received = 💰 Your balance was topped up with <b>{ $amount }</b>. Balance: <b>{ $balance }</b>

## Language
language-choose = Choose your language:
language-set = ✅ Language set to English.

## Access
maintenance = 🛠 The shop is under maintenance. We will be back soon; your balance is safe and orders already placed will be delivered.
banned = ⛔ Your access to this shop has been suspended by its administrator.
unknown-command = I don't know this command. Send /help to see what I can do.
not-understood = I didn't understand. Choose an option:
stale-button = This button is no longer active.

## Admin
usage-credit = Usage: <code>/credit &lt;user_id&gt; &lt;amount&gt; [note]</code>
usage-debit = Usage: <code>/debit &lt;user_id&gt; &lt;amount&gt; [note]</code>
usage-setrole = Usage: <code>/setrole &lt;user_id&gt; &lt;customer|reseller&gt;</code>
usage-user = Usage: <code>/user &lt;user_id&gt;</code>
usage-setprice = Usage: <code>/setprice &lt;ADSL|4G&gt; &lt;value&gt; &lt;price&gt; [reseller]</code>
usage-ban = Usage: <code>/ban &lt;user_id&gt;</code>
usage-unban = Usage: <code>/unban &lt;user_id&gt;</code>
usage-maintenance = Usage: <code>/maintenance &lt;on|off&gt;</code> (now { $state })
maintenance-set = Maintenance is now { $state }.
state-on = ON
state-off = OFF
admin-user-unknown = No user with id { $id } has used the bot.
admin-role-config = This user is an admin from ADMIN_IDS; change it in the configuration.
admin-role-set = User { $id } is now a { $role }.
admin-credited = ✅ Credited { $amount } to { $user } ({ $id }). New balance: <b>{ $balance }</b>
admin-debited = ✅ Debited { $amount } from { $user } ({ $id }). New balance: <b>{ $balance }</b>
admin-debit-short = ❌ Refused: the balance only has { $available } available.
admin-user-profile = 👤 <b>{ $name }</b> ({ $username }) · id <code>{ $id }</code>
    Role: { $role } · language: { $language }
    Balance: <b>{ $balance }</b> · reserved: { $held }
    Banned: { $banned } · unreachable: { $unreachable }
    Since { $since } · last seen { $seen }
    Last orders:
admin-price-unknown-value = OneClickDZ has no { $kind } card of { $value } DA.
admin-price-below-cost = ❌ Refused: { $price } is below the OneClickDZ cost of { $cost }.
admin-price-set = ✅ { $kind } { $value } DA now sells at { $price } to { $tier }s (margin { $margin }).
admin-banned = ⛔ User { $id } is banned.
admin-unbanned = ✅ User { $id } is no longer banned.

broadcast-compose = Send the message to broadcast (text, photo, document…). /cancel to stop.
broadcast-preview = ☝️ Preview. It will be sent to <b>{ $count }</b> { $count ->
        [one] user
       *[other] users
    }.
broadcast-started = 📣 Broadcast started to { $count } { $count ->
        [one] user
       *[other] users
    }.
broadcast-aborted = Broadcast cancelled; nothing was sent.
broadcast-none-running = No broadcast is running.
broadcast-cancelled = ⏹ Broadcast stopped.
broadcast-progress = 📣 Sending… { $sent } sent, { $failed } failed, { $blocked } blocked, { $left } left (about { $eta } s).
broadcast-summary = 📣 Broadcast finished: { $sent } sent, { $failed } failed, { $blocked } blocked, of { $total }.
broadcast-summary-cancelled = ⏹ Broadcast stopped: { $sent } sent, { $failed } failed, { $blocked } blocked, { $left } not sent.
usage-broadcast = Usage: <code>/broadcast [all|en|fr|ar|resellers]</code>
broadcast-compose-audience = Audience: <b>{ $audience }</b>. For another one: /broadcast all · /broadcast en, fr or ar · /broadcast resellers
broadcast-preview-audience = Audience: { $audience }
broadcast-audience-all = everyone
broadcast-audience-lang = users who use { $language }
broadcast-audience-resellers = resellers
broadcast-nobody = Nobody to send to ({ $audience }); nothing was sent.
broadcast-cannot-copy = ❌ Telegram cannot copy this kind of message. Send another one, or /cancel.

stats-users = 👥 Users: { $total } · active 7 days: { $active } · unreachable: { $unreachable } · banned: { $banned }
stats-orders-header = <b>Orders</b> (today / 7 days / all)
stats-orders-line = { $status }: { $today } / { $week } / { $all }
stats-period-today = Today
stats-period-week = 7 days
stats-period-all = All time
stats-revenue = { $period }: revenue { $revenue }, margin { $margin }
stats-wallets = 💰 Wallets: { $balance } available, { $held } reserved

alert-low-balance = ⚠️ OneClickDZ balance ({ $balance }) cannot cover some { $kind } cards (up to { $needed }). Those values are hidden until it is topped up.
alert-balance-recovered = ✅ OneClickDZ balance is back ({ $balance }); all card values are offered again.
alert-order-refunded = ↩️ Order #{ $id } (<code>{ $order_ref }</code>) was REFUNDED: { $kind } { $value } DA for <code>{ $number }</code>, user { $user }.
alert-order-queued = 🕒 Order #{ $id } (<code>{ $order_ref }</code>) is QUEUED: { $kind } { $value } DA for <code>{ $number }</code>, user { $user }.
alert-order-unreconciled = ❗ Order #{ $id } (<code>{ $order_ref }</code>) cannot be checked with OneClickDZ; its money stays reserved. User { $user }.
alert-order-no-code = ❗ Order #{ $id } (<code>{ $order_ref }</code>) is FULFILLED but OneClickDZ sent no card code. User { $user }.
alert-send-refused = ❗ OneClickDZ refused order #{ $id } (<code>{ $order_ref }</code>): { $error }. The customer was refunded.
alert-maintenance-auto-on = 🛠 OneClickDZ failed { $count } health checks in a row: maintenance switched ON automatically.
alert-maintenance-auto-off = ✅ OneClickDZ answers again: maintenance switched OFF automatically.

## Command menu
cmd-order = New order
cmd-balance = My balance and how to top it up
cmd-orders = My orders
cmd-language = Change language
cmd-help = Help
cmd-cancel = Cancel the current step
cmd-start = Main menu
cmd-credit = Top up a customer balance
cmd-debit = Take from a customer balance
cmd-setrole = Make a user reseller or customer
cmd-user = Show a user
cmd-setprice = Set a card price
cmd-broadcast = Message every user
cmd-broadcast_cancel = Stop the running broadcast
cmd-stats = Statistics
cmd-ban = Ban a user
cmd-unban = Unban a user
cmd-maintenance = Maintenance on or off
