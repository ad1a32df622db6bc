## Wallet top-ups: online payment links and transfer receipts. HTML parse mode; variables are
## escaped by the bot. $amount, $balance, $min, $max are grouped numbers (1 000), without the currency.

## Customer: choosing how and how much
topup-btn = ➕ Top up
topup-btn-online = 💳 Pay online (CIB / Edahabia)
topup-btn-transfer = 🧾 Transfer or cash (send a receipt)
topup-btn-amount = { $amount } DA
topup-choose-method = How would you like to top up your balance?
topup-unavailable = 😕 Topping up is not available right now. Please try again later or contact the shop.
topup-online-unavailable = 😕 Online payment is not available right now. You can still top up by transfer or cash.
topup-choose-amount = How much do you want to add to your balance? Tap an amount or type it (from { $min } DA to { $max } DA).
topup-amount-not-number = ⚠️ Please type the amount in dinars, digits only, e.g. 2000.
topup-amount-too-small = ⚠️ The minimum is { $min } DA. Please choose a larger amount.
topup-amount-too-large = ⚠️ The maximum is { $max } DA. Please choose a smaller amount.
topup-cancelled = Top-up cancelled. Nothing was charged.

## Customer: online payment
topup-link-preparing = ⏳ Preparing your payment link…
topup-link = 💳 <b>Top up { $amount } DA</b>
    Tap the button below to pay by CIB or Edahabia card. The link is valid for { $minutes } min.
    Your balance is credited here as soon as the payment is confirmed.
topup-link-still-open = ℹ️ You already have a payment link open for { $amount } DA ({ $minutes } min left). Use it, or wait until it expires to make another.
topup-btn-pay = Pay { $amount } DA
topup-link-failed = ❌ The payment link could not be made. Nothing was charged. Please try again in a few minutes.
topup-online-paid = ✅ <b>Paid:</b> { $amount } DA added to your balance.
    New balance: <b>{ $balance } DA</b>
topup-online-not-completed = ❌ The payment of { $amount } DA was not completed: nothing was charged. You can start again with /topup.
topup-online-expired = ⌛ We could not confirm your payment of { $amount } DA. Nothing was added to your balance. If money left your account, contact the shop with the reference <code>{ $ref }</code>.

## Customer: transfer or cash with a receipt
topup-transfer-instructions = 🧾 <b>Top up by transfer or cash</b>
    { $instructions }
topup-transfer-amount = How much did you pay? Tap an amount or type it (from { $min } DA to { $max } DA).
topup-send-receipt = 📸 Now send a photo of the receipt (or a PDF). /cancel to stop.
topup-receipt-expected = ⚠️ Please send the receipt as a photo or a PDF document. /cancel to stop.
topup-receipt-waiting = ⏳ Thank you! Your receipt for { $amount } DA is waiting for review. You will be told here as soon as it is checked.
topup-too-many-waiting = ⚠️ You already have { $count } receipts waiting for review. Please wait until they are checked.
topup-receipt-approved = ✅ <b>Receipt approved:</b> { $amount } DA added to your balance.
    New balance: <b>{ $balance } DA</b>
topup-receipt-approved-other = ✅ <b>Receipt approved:</b> { $amount } DA received (you declared { $asked } DA) and added to your balance.
    New balance: <b>{ $balance } DA</b>
topup-receipt-rejected = ❌ <b>Receipt refused</b> ({ $amount } DA): { $reason }
    Nothing was added to your balance.

## Customer: /balance
topup-your-id = Your customer id: <code>{ $id }</code> (tap to copy)
topup-source-online = online payment
topup-source-transfer = transfer
topup-source-shop = shop credit
topup-source-order = order
topup-source-refund = refund

## Admins
topup-admin-request = 🧾 <b>Top-up request #{ $id }</b>
    Customer: { $name } (<code>{ $user_id }</code>)
    Current balance: { $balance } DA
    Amount declared: <b>{ $amount } DA</b>
topup-btn-approve = ✅ Approve
topup-btn-reject = ❌ Reject
topup-btn-other-amount = ✏️ Other amount
topup-admin-type-amount = Type the amount actually received for request #{ $id } (declared: { $amount } DA).
topup-admin-type-reason = Type the reason for refusing request #{ $id }. The customer will see it.
topup-admin-approved = ✅ Approved by { $admin } on { $date }: { $amount } DA credited.
topup-admin-rejected = ❌ Refused by { $admin } on { $date }: { $reason }
topup-admin-not-allowed = Only the shop's admins can decide on top-up requests.
topup-admin-asked-privately = I asked you in our private chat: answer there.
topup-admin-already = ℹ️ Already decided by { $admin } on { $date }.
topup-admin-list-empty = No top-up request is waiting.
topup-admin-list-title = <b>Top-up requests waiting</b> ({ $count }), oldest first:
topup-admin-list-line = #{ $id } · { $name } (<code>{ $user_id }</code>) · { $amount } DA · { $date }
topup-admin-online-paid = 💳 Online payment confirmed: { $amount } DA from { $name } (<code>{ $user_id }</code>), ref <code>{ $ref }</code>.
topup-admin-amount-mismatch = ⚠️ OCPay reports { $reported } DA paid for ref <code>{ $ref }</code>; { $amount } DA was asked and credited. Please check.
topup-admin-online-expired = ⌛ Online payment still not confirmed after 24 h: { $amount } DA, { $name } (<code>{ $user_id }</code>), ref <code>{ $ref }</code>. Closed with no credit; check on OneClickDZ if the customer says they paid.
topup-admin-ocpay-forbidden = ⚠️ OCPay refused to make a payment link (merchant not validated yet, or the API key has no rights on OCPay). Online payment is hidden from customers for { $minutes } min.

## Command menu
cmd-topup = Top up my balance
cmd-topups = Top-up requests waiting
