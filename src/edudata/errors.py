"""Typed errors with a message in Chinese and English.

Services raise these; the API turns them into RFC 9457 problem responses and the CLI into a clear line.
Nothing below ``api/`` knows about HTTP status codes except through ``status`` here.
"""

from __future__ import annotations

from typing import Any


class EduDataError(Exception):
    """Base of every error a user may see; ``zh`` is shown first, ``en`` beside it."""

    status: int = 400
    code: str = "bad-request"
    title_zh: str = "请求有误"
    title_en: str = "Bad request"

    def __init__(self, zh: str, en: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        self.field = field
        self.extra = extra

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://edudata.invalid/problems/{self.code}",
            "title": f"{self.title_zh} / {self.title_en}",
            "status": self.status,
            "code": self.code,
            "detail": f"{self.zh} / {self.en}",
            "detail_zh": self.zh,
            "detail_en": self.en,
        }
        if self.field:
            body["field"] = self.field
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class ValidationFailed(EduDataError):
    status, code, title_zh, title_en = 422, "validation-failed", "数据校验未通过", "Validation failed"


class InternalError(EduDataError):
    """A fault of the platform, not of the request: logged with the request id that the page shows."""

    status, code, title_zh, title_en = 500, "internal-error", "服务器内部错误", "Server error"


class NotAuthenticated(EduDataError):
    status, code, title_zh, title_en = 401, "not-authenticated", "未登录或登录已失效", "Not authenticated"


class PermissionDenied(EduDataError):
    status, code, title_zh, title_en = 403, "permission-denied", "无权执行此操作", "Permission denied"


class NotFound(EduDataError):
    status, code, title_zh, title_en = 404, "not-found", "未找到", "Not found"


class Conflict(EduDataError):
    status, code, title_zh, title_en = 409, "conflict", "与现有数据冲突", "Conflict"


class PayloadTooLarge(EduDataError):
    status, code, title_zh, title_en = 413, "payload-too-large", "提交的内容过大", "Payload too large"


class Locked(EduDataError):
    status, code, title_zh, title_en = 423, "locked", "账户已锁定", "Locked"


class RateLimited(EduDataError):
    status, code, title_zh, title_en = 429, "rate-limited", "请求过于频繁", "Too many requests"


class ServiceUnavailable(EduDataError):
    """A service the platform depends on (e.g. the shared rate-limit store) cannot be reached: refused, not let by."""

    status, code, title_zh, title_en = 503, "service-unavailable", "服务暂时不可用", "Service unavailable"


class AlreadyDecided(Conflict):
    """The second of two concurrent (or stale) requests: the state it acted on has already moved on.

    Raised by :func:`edudata.transition.expect` after the row was locked; nothing was changed."""

    code, title_zh, title_en = "already-decided", "已被他人处理", "Already decided"
