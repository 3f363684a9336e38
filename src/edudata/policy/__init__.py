"""One permission policy for every channel (Art. 30, 54): the role → action table and the functions that ask it.

``from edudata.policy import allowed, require`` in services, CLI and worker; routes and pages use the FastAPI
dependency :func:`edudata.api.policy.allow`; templates call ``can("action")``.
"""

from __future__ import annotations

from edudata.policy.check import allowed, holders, may_attempt, refusal, require, require_attempt
from edudata.policy.roles import Role

__all__ = ["Role", "allowed", "holders", "may_attempt", "refusal", "require", "require_attempt"]
