## netcard-bot — français (tel qu'écrit en Algérie). Mode HTML : seules <b>, <i>, <code> sont utilisées ; le bot échappe les variables.
## Les noms de commandes (/order…), les identifiants techniques, les exemples de numéros et « DA » ne se traduisent pas.
## Typographie : espace fine insécable (U+202F) avant ? ! ; et espace insécable (U+00A0) avant :, dans « », après n°
## et entre un montant et « DA » (tests/typography.rs le vérifie). Vocabulaire : « solde » (l'argent du client dans
## la boutique), « alimenter » le solde, « recharger » une ligne avec une carte.

amount = { $amount } DA
language-name = Français
yes = oui
no = non

## Menus et boutons
menu-greeting = 👋 Bienvenue, { $name } !
    Achetez ici vos cartes de recharge <b>Idoom ADSL</b> et <b>Idoom 4G LTE</b>. Payez avec votre solde et recevez le code ici même, en quelques secondes.
    Que souhaitez-vous faire ?
menu-text = Que souhaitez-vous faire ?
btn-new-order = 🛒 Nouvelle commande
btn-balance = 💰 Solde
btn-orders = 📦 Mes commandes
btn-language = 🌐 Langue
btn-help = ❓ Aide
btn-main-menu = ⬅️ Menu principal
btn-back = ⬅️ Retour
btn-cancel = ✖️ Annuler
btn-confirm = ✅ Confirmer
btn-type-adsl = 🌐 Idoom ADSL
btn-type-4g = 📶 Idoom 4G LTE
btn-copy-code = 📋 Copier le code
btn-prev = ◀️ Précédent
btn-next = Suivant ▶️
btn-value = Carte de { $value } DA · { $price }

type-adsl = Idoom ADSL
type-4g = Idoom 4G LTE

help-text = <b>Comment ça marche</b>
    1. Appuyez sur <b>Nouvelle commande</b> (ou envoyez /order) et choisissez ADSL ou 4G.
    2. Envoyez le numéro de la ligne à recharger : le numéro du fixe pour l'ADSL, le numéro de la ligne Idoom 4G LTE (pas votre mobile personnel) pour la 4G.
    3. Choisissez le montant de la carte, vérifiez le numéro et confirmez : le prix est débité de votre solde.
    4. Le code de la carte arrive ici, généralement en moins d'une minute. Vous le retrouvez à tout moment dans /orders.
    Si une carte ne peut pas être livrée, son prix revient automatiquement sur votre solde.

    /order nouvelle commande
    /balance votre solde et comment l'alimenter
    /orders mes commandes
    /language langue
    /cancel annuler l'étape en cours
help-admin = <b>Administration</b> : /credit /debit /setrole /user /setprice /broadcast /broadcast_cancel /stats /ban /unban /maintenance /lookup
topup-how = Pour alimenter votre solde, contactez { $contact }.
topup-how-admin = Pour alimenter votre solde, contactez l'administrateur de la boutique.

## Assistant de commande
order-choose-type = De quelle carte avez-vous besoin ?
order-recent-numbers = Ou choisissez un numéro déjà utilisé :
phone-error-digits = ⚠️ Un numéro de téléphone ne contient que des chiffres. Veuillez renvoyer le numéro { $kind }, par exemple <code>{ $example }</code>.
phone-error-adsl-length = ⚠️ Un numéro ADSL comporte 9 chiffres et commence par 0 (indicatif de la wilaya compris), par exemple <code>{ $example }</code>. Veuillez réessayer.
phone-error-adsl-prefix = ⚠️ Un numéro ADSL commence par 0, par exemple <code>{ $example }</code>. Veuillez réessayer.
phone-error-4g-length = ⚠️ Un numéro 4G comporte 10 chiffres (<code>0661…</code>) ou 12 avec 213 (<code>213661…</code>), par exemple <code>{ $example }</code>. Veuillez réessayer.
phone-error-4g-prefix = ⚠️ Ce numéro ne ressemble pas à un numéro 4G. Envoyez-le sous la forme <code>{ $example }</code> ou <code>+213 661 23 45 67</code>.
phone-send-text = Veuillez taper le numéro et l'envoyer sous forme de texte, par exemple <code>{ $example }</code>.
phone-rejected = ❌ Algérie Télécom ne reconnaît pas <code>{ $number }</code> comme une ligne { $kind }. Vérifiez le numéro et renvoyez-le.
service-unavailable = ⏳ Le service de cartes ne répond pas pour le moment. Veuillez réessayer dans quelques minutes.
order-no-values = 😕 Aucune carte { $kind } n'est disponible pour le moment. Veuillez réessayer plus tard.
order-choose-value = { $kind } · <code>{ $number }</code>
    Choisissez le montant de la carte :
order-value-gone = ⚠️ La carte de { $value } DA n'est plus disponible.
order-summary = <b>Vérifiez votre commande</b>
    Carte : { $kind }, <b>{ $value } DA</b>
    Numéro : <code>{ $number }</code>
    Prix : <b>{ $price }</b>
    Solde actuel : { $balance }
    Solde après l'achat : { $after }

    ⚠️ Vérifiez le numéro : une carte envoyée au mauvais numéro ne peut pas être récupérée.
order-summary-short = ⚠️ Il manque <b>{ $missing }</b> sur votre solde. Alimentez-le avant de confirmer.
order-price-changed = ⚠️ Le prix vient de changer. Veuillez le vérifier à nouveau.
order-insufficient = ❌ <b>Solde insuffisant.</b> Aucune commande n'a été passée.
    Solde : { $balance }
    Prix : { $price }
    Montant manquant : <b>{ $missing }</b>
order-cancelled = Annulé. Aucune commande n'a été passée.
use-buttons = Veuillez utiliser les boutons ci-dessus, ou /cancel pour arrêter.

## Suivi des commandes
order-processing = ⏳ <b>Commande n° { $id }</b> en cours de traitement…
    { $kind } { $value } DA pour le <code>{ $number }</code>
    Le code de votre carte s'affichera ici dans un instant.
order-queued = 🕒 <b>Commande n° { $id }</b> en file d'attente chez Algérie Télécom.
    { $kind } { $value } DA pour le <code>{ $number }</code>
    Ce n'est pas un échec : les cartes en attente arrivent généralement sous 12 à 48 heures. Le code s'affichera ici : inutile de commander à nouveau. Le montant reste réservé et revient automatiquement sur votre solde si la carte ne peut pas être livrée.
order-receipt = ✅ <b>Commande n° { $id } : livrée</b>
    Carte { $kind }, <b>{ $value } DA</b>
    Numéro : <code>{ $number }</code>
    Code : <code>{ $code }</code>
    Transaction : <code>{ $trans }</code>
    Traitement : { $date }
    Payé : { $price } · commande passée le { $placed }

    { $howto }
order-code-unavailable = (non communiqué ; contactez l'administrateur de la boutique)
howto-adsl = 💡 Pour recharger la ligne, saisissez ce code dans l'espace client ou l'application Idoom de la ligne fixe ci-dessus.
howto-4g = 💡 Pour recharger la ligne, saisissez ce code dans l'espace client ou l'application Idoom de la ligne Idoom 4G LTE ci-dessus.
order-refunded = ↩️ <b>Commande n° { $id } : non livrée, remboursée</b>
    { $kind } { $value } DA pour le <code>{ $number }</code>
    { $reason }
    Votre solde a été recrédité de { $price }. Solde : <b>{ $balance }</b>
    Vous pouvez commander à nouveau avec /order.
fail-invalid-number = L'opérateur a refusé ce numéro.
fail-out-of-stock = Ce montant de carte est en rupture de stock.
fail-unavailable = Le service de cartes est momentanément indisponible.
fail-not-sent = La commande n'a pas pu être transmise.
fail-refunded = L'opérateur n'a pas pu livrer cette carte.
order-delivered-below = ✅ La commande n° { $id } a été livrée : voir le reçu ci-dessous.

## Historique
orders-empty = Vous n'avez encore passé aucune commande.
orders-title = 📦 <b>Vos commandes</b> (page { $page } sur { $pages }, { $total } au total). Appuyez sur une commande pour la revoir.
orders-line = n° { $id } · { $kind } { $value } DA · { $status } · { $date }
order-not-found = Cette commande n'existe pas.
status-processing = en cours
status-queued = en attente
status-fulfilled = livrée
status-refunded = remboursée
status-failed = échouée

## Solde
balance-view = 💰 <b>Votre solde</b>
    Disponible : <b>{ $balance }</b>
    Réservé pour les commandes en cours : { $held }
    Compte : { $role }
balance-no-history = Aucun mouvement pour le moment.
balance-history = <b>Derniers mouvements</b>
ledger-credit = +{ $amount } alimentation du solde · { $date }
ledger-debit = −{ $amount } correction du solde · { $date }
ledger-hold = −{ $amount } réservé pour la commande n° { $order } · { $date }
ledger-capture = { $amount } payé pour la commande n° { $order } · { $date }
ledger-release = +{ $amount } remboursement de la commande n° { $order } · { $date }
balance-admin = <b>Boutique</b>
    Solde OneClickDZ : <b>{ $upstream }</b> ({ $env })
    Dû aux clients (soldes) : { $owed }
balance-admin-warning = ⚠️ Le solde OneClickDZ est inférieur de { $missing } au total des soldes des clients.
balance-admin-unavailable = <b>Boutique</b>
    Solde OneClickDZ : indisponible pour le moment
    Dû aux clients (soldes) : { $owed }
role-customer = client
role-reseller = revendeur
role-admin = administrateur
credit-received = 💰 Votre solde a été alimenté de <b>{ $amount }</b>. Solde : <b>{ $balance }</b>

## Langue
language-choose = Choisissez votre langue :
language-set = ✅ La langue est désormais le français.

## Accès
maintenance = 🛠 La boutique est en maintenance. Nous revenons bientôt ; votre solde est en sécurité et les commandes déjà passées seront livrées.
banned = ⛔ Votre accès à cette boutique a été suspendu par son administrateur.
unknown-command = Je ne connais pas cette commande. Envoyez /help pour voir ce que je peux faire.
not-understood = Je n'ai pas compris. Choisissez une option :
stale-button = Ce bouton n'est plus actif.

## Administration
usage-credit = Utilisation : <code>/credit &lt;user_id&gt; &lt;montant&gt; [note]</code>
usage-debit = Utilisation : <code>/debit &lt;user_id&gt; &lt;montant&gt; [note]</code>
usage-setrole = Utilisation : <code>/setrole &lt;user_id&gt; &lt;customer|reseller&gt;</code>
usage-user = Utilisation : <code>/user &lt;user_id&gt;</code>
usage-setprice = Utilisation : <code>/setprice &lt;ADSL|4G&gt; &lt;valeur&gt; &lt;prix&gt; [reseller]</code>
usage-ban = Utilisation : <code>/ban &lt;user_id&gt;</code>
usage-unban = Utilisation : <code>/unban &lt;user_id&gt;</code>
usage-maintenance = Utilisation : <code>/maintenance &lt;on|off&gt;</code> (actuellement { $state })
maintenance-set = La maintenance est désormais { $state }.
state-on = ACTIVÉE
state-off = DÉSACTIVÉE
admin-user-unknown = Aucun utilisateur avec l'identifiant { $id } n'a utilisé le bot.
admin-role-config = Cet utilisateur est administrateur via ADMIN_IDS ; modifiez-le dans la configuration.
admin-role-set = L'utilisateur { $id } est désormais { $role }.
admin-credited = ✅ Le solde de { $user } ({ $id }) a été alimenté de { $amount }. Nouveau solde : <b>{ $balance }</b>
admin-debited = ✅ Le solde de { $user } ({ $id }) a été débité de { $amount }. Nouveau solde : <b>{ $balance }</b>
admin-debit-short = ❌ Refusé : le solde disponible n'est que de { $available }.
admin-user-profile = 👤 <b>{ $name }</b> ({ $username }) · id <code>{ $id }</code>
    Rôle : { $role } · langue : { $language }
    Solde : <b>{ $balance }</b> · réservé : { $held }
    Banni : { $banned } · injoignable : { $unreachable }
    Inscrit le { $since } · vu pour la dernière fois le { $seen }
    Dernières commandes :
admin-price-unknown-value = OneClickDZ ne propose pas de carte { $kind } de { $value } DA.
admin-price-below-cost = ❌ Refusé : { $price } est inférieur au coût OneClickDZ de { $cost }.
admin-price-set = ✅ La carte { $kind } de { $value } DA est désormais vendue { $price } aux { $tier }s (marge : { $margin }).
admin-banned = ⛔ L'utilisateur { $id } est banni.
admin-unbanned = ✅ L'utilisateur { $id } n'est plus banni.

broadcast-compose = Envoyez le message à diffuser (texte, photo, document…). /cancel pour arrêter.
broadcast-preview = ☝️ Aperçu. Il sera envoyé à <b>{ $count }</b> { $count ->
        [one] utilisateur
       *[other] utilisateurs
    }.
broadcast-started = 📣 Diffusion lancée vers { $count } { $count ->
        [one] utilisateur
       *[other] utilisateurs
    }.
broadcast-aborted = Diffusion annulée ; rien n'a été envoyé.
broadcast-none-running = Aucune diffusion en cours.
broadcast-cancelled = ⏹ Diffusion arrêtée.
broadcast-progress = 📣 Envoi en cours… envoyés : { $sent }, échecs : { $failed }, ont bloqué le bot : { $blocked }, restants : { $left } (environ { $eta } s).
broadcast-summary = 📣 Diffusion terminée : envoyés : { $sent }, échecs : { $failed }, ont bloqué le bot : { $blocked }, sur { $total }.
broadcast-summary-cancelled = ⏹ Diffusion arrêtée : envoyés : { $sent }, échecs : { $failed }, ont bloqué le bot : { $blocked }, non envoyés : { $left }.
usage-broadcast = Utilisation : <code>/broadcast [all|en|fr|ar|resellers]</code>
broadcast-compose-audience = Destinataires : <b>{ $audience }</b>. Pour en choisir d'autres : /broadcast all · /broadcast en, fr ou ar · /broadcast resellers
broadcast-preview-audience = Destinataires : { $audience }
broadcast-audience-all = tous les utilisateurs
broadcast-audience-lang = les utilisateurs en { $language }
broadcast-audience-resellers = les revendeurs
broadcast-nobody = Personne à qui envoyer ({ $audience }) ; rien n'a été envoyé.
broadcast-cannot-copy = ❌ Telegram ne peut pas copier ce type de message. Envoyez-en un autre, ou /cancel.

stats-users = 👥 Utilisateurs : { $total } · actifs sur 7 jours : { $active } · injoignables : { $unreachable } · bannis : { $banned }
stats-orders-header = <b>Commandes</b> (aujourd'hui / 7 jours / total)
stats-orders-line = { $status } : { $today } / { $week } / { $all }
stats-period-today = Aujourd'hui
stats-period-week = 7 jours
stats-period-all = Depuis le début
stats-revenue = { $period } : chiffre d'affaires { $revenue }, marge { $margin }
stats-wallets = 💰 Soldes des clients : { $balance } disponibles, { $held } réservés

alert-low-balance = ⚠️ Le solde OneClickDZ ({ $balance }) ne couvre pas certaines cartes { $kind } (jusqu'à { $needed }). Ces montants restent masqués jusqu'à ce qu'il soit alimenté.
alert-balance-recovered = ✅ Le solde OneClickDZ est rétabli ({ $balance }) ; tous les montants de cartes sont de nouveau proposés.
alert-order-refunded = ↩️ La commande n° { $id } (<code>{ $order_ref }</code>) a été REMBOURSÉE : { $kind } { $value } DA pour le <code>{ $number }</code>, utilisateur { $user }.
alert-order-queued = 🕒 La commande n° { $id } (<code>{ $order_ref }</code>) est EN ATTENTE : { $kind } { $value } DA pour le <code>{ $number }</code>, utilisateur { $user }.
alert-order-unreconciled = ❗ La commande n° { $id } (<code>{ $order_ref }</code>) ne peut pas être vérifiée auprès de OneClickDZ ; son montant reste réservé. Utilisateur { $user }.
alert-order-no-code = ❗ La commande n° { $id } (<code>{ $order_ref }</code>) est LIVRÉE mais OneClickDZ n'a envoyé aucun code de carte. Utilisateur { $user }.
alert-send-refused = ❗ OneClickDZ a refusé la commande n° { $id } (<code>{ $order_ref }</code>) : { $error }. Le client a été remboursé.
alert-maintenance-auto-on = 🛠 OneClickDZ a échoué à { $count } contrôles de santé consécutifs : maintenance ACTIVÉE automatiquement.
alert-maintenance-auto-off = ✅ OneClickDZ répond de nouveau : maintenance DÉSACTIVÉE automatiquement.

## Menu des commandes
cmd-order = Nouvelle commande
cmd-balance = Mon solde et comment l'alimenter
cmd-orders = Mes commandes
cmd-language = Changer de langue
cmd-help = Aide
cmd-cancel = Annuler l'étape en cours
cmd-start = Menu principal
cmd-credit = Alimenter le solde d'un client
cmd-debit = Débiter le solde d'un client
cmd-setrole = Passer un utilisateur en revendeur ou en client
cmd-user = Afficher un utilisateur
cmd-setprice = Fixer le prix d'une carte
cmd-broadcast = Envoyer un message à tous les utilisateurs
cmd-broadcast_cancel = Arrêter la diffusion en cours
cmd-stats = Statistiques
cmd-ban = Bannir un utilisateur
cmd-unban = Débannir un utilisateur
cmd-maintenance = Activer ou désactiver la maintenance
