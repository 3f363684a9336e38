"""Open-data portal (开放数据, Art. 43-46, 56, 58): publication review, public portal, CKAN and DCAT."""
