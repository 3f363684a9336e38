"""The store's field crypto over the key hierarchy: one data key per dataset, AAD binding value to element."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from edudata.config import Settings
from edudata.crypto.envelope import decrypt_values, element_aad, encrypt_values
from edudata.crypto.keys import KeyManager
from edudata.store.spec import DatasetSpec, ElementSpec


class StoreCrypto:
    """Implements ``store.service.FieldCrypto`` (Art. 27-28: important data and sensitive PI encrypted)."""

    def __init__(self, session: Session, settings: Settings | None = None) -> None:
        self.keys = KeyManager(session, settings)
        self.session = session
        self.settings = settings

    def encrypt(
        self, spec: DatasetSpec, element: ElementSpec, values: Sequence[str | None]
    ) -> list[bytes | None]:
        return encrypt_values(self.keys, f"dataset:{spec.code}", values, element_aad(spec.code, element.code))

    def decrypt(
        self, spec: DatasetSpec, element: ElementSpec, values: Sequence[bytes | None]
    ) -> list[str | None]:
        # A destroyed person's values read as None (crypto-shredded, Art. 35); they are not an error to a reader.
        return decrypt_values(self.keys, values, element_aad(spec.code, element.code), on_destroyed="none")

    def blind_index(
        self, spec: DatasetSpec, element: ElementSpec, values: Sequence[str | None]
    ) -> list[str | None]:
        from edudata.crypto.blind_index import blind_index_many

        return blind_index_many(self.keys, f"{spec.code}.{element.code}", values)

    def subject_refs(self, values: Sequence[str | None]) -> list[str | None]:
        """Subject references (the person's blind index, shared by every dataset): Art. 50 counts, Art. 35 keys."""
        from edudata.crypto.subject_keys import subject_refs

        return subject_refs(self.keys, values)

    def blind_index_one(self, spec: DatasetSpec, element: ElementSpec, value: str) -> str:
        return self.blind_index(spec, element, [value])[0] or ""
