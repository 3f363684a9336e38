"""A real OpenID Connect provider for the tests: ``oidc-provider`` from npm (OpenID-certified), run by node.

The package is installed with ``npm ci`` from ``tests/identity/oidc/package-lock.json`` into a cache folder
(``$EDUDATA_TEST_CACHE`` or ``~/.cache/edudata-tests``) named after the lock file's hash, so it is fetched once per
version. ``provider.mjs`` beside the lock file configures one client for the platform; people and their claims
are in a JSON file the test writes (``add_user``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urljoin

import httpx

from support import processes
from support.cas import free_port

HERE = Path(__file__).resolve().parent.parent / "identity" / "oidc"
CLIENT_ID = "edudata"
CLIENT_SECRET = "edudata-test-client-secret-0123456789"  # noqa: S105 - the test provider's own client


def available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


def install() -> Path:
    """The folder whose node_modules holds oidc-provider (installed on first use)."""
    lock = (HERE / "package-lock.json").read_bytes()
    cache = Path(os.environ.get("EDUDATA_TEST_CACHE", Path.home() / ".cache" / "edudata-tests"))
    folder = cache / f"oidc-provider-{hashlib.sha256(lock).hexdigest()[:16]}"
    cache.mkdir(parents=True, exist_ok=True)
    # pytest-xdist workers may start this module's fixture at once: one installs, the others wait for it.
    with (cache / "oidc-provider.lock").open("w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if (folder / "node_modules" / "oidc-provider" / "package.json").exists():
            return folder
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(HERE / name, folder / name)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=folder, check=True,
                       capture_output=True, timeout=300)  # fmt: skip
    return folder


class OidcProvider:
    def __init__(self, folder: Path, redirect_uris: list[str], post_logout_uris: list[str]) -> None:
        self.folder = folder
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.users = folder / "users.json"
        self.redirect_uris, self.post_logout_uris = redirect_uris, post_logout_uris
        self.backchannel_uri = ""  # the platform's back-channel logout endpoint, when the test sets it
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        modules = install()
        self.users.write_text("{}", encoding="utf-8")
        script = self.folder / "provider.mjs"
        shutil.copy(HERE / "provider.mjs", script)
        (self.folder / "node_modules").symlink_to(modules / "node_modules")
        env = {**os.environ, "OIDC_ISSUER": self.issuer, "OIDC_PORT": str(self.port), "OIDC_USERS": str(self.users),
               "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
               "OIDC_REDIRECT_URIS": " ".join(self.redirect_uris),
               "OIDC_POST_LOGOUT_URIS": " ".join(self.post_logout_uris), "OIDC_BACKCHANNEL_URI": self.backchannel_uri,
               "NODE_ENV": "test"}  # fmt: skip
        log = (self.folder / "oidc.log").open("wb")
        self.process = subprocess.Popen(["node", str(script)], cwd=self.folder, env=env, stdout=log,
                                        stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("oidc-provider did not start: " + (self.folder / "oidc.log").read_text())
            time.sleep(0.1)

    def stop(self) -> None:
        processes.stop(self.process)

    def add_user(self, sub: str, **claims: str) -> None:
        users = json.loads(self.users.read_text(encoding="utf-8"))
        users[sub] = claims
        self.users.write_text(json.dumps(users, ensure_ascii=False), encoding="utf-8")

    def sign_in(self, client: httpx.Client, authorize_url: str, login: str) -> httpx.Response:
        """Through the provider's login and consent pages, as a person would; returns the redirect that leaves
        the provider (back to the platform with ``code`` and ``state``)."""
        r = client.get(authorize_url)
        for _ in range(10):
            if r.status_code in (302, 303) and not r.headers["location"].startswith(("/", self.issuer)):
                return r
            if r.status_code in (302, 303):
                r = client.get(urljoin(self.issuer, r.headers["location"]))
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', r.text, re.S)
            assert form, r.text[:500]
            fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(2)))
            if 'name="login"' in form.group(2):
                fields.update(login=login, password="any")  # noqa: S105 - the dev login page takes any
            r = client.post(urljoin(self.issuer, form.group(1)), data=fields)
        raise AssertionError("the provider did not send the browser back")
