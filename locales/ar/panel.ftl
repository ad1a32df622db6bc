# لوحة الإدارة (تطبيق مصغّر وصفحات المتصفح).
panel-title = لوحة المتجر
panel-nav-dashboard = الرئيسية
panel-nav-orders = الطلبات
panel-nav-customers = الزبائن
panel-nav-prices = الأسعار
panel-nav-broadcasts = الرسائل الجماعية
panel-nav-audit = سجل التعديلات
panel-logout = تسجيل الخروج
panel-back-home = العودة إلى اللوحة
panel-error-login = افتح اللوحة من البوت: زر اللوحة، أو رابط دخول جديد عبر /panel.
panel-error-forbidden = هذه اللوحة خاصة بمشرفي المتجر.
panel-error-link = رابط الدخول هذا غير صالح أو منتهي أو مستعمل. اطلب رابطًا جديدًا من البوت عبر /panel.
panel-error-throttled = محاولات فاشلة كثيرة. انتظر قليلًا ثم أعد المحاولة.
panel-error-not-found = لا شيء هنا.
panel-error-bad-request = هذا الطلب غير صالح (تحقق من التواريخ).
panel-error-internal = حدث خطأ. أعد المحاولة بعد قليل.
panel-landing-text = افتح هذه اللوحة من زر اللوحة في البوت داخل تيليغرام. على الحاسوب، أرسل /panel إلى البوت وافتح رابط الدخول الذي يعطيك إياه.
panel-login-text = سجّل الدخول إلى لوحة المتجر في هذا المتصفح. الرابط يعمل مرة واحدة، لمدة 10 دقائق.
panel-login-button = دخول
panel-today = اليوم
panel-7-days = 7 أيام
panel-30-days = 30 يومًا
panel-orders-n = { $n ->
    [zero] لا طلبات
    [one] طلب واحد
    [two] طلبان
    [few] { $n } طلبات
   *[other] { $n } طلبًا
}
panel-margin = الهامش
panel-daily-sales = المبيعات اليومية، 30 يومًا
panel-wallets = أرصدة الزبائن
panel-held = محجوز
panel-by-status = الطلبات حسب الحالة
panel-stuck = طلبات عالقة (غير منتهية بعد 30 دقيقة)
panel-none = لا شيء لعرضه.
panel-date = التاريخ
panel-customer = الزبون
panel-card = البطاقة
panel-number = الرقم
panel-price = السعر
panel-status = الحالة
panel-orders-search = رقم الطلب أو المرجع أو رقم الهاتف أو معرّف الزبون
panel-all-statuses = كل الحالات
panel-from = من
panel-to = إلى
panel-search = بحث
panel-more = الأقدم
panel-export = تصدير (CSV)
panel-export-orders = الطلبات
panel-export-ledger = الحركات
panel-order = الطلب
panel-ref = المرجع
panel-cost = التكلفة
panel-upstream = OneClickDZ
panel-failure = سبب الفشل
panel-code = رمز البطاقة
panel-code-delivered = سُلّم للزبون (لا يُعرض هنا)
panel-timeline = المراحل
panel-timeline-placed = أُنشئ، وحُجز السعر
panel-timeline-sent = أُرسل إلى OneClickDZ
panel-status-placed = جديد
panel-status-handling = قيد المعالجة
panel-status-queued = في الانتظار
panel-status-fulfilled = مُسلّم
panel-status-refunded = مُسترجع
panel-status-failed = فشل
panel-customers-search = المعرّف أو الاسم أو ‎@username
panel-name = الاسم
panel-role = الدور
panel-balance = الرصيد
panel-banned = محظور
panel-role-customer = زبون
panel-role-reseller = موزّع
panel-role-admin = مشرف
panel-username = اسم المستخدم
panel-ban = الحظر
panel-since = زبون منذ
panel-last-seen = آخر ظهور
panel-ledger = سجل المحفظة
panel-kind = الحركة
panel-amount = المبلغ
panel-note = ملاحظة
panel-kind-credit = إضافة رصيد
panel-kind-debit = خصم
panel-kind-hold = حجز لطلب
panel-kind-capture = صُرف على طلب
panel-kind-release = أُعيد من طلب
panel-price-customer = سعر الزبون
panel-price-reseller = سعر الموزّع
panel-prices-note = التكلفة هي ما خصمه OneClickDZ في آخر طلب لهذه البطاقة.
panel-audience = المستلمون
panel-sent = أُرسلت
panel-failed = فشلت
panel-total = المجموع
panel-broadcast-running = جارية
panel-broadcast-done = انتهت
panel-broadcast-cancelled = أُلغيت
panel-admin-id = معرّف المشرف
panel-all-actions = كل الإجراءات
panel-action = الإجراء
panel-target = الهدف
panel-before = قبل
panel-after = بعد

# الكتابة: إضافة / خصم، الأسعار، إجراءات الطلبات، الرسائل الجماعية.
panel-move-title = إضافة رصيد أو خصمه
panel-reason = السبب
panel-move-next = متابعة
panel-move-confirm-credit = تأكيد الإضافة
panel-move-confirm-debit = تأكيد الخصم
panel-balance-now = الرصيد الحالي
panel-balance-after = الرصيد بعد العملية
panel-confirm = تأكيد
panel-cancel = إلغاء
panel-move-done = تم: تغيّر رصيد المحفظة.
panel-move-cancelled = أُلغيت العملية: لم يتحرك أي مبلغ.
panel-move-already = هذه العملية سبق تأكيدها أو إلغاؤها: لم يتحرك أي مبلغ هذه المرة.
panel-reason-needed = اكتب سببًا: يظهر في سجل محفظة الزبون.
panel-move-status-done = مؤكدة.
panel-move-status-cancelled = ملغاة.
panel-move-status-refused = مرفوضة: الرصيد غير كافٍ.
panel-save = حفظ
panel-price-saved = تم حفظ السعر.
panel-cost-now = تكلفة OneClickDZ الحالية
panel-price-not-sold = لا تبيع OneClickDZ هذه البطاقة حاليًا: لا يمكن تغيير سعرها.
panel-costs-unavailable = تعذّرت قراءة تكاليف OneClickDZ حاليًا: لا يمكن تغيير الأسعار.
panel-recheck = تحقق الآن
panel-recheck-started = يجري التحقق من الطلب لدى OneClickDZ الآن.
panel-recheck-final = هذا الطلب منتهٍ: لم يبق شيء للتحقق منه.
panel-refund = استرجاع
panel-refund-ask = استرجاع { $price } إلى { $name }؟ لا تفعل ذلك إلا إذا أكدت OneClickDZ أنها لن تسلّم هذه البطاقة: إن سلّمتها لاحقًا يدفع المتجر ثمن البطاقة ويحتفظ الزبون بالمبلغ.
panel-refund-confirm = نعم، استرجاع
panel-refund-done = تم الاسترجاع: عاد السعر إلى محفظة الزبون.
panel-refund-final = هذا الطلب منتهٍ مسبقًا: لم يُسترجع شيء.
panel-upstream-balance = رصيد OneClickDZ
panel-upstream-unknown = غير معروف حاليًا
panel-upstream-short = أقل مما تحمله محافظ الزبائن.
panel-ledger-check = آخر تدقيق للحسابات
panel-ledger-ok = كل محفظة تطابق سجلها.
panel-ledger-mismatch = { $n ->
    [one] محفظة واحدة لا تطابق سجلها.
   *[other] { $n } محافظ لا تطابق سجلاتها.
}
panel-ledger-failed = تعذّر إجراء التدقيق.
panel-ledger-never = لم يجر التدقيق بعد.
panel-topups-waiting = عمليات شحن في الانتظار
panel-broadcast-cancel = إلغاء الرسالة الجماعية
panel-broadcast-cancel-done = أُلغيت الرسالة الجماعية.
panel-broadcast-none = لا توجد رسالة جماعية جارية.

# /panel in the admin's chat.
cmd-panel = لوحة الإدارة
panel-link =
    رابط دخولك إلى لوحة الإدارة (يعمل مرة واحدة، لمدة 10 دقائق):
    { $link }
panel-unavailable = لوحة الإدارة غير مفعّلة: اضبط HTTP_LISTEN و PUBLIC_URL في إعدادات البوت، ثم أعد تشغيله.
panel-open-button = فتح اللوحة
panel-browser-button = فتح في المتصفح
panel-menu-button = اللوحة
