"""A real OpenID Connect issuer for the console's single sign-on tests, in its own process: panva's
`oidc-provider` (npm, OpenID certified) configured by `oidc_issuer/issuer.mjs`, installed there with `npm ci`
when `node_modules` is missing. Its users: a broker's staff member serving two enterprises, and a user of none."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from watching import activity, wait_while_moving

ISSUER_DIR = Path(__file__).resolve().parent / "oidc_issuer"
CLIENT_ID, CLIENT_SECRET = "guanwu-console", "console-secret-" + "c" * 24
AUDIENCE = "guanwu"
SCOPES = "openid profile guanwu"
ACCOUNTS = {
    "broker": {"name": "报关行 王五", "tenants": {"acme": ["preparer"], "other": ["preparer", "reviewer"]}},
    "stranger": {"name": "未开通用户", "tenants": {}},
}


def answers(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url, timeout=2).status_code == 200
    return False


@contextlib.contextmanager
def process(args: list[str], ready_url: str, log: Path, env: dict[str, str], what: str) -> Iterator[None]:
    """A process started with `env` added, waited for while it works or logs until `ready_url` answers."""
    with log.open("wb") as out:
        popen = subprocess.Popen(args, stdout=out, stderr=out, env={**os.environ, **env})
        try:
            moving = activity(popen, files=(log,))
            wait_while_moving(lambda: answers(ready_url) or popen.poll() is not None, moving, what)
            assert popen.poll() is None, log.read_text()
            yield
        finally:
            popen.kill()
            popen.wait()


@contextlib.contextmanager
def oidc_issuer(port: int, console_url: str, log: Path) -> Iterator[str]:
    """The issuer on 127.0.0.1:`port`, its one client being the console at `console_url`; yields its URL."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("the OIDC test issuer needs Node.js and npm (Debian: nodejs, npm)")
    if not (ISSUER_DIR / "node_modules" / "oidc-provider").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ISSUER_DIR, check=True)
    issuer = f"http://127.0.0.1:{port}"
    env = {
        "PORT": str(port),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": f"{console_url}/console/oidc/callback",
        "POST_LOGOUT_REDIRECT_URI": f"{console_url}/console/login",
        "AUDIENCE": AUDIENCE,
        "ACCOUNTS": json.dumps(ACCOUNTS),
    }
    discovery = f"{issuer}/.well-known/openid-configuration"
    with process([node, str(ISSUER_DIR / "issuer.mjs")], discovery, log, env, "the OIDC issuer to start"):
        yield issuer


def console_oidc_settings(issuer: str, console_url: str) -> dict[str, str]:
    """The console's single sign-on settings (without the GUANWU_CONSOLE_ prefix)."""
    return {
        "OIDC__ISSUER": issuer,
        "OIDC__CLIENT_ID": CLIENT_ID,
        "OIDC__CLIENT_SECRET": CLIENT_SECRET,
        "OIDC__SCOPES": SCOPES,
        "OIDC__REDIRECT_URL": f"{console_url}/console/oidc/callback",
        "OIDC__POST_LOGOUT_REDIRECT_URL": f"{console_url}/console/login",
    }
