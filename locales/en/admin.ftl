# /credit and /debit previews, and /lookup (admins only).
admin-move-preview-credit =
    💰 Credit { $amount } to { $user } (<code>{ $id }</code>)?
    Balance now: { $balance }
    Balance after: <b>{ $new }</b>
admin-move-preview-debit =
    ➖ Debit { $amount } from { $user } (<code>{ $id }</code>)?
    Balance now: { $balance }
    Balance after: <b>{ $new }</b>
admin-move-note = Note: { $note }
admin-move-cancelled = ✖️ Cancelled: no money moved.
admin-move-already = This credit or debit was already confirmed or cancelled: nothing moved this time.

cmd-lookup = Find orders (id, ref, number, user)
lookup-usage = Usage: <code>/lookup &lt;order id | ref | phone number | user id&gt;</code>
lookup-none = No order matches <code>{ $query }</code>.
lookup-order =
    🔎 <b>Order #{ $id }</b> ({ $index } of { $total })
    Ref: <code>{ $order_ref }</code>
    { $kind } { $value } for <code>{ $number }</code> · { $price }
    Status: <b>{ $status }</b> ({ $label })
    Reserved price: { $hold }
    Customer: { $name } (<code>{ $user }</code>)
    Placed: { $created }
    Sent to OneClickDZ: { $sent }
    OneClickDZ id: <code>{ $upstream_id }</code>
    OneClickDZ status: { $upstream_status }
    Transaction number: <code>{ $num_trans }</code>
    Processed: { $processed }
    Finished: { $finished }
    Next check: { $next }
lookup-hold-held = reserved
lookup-hold-captured = paid for the card
lookup-hold-released = refunded to the balance
lookup-status-history = <b>Status history</b>
lookup-status-line = { $date } · { $status } ({ $label })
lookup-history = <b>Balance movements</b>
lookup-by-admin = {" "}· admin { $admin }
lookup-recheck-started = 🔄 Order #{ $id }: checking with OneClickDZ now.
lookup-recheck-final = Order #{ $id } is final and its customer told: nothing left to check.
lookup-refund-ask =
    ⚠️ Refund order #{ $id }: { $price } back to the balance of { $name } (<code>{ $user }</code>)?
    Only if OneClickDZ confirms it will not be delivered. If the card is delivered after all, the shop pays for it and the customer keeps the refund.
lookup-refund-done = ↩️ Order #{ $id } refunded: { $price } back to { $name } (<code>{ $user }</code>). Balance: <b>{ $balance }</b>. The customer is told.
lookup-refund-final = Nothing refunded: order #{ $id } is already { $status }.
lookup-refund-kept = Nothing refunded: order #{ $id } stays as it is.
btn-recheck = 🔄 Recheck now
btn-refund = ↩️ Refund
btn-refund-confirm = ↩️ Yes, refund
btn-refund-keep = ✖️ Keep the order
