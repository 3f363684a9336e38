"""The grant holder's download of granted data on the page (Art. 40; issue 18): the sharing page's buttons.

It joins two parts that do not import each other — sharing (which application, which grant) and the data path's
export (exactly the granted, masked rows, audited) — so it lives with the channels, not in either domain."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from edudata.access.routes import export_response
from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.errors import Conflict, NotFound
from edudata.identity.principal import Principal
from edudata.sharing import delivery, service
from edudata.sharing.views import DOWNLOADS

router = APIRouter(include_in_schema=False)


@router.get("/sharing/applications/{app_id}/download/{fmt}")
def download_page(
    app_id: int,
    fmt: str,
    request: Request,
    session: Session = Depends(get_session),
    who: Principal = Depends(allow("data.read")),
) -> Response:
    """Exactly the granted, masked rows of this application's grant, through the data path and audited as an
    export (Art. 40: delivery through the platform; Art. 59: every export traced) — the API's export, on a page."""
    if fmt not in DOWNLOADS:
        raise NotFound("不支持该下载格式", "Unsupported download format")
    app = service.visible_application(session, who, app_id)
    if app.grant_id is None or delivery.grant_state(session, app) != "active":
        raise Conflict("此申请没有有效的授权，无法下载", "this application has no active grant to download")
    return export_response(request, session, who, app.dataset_code, format=fmt, grant_id=app.grant_id)
