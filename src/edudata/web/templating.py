"""Jinja2 environment shared by every domain's pages; templates live in ``web/templates/<domain>/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from starlette.requests import Request
from starlette.responses import HTMLResponse

from edudata.policy import allowed, may_attempt
from edudata.web import navigation
from edudata.web.flash import take
from edudata.web.i18n import request_lang, translator

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


# The filters of web/labels.py (one place for every enumeration's words, article numbers, Beijing time). Imported
# when first used: labels gathers the domains' tables, and some of those live beside pages that import this module.
@pass_context
def _label(ctx: Any, value: Any, kind: str) -> str:
    from edudata.web import labels

    return labels.label(value, kind, ctx.get("lang", "zh"))


@pass_context
def _article(ctx: Any, number: Any) -> str:
    from edudata.web import labels

    return labels.article(number, ctx.get("lang", "zh"))


def _beijing(value: Any, with_seconds: bool = False) -> str:
    from edudata.web import labels

    return labels.beijing(value, with_seconds)


def _names(ctx: Any, kind: str) -> dict[str, tuple[str, str]]:
    """Names by code of people, units or datasets, read once per page (one query each) and kept on the request."""
    request = ctx.get("request")
    if request is None:
        return {}
    cache = getattr(request.state, "display_names", None)
    if cache is None:
        cache = request.state.display_names = {}
    if kind not in cache:
        from sqlalchemy import select

        from edudata.catalog.models import Dataset
        from edudata.org.models import Account, Unit

        columns = {
            "person": (Account.username, Account.display_name, Account.display_name),
            "unit": (Unit.code, Unit.name, Unit.name_en),
            "dataset": (Dataset.code, Dataset.name, Dataset.name_en),
        }.get(kind)
        if columns is None:  # "element": keyed "dataset.element"
            from edudata.catalog.models import DataElement

            with request.app.state.db.session() as session:
                rows = session.execute(
                    select(Dataset.code, DataElement.code, DataElement.name, DataElement.name_en).join(
                        Dataset, Dataset.id == DataElement.dataset_id
                    )
                ).all()
            cache[kind] = {f"{r[0]}.{r[1]}": (r[2], r[3] or r[2]) for r in rows}
            return cache[kind]
        with request.app.state.db.session() as session:
            rows = session.execute(select(*columns)).all()
        cache[kind] = {r[0]: (r[1], r[2] or r[1]) for r in rows}
    return cache[kind]


#: Records the audit log names as a "dataset" that are the platform's own tables, not catalogue datasets.
_TABLES = {
    "audit_record": ("审计记录", "audit records"),
    "share_application": ("共享申请", "share applications"),
}


#: The platform's own actors in the audit log (no account): who they are, in words.
_ACTORS = {
    "system": ("平台（自动）", "the platform (automatic)"),
    "opendata-publisher": ("开放数据发布程序", "open-data publisher"),
    "demo": ("演示数据初始化", "demo set-up"),
    "worker": ("后台任务", "background worker"),
}


def _named(kind: str) -> Any:
    @pass_context
    def name_of(ctx: Any, code: Any) -> str:
        if code is None or code == "":
            return ""
        zh, en = (
            _names(ctx, kind).get(str(code))
            or _TABLES.get(str(code))
            or (_ACTORS.get(str(code).split(":", 1)[0]) if kind == "person" else None)
            or (str(code), str(code))
        )
        return en if ctx.get("lang") == "en" else zh

    name_of.__doc__ = (
        f"A {kind} by name, not by code: ``{{{{ x | {kind} }}}}`` (an unknown code is shown as it is)."
    )
    return name_of


@pass_context
def _element(ctx: Any, code: Any, dataset: str) -> str:
    """An element by name: ``{{ "XM" | element("student_basic") }}`` → 姓名 (an unknown code as it is)."""
    zh, en = _names(ctx, "element").get(f"{dataset}.{code}", (str(code), str(code)))
    return en if ctx.get("lang") == "en" else zh


def _plain_doc(text: Any) -> str:
    """A docstring as a sentence: reST roles and literals (``:func:`x```, ````x````) without their markup."""
    import re

    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", str(text or ""))
    return re.sub(r"``([^`]+)``", r"\1", text)


TEMPLATES.env.filters.update(
    plain_doc=_plain_doc,
    element=_element,
    label=_label,
    article=_article,
    beijing=_beijing,
    person=_named("person"),
    unit=_named("unit"),
    dataset=_named("dataset"),
)


def _signed_in(request: Request) -> Any:
    """On a public page (the open-data portal, the login page): the staff member whose session cookie this is,
    so the header shows them logged in and their navigation; nobody when there is no live session."""
    from edudata.errors import EduDataError
    from edudata.identity.deps import SESSION_COOKIE, current_principal

    if not request.cookies.get(SESSION_COOKIE) or "authorization" in request.headers:
        return None
    try:
        with request.app.state.db.session() as session:
            return current_principal(request, session)
    except EduDataError:
        return None


def wants_fragment(request: Request) -> bool:
    """An htmx request for part of a page (a filter or a page link of a list): answer only that part. A history
    restore (the back button after htmx forgot the page) asks for the whole page, as a plain visit does."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    fragment: str | None = None,
) -> HTMLResponse:
    """Render ``name`` with the caller's language, principal and CSRF token in the context.

    ``fragment``: the template of the page's list region (``templates/_list.html``), which ``name`` includes;
    an htmx request (``HX-Request``) gets that region alone, so a filter or a page link swaps the table without
    reloading the page, while the same address without JavaScript is the whole page (progressive enhancement)."""
    lang = request_lang(request)
    principal = getattr(request.state, "principal", None) or _signed_in(request)

    def can(action: str, unit_code: str | None = None) -> bool:
        """Show a link or button only when the same policy as the route allows it (Art. 30).

        Without ``unit_code``: may the caller take the action on some object (a navigation link); with it: on an
        object of that unit (a button beside one batch or application)."""
        if principal is None:
            return False
        if unit_code is None:
            return may_attempt(principal, action)
        return allowed(principal, action, unit_code=unit_code)

    nav = navigation.main(principal)
    ctx: dict[str, Any] = {
        "can": can,
        "lang": lang,
        "_": translator(lang),
        "principal": principal,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "school_name": request.app.state.settings.school_name,
        "navigation": nav,
        "nav_current": navigation.current(nav, request.url.path),
        "request_id": getattr(request.state, "request_id", ""),
    }
    ctx.update(context or {})
    ctx["flash"] = take(request)  # after a redirect: the word on what was just done (one mechanism, issue 18)
    ctx["uses_htmx"] = fragment is not None
    if fragment is not None and wants_fragment(request):
        name = fragment
    response = TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)
    if fragment is not None:  # one address, two answers: a cache must key on the header too
        response.headers["Vary"] = "HX-Request"
    return response
