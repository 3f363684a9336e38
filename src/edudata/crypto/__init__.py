"""Keys and cryptography (Art. 25-28): envelope encryption, rotation, blind indexes, signatures."""
