"""Identity (Art. 54, 59): passwords, tokens, web sessions, lockout, second factor, blacklist."""
