## Words of issue 17 (one word per concept, what happens next). New keys only; main.ftl keeps the existing ones.
## Vocabulary: "balance" is the customer's money in the shop, "top up" adds to it, "recharge" puts a card on a line.

## Something failed inside the bot while handling a tap or a message: nothing was charged.
error-generic = ⚠️ Something went wrong. Your balance was not charged. Please try again.

## The number prompt, one per line type: it names the line to recharge.
order-enter-number-adsl = Send the <b>landline phone number</b> of the Idoom ADSL line to recharge (area code included), as text.
    Example: <code>{ $example }</code>
order-enter-number-4g = Send the phone number of the <b>Idoom 4G LTE line</b> to recharge (the number of the 4G modem's SIM, not your personal mobile), as text.
    Example: <code>{ $example }</code>

## With SUPPORT_CONTACT set: who to contact, said each time.
order-code-unavailable-contact = (not provided; contact { $contact })
banned-contact = ⛔ Your access to this shop has been suspended by its administrator. To talk about it, contact { $contact }.

## First message to a user whose Telegram language is none of ours: the same words in the three languages.
language-choose-first = 🌐 Choose your language
    Choisissez votre langue
    اختر لغتك

## A reseller is told in their own chat when the account changes, with the prices that now apply.
reseller-granted = 🤝 Your account is now a <b>reseller</b> account. Your prices:
    { $prices }
reseller-revoked = Your account is now a customer account. Your prices:
    { $prices }
reseller-price-line = { $kind } { $value } DA card: <b>{ $price }</b>

## The order list: one button per order, at most 32 characters so a phone does not cut it (the order
## number is on the order itself).
orders-button = { $icon } { $kind } { $value } DA · { $date }
type-short-adsl = ADSL
type-short-4g = 4G
status-icon-processing = ⏳
status-icon-queued = 🕒
status-icon-fulfilled = ✅
status-icon-refunded = ↩️
status-icon-failed = ❌
