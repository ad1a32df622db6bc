## Mots de l'issue 17 (un mot par notion, ce qui se passe ensuite). Nouvelles clés seulement.
## Vocabulaire : « solde » (l'argent du client dans la boutique), « alimenter » le solde, « recharger » une ligne.

## Une erreur interne pendant le traitement d'un appui ou d'un message : rien n'a été débité.
error-generic = ⚠️ Une erreur s'est produite. Votre solde n'a pas été débité. Veuillez réessayer.

## La demande du numéro, une par type de ligne : elle nomme la ligne à recharger.
order-enter-number-adsl = Envoyez le numéro de la <b>ligne fixe</b> Idoom ADSL à recharger (indicatif de la wilaya compris), sous forme de texte.
    Exemple : <code>{ $example }</code>
order-enter-number-4g = Envoyez le numéro de la <b>ligne Idoom 4G LTE</b> à recharger (celui de la puce du modem 4G, pas votre mobile personnel), sous forme de texte.
    Exemple : <code>{ $example }</code>

## Avec SUPPORT_CONTACT : qui contacter, dit à chaque fois.
order-code-unavailable-contact = (non communiqué ; contactez { $contact })
banned-contact = ⛔ Votre accès à cette boutique a été suspendu par son administrateur. Pour en parler, contactez { $contact }.

## Premier message à un utilisateur dont la langue Telegram n'est pas l'une des nôtres : les trois langues.
language-choose-first = 🌐 Choose your language
    Choisissez votre langue
    اختر لغتك

## Un revendeur est prévenu dans sa conversation quand son compte change, avec les prix qui s'appliquent.
reseller-granted = 🤝 Votre compte est désormais un compte <b>revendeur</b>. Vos prix :
    { $prices }
reseller-revoked = Votre compte est désormais un compte client. Vos prix :
    { $prices }
reseller-price-line = Carte { $kind } de { $value } DA : <b>{ $price }</b>

## La liste des commandes : un bouton par commande, 32 caractères au plus pour ne pas être coupé sur un téléphone
## (le numéro de la commande figure sur la commande elle-même).
orders-button = { $icon } { $kind } { $value } DA · { $date }
type-short-adsl = ADSL
type-short-4g = 4G
status-icon-processing = ⏳
status-icon-queued = 🕒
status-icon-fulfilled = ✅
status-icon-refunded = ↩️
status-icon-failed = ❌
