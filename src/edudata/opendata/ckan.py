"""CKAN Action API, read side (``/api/3/action/…`` and ``/api/action/…``), so open-data clients and harvesters
(``ckanapi``, the CKAN harvester, DCAT harvesters, the CKAN JavaScript client) work unchanged (Art. 45 可机读, C5).

Actions: :data:`edudata.opendata.ckan_actions.ACTIONS` (catalogue) and ``datastore_search``/``datastore_info``;
``help_show`` answers each one's description. GET with query parameters, POST with a JSON or form body, as on
CKAN. Every call is rate-limited per key or address first (:func:`deps.open_caller`); data reads are audited by
the data path, refusals by the audit hooks. Errors have CKAN's shapes and statuses (ckan/views/api.py):
404 ``Not Found Error``, 403 ``Authorization Error`` (every write action: the portal is read-only), 409
``Validation Error`` with the field, 409 ``Search Error``, 400 ``Search Query Error``, 429 with Retry-After, and
400 ``"Bad request - Action name not known: …"`` for an action CKAN would not know either.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from edudata.api.deps import client_address, get_session
from edudata.audit.service import record_now
from edudata.errors import EduDataError, NotFound, PermissionDenied, RateLimited, ValidationFailed
from edudata.opendata import ckan_datastore, deps
from edudata.opendata.ckan_actions import ACTIONS, Call

router = APIRouter(include_in_schema=True, tags=["ckan"])
ALL_ACTIONS = {**ACTIONS, "datastore_search": ckan_datastore.datastore_search,
               "datastore_info": ckan_datastore.datastore_info}  # fmt: skip
#: CKAN 2.10/2.11 write actions (ckan/logic/action/{create,update,patch,delete}.py and the DataStore's).
WRITES = frozenset(
    [
        "package_create",
        "resource_create",
        "resource_view_create",
        "resource_create_default_resource_views",
        "package_create_default_resource_views",
        "package_relationship_create",
        "member_create",
        "package_collaborator_create",
        "group_create",
        "organization_create",
        "user_create",
        "user_invite",
        "vocabulary_create",
        "tag_create",
        "follow_user",
        "follow_dataset",
        "group_member_create",
        "organization_member_create",
        "follow_group",
        "api_token_create",
        "resource_update",
        "resource_view_update",
        "resource_view_reorder",
        "package_update",
        "package_revise",
        "package_resource_reorder",
        "package_relationship_update",
        "group_update",
        "organization_update",
        "user_update",
        "task_status_update",
        "task_status_update_many",
        "term_translation_update",
        "term_translation_update_many",
        "vocabulary_update",
        "package_owner_org_update",
        "bulk_update_private",
        "bulk_update_public",
        "bulk_update_delete",
        "config_option_update",
        "package_patch",
        "resource_patch",
        "group_patch",
        "organization_patch",
        "user_patch",
        "user_delete",
        "package_delete",
        "dataset_purge",
        "resource_delete",
        "resource_view_delete",
        "resource_view_clear",
        "package_relationship_delete",
        "member_delete",
        "package_collaborator_delete",
        "group_delete",
        "organization_delete",
        "group_purge",
        "organization_purge",
        "task_status_delete",
        "vocabulary_delete",
        "tag_delete",
        "unfollow_user",
        "unfollow_dataset",
        "group_member_delete",
        "organization_member_delete",
        "unfollow_group",
        "job_clear",
        "job_cancel",
        "api_token_revoke",
        "datastore_create",
        "datastore_run_triggers",
        "datastore_upsert",
        "datastore_delete",
        "datastore_records_delete",
        "datastore_function_create",
        "datastore_function_delete",
        "datastore_sequence_create",
        "datastore_sequence_delete",
        "datastore_sequence_next",
        "activity_create",
        "send_email_notifications",
        "dashboard_mark_activities_old",
    ]
)
# An extension's write (harvest_source_create, showcase_update …) is refused the same way, not "unknown".
_WRITE_VERB = re.compile(r"(^|_)(create|update|patch|delete|purge|upsert|revise|reorder|invite|follow|unfollow|"
                         r"clear|cancel|revoke|mark|send|add|remove|import|run|reindex)(_|$)")  # fmt: skip
_TYPES = {
    400: "Search Query Error", 401: "Authorization Error", 403: "Authorization Error", 404: "Not Found Error",
    409: "Search Error", 422: "Validation Error", 429: "Rate Limit Error",
}  # fmt: skip


def _help(request: Request, action: str) -> str:
    return f"{deps.base_url(request)}/api/3/action/help_show?name={action[:60]}"


def _ok(request: Request, action: str, result: Any) -> JSONResponse:
    return JSONResponse({"help": _help(request, action), "success": True, "result": result})


def _error(request: Request, action: str, err: EduDataError) -> JSONResponse:
    """CKAN's error envelope: ``success: false`` and ``error`` with ``__type``, ``message`` and the field."""
    status = 409 if err.status == 422 else err.status
    etype = _TYPES.get(err.status, "Internal Error" if err.status >= 500 else "Validation Error")
    prefix = {"Authorization Error": "Access denied", "Not Found Error": "Not found",
              "Search Error": "Search error", "Search Query Error": "Search Query is invalid"}.get(etype, etype)  # fmt: skip
    error: dict[str, Any] = {"__type": etype, "message": f"{prefix}: {err.zh} / {err.en}"}
    if err.field:
        error[err.field] = [f"{err.zh} / {err.en}"]
    headers = {"Retry-After": str(err.extra["retry_after"])} if isinstance(err, RateLimited) else None
    _audit_unhooked(request, status, err)
    return JSONResponse(
        {"help": _help(request, action), "success": False, "error": error},
        status_code=status,
        headers=headers,
    )


def _audit_unhooked(request: Request, status: int, err: EduDataError) -> None:
    """The audit middleware records 401/403/404/409/422/429 answers; a 400 of CKAN's is recorded here."""
    state = request.scope.setdefault("state", {})
    if getattr(err, "audited", False) or state.get("audited"):
        state["audited"] = True
        return
    if status == 400:
        state["audited"] = True
        record_now(
            request.app.state.db, operation="request_failed", result="failed", source_ip=client_address(request),
            request_id=state.get("request_id"),
            detail={"method": request.method, "path": request.url.path[:500], "status": 400, "code": err.code,
                    "reason": err.en[:500]},
        )  # fmt: skip


def _unknown(request: Request, action: str) -> JSONResponse:
    """CKAN answers an action it does not know with a bare JSON string, status 400 (audited here)."""
    err = ValidationFailed(f"不支持的操作：{action[:60]}", f"Action name not known: {action[:60]}")
    _audit_unhooked(request, 400, err)
    return JSONResponse(
        f"Bad request - Action name not known: {action[:60]}（不支持的操作）", status_code=400
    )


def _mixed(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """CKAN's GET/form parameters: a repeated key gives a list, a single one its string."""
    out: dict[str, Any] = {}
    for k, v in pairs:
        out[k] = [*out[k], v] if isinstance(out.get(k), list) else [out[k], v] if k in out else v
    return out


async def _data(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return _mixed(list(request.query_params.multi_items()))
    body = await request.body()
    if not body:
        return _mixed(list(request.query_params.multi_items()))
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return _mixed([(k, v) for k, vs in form.items() for v in vs])
    try:
        data = json.loads(body)
    except ValueError:
        raise ValidationFailed("请求体不是合法的 JSON", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ValidationFailed("请求体应为 JSON 对象", "the body must be a JSON object")
    return data


def help_show(call: Call) -> str:
    """What an action does (its description)."""
    name = str(call.data.get("name") or "")
    fn = ALL_ACTIONS.get(name) or (help_show if name == "help_show" else None)
    if fn is None:
        raise NotFound(f"没有操作“{name[:60]}”", f"Action function not found: {name[:60]}")
    return (fn.__doc__ or name).strip()


def _action_sync(action: str, data: dict[str, Any], request: Request, session: Session) -> JSONResponse:
    try:
        caller = deps.open_caller(request, session)  # the rate limit comes first, for every action
        if action in WRITES or (
            action not in ALL_ACTIONS and action != "help_show" and _WRITE_VERB.search(action)
        ):
            raise PermissionDenied(
                f"开放数据门户只读，不能执行 {action[:60]}（数据由学校审核后发布）",
                f"User not authorized to call {action[:60]}: the open-data portal is read-only",
            )
        fn = help_show if action == "help_show" else ALL_ACTIONS.get(action)
        if fn is None:
            return _unknown(request, action)
        call = Call(
            data, session, caller, deps.base_url(request), request.app.state.settings.school_name, request
        )
        return _ok(request, action, fn(call))
    except EduDataError as err:
        session.rollback()
        return _error(request, action, err)


async def _action(action: str, request: Request, session: Session) -> JSONResponse:
    try:
        data = await _data(request)
    except EduDataError as err:
        return _error(request, action, err)
    return await run_in_threadpool(_action_sync, action, data, request, session)


# One operation per method, each with its own id: a GET+POST ``api_route`` gives both the same operationId, which
# OpenAPI forbids (generated clients then lose one of them).
@router.get("/api/3/action/{action}", operation_id="ckan_action_get")
@router.post("/api/3/action/{action}", operation_id="ckan_action_post")
async def ckan_action(action: str, request: Request, session: Session = Depends(get_session)) -> JSONResponse:
    """CKAN Action API (read; writes are refused with CKAN's Authorization Error)."""
    return await _action(action, request, session)


@router.get("/api/3", include_in_schema=False)
def ckan_api_version() -> dict[str, int]:
    """CKAN's API root: the version of the Action API served."""
    return {"version": 3}


@router.api_route("/api/action/{action}", methods=["GET", "POST"], include_in_schema=False)
async def ckan_action_unversioned(
    action: str, request: Request, session: Session = Depends(get_session)
) -> JSONResponse:
    return await _action(action, request, session)
