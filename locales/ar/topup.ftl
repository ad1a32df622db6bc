## شحن الرصيد: روابط الدفع الإلكتروني ووصولات التحويل. وضع HTML؛ يقوم البوت بتهريب المتغيرات.
## $amount و $balance و $min و $max أعداد مجمّعة (1 000) بدون العملة.

## الزبون: اختيار الطريقة والمبلغ
topup-btn = ➕ شحن الرصيد
topup-btn-online = 💳 الدفع الإلكتروني (CIB / الذهبية)
topup-btn-transfer = 🧾 تحويل أو نقدًا (أرسل الوصل)
topup-btn-amount = { $amount } د.ج
topup-choose-method = كيف تريد شحن رصيدك؟
topup-unavailable = 😕 شحن الرصيد غير متاح حاليًا. حاول لاحقًا أو تواصل مع المتجر.
topup-online-unavailable = 😕 الدفع الإلكتروني غير متاح حاليًا. يمكنك شحن رصيدك بالتحويل أو نقدًا.
topup-choose-amount = كم تريد أن تضيف إلى رصيدك؟ اضغط على مبلغ أو اكتبه (من { $min } د.ج إلى { $max } د.ج).
topup-amount-not-number = ⚠️ اكتب المبلغ بالدينار وبالأرقام فقط، مثلًا 2000.
topup-amount-too-small = ⚠️ الحد الأدنى { $min } د.ج. اختر مبلغًا أكبر.
topup-amount-too-large = ⚠️ الحد الأقصى { $max } د.ج. اختر مبلغًا أصغر.
topup-cancelled = أُلغي شحن الرصيد. لم يُخصم أي شيء.

## الزبون: الدفع الإلكتروني
topup-link-preparing = ⏳ جارٍ تحضير رابط الدفع…
topup-link = 💳 <b>شحن { $amount } د.ج</b>
    اضغط على الزر أدناه للدفع ببطاقة CIB أو الذهبية. الرابط صالح لمدة { $minutes } دقيقة.
    يُشحن رصيدك هنا فور تأكيد الدفع.
topup-link-still-open = ℹ️ لديك رابط دفع مفتوح بمبلغ { $amount } د.ج (بقيت { $minutes } دقيقة). استعمله أو انتظر انتهاء صلاحيته لإنشاء رابط آخر.
topup-btn-pay = ادفع { $amount } د.ج
topup-link-failed = ❌ تعذّر إنشاء رابط الدفع. لم يُخصم أي شيء. حاول مجددًا بعد بضع دقائق.
topup-online-paid = ✅ <b>تم الدفع:</b> أُضيف { $amount } د.ج إلى رصيدك.
    الرصيد الجديد: <b>{ $balance } د.ج</b>
topup-online-not-completed = ❌ لم يكتمل دفع { $amount } د.ج: لم يُخصم أي شيء. يمكنك إعادة المحاولة بـ /topup.
topup-online-expired = ⌛ لم نتمكن من تأكيد دفعك بمبلغ { $amount } د.ج. لم يُضف شيء إلى رصيدك. إذا خرج المال من حسابك، تواصل مع المتجر مع المرجع <code>{ $ref }</code>.

## الزبون: تحويل أو نقدًا مع وصل
topup-transfer-instructions = 🧾 <b>شحن الرصيد بالتحويل أو نقدًا</b>
    { $instructions }
topup-transfer-amount = كم دفعت؟ اضغط على مبلغ أو اكتبه (من { $min } د.ج إلى { $max } د.ج).
topup-send-receipt = 📸 أرسل الآن صورة الوصل (أو ملف PDF). /cancel للإلغاء.
topup-receipt-expected = ⚠️ أرسل الوصل كصورة أو كملف PDF. /cancel للإلغاء.
topup-receipt-waiting = ⏳ شكرًا! وصلك بمبلغ { $amount } د.ج في انتظار المراجعة. سنُعلمك هنا فور التحقق منه.
topup-too-many-waiting = ⚠️ لديك بالفعل { $count } وصولات في انتظار المراجعة. انتظر حتى تتم معالجتها.
topup-receipt-approved = ✅ <b>قُبل الوصل:</b> أُضيف { $amount } د.ج إلى رصيدك.
    الرصيد الجديد: <b>{ $balance } د.ج</b>
topup-receipt-approved-other = ✅ <b>قُبل الوصل:</b> استُلم { $amount } د.ج (صرّحت بـ { $asked } د.ج) وأُضيف إلى رصيدك.
    الرصيد الجديد: <b>{ $balance } د.ج</b>
topup-receipt-rejected = ❌ <b>رُفض الوصل</b> ({ $amount } د.ج): { $reason }
    لم يُضف شيء إلى رصيدك.

## الزبون: /balance
topup-your-id = رقم الزبون الخاص بك: <code>{ $id }</code> (اضغط للنسخ)
topup-source-online = دفع إلكتروني
topup-source-transfer = تحويل
topup-source-shop = شحن من المتجر
topup-source-order = طلب
topup-source-refund = استرجاع

## المشرفون
topup-admin-request = 🧾 <b>طلب شحن رقم { $id }</b>
    الزبون: { $name } (<code>{ $user_id }</code>)
    الرصيد الحالي: { $balance } د.ج
    المبلغ المصرّح به: <b>{ $amount } د.ج</b>
topup-btn-approve = ✅ قبول
topup-btn-reject = ❌ رفض
topup-btn-other-amount = ✏️ مبلغ آخر
topup-admin-type-amount = اكتب المبلغ المستلم فعلًا للطلب رقم { $id } (المصرّح به: { $amount } د.ج).
topup-admin-type-reason = اكتب سبب رفض الطلب رقم { $id }. سيراه الزبون.
topup-admin-approved = ✅ قبله { $admin } في { $date }: شُحن { $amount } د.ج.
topup-admin-rejected = ❌ رفضه { $admin } في { $date }: { $reason }
topup-admin-not-allowed = مسؤولو المتجر فقط يمكنهم البت في طلبات الشحن.
topup-admin-asked-privately = راسلتك في محادثتنا الخاصة: أجب هناك.
topup-admin-already = ℹ️ عالجه { $admin } في { $date }.
topup-admin-list-empty = لا يوجد طلب شحن في الانتظار.
topup-admin-list-title = <b>طلبات الشحن في الانتظار</b> ({ $count })، الأقدم أولًا:
topup-admin-list-line = رقم { $id } · { $name } (<code>{ $user_id }</code>) · { $amount } د.ج · { $date }
topup-admin-online-paid = 💳 تم تأكيد دفع إلكتروني: { $amount } د.ج من { $name } (<code>{ $user_id }</code>)، المرجع <code>{ $ref }</code>.
topup-admin-amount-mismatch = ⚠️ يشير OCPay إلى دفع { $reported } د.ج للمرجع <code>{ $ref }</code>؛ طُلب وشُحن { $amount } د.ج. يرجى التحقق.
topup-admin-online-expired = ⌛ دفع إلكتروني لم يُؤكَّد بعد 24 ساعة: { $amount } د.ج، { $name } (<code>{ $user_id }</code>)، المرجع <code>{ $ref }</code>. أُغلق دون شحن؛ تحقق في OneClickDZ إذا قال الزبون إنه دفع.
topup-admin-ocpay-forbidden = ⚠️ رفض OCPay إنشاء رابط دفع (التاجر غير مُصادَق عليه بعد، أو مفتاح API بلا صلاحيات على OCPay). الدفع الإلكتروني مخفي عن الزبائن لمدة { $minutes } دقيقة.

## قائمة الأوامر
cmd-topup = شحن رصيدي
cmd-topups = طلبات الشحن المنتظرة
