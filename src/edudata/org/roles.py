"""The roles, as the organisation domain stores them; defined once in :mod:`edudata.policy.roles`."""

from __future__ import annotations

from edudata.policy.roles import ALL_ROLES, ROLE_NAMES, Role, role_name

__all__ = ["ALL_ROLES", "ROLE_NAMES", "Role", "role_name"]
