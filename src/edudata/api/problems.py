"""Every error leaves as an RFC 9457 problem (API) or a readable page (web) — never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from edudata.errors import EduDataError, InternalError, NotFound, ValidationFailed

log = logging.getLogger("edudata")

_STATUS_TEXT = {
    400: ("请求有误", "Bad request"),
    401: ("未登录或登录已失效", "Not authenticated"),
    403: ("无权执行此操作", "Permission denied"),
    404: ("未找到所请求的内容", "The requested resource was not found"),
    405: ("不支持该请求方法", "Method not allowed"),
    413: ("提交的内容过大", "Payload too large"),
    415: ("不支持的内容类型", "Unsupported media type"),
    429: ("请求过于频繁", "Too many requests"),
}


BUSY_RETRY_AFTER = 5  # seconds
_BUSY_SQLSTATES = {"55P03", "40001", "40P01"}  # lock not available, serialisation failure, deadlock


def is_busy(exc: OperationalError) -> bool:
    """A database too busy to take the change now (lock timeout, deadlock), not a fault of the platform."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    return "database is locked" in str(orig) or "database table is locked" in str(orig)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


def problem_response(request: Request, err: EduDataError, headers: dict[str, str] | None = None) -> Response:
    hooks = getattr(request.app.state, "on_problem", [])
    for hook in hooks:  # the audit module records refused and failed attempts here
        try:
            hook(request, err)
        except Exception:  # an audit failure must surface in logs, not hide the user's error
            log.exception("problem hook failed")
    if wants_html(request):
        from edudata.web.templating import render

        resp = render(request, "error.html", {"problem": err.to_problem()}, status_code=err.status)
        if headers:
            resp.headers.update(headers)
        return resp
    body = err.to_problem(instance=request.url.path)
    body["request_id"] = getattr(request.state, "request_id", None)
    return JSONResponse(body, status_code=err.status, media_type="application/problem+json", headers=headers)


_FIELD_MESSAGES = {
    "missing": ("缺少必填项", "field required"),
    "string_too_long": ("内容过长", "too long"),
    "string_too_short": ("内容过短", "too short"),
    "json_invalid": ("不是合法的 JSON", "malformed JSON"),
    "int_parsing": ("应为整数", "must be an integer"),
    "enum": ("不在允许的取值中", "not one of the allowed values"),
    "literal_error": ("不在允许的取值中", "not one of the allowed values"),
    "string_pattern_mismatch": ("格式不正确", "wrong format"),
    "greater_than_equal": ("数值过小", "value too small"),
    "less_than_equal": ("数值过大", "value too large"),
    "extra_forbidden": ("不允许的字段", "unknown field"),
}


def _validation_problem(exc: RequestValidationError) -> ValidationFailed:
    errors = []
    for e in exc.errors():
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        zh, en = _FIELD_MESSAGES.get(e.get("type", ""), ("取值不合法", e.get("msg", "invalid value")))
        errors.append({"field": loc, "message_zh": zh, "message_en": en, "type": e.get("type")})
    first = (
        errors[0]
        if errors
        else {"field": "", "message_zh": "请求内容不合法", "message_en": "invalid request"}
    )
    return ValidationFailed(
        f"{first['field']}：{first['message_zh']}".lstrip("："),
        f"{first['field']}: {first['message_en']}".lstrip(": "),
        errors=errors,
    )


def _out_of_range() -> ValidationFailed:
    return ValidationFailed(
        "数值超出范围（整数须在 -2^63 到 2^63-1 之间）",
        "a number is out of range (integers are 64-bit: below 2^63)",
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(EduDataError)
    async def _edudata(request: Request, exc: EduDataError) -> Response:
        headers = {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else None
        return problem_response(request, exc, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return problem_response(request, _validation_problem(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            err: EduDataError = NotFound("未找到所请求的内容", "The requested resource was not found")
        else:
            zh, en = _STATUS_TEXT.get(exc.status_code, ("请求有误", str(exc.detail)))
            err = EduDataError(zh, en)
            err.status = exc.status_code
        return problem_response(request, err, dict(exc.headers) if exc.headers else None)

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError) -> Response:
        if not is_busy(exc):
            return await _unexpected(request, exc)
        # Many writers at once on the embedded SQLite file (one writer at a time; each waits 10 s for the lock)
        # or a lock PostgreSQL gave up on: nothing was written (the transaction rolled back); try again shortly.
        log.warning("database busy on %s %s: %s", request.method, request.url.path, exc.orig)
        err = EduDataError(
            "系统繁忙，本次操作未执行，请稍后重试", "The system is busy; nothing was done, try again shortly"
        )
        err.status, err.code = 503, "busy"
        return problem_response(request, err, {"Retry-After": str(BUSY_RETRY_AFTER)})

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        # An id or number past the databases' 64-bit integers (SQLite's driver refuses it): the caller's input.
        return problem_response(request, _out_of_range())

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        text = str(exc.orig).lower()
        # PostgreSQL's numeric value out of range (22003), or the driver refusing an int past 64 bits
        if getattr(exc.orig, "sqlstate", None) == "22003" or "out of range" in text or "too large" in text:
            return problem_response(request, _out_of_range())
        return await _unexpected(request, exc)

    @app.exception_handler(RecursionError)
    async def _deep(request: Request, exc: RecursionError) -> Response:
        err = ValidationFailed("请求内容嵌套过深", "the request is nested too deeply")
        err.status = 400
        return problem_response(request, err)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        rid = getattr(request.state, "request_id", None)
        # The request id in the log line is the one the error page shows: the office finds the trace from it.
        log.exception("unexpected error on %s %s (request id %s)", request.method, request.url.path, rid)
        err = InternalError(
            "服务器内部错误，已记录。请将下方的请求编号告知网信办",
            "Internal error; it has been logged. Give the office the request id below",
        )
        # Starlette answers an unexpected error outside the app's middleware: the id header is set here.
        return problem_response(request, err, {"X-Request-ID": rid} if rid else None)
