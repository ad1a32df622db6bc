# Revenir (issue 17) : Racheter et rappels de recharge.
btn-buy-again = 🔁 Racheter
btn-stop-reminders = 🔕 Arrêter les rappels
reminder-text = 🔔 <b>C'est l'heure de recharger ?</b>
    Votre ligne { $kind } <code>{ $number }</code> a été rechargée la dernière fois avec une carte de { $value } DA le { $date }.
    Touchez <b>Racheter</b> pour voir la même carte au prix du jour, puis confirmez.
reminders-turned-on = 🔔 Rappels de recharge activés : quelque temps après chaque carte, vous recevez un rappel pour recharger de nouveau cette ligne.
reminders-turned-off = 🔕 Rappels de recharge désactivés. Envoyez /reminders on pour les réactiver.
reminders-status-on = 🔔 Les rappels de recharge sont activés. Envoyez /reminders off pour les arrêter.
reminders-status-off = 🔕 Les rappels de recharge sont désactivés. Envoyez /reminders on pour les réactiver.
buy-again-not-delivered = Cette commande n'a pas été livrée : elle ne peut pas être rachetée. Passez-en une nouvelle avec /order.
help-reminders = /reminders on | off rappels de recharge
cmd-reminders = Activer ou arrêter les rappels de recharge
