"""Bilingual text without message catalogues: every string is written as a (中文, English) pair at its use.

Chinese is the default; ``/lang/en`` (or ``?lang=en``) switches and a cookie remembers the choice.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

LANGS = ("zh", "en")


def request_lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang")
    if lang in LANGS:
        return lang
    return getattr(request.app.state.settings, "default_lang", "zh")


def translator(lang: str) -> Callable[[str, str], str]:
    def _(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    return _
