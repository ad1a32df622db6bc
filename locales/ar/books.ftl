## فحص الحسابات، البطاقات المعروضة بأقل من تكلفتها، الرموز غير المقروءة (issue 13).
alert-ledger-mismatch = ❗ فحص الحسابات: { $count ->
        [one] رصيد واحد لا يطابق
       *[other] { $count } أرصدة لا تطابق
    } سجل الحركات والطلبات المحجوزة. المستخدمون: { $users }.
alert-card-code-unreadable = ❗ الطلب رقم { $id } (<code>{ $order_ref }</code>): تعذّر فك تشفير رمز البطاقة (سجل تالف أو مفتاح آخر). طُلب من الزبون التواصل مع الدعم. المستخدم { $user }.
alert-below-cost = ⚠️ بطاقة { $kind } بقيمة { $value } د.ج سعرها { $price } لكن OneClickDZ يطلب الآن { $cost }: أُخفيت عن الزبائن إلى أن يُرفع السعر (/setprice) أو تنخفض التكلفة.
stats-ledger-ok = 📒 فُحصت الحسابات في { $when }: كل الأرصدة مطابقة لسجل الحركات.
stats-ledger-mismatch = 📒 فُحصت الحسابات في { $when }: <b>{ $count ->
        [one] رصيد واحد لا يطابق
       *[other] { $count } أرصدة لا تطابق
    }</b> (المستخدمون { $users }).
stats-ledger-failed = 📒 تعذّر إجراء فحص الحسابات في { $when } (خطأ في قاعدة البيانات).
stats-ledger-never = 📒 لم تُفحص الحسابات بعد.
amount-unavailable = غير متاح
