"""Typed errors of the key hierarchy, each with a Chinese and an English message (Art. 27-28, 34-36)."""

from __future__ import annotations

from edudata.errors import EduDataError


class CiphertextInvalid(EduDataError):
    """A stored ciphertext failed its AES-GCM check: tampered, truncated, or read under the wrong element.

    Art. 28 asks for storage integrity (完整性), so a damaged value is refused rather than returned as garbage.
    """

    status, code = 500, "ciphertext-invalid"
    title_zh, title_en = "数据完整性校验失败", "Data integrity check failed"


class KeyUnavailable(EduDataError):
    """A data key or master-key version a ciphertext needs cannot be found (密钥不可用)."""

    status, code = 500, "key-unavailable"
    title_zh, title_en = "密钥不可用", "Key unavailable"


class SubjectDataDestroyed(EduDataError):
    """The person's key was destroyed (Art. 34-36, 数据销毁): every copy of their ciphertext is now unreadable."""

    status, code = 410, "subject-data-destroyed"
    title_zh, title_en = "数据已销毁", "Data destroyed"

    def __init__(self, subject_ref: str | None = None) -> None:
        super().__init__(
            "该人员数据已按规定销毁，无法解密",
            "this person's data has been destroyed and can no longer be decrypted",
        )
        # Kept for the caller's logs, not put in the problem body: even a pseudonymous reference links records.
        self.subject_ref = subject_ref
