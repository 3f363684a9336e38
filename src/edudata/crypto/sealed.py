"""Small secrets sealed under the key ring, stored as text (Art. 27-28 存储保密性).

Pull-source passwords and second-factor (TOTP) seeds are not governed data, yet either one read from the
database would open another door: a business system, or a person's login. Each is sealed with AES-256-GCM
under a data key of its own purpose (so it follows master-key rotation like every other key) and bound by its
associated data to the row it belongs to, so a sealed value copied onto another row does not open there.

The text form is ``sealed:v1:`` + base64url of the envelope (:mod:`edudata.crypto.envelope`), so a column can
tell a sealed value from a legacy clear one and a migration step can seal what is still clear.
"""

from __future__ import annotations

import base64
import binascii

from edudata.crypto import envelope
from edudata.crypto.errors import CiphertextInvalid
from edudata.crypto.keys import KeyManager

PREFIX = "sealed:v1:"


def is_sealed(value: str | None) -> bool:
    return bool(value) and str(value).startswith(PREFIX)


def seal_text(keys: KeyManager, purpose: str, value: str, aad: str) -> str:
    """``value`` sealed under the active data key of ``purpose``, bound to ``aad`` (e.g. ``org_account#7``)."""
    (blob,) = envelope.encrypt_values(keys, purpose, [value], aad.encode())
    assert blob is not None
    return PREFIX + base64.urlsafe_b64encode(blob).decode()


def open_text(keys: KeyManager, value: str, aad: str) -> str:
    """The clear text of a value made by :func:`seal_text` for the same ``aad``."""
    if not is_sealed(value):
        raise CiphertextInvalid("密文格式错误", "not a sealed value")
    try:
        blob = base64.urlsafe_b64decode(value[len(PREFIX) :].encode())
    except (binascii.Error, ValueError):
        raise CiphertextInvalid("密文格式错误", "not a sealed value") from None
    (clear,) = envelope.decrypt_values(keys, [blob], aad.encode())
    assert clear is not None
    return clear
