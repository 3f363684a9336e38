"""The caller's recipient key for sealed packages of important data (Art. 26)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from edudata.api.deps import get_session
from edudata.api.policy import allow
from edudata.crypto.answers import PackageKeyOut
from edudata.crypto.models import RecipientKey
from edudata.crypto.recipient import register_key
from edudata.identity.actions import audit
from edudata.identity.principal import Principal

router = APIRouter(prefix="/api/v1/me", tags=["crypto 加密"])


class PackageKeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    public_key: str = Field(
        min_length=64, max_length=400, description="X25519：64 位十六进制或 PEM / hex or PEM"
    )


def _shape(row: RecipientKey | None) -> dict[str, Any]:
    if row is None:
        return {"registered": False}
    return {
        "registered": True,
        "public_key": row.public_key,
        "key_id": row.key_id,
        "registered_at": row.registered_at.isoformat(),
    }


@router.get("/package-key", response_model=PackageKeyOut, response_model_exclude_unset=True)
def get_package_key(
    session: Session = Depends(get_session), principal: Principal = Depends(allow("crypto.package_key.self"))
) -> dict[str, Any]:
    """The X25519 public key packages of important data are sealed to when this account exports them."""
    return _shape(session.get(RecipientKey, principal.account_id))


@router.put("/package-key", response_model=PackageKeyOut, response_model_exclude_unset=True)
def put_package_key(
    body: PackageKeyBody,
    request: Request,
    session: Session = Depends(get_session),
    principal: Principal = Depends(allow("crypto.package_key.self")),
) -> dict[str, Any]:
    """Register (or replace) this account's recipient public key (the private key never leaves its holder)."""
    row = register_key(session, principal.account_id, body.public_key)
    audit(session, request, principal, "register_package_key", key_id=row.key_id)
    session.commit()
    return _shape(row)
