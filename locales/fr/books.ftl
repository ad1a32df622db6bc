## Le contrôle des comptes, les cartes vendues à perte, les codes illisibles (issue 13).
alert-ledger-mismatch = ❗ Contrôle des comptes : { $count ->
        [one] { $count } solde ne correspond pas
       *[other] { $count } soldes ne correspondent pas
    } au journal des mouvements et aux commandes réservées. Utilisateurs : { $users }.
alert-card-code-unreadable = ❗ Commande n° { $id } (<code>{ $order_ref }</code>) : le code de la carte ne peut pas être déchiffré (enregistrement endommagé ou autre clé). Le client a été invité à contacter le support. Utilisateur { $user }.
alert-below-cost = ⚠️ { $kind } { $value } DA est au prix de { $price } mais OneClickDZ facture maintenant { $cost } : la carte est masquée aux clients jusqu'à ce que le prix soit relevé (/setprice) ou que le coût baisse.
stats-ledger-ok = 📒 Comptes contrôlés le { $when } : chaque solde correspond au journal.
stats-ledger-mismatch = 📒 Comptes contrôlés le { $when } : <b>{ $count ->
        [one] { $count } solde ne correspond pas
       *[other] { $count } soldes ne correspondent pas
    }</b> (utilisateurs { $users }).
stats-ledger-failed = 📒 Le contrôle des comptes du { $when } n'a pas pu s'exécuter (erreur de base de données).
stats-ledger-never = 📒 Comptes pas encore contrôlés.
amount-unavailable = indisponible
