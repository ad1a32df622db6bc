# Why an amount typed by an admin (/credit, /debit, /setprice) was refused.
amount-not-a-number = ⚠️ The amount must be a whole number of dinars, e.g. <code>1500</code> or <code>1 500</code>.
amount-fraction = ⚠️ Amounts are whole dinars: no decimal part (write <code>1500</code>, not <code>1500.00</code>).
amount-grouping = ⚠️ The amount could not be read safely: group thousands by three (<code>1 500</code>, <code>1.500</code>) or write <code>1500</code>, and start the note with a word.
amount-not-positive = ⚠️ The amount must be greater than zero.
amount-too-large = ⚠️ The amount is too large for one operation.
