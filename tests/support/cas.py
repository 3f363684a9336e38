"""A real CAS server for the tests: django-cas-server (PyPI, CAS 1/2/3) run by ``manage``-style commands in a
subprocess, with a small settings module written into a temporary folder.

Its people live in a SQLite table ``users`` (password in clear — a test directory) read by the package's own
``SqlAuthUser``; the three released attributes carry Chinese names as a campus CAS often has them (工号, 姓名,
单位代码). One service pattern admits every loopback service and asks for single logout (SLO).
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from support import processes

ATTRIBUTES = ("工号", "姓名", "单位代码")

_SETTINGS = """
SECRET_KEY = "edudata-test-cas-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles", "cas_server",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "DIRS": [],
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages"]},
}]
ROOT_URLCONF = "cas_test_urls"
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": {state!r}},
    "cas_server": {"ENGINE": "django.db.backends.sqlite3", "NAME": {users!r}},
}
USE_TZ = True
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
CAS_AUTH_CLASS = "cas_server.auth.SqlAuthUser"
CAS_SQL_USER_QUERY = 'SELECT user AS username, pass AS password, "工号", "姓名", "单位代码" FROM users WHERE user = %s'
CAS_SQL_PASSWORD_CHECK = "plain"
CAS_NEW_VERSION_HTML_WARNING = False
CAS_NEW_VERSION_EMAIL_WARNING = False
CAS_SHOW_POWERED = False
CAS_SLO_TIMEOUT = 5
"""

_URLS = """
from django.urls import include, re_path
urlpatterns = [re_path(r"^cas/", include("cas_server.urls", namespace="cas_server"))]
"""

_SETUP = """
import django
django.setup()
from cas_server.models import ReplaceAttributName, ServicePattern
pattern = ServicePattern.objects.create(
    pos=1, name="edudata", pattern=r"^https?://127\\.0\\.0\\.1:\\d+/.*$", single_log_out=True
)
for name in {attributes!r}:
    ReplaceAttributName.objects.create(name=name, service_pattern=pattern)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CasServer:
    """django-cas-server on a free loopback port; ``url`` is its CAS base (``…/cas``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/cas"
        self.users = folder / "users.db"
        self.process: subprocess.Popen | None = None
        self.log = folder / "cas.log"

    def _env(self) -> dict[str, str]:
        return {**os.environ, "DJANGO_SETTINGS_MODULE": "cas_test_settings", "PYTHONPATH": str(self.folder)}

    def _run(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, *args], cwd=self.folder, env=self._env(), check=True, capture_output=True,
            timeout=120,
        )  # fmt: skip

    def start(self) -> None:
        settings = _SETTINGS.replace("{state!r}", repr(str(self.folder / "cas.db")))
        settings = settings.replace("{users!r}", repr(str(self.users)))
        (self.folder / "cas_test_settings.py").write_text(settings, encoding="utf-8")
        (self.folder / "cas_test_urls.py").write_text(_URLS, encoding="utf-8")
        with sqlite3.connect(self.users) as conn:
            conn.execute(
                'CREATE TABLE users (user TEXT PRIMARY KEY, pass TEXT, "工号" TEXT, "姓名" TEXT, "单位代码" TEXT)'
            )
        self._run("-m", "django", "migrate", "--noinput")
        self._run("-c", _SETUP.replace("{attributes!r}", repr(ATTRIBUTES)))
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
                cwd=self.folder, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/login", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the CAS server did not start: " + self.log.read_text(errors="replace"))
            time.sleep(0.2)

    def stop(self) -> None:
        processes.stop(self.process)

    def add_user(self, user: str, password: str, number: str, name: str, unit: str) -> None:
        with sqlite3.connect(self.users) as conn:
            conn.execute(
                "INSERT OR REPLACE INTO users VALUES (?, ?, ?, ?, ?)", (user, password, number, name, unit)
            )

    def sign_in(self, client: httpx.Client, login_url: str, user: str, password: str) -> httpx.Response:
        """As a person would: open the CAS login page ``login_url`` leads to, submit the form, and return the
        response that leaves CAS (the redirect back to the service with its ticket)."""
        page = client.get(login_url, follow_redirects=True)
        assert str(page.url).startswith(self.url), page.url
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text))
        fields.update(username=user, password=password)
        fields.pop("warn", None)
        return client.post(str(page.url), data=fields, headers={"Referer": str(page.url)})
