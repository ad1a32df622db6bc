## Words of issue 17 (one word per concept, what happens next). New keys only; main.ftl keeps the existing ones.
## رصيد is the customer's money in the shop, شحن الرصيد adds to it, تعبئة recharges a line. See main.ftl for the marks.

## Something failed inside the bot while handling a tap or a message: nothing was charged.
error-generic = ⚠️ حدث خطأ ما. لم يُخصم أي مبلغ من رصيدك. يرجى المحاولة من جديد.

## The number prompt, one per line type: it names the line to recharge.
order-enter-number-adsl = أرسل <b>رقم الهاتف الثابت</b> لخط Idoom ADSL الذي تريد تعبئته (مع رمز الولاية)، كنص.
    مثال: <code>{ $example }</code>
order-enter-number-4g = أرسل رقم <b>خط Idoom 4G LTE</b> الذي تريد تعبئته (رقم شريحة مودم 4G، وليس رقم هاتفك النقال الشخصي)، كنص.
    مثال: <code>{ $example }</code>

## With SUPPORT_CONTACT set: who to contact, said each time.
order-code-unavailable-contact = (غير متوفر؛ تواصل مع{"\u200E"} { $contact })
banned-contact = ⛔ منعك مسؤول المتجر من استعماله. للاستفسار، تواصل مع{"\u200E"} { $contact }.

## First message to a user whose Telegram language is none of ours: the same words in the three languages.
language-choose-first = 🌐 Choose your language
    Choisissez votre langue
    اختر لغتك

## A reseller is told in their own chat when the account changes, with the prices that now apply.
reseller-granted = 🤝 أصبح حسابك حساب <b>موزع</b>. أسعارك:
    { $prices }
reseller-revoked = أصبح حسابك حساب زبون. أسعارك:
    { $prices }
reseller-price-line = بطاقة { $kind }{"\u200F"} بقيمة { $value } د.ج: <b>{ $price }</b>

## The order list: one button per order, at most 32 characters so a phone does not cut it (the order
## number is on the order itself).
orders-button = { $icon } { $kind }{"\u200F"} { $value } د.ج · { $date }
type-short-adsl = ADSL
type-short-4g = 4G
status-icon-processing = ⏳
status-icon-queued = 🕒
status-icon-fulfilled = ✅
status-icon-refunded = ↩️
status-icon-failed = ❌
