# Why an amount typed by an admin (/credit, /debit, /setprice) was refused.
amount-not-a-number = ⚠️ يجب أن يكون المبلغ عددًا صحيحًا من الدنانير، مثل <code>1500</code> أو <code>1 500</code>.
amount-fraction = ⚠️ المبالغ بالدينار الكامل دون كسور (اكتب <code>1500</code> وليس <code>1500.00</code>).
amount-grouping = ⚠️ تعذّرت قراءة المبلغ بلا لبس: جمّع الآلاف ثلاثة ثلاثة (<code>1 500</code>، <code>1.500</code>) أو اكتب <code>1500</code>، وابدأ الملاحظة بكلمة.
amount-not-positive = ⚠️ يجب أن يكون المبلغ أكبر من صفر.
amount-too-large = ⚠️ المبلغ كبير جدًا لعملية واحدة.
