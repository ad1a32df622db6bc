# Why an amount typed by an admin (/credit, /debit, /setprice) was refused.
amount-not-a-number = ⚠️ Le montant doit être un nombre entier de dinars, par exemple <code>1500</code> ou <code>1 500</code>.
amount-fraction = ⚠️ Les montants sont en dinars entiers, sans décimales (écrivez <code>1500</code>, pas <code>1500,00</code>).
amount-grouping = ⚠️ Le montant ne peut pas être lu sans ambiguïté : groupez les milliers par trois (<code>1 500</code>, <code>1.500</code>) ou écrivez <code>1500</code>, et commencez la note par un mot.
amount-not-positive = ⚠️ Le montant doit être supérieur à zéro.
amount-too-large = ⚠️ Le montant est trop élevé pour une seule opération.
