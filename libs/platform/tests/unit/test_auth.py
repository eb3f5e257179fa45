"""Tokens: the local issuer (embedded default) and an external OIDC issuer's JWKS (production)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm
from pydantic import SecretStr

from guanwu.platform.auth import (
    CurrentPrincipal,
    InvalidToken,
    JwksTokenVerifier,
    LocalTokenIssuer,
    PasswordHashing,
    TokenVerifier,
)
from guanwu.platform.bootstrap import build_token_verifier
from guanwu.platform.http.errors import install_error_handlers
from guanwu.platform.settings import AuthSettings

SECRET = "s" * 40


def test_local_tokens_carry_tenant_and_roles() -> None:
    issuer = LocalTokenIssuer(SECRET)
    principal = issuer.verify(issuer.issue("u1", "acme", ["preparer"]))
    assert (principal.user_id, principal.tenant, principal.roles) == ("u1", "acme", frozenset({"preparer"}))


@pytest.mark.parametrize(
    "token",
    [
        LocalTokenIssuer("another-secret-" + "x" * 30).issue("u1", "acme", []),  # foreign signature
        LocalTokenIssuer(SECRET, ttl=-10).issue("u1", "acme", []),  # expired
        jwt.encode(
            {"sub": "u1", "aud": "guanwu", "iss": "guanwu-local", "iat": int(time.time())}
            | {"exp": int(time.time()) + 600},
            SECRET,
            algorithm="HS256",
        ),  # no tenant
        "not-a-token",
    ],
)
def test_bad_local_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidToken):
        LocalTokenIssuer(SECRET).verify(token)


def test_settings_refuse_a_missing_or_short_secret() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        AuthSettings(secret="short")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="jwks_url"):
        AuthSettings(mode="jwks")


def test_passwords_are_hashed_with_argon2() -> None:
    hashing = PasswordHashing()
    stored = hashing.hash("correct horse")
    assert stored.startswith("$argon2") and "correct horse" not in stored
    assert hashing.verify(stored, "correct horse") and not hashing.verify(stored, "wrong")


@pytest.fixture
def oidc_issuer() -> Iterator[tuple[str, rsa.RSAPrivateKey]]:
    """An OIDC issuer on loopback publishing one RSA key as a JWKS."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", key
    finally:
        server.shutdown()


def test_tokens_of_an_external_issuer_are_verified_against_its_jwks(
    oidc_issuer: tuple[str, rsa.RSAPrivateKey],
) -> None:
    url, key = oidc_issuer
    verifier = JwksTokenVerifier(url, issuer="https://idp.example", audience="guanwu")
    now = int(time.time())
    claims = {
        "sub": "u9",
        "tenant": "acme",
        "roles": ["reviewer"],
        "iss": "https://idp.example",
        "aud": "guanwu",
        "iat": now,
        "exp": now + 300,
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    principal = verifier.verify(token)
    assert (principal.user_id, principal.tenant, principal.roles) == ("u9", "acme", frozenset({"reviewer"}))
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(InvalidToken):
        verifier.verify(jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": "k1"}))
    with pytest.raises(InvalidToken):
        verifier.verify(
            jwt.encode({**claims, "aud": "someone-else"}, key, algorithm="RS256", headers={"kid": "k1"})
        )


# --- Token times: `exp` and `iat` are required, the lifetime is bounded, `iat` is not in the future ---------

DAY = 24 * 3600
MISSING = object()
TimeChanges = Callable[[int], dict[str, object]]

BAD_TIMES: dict[str, TimeChanges] = {
    "no exp": lambda now: {"exp": MISSING},
    "no iat": lambda now: {"iat": MISSING},
    "lifetime over the maximum": lambda now: {"iat": now, "exp": now + DAY + 60},
    "issued in the future": lambda now: {"iat": now + 600, "exp": now + 1200},
    "iat not a number": lambda now: {"iat": "yesterday"},
    "iat a boolean": lambda now: {"iat": True},
}
GOOD_TIMES: dict[str, TimeChanges] = {
    "ordinary": lambda now: {"iat": now, "exp": now + 600},
    "lifetime at the maximum": lambda now: {"iat": now - 60, "exp": now - 60 + DAY},
    "iat a little ahead (clock skew)": lambda now: {"iat": now + 5, "exp": now + 600},
}


@dataclass
class Mode:
    """One way of verifying tokens (built from settings as a service builds it) and how to sign for it."""

    sign: Callable[[dict[str, object]], str]
    issuer: str
    settings: Callable[..., AuthSettings]

    def verifier(self, **changes: object) -> TokenVerifier:
        return build_token_verifier(self.settings(**changes))


@pytest.fixture(params=["local", "jwks"])
def mode(request: pytest.FixtureRequest) -> Mode:
    if request.param == "local":
        return Mode(
            lambda claims: jwt.encode(claims, SECRET, algorithm="HS256"),
            "guanwu-local",
            lambda **changes: AuthSettings(secret=SecretStr(SECRET), **changes),
        )
    url, key = request.getfixturevalue("oidc_issuer")
    return Mode(
        lambda claims: jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"}),
        "https://idp.example",
        lambda **changes: AuthSettings(mode="jwks", jwks_url=url, issuer="https://idp.example", **changes),
    )


def signed_with_times(mode: Mode, changes: TimeChanges) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "u1",
        "tenant": "acme",
        "roles": ["preparer"],
        "iss": mode.issuer,
        "aud": "guanwu",
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes(now))
    return mode.sign({name: value for name, value in claims.items() if value is not MISSING})


def caller(verifier: TokenVerifier) -> TestClient:
    """An API with one protected route, answering as every service does (the shared error handlers)."""
    app = FastAPI()
    app.state.token_verifier = verifier
    install_error_handlers(app)

    @app.get("/me")
    def me(principal: CurrentPrincipal) -> dict[str, str]:
        return {"tenant": principal.tenant}

    return TestClient(app)


@pytest.mark.parametrize("case", BAD_TIMES, ids=list(BAD_TIMES))
def test_tokens_with_bad_times_are_refused_with_401(mode: Mode, case: str) -> None:
    token = signed_with_times(mode, BAD_TIMES[case])
    verifier = mode.verifier()
    with pytest.raises(InvalidToken):
        verifier.verify(token)
    response = caller(verifier).get("/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.invalid"


@pytest.mark.parametrize("case", GOOD_TIMES, ids=list(GOOD_TIMES))
def test_tokens_with_good_times_are_accepted(mode: Mode, case: str) -> None:
    token = signed_with_times(mode, GOOD_TIMES[case])
    response = caller(mode.verifier()).get("/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json() == {"tenant": "acme"}


def test_the_maximum_lifetime_is_a_setting(mode: Mode) -> None:
    """A shorter configured maximum refuses a token the default takes."""
    token = signed_with_times(mode, lambda now: {"iat": now, "exp": now + 600})
    assert mode.verifier().verify(token).tenant == "acme"
    strict = mode.verifier(max_token_lifetime_seconds=300, token_ttl_seconds=300)
    with pytest.raises(InvalidToken, match="lifetime"):
        strict.verify(token)


def test_the_local_issuer_cannot_issue_beyond_the_maximum_lifetime() -> None:
    with pytest.raises(ValueError, match="max_token_lifetime_seconds"):
        AuthSettings(secret=SecretStr(SECRET), token_ttl_seconds=DAY + 1)
    with pytest.raises(ValueError, match="max_token_lifetime_seconds"):
        AuthSettings(secret=SecretStr(SECRET), max_token_lifetime_seconds=3600, token_ttl_seconds=7200)
    with pytest.raises(ValueError, match="lifetime"):
        LocalTokenIssuer(SECRET, ttl=DAY + 1)
    issued = LocalTokenIssuer(SECRET).issue("u1", "acme", [])
    claims = jwt.decode(issued, SECRET, algorithms=["HS256"], audience="guanwu")
    assert 0 < claims["exp"] - claims["iat"] <= DAY
