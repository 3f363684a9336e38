"""Organisation (Art. 5-12): units, people, accounts, roles and separation of duties."""
