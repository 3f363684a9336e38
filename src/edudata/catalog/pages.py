"""Web pages of the data resource catalogue (数据资源目录, Art. 39): browse and search for everyone signed in;
create and edit datasets and elements for the office, with the error shown beside the field it concerns."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.catalog import classification as cls
from edudata.catalog import codesets, edits, search, service, views
from edudata.catalog.models import Dataset
from edudata.catalog.units import units_by_id
from edudata.errors import EduDataError
from edudata.identity.deps import verify_csrf
from edudata.identity.principal import Principal
from edudata.org.models import Unit
from edudata.policy import allowed
from edudata.web.flash import flash
from edudata.web.lists import listing
from edudata.web.templating import render

router = APIRouter(include_in_schema=False)
#: The catalogue's filters (query-string key → longest value kept): a keyword and pickers, never a typed code.
FILTERS = {"q": 100, "unit": 16, "subject": 32, "grade": 16, "share": 16, "open": 16}
DATASET_FORM_FIELDS = (
    "code", "name", "name_en", "description", "owner_unit_code", "subject_area", "nature", "grade",
    "share_category", "open_category", "update_frequency", "unit_element", "subject_element",
)  # fmt: skip
ELEMENT_FORM_FIELDS = (
    "code", "name", "name_en", "description", "data_type", "code_set", "max_length", "grade", "share_category",
    "sensitive_type", "standard_code", "source_unit_code",
)  # fmt: skip


def _labels(session: Session) -> dict[str, dict[str, tuple[str, str]]]:
    """(中文, English) labels of every classification value the pages show."""
    out: dict[str, dict[str, tuple[str, str]]] = {
        "grade": {g.code: (g.label, g.label_en) for g in cls.GRADES.values()},
        "share_category": cls.SHARE_LABELS,
        "open_category": cls.OPEN_LABELS,
        "data_type": cls.DATA_TYPE_LABELS,
    }
    for key, code_set in (
        ("subject_area", "subject_area"),
        ("nature", "data_nature"),
        ("sensitive_type", "sensitive_pi_type"),
        ("update_frequency", "update_frequency"),
    ):
        out[key] = {
            c.value: (c.label, c.label_en) for c in codesets.get_version(session, code_set).codes if c.active
        }
    # Code sets by name (民族, not ethnic_group) wherever an element names its code set.
    out["code_set"] = {
        c.code: (c.name, getattr(c, "name_en", None) or c.name) for c in codesets.list_code_sets(session)
    }
    return out


def _request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def _choices(session: Session) -> dict[str, Any]:
    return {
        "labels": _labels(session),
        "units": [(u.code, u.name) for u in session.scalars(select(Unit).order_by(Unit.code))],
        "code_sets": [(c.code, c.name) for c in codesets.list_code_sets(session)],
    }


async def _form(request: Request) -> dict[str, str]:
    """Form fields as plain strings (parsed once; the CSRF check reads the same form)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


def _blank_to_none(values: dict[str, Any], *keys: str) -> None:
    for key in keys:
        if key in values and not str(values[key]).strip():
            values[key] = None


def _error(err: EduDataError) -> dict[str, Any]:
    return {"field": err.field or "", "zh": err.zh, "en": err.en}


@router.get("/catalog")
def catalog_page(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("catalog.read")),
) -> Response:
    """The catalogue (Art. 39), filtered by pickers (unit, subject, grade, share and open category) and a keyword,
    sorted by a column and paged on the server; every signed-in person sees every dataset's metadata."""
    params = request.query_params
    chosen = {key: params.get(key, "")[:width] for key, width in FILTERS.items()}
    stmt = search.datasets_query(
        q=chosen["q"], unit_code=chosen["unit"] or None, subject_area=chosen["subject"] or None,
        grade=chosen["grade"] or None, share_category=chosen["share"] or None, open_category=chosen["open"] or None,
    ).options(selectinload(Dataset.elements))  # fmt: skip
    owner = select(Unit.name).where(Unit.id == Dataset.owner_unit_id).scalar_subquery()
    found = listing(
        session, stmt, params,
        sorts={"code": Dataset.code, "name": Dataset.name, "unit": owner, "grade": Dataset.grade},
        default_sort="code", tiebreak=Dataset.id, filters=chosen, region="datasets-region",
        view=lambda d: views.dataset_view(session, d, with_elements=False),
    )  # fmt: skip
    ctx = {
        "datasets": found.items,
        "list": found,
        "filters": chosen,
        "is_office": allowed(principal, "catalog.dataset.edit"),
        **_choices(session),
    }
    return render(request, "catalog/list.html", ctx, fragment="catalog/_datasets.html")


@router.get("/catalog/new")
def new_dataset_page(
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("catalog.dataset.edit")),
) -> Response:
    values = {"share_category": "conditional", "open_category": "none", "update_frequency": "daily"}
    return render(
        request, "catalog/dataset_form.html", {"values": values, "creating": True, **_choices(session)}
    )


@router.post("/catalog/new", dependencies=[Depends(verify_csrf)])
def create_dataset_page(
    request: Request,
    form: dict[str, str] = Depends(_form),
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("catalog.dataset.edit")),
) -> Response:
    values: dict[str, Any] = {k: form.get(k, "") for k in DATASET_FORM_FIELDS}
    _blank_to_none(
        values,
        "grade",
        "share_category",
        "open_category",
        "update_frequency",
        "unit_element",
        "subject_element",
    )
    try:
        dataset = edits.create_dataset(session, principal, values, request_id=_request_id(request))
        session.commit()
    except EduDataError as err:
        session.rollback()
        ctx = {"values": form, "creating": True, "error": _error(err), **_choices(session)}
        return render(request, "catalog/dataset_form.html", ctx, status_code=err.status)
    flash(request, f"已创建数据集“{dataset.name}”", f"Dataset {dataset.name_en or dataset.name} created")
    return RedirectResponse(f"/catalog/{dataset.code}", status_code=303)


@router.get("/catalog/{code}")
def dataset_page(
    code: str,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("catalog.read")),
) -> Response:
    dataset = views.dataset_view(session, service.get_dataset(session, code))
    ctx = {"dataset": dataset, "is_office": allowed(principal, "catalog.dataset.edit"), **_choices(session)}
    return render(request, "catalog/detail.html", ctx)


@router.get("/catalog/{code}/edit")
def edit_dataset_page(
    code: str, request: Request, session: Session = Depends(get_session),
    principal: Principal = Depends(allow("catalog.dataset.edit")),
) -> Response:  # fmt: skip
    view = views.dataset_view(session, service.get_dataset(session, code), with_elements=False)
    values = {k: view.get(k) or "" for k in DATASET_FORM_FIELDS}
    values["owner_unit_code"] = view["owner_unit"]["code"] if view["owner_unit"] else ""
    return render(
        request, "catalog/dataset_form.html", {"values": values, "creating": False, **_choices(session)}
    )


@router.post("/catalog/{code}/edit", dependencies=[Depends(verify_csrf)])
def update_dataset_page(
    code: str, request: Request, form: dict[str, str] = Depends(_form), session: Session = Depends(get_session),
    principal: Principal = Depends(allow("catalog.dataset.edit")),
) -> Response:  # fmt: skip
    changes: dict[str, Any] = {k: form.get(k, "") for k in DATASET_FORM_FIELDS if k != "code"}
    _blank_to_none(
        changes,
        "grade",
        "share_category",
        "open_category",
        "update_frequency",
        "unit_element",
        "subject_element",
    )
    try:
        edits.update_dataset(session, principal, code, changes, request_id=_request_id(request))
        session.commit()
    except EduDataError as err:
        session.rollback()
        ctx = {"values": {**form, "code": code}, "creating": False, "error": _error(err), **_choices(session)}
        return render(request, "catalog/dataset_form.html", ctx, status_code=err.status)
    flash(request, "数据集已保存", "Dataset saved")
    return RedirectResponse(f"/catalog/{code}", status_code=303)


def _element_values(form: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {k: form.get(k, "") for k in ELEMENT_FORM_FIELDS}
    values["required"] = form.get("required") == "on"
    values["sensitive"] = form.get("sensitive") == "on"
    _blank_to_none(values, "code_set", "max_length", "grade", "share_category", "sensitive_type", "standard_code",
                   "source_unit_code")  # fmt: skip
    if values["max_length"] is not None:
        text = str(values["max_length"]).strip()
        values["max_length"] = int(text) if text.isdigit() and len(text) < 6 else -1
    return values


@router.get("/catalog/{code}/elements/new")
def new_element_page(
    code: str, request: Request, session: Session = Depends(get_session),
    principal: Principal = Depends(allow("catalog.element.edit")),
) -> Response:  # fmt: skip
    dataset = service.get_dataset(session, code)
    ctx = {
        "dataset_code": dataset.code,
        "values": {"data_type": "string"},
        "creating": True,
        **_choices(session),
    }
    return render(request, "catalog/element_form.html", ctx)


@router.post("/catalog/{code}/elements/new", dependencies=[Depends(verify_csrf)])
def create_element_page(
    code: str, request: Request, form: dict[str, str] = Depends(_form), session: Session = Depends(get_session),
    principal: Principal = Depends(allow("catalog.element.edit")),
) -> Response:  # fmt: skip
    try:
        edits.add_element(session, principal, code, _element_values(form), request_id=_request_id(request))
        session.commit()
    except EduDataError as err:
        session.rollback()
        ctx = {
            "dataset_code": code,
            "values": form,
            "creating": True,
            "error": _error(err),
            **_choices(session),
        }
        return render(request, "catalog/element_form.html", ctx, status_code=err.status)
    _element_saved(request, session, code, form.get("code", "").strip(), "已添加", "added")
    return RedirectResponse(f"/catalog/{code}", status_code=303)


def _element_saved(
    request: Request, session: Session, code: str, element_code: str, zh: str, en: str
) -> None:
    """Tell the office what is now recorded: the element's name and its grade (分级, Art. 14), as saved."""
    try:
        element = service.get_element(service.get_dataset(session, code), element_code)
    except EduDataError:
        return
    grade = _labels(session)["grade"].get(element.grade or "") if element.grade else None
    grade_zh, grade_en = grade or ("同数据集", "as the dataset")
    flash(
        request, f"{zh}数据项“{element.name}”，分级：{grade_zh}",
        f"Element {element.name_en or element.name} {en}; grade: {grade_en}",
    )  # fmt: skip


@router.get("/catalog/{code}/elements/{element_code}/edit")
def edit_element_page(
    code: str, element_code: str, request: Request, session: Session = Depends(get_session),
    principal: Principal = Depends(allow("catalog.element.edit")),
) -> Response:  # fmt: skip
    dataset = service.get_dataset(session, code)
    element = service.get_element(dataset, element_code)
    view = views.element_view(element, units_by_id(session, [element.source_unit_id]))
    values = {
        k: "" if view.get(k) is None else view[k] for k in (*ELEMENT_FORM_FIELDS, "required", "sensitive")
    }
    values["source_unit_code"] = view["source_unit"]["code"] if view["source_unit"] else ""
    ctx = {"dataset_code": code, "values": values, "creating": False, **_choices(session)}
    return render(request, "catalog/element_form.html", ctx)


@router.post("/catalog/{code}/elements/{element_code}/edit", dependencies=[Depends(verify_csrf)])
def update_element_page(
    code: str, element_code: str, request: Request, form: dict[str, str] = Depends(_form),
    session: Session = Depends(get_session), principal: Principal = Depends(allow("catalog.element.edit")),
) -> Response:  # fmt: skip
    changes = _element_values(form)
    for key in ("code", "standard_code"):
        changes.pop(key, None)
    try:
        edits.update_element(
            session, request.app.state.settings, request.app.state.db, principal, code, element_code, changes,
            request_id=_request_id(request),
        )  # fmt: skip
        session.commit()
    except EduDataError as err:
        session.rollback()
        values = {**form, "code": element_code}
        ctx = {
            "dataset_code": code,
            "values": values,
            "creating": False,
            "error": _error(err),
            **_choices(session),
        }
        return render(request, "catalog/element_form.html", ctx, status_code=err.status)
    _element_saved(request, session, code, element_code, "已保存", "saved")
    return RedirectResponse(f"/catalog/{code}", status_code=303)
