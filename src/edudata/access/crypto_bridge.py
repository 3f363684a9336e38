"""The store's field crypto over the key hierarchy: one data key per dataset, AAD binding value to element;
personal information under the key of the row's person (crypto-shredding, Art. 35-36)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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

    def prepare_subjects(self, subjects: Sequence[str | None]) -> None:
        """Find or create the keys of these people now, for the :meth:`encrypt_columns` calls that follow (a bulk
        load prepares all its people before PostgreSQL's ``COPY`` ties up the connection)."""
        from edudata.crypto.subject_keys import prepare_subjects

        self._prepared = prepare_subjects(self.keys, subjects)

    def encrypt_columns(
        self,
        spec: DatasetSpec,
        columns: Mapping[str, Sequence[str | None]],
        subjects: Sequence[str | None] | None,
    ) -> dict[str, list[bytes | None]]:
        """Several encrypted elements of the same rows: personal ones (``ElementSpec.personal``) under the key of
        each row's person (``subjects``, the rows' subject references), the others under the dataset key.

        The people's keys are found or created once for all columns. A row without a person (no ID number)
        keeps its personal values under the dataset key: there is no person to destroy them for."""
        from edudata.crypto.subject_keys import seal_columns

        out: dict[str, list[bytes | None]] = {}
        personal: dict[str, list[str | None]] = {}
        for code, values in columns.items():
            element = spec.element(code)
            if element.personal and subjects is not None:
                personal[code] = list(values)
            else:
                out[code] = self.encrypt(spec, element, values)
        if not personal:
            return out
        orphans = [i for i, ref in enumerate(subjects) if not ref]
        if orphans:
            for code, values in personal.items():
                under_dataset = self.encrypt(spec, spec.element(code), [values[i] for i in orphans])
                for i in orphans:
                    values[i] = None
                out[code] = under_dataset  # placed below, once the per-person values are sealed
        prepared = getattr(self, "_prepared", None)
        if prepared is not None and not {r for r in subjects if r} <= prepared.keys():
            prepared = None  # other people than the load prepared: look their keys up
        sealed = seal_columns(
            self.keys,
            subjects,
            personal,
            {code: element_aad(spec.code, code) for code in personal},
            prepared,
        )
        for code, values in sealed.items():
            if orphans:
                for i, value in zip(orphans, out[code], strict=True):
                    values[i] = value
            out[code] = values
        return out

    def decrypt(
        self, spec: DatasetSpec, element: ElementSpec, values: Sequence[bytes | None]
    ) -> list[str | None]:
        # A destroyed person's values read as None (crypto-shredded, Art. 35); they are not an error to a reader.
        return decrypt_values(self.keys, values, element_aad(spec.code, element.code), on_destroyed="none")

    def decrypt_columns(
        self, spec: DatasetSpec, columns: Mapping[str, Sequence[bytes | None]]
    ) -> dict[str, list[str | None]]:
        """Several encrypted elements at once, every key involved (the rows' people's) loaded once; a destroyed
        person's values read as None."""
        from edudata.crypto.subject_keys import open_columns

        return open_columns(
            self.keys, columns, {code: element_aad(spec.code, code) for code in columns}, on_destroyed="none"
        )

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
