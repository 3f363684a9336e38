"""The API's answer base, kept importable under its old name: the models live in :mod:`edudata.answers`.

Import ``Out`` and ``Done`` from :mod:`edudata.answers` in new code (a foundation, so every layer may use them).
"""

from __future__ import annotations

from edudata.answers import Done, Out

__all__ = ["Done", "Out"]
