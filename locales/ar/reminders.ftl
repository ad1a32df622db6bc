# العودة (issue 17): إعادة الشراء وتذكيرات التعبئة.
btn-buy-again = 🔁 اشترِ مجددًا
btn-stop-reminders = 🔕 إيقاف التذكيرات
reminder-text = 🔔 <b>حان وقت التعبئة من جديد؟</b>
    آخر تعبئة لخط { $kind } <code>{ $number }</code> كانت ببطاقة { $value } د.ج يوم { $date }.
    اضغط <b>اشترِ مجددًا</b> لترى البطاقة نفسها بسعر اليوم، ثم أكّد.
reminders-turned-on = 🔔 تذكيرات التعبئة مفعّلة: بعد مدة من كل بطاقة، يصلك تذكير واحد لتعبئة الخط نفسه من جديد.
reminders-turned-off = 🔕 تم إيقاف تذكيرات التعبئة. أرسل{"\u200E"} /reminders on لتفعيلها من جديد.
reminders-status-on = 🔔 تذكيرات التعبئة مفعّلة. أرسل{"\u200E"} /reminders off لإيقافها.
reminders-status-off = 🔕 تذكيرات التعبئة متوقفة. أرسل{"\u200E"} /reminders on لتفعيلها من جديد.
buy-again-not-delivered = لم يتم تسليم هذا الطلب، لذا لا يمكن شراؤه مجددًا. ابدأ طلبًا جديدًا بـ{"\u200E"} /order.
help-reminders = • تذكيرات التعبئة (تفعيل أو إيقاف):{"\u200E"} /reminders on | off
cmd-reminders = تفعيل تذكيرات التعبئة أو إيقافها
