"""What other domains call: encrypt and decrypt fields, blind indexes, per-person keys, rotation (Art. 25-28, 34-36).

Callers make one :class:`FieldCipher` per session (the governed store reaches the same functions through
``edudata.access.crypto_bridge``, which calls :mod:`envelope` and :mod:`blind_index` with a :class:`KeyManager`)::

    fc = FieldCipher(session, settings)
    aad = element_aad("student_basic", "SFZJH")
    column = fc.encrypt_values(dataset_purpose("student_basic"), ids, aad)       # bytes per row
    index = fc.blind_index_many("student_basic.SFZJH", ids)                      # 32 hex chars per row
    ids_again = fc.decrypt_values(column, aad)

Like every service it flushes and never commits; keys it creates become visible to other requests (and to
its own process cache) when the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from sqlalchemy.orm import Session

from edudata.config import Settings
from edudata.crypto import blind_index as _bi
from edudata.crypto import envelope, subject_keys
from edudata.crypto.envelope import Aad, element_aad
from edudata.crypto.keys import KeyManager, MasterRotation
from edudata.crypto.subject_keys import destroy_subject_key, destroy_subject_keys, is_destroyed

__all__ = [
    "FieldCipher",
    "MasterRotation",
    "dataset_purpose",
    "destroy_subject_key",
    "destroy_subject_keys",
    "element_aad",
    "is_destroyed",
    "prune_master_keys",
    "rotate_data_key",
    "rotate_master_key",
]


def dataset_purpose(dataset: str) -> str:
    """The data-key purpose of a dataset's encrypted elements: one key per dataset limits what a key opens."""
    return f"dataset:{dataset}"


class FieldCipher:
    """Field encryption for one session: a thin face over :class:`KeyManager` and the envelope format."""

    def __init__(self, session: Session, settings: Settings | None = None) -> None:
        self.keys = KeyManager(session, settings)

    def encrypt_values(
        self, purpose: str, values: Sequence[str | None], aad: Aad = None
    ) -> list[bytes | None]:
        """AES-256-GCM under the active data key of ``purpose``; ``aad`` one per value or one for all."""
        return envelope.encrypt_values(self.keys, purpose, values, aad)

    def decrypt_values(
        self,
        values: Sequence[bytes | None],
        aad: Aad = None,
        *,
        on_destroyed: Literal["raise", "none"] = "raise",
    ) -> list[str | None]:
        """Any value this module made (data key of any generation, or a person's key) back to text."""
        return envelope.decrypt_values(self.keys, values, aad, on_destroyed=on_destroyed)

    def blind_index(self, purpose: str, value: str | None) -> str | None:
        return _bi.blind_index(self.keys, purpose, value)

    def blind_index_many(self, purpose: str, values: Iterable[str | None]) -> list[str | None]:
        return _bi.blind_index_many(self.keys, purpose, values)

    def subject_ref(self, identifier: str) -> str:
        """The pseudonymous reference of a person (blind index of e.g. their 身份证件号)."""
        return subject_keys.subject_ref(self.keys, identifier)

    def subject_refs(self, identifiers: Iterable[str | None]) -> list[str | None]:
        return subject_keys.subject_refs(self.keys, identifiers)

    def encrypt_for_subject(
        self, subject_ref: str, values: Sequence[str | None], aad: Aad = None
    ) -> list[bytes | None]:
        return subject_keys.encrypt_for_subject(self.keys, subject_ref, values, aad)

    def encrypt_for_subjects(
        self, subject_refs: Sequence[str | None], values: Sequence[str | None], aad: Aad = None
    ) -> list[bytes | None]:
        return subject_keys.encrypt_for_subjects(self.keys, subject_refs, values, aad)

    def decrypt_for_subject(
        self, subject_ref: str, values: Sequence[bytes | None], aad: Aad = None
    ) -> list[str | None]:
        return subject_keys.decrypt_for_subject(self.keys, subject_ref, values, aad)

    def destroy_subject_key(self, subject_ref: str) -> bool:
        return destroy_subject_key(self.keys.session, subject_ref)


def rotate_master_key(session: Session, settings: Settings | None = None) -> MasterRotation:
    """Re-wrap every data key under a new master-key version (Art. 28); commit, then :func:`prune_master_keys`."""
    return KeyManager(session, settings).rotate_master_key()


def prune_master_keys(session: Session, settings: Settings | None = None) -> list[int]:
    """Drop master-key versions no committed data key uses; returns the versions removed from the ring."""
    return KeyManager(session, settings).prune_master_keys()


def rotate_data_key(session: Session, purpose: str, settings: Settings | None = None) -> int:
    """A new data key for new writes of ``purpose``; returns its id. Old generations still decrypt."""
    return KeyManager(session, settings).rotate_data_key(purpose)
