# معاينة /credit و /debit، و /lookup (للمسؤولين فقط).
admin-move-preview-credit =
    💰 شحن رصيد { $user } (<code>{ $id }</code>) بـ { $amount }؟
    الرصيد الحالي: { $balance }
    الرصيد بعد العملية: <b>{ $new }</b>
admin-move-preview-debit =
    ➖ خصم { $amount } من رصيد { $user } (<code>{ $id }</code>)؟
    الرصيد الحالي: { $balance }
    الرصيد بعد العملية: <b>{ $new }</b>
admin-move-note = ملاحظة: { $note }
admin-move-cancelled = ✖️ تم الإلغاء: لم يتحرك أي مبلغ.
admin-move-already = هذه العملية سبق تأكيدها أو إلغاؤها: لم يتحرك أي مبلغ هذه المرة.

cmd-lookup = البحث عن طلبات (رقم، مرجع، رقم الهاتف، مستخدم)
lookup-usage = الاستعمال: <code>/lookup &lt;رقم الطلب | المرجع | رقم الهاتف | رقم المستخدم&gt;</code>
lookup-none = لا يوجد طلب يطابق <code>{ $query }</code>.
lookup-order =
    🔎 <b>الطلب رقم { $id }</b> ({ $index } من { $total })
    المرجع: <code>{ $order_ref }</code>
    { $kind } { $value } للرقم <code>{ $number }</code> · { $price }
    الحالة: <b>{ $status }</b> ({ $label })
    السعر المحجوز: { $hold }
    الزبون: { $name } (<code>{ $user }</code>)
    تاريخ الطلب: { $created }
    أُرسل إلى OneClickDZ: { $sent }
    معرّف OneClickDZ: <code>{ $upstream_id }</code>
    حالة OneClickDZ: { $upstream_status }
    رقم العملية: <code>{ $num_trans }</code>
    تاريخ المعالجة: { $processed }
    تاريخ الانتهاء: { $finished }
    الفحص القادم: { $next }
lookup-hold-held = محجوز
lookup-hold-captured = مدفوع ثمن البطاقة
lookup-hold-released = تم استرجاع المبلغ إلى الرصيد
lookup-status-history = <b>سجل الحالات</b>
lookup-status-line = { $date } · الحالة { $status } ({ $label })
lookup-history = <b>حركات الرصيد</b>
lookup-by-admin = {" "}· المسؤول { $admin }
lookup-recheck-started = 🔄 الطلب رقم { $id }: جارٍ التحقق لدى OneClickDZ الآن.
lookup-recheck-final = الطلب رقم { $id } منتهٍ وتم إبلاغ الزبون: لم يبق شيء للتحقق منه.
lookup-refund-ask =
    ⚠️ استرجاع مبلغ الطلب رقم { $id }: { $price } تعود إلى رصيد { $name } (<code>{ $user }</code>)؟
    فقط إذا أكدت OneClickDZ أنه لن يتم تسليمه. إذا تم تسليم البطاقة رغم ذلك، يدفع المتجر ثمنها ويحتفظ الزبون بالمبلغ المسترجع.
lookup-refund-done = ↩️ تم استرجاع مبلغ الطلب رقم { $id }: { $price } إلى { $name } (<code>{ $user }</code>). الرصيد: <b>{ $balance }</b>. تم إبلاغ الزبون.
lookup-refund-final = لم يتم استرجاع أي مبلغ: الطلب رقم { $id } حالته { $status } بالفعل.
lookup-refund-kept = لم يتم استرجاع أي مبلغ: الطلب رقم { $id } يبقى كما هو.
btn-recheck = 🔄 تحقق الآن
btn-refund = ↩️ استرجاع المبلغ
btn-refund-confirm = ↩️ نعم، استرجع المبلغ
btn-refund-keep = ✖️ إبقاء الطلب
