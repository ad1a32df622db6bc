## netcard-bot — Arabic (Modern Standard Arabic, as used by Algerian shops). HTML parse mode: only <b>, <i>, <code>.
## Numbers, phone numbers, card codes and amounts use Western digits and stay left-to-right.
## {"\u200E"} is an invisible LEFT-TO-RIGHT MARK. It is placed before the space that precedes a /command (so the
## slash stays on the left and Telegram still makes the command tappable) and around a <code> span that starts or
## ends with a neutral character (+, …, ]), so that it shows left-to-right inside an Arabic line.
## {"\u200F"} is an invisible RIGHT-TO-LEFT MARK: after a Latin product name it keeps the amount that follows with
## its "د.ج" instead of letting the Latin run pull the number away.
## Never put a mark inside <code>: it would be copied along with the number or code.
## Words: رصيد is the customer's money in the shop, شحن الرصيد adds to it, تعبئة recharges a line with a card.
## The currency is always "د.ج" after a no-break space (U+00A0), never "DA". Arrows point the right-to-left way.
## As docs/glossary.md: the admin bans (حظر، محظور) a user; a user stops (أوقف البوت) the bot in Telegram. To the banned user
## himself the softer "منعك مسؤول المتجر" is used.

amount = { $amount } د.ج
language-name = العربية
yes = نعم
no = لا

## Menus and buttons
menu-greeting = 👋 مرحبًا بك يا { $name }!
    نبيع هنا بطاقات تعبئة <b>Idoom ADSL</b> و<b>Idoom 4G LTE</b>. ادفع من رصيدك واستلم رمز البطاقة هنا مباشرةً في ثوانٍ.
    ماذا تريد أن تفعل؟
menu-text = ماذا تريد أن تفعل؟
btn-new-order = 🛒 طلب جديد
btn-balance = 💰 الرصيد
btn-orders = 📦 طلباتي
btn-language = 🌐 اللغة
btn-help = ❓ مساعدة
btn-main-menu = ➡️ القائمة الرئيسية
btn-back = ➡️ رجوع
btn-cancel = ✖️ إلغاء
btn-confirm = ✅ تأكيد
btn-type-adsl = 🌐 Idoom ADSL
btn-type-4g = 📶 Idoom 4G LTE
btn-copy-code = 📋 نسخ الرمز
btn-prev = ▶️ السابق
btn-next = التالي ◀️
btn-value = بطاقة { $value } د.ج · { $price }

type-adsl = Idoom ADSL
type-4g = Idoom 4G LTE

help-text = <b>طريقة العمل</b>
    1. اضغط على <b>طلب جديد</b> (أو أرسل{"\u200E"} /order) واختر ADSL أو 4G.
    2. أرسل رقم الخط الذي تريد تعبئته: رقم الهاتف الثابت لـ ADSL، ورقم خط Idoom 4G LTE (وليس رقم هاتفك النقال الشخصي) لـ 4G.
    3. اختر قيمة البطاقة، وتحقق من الرقم، ثم أكّد الطلب: يُخصم السعر من رصيدك.
    4. يصلك رمز البطاقة هنا، عادةً في أقل من دقيقة، ويمكنك العثور عليه في أي وقت عبر{"\u200E"} /orders.
    إذا تعذّر تسليم البطاقة، يعود سعرها إلى رصيدك تلقائيًا.

    • طلب جديد:{"\u200E"} /order
    • رصيدك وطريقة شحنه:{"\u200E"} /balance
    • طلباتي:{"\u200E"} /orders
    • اللغة:{"\u200E"} /language
    • إيقاف الخطوة الحالية:{"\u200E"} /cancel
help-admin = <b>أوامر المسؤول</b>:{"\u200E"} /credit /debit /setrole /user /setprice /broadcast /broadcast_cancel /stats /ban /unban /maintenance /lookup
topup-how = لشحن رصيدك، تواصل مع{"\u200E"} { $contact }.
topup-how-admin = لشحن رصيدك، تواصل مع مسؤول المتجر.

## Order wizard
order-choose-type = ما نوع البطاقة التي تحتاجها؟
order-recent-numbers = أو اختر رقمًا استعملته من قبل:
phone-error-digits = ⚠️ رقم الهاتف يتكون من أرقام فقط. يرجى إرسال رقم { $kind } من جديد، مثلًا <code>{ $example }</code>.
phone-error-adsl-length = ⚠️ رقم ADSL يتكون من 9 أرقام ويبدأ بـ 0 (مع رمز الولاية)، مثلًا <code>{ $example }</code>. يرجى المحاولة من جديد.
phone-error-adsl-prefix = ⚠️ رقم ADSL يبدأ بـ 0، مثلًا <code>{ $example }</code>. يرجى المحاولة من جديد.
phone-error-4g-length = ⚠️ رقم 4G يتكون من 10 أرقام ({"\u200E"}<code>0661…</code>{"\u200E"}) أو من 12 رقمًا مع 213 ({"\u200E"}<code>213661…</code>{"\u200E"})، مثلًا <code>{ $example }</code>. يرجى المحاولة من جديد.
phone-error-4g-prefix = ⚠️ لا يبدو أن هذا رقم 4G. أرسله بهذا الشكل <code>{ $example }</code> أو{"\u200E"} <code>+213 661 23 45 67</code>{"\u200E"}.
phone-send-text = يرجى كتابة الرقم وإرساله كنص، مثلًا <code>{ $example }</code>.
phone-rejected = ❌ لا تتعرف اتصالات الجزائر على الرقم <code>{ $number }</code> كخط { $kind }. تحقق من الرقم وأعد إرساله.
service-unavailable = ⏳ خدمة البطاقات لا تستجيب حاليًا. يرجى المحاولة من جديد بعد بضع دقائق.
order-no-values = 😕 لا تتوفر أي بطاقة { $kind } حاليًا. يرجى المحاولة لاحقًا.
order-choose-value = بطاقة { $kind } للرقم <code>{ $number }</code>
    اختر قيمة البطاقة:
order-value-gone = ⚠️ بطاقة { $value } د.ج لم تعد متوفرة.
order-summary = <b>تحقق من طلبك</b>
    البطاقة: { $kind } بقيمة <b>{ $value } د.ج</b>
    الرقم: <code>{ $number }</code>
    السعر: <b>{ $price }</b>
    رصيدك الحالي: { $balance }
    رصيدك بعد الشراء: { $after }

    ⚠️ تحقق من الرقم: البطاقة المرسلة إلى رقم خاطئ لا يمكن استرجاعها.
order-summary-short = ⚠️ ينقص رصيدك <b>{ $missing }</b>. يرجى شحنه قبل التأكيد.
order-price-changed = ⚠️ تغيّر السعر للتو. يرجى التحقق منه من جديد.
order-insufficient = ❌ <b>الرصيد غير كافٍ.</b> لم يتم تسجيل أي طلب.
    الرصيد: { $balance }
    السعر: { $price }
    المبلغ الناقص: <b>{ $missing }</b>
order-cancelled = تم الإلغاء. لم يتم طلب أي شيء.
use-buttons = يرجى استعمال الأزرار أعلاه، أو إرسال{"\u200E"} /cancel للإيقاف.

## Order status
order-processing = ⏳ <b>الطلب رقم { $id }</b> قيد المعالجة…
    بطاقة { $kind } بقيمة { $value } د.ج للرقم <code>{ $number }</code>
    سيظهر رمز بطاقتك هنا بعد لحظات.
order-queued = 🕒 <b>الطلب رقم { $id }</b> في قائمة الانتظار لدى اتصالات الجزائر.
    بطاقة { $kind } بقيمة { $value } د.ج للرقم <code>{ $number }</code>
    هذا ليس فشلًا: البطاقات المنتظرة تصل عادةً خلال 12 إلى 48 ساعة. سيظهر الرمز هنا، فلا داعي لإعادة الطلب. يبقى المبلغ محجوزًا، ويعود إلى رصيدك تلقائيًا إذا تعذّر تسليم البطاقة.
order-receipt = ✅ <b>تم تسليم الطلب رقم { $id }</b>
    بطاقة { $kind } بقيمة <b>{ $value } د.ج</b>
    الرقم: <code>{ $number }</code>
    رمز البطاقة: <code>{ $code }</code>
    رقم المعاملة: <code>{ $trans }</code>
    تاريخ المعالجة: { $date }
    المبلغ المدفوع: { $price } · تاريخ الطلب: { $placed }

    { $howto }
order-code-unavailable = (غير متوفر؛ يرجى التواصل مع مسؤول المتجر)
howto-adsl = 💡 لتعبئة الخط، أدخل هذا الرمز في فضاء الزبون أو تطبيق Idoom الخاص بالخط الثابت أعلاه.
howto-4g = 💡 لتعبئة الخط، أدخل هذا الرمز في فضاء الزبون أو تطبيق Idoom الخاص بخط Idoom 4G LTE أعلاه.
order-refunded = ↩️ <b>الطلب رقم { $id }: لم يتم التسليم وتم استرجاع المبلغ</b>
    بطاقة { $kind } بقيمة { $value } د.ج للرقم <code>{ $number }</code>
    { $reason }
    أُعيد { $price } إلى رصيدك. الرصيد: <b>{ $balance }</b>
    يمكنك الطلب من جديد عبر{"\u200E"} /order.
fail-invalid-number = رفض المتعامل هذا الرقم.
fail-out-of-stock = نفدت بطاقات هذه القيمة من المخزون.
fail-unavailable = خدمة البطاقات غير متاحة مؤقتًا.
fail-not-sent = تعذّر إرسال الطلب.
fail-refunded = لم يتمكن المتعامل من تسليم هذه البطاقة.
order-delivered-below = ✅ تم تسليم الطلب رقم { $id }: اطلع على الإيصال أدناه.

## History
orders-empty = ليس لديك أي طلب بعد.
orders-title = 📦 <b>طلباتك</b> (الصفحة { $page } من { $pages }، المجموع { $total }). اضغط على طلب لعرضه من جديد.
orders-line = رقم { $id } · { $kind }{"\u200F"} · { $value } د.ج · { $status } · { $date }
order-not-found = هذا الطلب غير موجود.
status-processing = قيد المعالجة
status-queued = في الانتظار
status-fulfilled = تم التسليم
status-refunded = تم الاسترجاع
status-failed = فشل

## Wallet
balance-view = 💰 <b>رصيدك</b>
    الرصيد المتاح: <b>{ $balance }</b>
    محجوز للطلبات الجارية: { $held }
    نوع الحساب: { $role }
balance-no-history = لا توجد أي عملية بعد.
balance-history = <b>آخر العمليات</b>
ledger-credit = شحن الرصيد بـ { $amount } · { $date }
ledger-debit = خصم تصحيحي من الرصيد: { $amount } · { $date }
ledger-hold = حجز { $amount } للطلب رقم { $order } · { $date }
ledger-capture = دفع { $amount } للطلب رقم { $order } · { $date }
ledger-release = استرجاع { $amount } من الطلب رقم { $order } · { $date }
balance-admin = <b>المتجر</b>
    رصيد OneClickDZ: <b>{ $upstream }</b> ({ $env })
    المستحق للزبائن (أرصدتهم): { $owed }
balance-admin-warning = ⚠️ رصيد OneClickDZ أقل بـ { $missing } من مجموع أرصدة الزبائن.
balance-admin-unavailable = <b>المتجر</b>
    رصيد OneClickDZ: غير متاح حاليًا
    المستحق للزبائن (أرصدتهم): { $owed }
role-customer = زبون
role-reseller = موزع
role-admin = مسؤول
credit-received = 💰 تم شحن رصيدك بـ <b>{ $amount }</b>. رصيدك الآن: <b>{ $balance }</b>

## Language
language-choose = اختر لغتك:
language-set = ✅ تم تغيير اللغة إلى العربية.

## Access
maintenance = 🛠 المتجر في صيانة حاليًا. سنعود قريبًا؛ رصيدك في أمان، وسيتم تسليم الطلبات التي سبق تقديمها.
banned = ⛔ منعك مسؤول المتجر من استعماله.
unknown-command = لا أعرف هذا الأمر. أرسل{"\u200E"} /help لمعرفة ما يمكنني القيام به.
not-understood = لم أفهم. اختر أحد الخيارات:
stale-button = لم يعد هذا الزر صالحًا.

## Admin
usage-credit = الاستعمال:{"\u200E"} <code>/credit &lt;user_id&gt; &lt;amount&gt; [note]</code>{"\u200E"}
usage-debit = الاستعمال:{"\u200E"} <code>/debit &lt;user_id&gt; &lt;amount&gt; [note]</code>{"\u200E"}
usage-setrole = الاستعمال:{"\u200E"} <code>/setrole &lt;user_id&gt; &lt;customer|reseller&gt;</code>{"\u200E"}
usage-user = الاستعمال:{"\u200E"} <code>/user &lt;user_id&gt;</code>{"\u200E"}
usage-setprice = الاستعمال:{"\u200E"} <code>/setprice &lt;ADSL|4G&gt; &lt;value&gt; &lt;price&gt; [reseller]</code>{"\u200E"}
usage-ban = الاستعمال:{"\u200E"} <code>/ban &lt;user_id&gt;</code>{"\u200E"}
usage-unban = الاستعمال:{"\u200E"} <code>/unban &lt;user_id&gt;</code>{"\u200E"}
usage-maintenance = الاستعمال:{"\u200E"} <code>/maintenance &lt;on|off&gt;</code>{"\u200E"} (الحالة الآن: { $state })
maintenance-set = وضع الصيانة الآن: { $state }.
state-on = مفعّل
state-off = معطّل
admin-user-unknown = لم يستعمل أي مستخدم بالمعرّف { $id } هذا البوت.
admin-role-config = هذا المستخدم مسؤول محدد في ADMIN_IDS؛ غيّر ذلك في الإعدادات.
admin-role-set = أصبح دور المستخدم { $id }: { $role }.
admin-credited = ✅ تم شحن رصيد { $user } ({ $id }) بـ { $amount }. الرصيد الجديد: <b>{ $balance }</b>
admin-debited = ✅ تم خصم { $amount } من رصيد { $user } ({ $id }). الرصيد الجديد: <b>{ $balance }</b>
admin-debit-short = ❌ مرفوض: الرصيد المتاح { $available } فقط.
admin-user-profile = 👤 المستخدم <b>{ $name }</b> ({ $username }){"\u200E"} · المعرّف <code>{ $id }</code>
    الدور: { $role } · اللغة: { $language }
    الرصيد: <b>{ $balance }</b> · المحجوز: { $held }
    محظور: { $banned } · يتعذر الوصول إليه: { $unreachable }
    مسجل منذ { $since } · آخر ظهور { $seen }
    آخر الطلبات:
admin-price-unknown-value = لا يوفر OneClickDZ بطاقة { $kind } بقيمة { $value } د.ج.
admin-price-below-cost = ❌ مرفوض: { $price } أقل من تكلفة OneClickDZ البالغة { $cost }.
admin-price-set = ✅ أصبح سعر بطاقة { $kind } بقيمة { $value } د.ج: { $price } لفئة «{ $tier }» (هامش الربح: { $margin }).
admin-banned = ⛔ تم حظر المستخدم { $id } من المتجر.
admin-unbanned = ✅ تم رفع الحظر عن المستخدم { $id }.

broadcast-compose = أرسل الرسالة التي تريد بثها (نص، صورة، ملف…). أرسل{"\u200E"} /cancel للإيقاف.
broadcast-preview = ☝️ هذه معاينة. سيتم إرسالها إلى { $count ->
        [zero] <b>0</b> مستخدم
        [one] مستخدم <b>واحد</b>
        [two] <b>مستخدمَين اثنين</b>
        [few] <b>{ $count }</b> مستخدمين
        [many] <b>{ $count }</b> مستخدمًا
       *[other] <b>{ $count }</b> مستخدم
    }.
broadcast-started = 📣 بدأ البث إلى { $count ->
        [zero] 0 مستخدم
        [one] مستخدم واحد
        [two] مستخدمَين اثنين
        [few] { $count } مستخدمين
        [many] { $count } مستخدمًا
       *[other] { $count } مستخدم
    }.
broadcast-aborted = تم إلغاء البث؛ لم يتم إرسال أي شيء.
broadcast-none-running = لا يوجد أي بث جارٍ.
broadcast-cancelled = ⏹ تم إيقاف البث.
broadcast-progress = 📣 جارٍ الإرسال… تم الإرسال: { $sent }، فشل: { $failed }، أوقفوا البوت: { $blocked }، متبقٍ: { $left } (حوالي { $eta } ث).
broadcast-summary = 📣 انتهى البث — تم الإرسال: { $sent }، فشل: { $failed }، أوقفوا البوت: { $blocked }، من أصل { $total }.
broadcast-summary-cancelled = ⏹ تم إيقاف البث — تم الإرسال: { $sent }، فشل: { $failed }، أوقفوا البوت: { $blocked }، لم يتم الإرسال: { $left }.
usage-broadcast = الاستعمال:{"\u200E"} <code>/broadcast [all|en|fr|ar|resellers]</code>{"\u200E"}
broadcast-compose-audience = الفئة المستهدفة: <b>{ $audience }</b>. لاختيار فئة أخرى:{"\u200E"} /broadcast all · /broadcast en · /broadcast fr · /broadcast ar · /broadcast resellers
broadcast-preview-audience = الفئة المستهدفة: { $audience }
broadcast-audience-all = كل المستخدمين
broadcast-audience-lang = المستخدمون بلغة { $language }
broadcast-audience-resellers = الموزعون
broadcast-nobody = لا يوجد أي مستلم ({ $audience })؛ لم يتم إرسال أي شيء.
broadcast-cannot-copy = ❌ لا يستطيع تيليغرام نسخ هذا النوع من الرسائل. أرسل رسالة أخرى، أو{"\u200E"} /cancel.

stats-users = 👥 المستخدمون: { $total } · النشطون خلال 7 أيام: { $active } · يتعذر الوصول إليهم: { $unreachable } · المحظورون: { $banned }
stats-orders-header = <b>الطلبات</b> (اليوم / 7 أيام / الكل)
stats-orders-line = { $status }: { $today } / { $week } / { $all }
stats-period-today = اليوم
stats-period-week = 7 أيام
stats-period-all = منذ البداية
stats-revenue = { $period }: رقم الأعمال { $revenue }، هامش الربح { $margin }
stats-wallets = 💰 أرصدة الزبائن: المتاح { $balance }، المحجوز { $held }

alert-low-balance = ⚠️ رصيد OneClickDZ ({ $balance }) لا يغطي بعض بطاقات { $kind } (حتى { $needed }). ستبقى هذه القيم مخفية إلى أن يتم شحن الرصيد.
alert-balance-recovered = ✅ عاد رصيد OneClickDZ ({ $balance })؛ كل قيم البطاقات معروضة من جديد.
alert-order-refunded = ↩️ الطلب رقم { $id } (<code>{ $order_ref }</code>) <b>تم استرجاع مبلغه</b>: { $kind } بقيمة { $value } د.ج للرقم <code>{ $number }</code>، المستخدم { $user }.
alert-order-queued = 🕒 الطلب رقم { $id } (<code>{ $order_ref }</code>) <b>في قائمة الانتظار</b>: { $kind } بقيمة { $value } د.ج للرقم <code>{ $number }</code>، المستخدم { $user }.
alert-order-unreconciled = ❗ تعذّر التحقق من الطلب رقم { $id } (<code>{ $order_ref }</code>) لدى OneClickDZ؛ يبقى مبلغه محجوزًا. المستخدم { $user }.
alert-order-no-code = ❗ الطلب رقم { $id } (<code>{ $order_ref }</code>) <b>تم تسليمه</b> لكن OneClickDZ لم يرسل رمز البطاقة. المستخدم { $user }.
alert-send-refused = ❗ رفض OneClickDZ الطلب رقم { $id } (<code>{ $order_ref }</code>): { $error }. أُعيد المبلغ إلى رصيد الزبون.
alert-maintenance-auto-on = 🛠 فشلت فحوصات الاتصال بـ OneClickDZ عدة مرات متتالية ({ $count }): تم <b>تفعيل</b> الصيانة تلقائيًا.
alert-maintenance-auto-off = ✅ عاد OneClickDZ إلى الاستجابة: تم <b>إيقاف</b> الصيانة تلقائيًا.

## Command menu
cmd-order = طلب جديد
cmd-balance = رصيدي وطريقة شحنه
cmd-orders = طلباتي
cmd-language = تغيير اللغة
cmd-help = مساعدة
cmd-cancel = إلغاء الخطوة الحالية
cmd-start = القائمة الرئيسية
cmd-credit = شحن رصيد زبون
cmd-debit = خصم من رصيد زبون
cmd-setrole = جعل مستخدم موزعًا أو زبونًا
cmd-user = عرض مستخدم
cmd-setprice = تحديد سعر بطاقة
cmd-broadcast = مراسلة كل المستخدمين
cmd-broadcast_cancel = إيقاف البث الجاري
cmd-stats = الإحصائيات
cmd-ban = حظر مستخدم من المتجر
cmd-unban = رفع الحظر عن مستخدم
cmd-maintenance = تفعيل الصيانة أو إيقافها
