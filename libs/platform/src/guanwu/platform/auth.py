"""JWT bearer authentication: every route knows who calls, for which tenant (enterprise), with which roles.

The embedded default issues its own HS256 tokens for local users (argon2 password hashes); production
verifies tokens of an OIDC issuer against its JWKS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

ROLES = frozenset({"preparer", "reviewer", "manager", "admin", "integration"})


@dataclass(frozen=True)
class Principal:
    user_id: str
    tenant: str
    roles: frozenset[str] = field(default_factory=frozenset)

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles)) or "admin" in self.roles


class InvalidToken(Exception):
    pass


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Principal: ...


def _principal_from_claims(claims: dict[str, Any]) -> Principal:
    tenant = claims.get("tenant")
    if not isinstance(tenant, str) or not tenant:
        raise InvalidToken("token has no tenant claim")
    roles = claims.get("roles") or []
    if not isinstance(roles, list):
        raise InvalidToken("roles claim must be a list")
    return Principal(
        user_id=str(claims.get("sub", "")), tenant=tenant, roles=frozenset(str(r) for r in roles)
    )


class LocalTokenIssuer:
    """Issues and verifies HS256 tokens (embedded default and tests)."""

    def __init__(
        self, secret: str, issuer: str = "guanwu-local", audience: str = "guanwu", ttl: int = 8 * 3600
    ):
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl

    def issue(self, user_id: str, tenant: str, roles: list[str]) -> str:
        now = int(time.time())
        claims = {
            "sub": user_id,
            "tenant": tenant,
            "roles": roles,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + self._ttl,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], audience=self._audience, issuer=self._issuer
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        return _principal_from_claims(claims)


class JwksTokenVerifier:
    """Verifies tokens of an external OIDC issuer (RS256/ES256) against its published keys."""

    def __init__(self, jwks_url: str, issuer: str, audience: str) -> None:
        self._keys = jwt.PyJWKClient(jwks_url, cache_keys=True)
        self._issuer = issuer
        self._audience = audience

    def verify(self, token: str) -> Principal:
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token, key.key, algorithms=["RS256", "ES256"], audience=self._audience, issuer=self._issuer
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        return _principal_from_claims(claims)


class PasswordHashing:
    """argon2id hashes for local users."""

    def __init__(self) -> None:
        self._hasher = PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except VerificationError:
            return False


_bearer = HTTPBearer(auto_error=False)


def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail={
                "code": "auth.missing",
                "message_zh": "未登录：缺少访问令牌",
                "message_en": "Missing bearer token",
            },
            headers={"WWW-Authenticate": "Bearer"},
        )
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        return verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail={
                "code": "auth.invalid",
                "message_zh": "访问令牌无效或已过期",
                "message_en": f"Invalid token: {exc}",
            },
            headers={"WWW-Authenticate": "Bearer"},
        ) from exc


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Any:
    """A dependency that lets only the given roles (and admin) through."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail={
                    "code": "auth.forbidden",
                    "message_zh": f"无权限：需要角色 {', '.join(roles)}",
                    "message_en": f"Forbidden: requires one of the roles {', '.join(roles)}",
                },
            )
        return principal

    return Depends(check)
