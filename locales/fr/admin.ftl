# Aperçus de /credit et /debit, et /lookup (admins seulement).
admin-move-preview-credit =
    💰 Alimenter le solde de { $user } (<code>{ $id }</code>) de { $amount } ?
    Solde actuel : { $balance }
    Solde après : <b>{ $new }</b>
admin-move-preview-debit =
    ➖ Débiter { $amount } du solde de { $user } (<code>{ $id }</code>) ?
    Solde actuel : { $balance }
    Solde après : <b>{ $new }</b>
admin-move-note = Note : { $note }
admin-move-cancelled = ✖️ Annulé : aucun mouvement d'argent.
admin-move-already = Cette opération a déjà été confirmée ou annulée : rien n'a bougé cette fois.

cmd-lookup = Chercher des commandes (commande, réf., ligne, utilisateur)
lookup-usage = Utilisation : <code>/lookup &lt;n° de commande | réf. | numéro | id utilisateur&gt;</code>
lookup-none = Aucune commande ne correspond à <code>{ $query }</code>.
lookup-order =
    🔎 <b>Commande n° { $id }</b> ({ $index } sur { $total })
    Réf. : <code>{ $order_ref }</code>
    { $kind } { $value } pour <code>{ $number }</code> · { $price }
    Statut : <b>{ $status }</b> ({ $label })
    Prix réservé : { $hold }
    Client : { $name } (<code>{ $user }</code>)
    Passée le : { $created }
    Envoyée à OneClickDZ : { $sent }
    Id OneClickDZ : <code>{ $upstream_id }</code>
    Statut OneClickDZ : { $upstream_status }
    Numéro de transaction : <code>{ $num_trans }</code>
    Traitée le : { $processed }
    Terminée le : { $finished }
    Prochaine vérification : { $next }
lookup-hold-held = réservé
lookup-hold-captured = payé pour la carte
lookup-hold-released = remboursé sur le solde
lookup-status-history = <b>Historique des statuts</b>
lookup-status-line = { $date } · statut { $status } ({ $label })
lookup-history = <b>Mouvements du solde</b>
lookup-by-admin = {" "}· par l'admin { $admin }
lookup-recheck-started = 🔄 Commande n° { $id } : vérification auprès de OneClickDZ en cours.
lookup-recheck-final = La commande n° { $id } est terminée et son client informé : plus rien à vérifier.
lookup-refund-ask =
    ⚠️ Rembourser la commande n° { $id } : { $price } rendus au solde de { $name } (<code>{ $user }</code>) ?
    Seulement si OneClickDZ confirme qu'elle ne sera pas livrée. Si la carte est livrée malgré tout, la boutique la paie et le client garde le remboursement.
lookup-refund-done = ↩️ Commande n° { $id } remboursée : { $price } rendus à { $name } (<code>{ $user }</code>). Solde : <b>{ $balance }</b>. Le client est informé.
lookup-refund-final = Rien n'a été remboursé : la commande n° { $id } est déjà { $status }.
lookup-refund-kept = Rien n'a été remboursé : la commande n° { $id } reste telle quelle.
btn-recheck = 🔄 Vérifier maintenant
btn-refund = ↩️ Rembourser
btn-refund-confirm = ↩️ Oui, rembourser
btn-refund-keep = ✖️ Garder la commande
