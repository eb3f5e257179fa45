"""Tokens: the local issuer (embedded default) and an external OIDC issuer's JWKS (production)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from guanwu.platform.auth import InvalidToken, JwksTokenVerifier, LocalTokenIssuer, PasswordHashing
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
            {"sub": "u1", "aud": "guanwu", "iss": "guanwu-local"}, SECRET, algorithm="HS256"
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
    claims = {
        "sub": "u9",
        "tenant": "acme",
        "roles": ["reviewer"],
        "iss": "https://idp.example",
        "aud": "guanwu",
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
