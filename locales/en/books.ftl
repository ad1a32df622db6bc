## The books check, below-cost card values, unreadable card codes (issue 13).
alert-ledger-mismatch = ❗ Books check: { $count ->
        [one] { $count } balance does not match
       *[other] { $count } balances do not match
    } the ledger and reserved orders. Users: { $users }.
alert-card-code-unreadable = ❗ Order #{ $id } (<code>{ $order_ref }</code>): the card code cannot be decrypted (damaged record or another card key). The customer was told to contact support. User { $user }.
alert-below-cost = ⚠️ { $kind } { $value } DA is priced { $price } but OneClickDZ now charges { $cost }: it is hidden from customers until the price is raised (/setprice) or the cost drops.
stats-ledger-ok = 📒 Books checked { $when }: every balance matches the ledger.
stats-ledger-mismatch = 📒 Books checked { $when }: <b>{ $count ->
        [one] { $count } balance does not match
       *[other] { $count } balances do not match
    }</b> (users { $users }).
stats-ledger-failed = 📒 Books check of { $when } could not run (database error).
stats-ledger-never = 📒 Books not checked yet.
amount-unavailable = unavailable
