## Alimentation du solde : liens de paiement en ligne et reçus de virement. Mode HTML ; les
## variables sont échappées par le bot. $amount, $balance, $min, $max sont des nombres groupés (1 000), sans la devise.

## Client : choix du moyen et du montant
topup-btn = ➕ Alimenter
topup-btn-online = 💳 Payer en ligne (CIB / Edahabia)
topup-btn-transfer = 🧾 Virement ou espèces (envoyer un reçu)
topup-btn-amount = { $amount } DA
topup-choose-method = Comment voulez-vous alimenter votre solde ?
topup-unavailable = 😕 L'alimentation du solde n'est pas disponible pour le moment. Réessayez plus tard ou contactez la boutique.
topup-online-unavailable = 😕 Le paiement en ligne n'est pas disponible pour le moment. Vous pouvez toujours alimenter votre solde par virement ou en espèces.
topup-choose-amount = Quel montant voulez-vous ajouter à votre solde ? Touchez un montant ou tapez-le (de { $min } DA à { $max } DA).
topup-amount-not-number = ⚠️ Tapez le montant en dinars, en chiffres uniquement, par exemple 2000.
topup-amount-too-small = ⚠️ Le minimum est de { $min } DA. Choisissez un montant plus élevé.
topup-amount-too-large = ⚠️ Le maximum est de { $max } DA. Choisissez un montant plus petit.
topup-cancelled = Alimentation annulée. Rien n'a été débité.

## Client : paiement en ligne
topup-link-preparing = ⏳ Préparation de votre lien de paiement…
topup-link = 💳 <b>Alimenter de { $amount } DA</b>
    Touchez le bouton ci-dessous pour payer par carte CIB ou Edahabia. Le lien est valable { $minutes } min.
    Votre solde est crédité ici dès que le paiement est confirmé.
topup-link-still-open = ℹ️ Vous avez déjà un lien de paiement ouvert pour { $amount } DA (encore { $minutes } min). Utilisez-le, ou attendez qu'il expire pour en créer un autre.
topup-btn-pay = Payer { $amount } DA
topup-link-failed = ❌ Le lien de paiement n'a pas pu être créé. Rien n'a été débité. Réessayez dans quelques minutes.
topup-online-paid = ✅ <b>Payé</b> : { $amount } DA ajoutés à votre solde.
    Nouveau solde : <b>{ $balance } DA</b>
topup-online-not-completed = ❌ Le paiement de { $amount } DA n'a pas abouti : rien n'a été débité. Vous pouvez recommencer avec /topup.
topup-online-expired = ⌛ Nous n'avons pas pu confirmer votre paiement de { $amount } DA. Rien n'a été ajouté à votre solde. Si de l'argent a quitté votre compte, contactez la boutique avec la référence <code>{ $ref }</code>.

## Client : virement ou espèces avec un reçu
topup-transfer-instructions = 🧾 <b>Alimenter par virement ou en espèces</b>
    { $instructions }
topup-transfer-amount = Quel montant avez-vous payé ? Touchez un montant ou tapez-le (de { $min } DA à { $max } DA).
topup-send-receipt = 📸 Envoyez maintenant une photo du reçu (ou un PDF). /cancel pour arrêter.
topup-receipt-expected = ⚠️ Envoyez le reçu en photo ou en document PDF. /cancel pour arrêter.
topup-receipt-waiting = ⏳ Merci ! Votre reçu de { $amount } DA attend d'être vérifié. Vous serez prévenu ici dès qu'il l'aura été.
topup-too-many-waiting = ⚠️ Vous avez déjà { $count } reçus en attente de vérification. Attendez qu'ils soient traités.
topup-receipt-approved = ✅ <b>Reçu accepté</b> : { $amount } DA ajoutés à votre solde.
    Nouveau solde : <b>{ $balance } DA</b>
topup-receipt-approved-other = ✅ <b>Reçu accepté</b> : { $amount } DA reçus (vous aviez déclaré { $asked } DA) et ajoutés à votre solde.
    Nouveau solde : <b>{ $balance } DA</b>
topup-receipt-rejected = ❌ <b>Reçu refusé</b> ({ $amount } DA) : { $reason }
    Rien n'a été ajouté à votre solde.

## Client : /balance
topup-your-id = Votre identifiant client : <code>{ $id }</code> (touchez pour copier)
topup-source-online = paiement en ligne
topup-source-transfer = virement
topup-source-shop = crédit de la boutique
topup-source-order = commande
topup-source-refund = remboursement

## Administrateurs
topup-admin-request = 🧾 <b>Demande d'alimentation n° { $id }</b>
    Client : { $name } (<code>{ $user_id }</code>)
    Solde actuel : { $balance } DA
    Montant déclaré : <b>{ $amount } DA</b>
topup-btn-approve = ✅ Accepter
topup-btn-reject = ❌ Refuser
topup-btn-other-amount = ✏️ Autre montant
topup-admin-type-amount = Tapez le montant réellement reçu pour la demande n° { $id } (déclaré : { $amount } DA).
topup-admin-type-reason = Tapez le motif du refus de la demande n° { $id }. Le client le verra.
topup-admin-approved = ✅ Acceptée par { $admin } le { $date } : { $amount } DA crédités.
topup-admin-rejected = ❌ Refusée par { $admin } le { $date } : { $reason }
topup-admin-not-allowed = Seuls les administrateurs de la boutique peuvent traiter les demandes de recharge.
topup-admin-asked-privately = Je vous ai écrit en privé : répondez là-bas.
topup-admin-already = ℹ️ Déjà traitée par { $admin } le { $date }.
topup-admin-list-empty = Aucune demande d'alimentation en attente.
topup-admin-list-title = <b>Demandes d'alimentation en attente</b> ({ $count }), les plus anciennes d'abord :
topup-admin-list-line = n° { $id } · { $name } (<code>{ $user_id }</code>) · { $amount } DA · { $date }
topup-admin-online-paid = 💳 Paiement en ligne confirmé : { $amount } DA de { $name } (<code>{ $user_id }</code>), réf. <code>{ $ref }</code>.
topup-admin-amount-mismatch = ⚠️ OCPay indique { $reported } DA payés pour la réf. <code>{ $ref }</code> ; { $amount } DA ont été demandés et crédités. Vérifiez, s'il vous plaît.
topup-admin-online-expired = ⌛ Paiement en ligne toujours non confirmé après 24 h : { $amount } DA, { $name } (<code>{ $user_id }</code>), réf. <code>{ $ref }</code>. Clôturé sans crédit ; vérifiez sur OneClickDZ si le client dit avoir payé.
topup-admin-ocpay-forbidden = ⚠️ OCPay a refusé de créer un lien de paiement (marchand pas encore validé, ou clé d'API sans droits sur OCPay). Le paiement en ligne est masqué aux clients pendant { $minutes } min.

## Menu des commandes
cmd-topup = Alimenter mon solde
cmd-topups = Demandes d’alimentation en attente
