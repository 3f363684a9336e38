"""State secrets (涉密数据, Art. 56–57): marking in the catalogue, refusal on every outward path, the register."""
