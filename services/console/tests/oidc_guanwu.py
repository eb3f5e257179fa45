"""guanwu embedded (every service and the console in one process), with every service verifying the tokens of
an external OIDC issuer (`auth.mode=jwks`: `JwksTokenVerifier` on the issuer's JWKS) instead of the local
issuer's — the console's single sign-on test runs it as its own process:

    python oidc_guanwu.py PORT DATA_DIR ISSUER_URL

The console reads its OIDC client settings from the environment (GUANWU_CONSOLE_OIDC__…), as it would alone.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import httpx
import uvicorn

from guanwu.cli.embedded import build_embedded
from guanwu.platform.auth import JwksTokenVerifier
from guanwu.platform.store.sqlite import SqliteDocumentStore

AUDIENCE = "guanwu"
TENANTS = ["acme", "other"]


def main() -> None:
    port, data, issuer = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].rstrip("/")
    data.mkdir(parents=True, exist_ok=True)
    jwks_uri = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()["jwks_uri"]
    # The local secret signs nothing the services accept: their verifier is the issuer's JWKS below.
    system = build_embedded(SqliteDocumentStore(data), secrets.token_urlsafe(48), tenants=TENANTS)
    system.app.state.token_verifier = JwksTokenVerifier(jwks_uri, issuer, AUDIENCE)
    uvicorn.run(system.app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
