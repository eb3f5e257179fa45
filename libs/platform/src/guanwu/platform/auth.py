"""JWT bearer authentication: every route knows who calls, for which tenant (enterprise), with which roles.

The embedded default issues its own HS256 tokens for local users (argon2 password hashes); production
verifies tokens of an OIDC issuer against its JWKS.

A broker's staff serve several enterprises: their token may list them (`tenants` claim: a list of tenant ids
sharing the `roles` claim, or an object of tenant id -> roles) beside or instead of the single `tenant` claim.
A request still acts for ONE tenant: the token's `tenant` claim, or the one its `X-Guanwu-Tenant` header asks
for, accepted only when the signed token lists it. A token listing several tenants and naming none is refused
without the header (never a guess).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

ROLES = frozenset({"preparer", "reviewer", "manager", "admin", "integration"})
DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600
DEFAULT_CLOCK_SKEW_SECONDS = 60
TENANT_HEADER = "X-Guanwu-Tenant"
"""The tenant a request acts for, when its token lists several (read from the request, not declared on routes)."""
# PyJWT checks that `exp` and `iat` are present and `exp` is not past; `iat` is checked here, with the leeway
# the issuer's clock may need, so that `exp` keeps no leeway at all.
_DECODE_OPTIONS: Any = {"require": ["exp", "iat"], "verify_iat": False}


@dataclass(frozen=True)
class Principal:
    user_id: str
    tenant: str
    roles: frozenset[str] = field(default_factory=frozenset)
    tenants: tuple[str, ...] = ()
    """Every tenant the token lets this user act for (sorted; the console's enterprise switch); () for a
    principal made by hand: `tenant` alone."""

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles)) or "admin" in self.roles


class InvalidToken(Exception):
    pass


class TenantRefused(Exception):
    """A valid token that does not let its user act for the asked tenant, or lists several and names none."""

    def __init__(self, message: str, choices: tuple[str, ...], *, chosen: bool = True) -> None:
        super().__init__(message)
        self.choices = choices
        """The tenants the (verified) token lists."""
        self.chosen = chosen
        """False: the token lists several tenants and the request named none."""


class TokenVerifier(Protocol):
    def verify(self, token: str, tenant: str | None = None) -> Principal:
        """The caller for `tenant` (None: the token's own). InvalidToken, or TenantRefused."""
        ...


def _roles(value: Any, name: str) -> frozenset[str]:
    if not isinstance(value, list):
        raise InvalidToken(f"{name} must be a list")
    return frozenset(str(r) for r in value)


def _memberships(claims: dict[str, Any]) -> dict[str, frozenset[str]]:
    """Tenant -> roles, from the `tenants` claim and the `tenant` claim (whose roles are the `roles` claim)."""
    roles = _roles(claims.get("roles") or [], "roles claim")
    listed = claims.get("tenants")
    memberships: dict[str, frozenset[str]] = {}
    if isinstance(listed, list):
        memberships = {str(t): roles for t in listed if isinstance(t, str) and t}
    elif isinstance(listed, dict):
        memberships = {str(t): _roles(r, f"tenants.{t}") for t, r in listed.items() if t}
    elif listed is not None:
        raise InvalidToken("tenants claim must be a list or an object")
    tenant = claims.get("tenant")
    if isinstance(tenant, str) and tenant:
        memberships[tenant] = roles
    return memberships


def _principal_from_claims(claims: dict[str, Any], tenant: str | None = None) -> Principal:
    memberships = _memberships(claims)
    if not memberships:
        raise InvalidToken("token has no tenant claim")
    choices = tuple(sorted(memberships))
    chosen = tenant or claims.get("tenant")
    if not isinstance(chosen, str) or not chosen:
        if len(choices) > 1:
            raise TenantRefused(
                f"the token lists several tenants: name one in {TENANT_HEADER}", choices, chosen=False
            )
        chosen = choices[0]
    if chosen not in memberships:
        raise TenantRefused(f"the token does not let its user act for tenant {chosen!r}", choices)
    return Principal(
        user_id=str(claims.get("sub", "")), tenant=chosen, roles=memberships[chosen], tenants=choices
    )


def _numeric_date(claims: dict[str, Any], name: str) -> float:
    """RFC 7519 NumericDate: a JSON number (not a boolean, not a string), finite."""
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidToken(f"the {name} claim must be a number of seconds")
    return float(value)


@dataclass(frozen=True)
class TokenLifetime:
    """How long a token may live and how far ahead of ours an issuer's clock may run.

    Choices: a token without `exp` or `iat`, or one that lives longer than `max_seconds`, is refused whoever
    signed it: a leaked token is then worth at most that long. `iat` in the future is tolerated by
    `clock_skew_seconds` only; `exp` gets no leeway (a clock running behind only shortens a token's life).
    """

    max_seconds: int = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS
    clock_skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS

    def check(self, claims: dict[str, Any], now: float) -> None:
        issued_at = _numeric_date(claims, "iat")
        expires_at = _numeric_date(claims, "exp")
        if issued_at > now + self.clock_skew_seconds:
            raise InvalidToken("the token was issued in the future (iat)")
        if expires_at - issued_at > self.max_seconds:
            raise InvalidToken(f"the token's lifetime exceeds the maximum of {self.max_seconds} s")


class LocalTokenIssuer:
    """Issues and verifies HS256 tokens (embedded default and tests)."""

    def __init__(
        self,
        secret: str,
        issuer: str = "guanwu-local",
        audience: str = "guanwu",
        ttl: int = 8 * 3600,
        lifetime: TokenLifetime = TokenLifetime(),
    ):
        if ttl > lifetime.max_seconds:
            raise ValueError(
                f"a ttl of {ttl} s exceeds the maximum token lifetime of {lifetime.max_seconds} s"
            )
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl
        self._lifetime = lifetime

    def issue(
        self, user_id: str, tenant: str, roles: list[str], tenants: dict[str, list[str]] | None = None
    ) -> str:
        """`tenants`: every tenant the user serves with its roles, when more than `tenant` (the switch)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": user_id,
            "tenant": tenant,
            "roles": roles,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + self._ttl,
        }
        if tenants:
            claims["tenants"] = {**tenants, tenant: roles}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str, tenant: str | None = None) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=self._audience,
                issuer=self._issuer,
                options=_DECODE_OPTIONS,
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        self._lifetime.check(claims, time.time())
        return _principal_from_claims(claims, tenant)


class JwksTokenVerifier:
    """Verifies tokens of an external OIDC issuer (RS256/ES256) against its published keys."""

    def __init__(
        self, jwks_url: str, issuer: str, audience: str, lifetime: TokenLifetime = TokenLifetime()
    ) -> None:
        self._keys = jwt.PyJWKClient(jwks_url, cache_keys=True)
        self._issuer = issuer
        self._audience = audience
        self._lifetime = lifetime

    def verify(self, token: str, tenant: str | None = None) -> Principal:
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=["RS256", "ES256"],
                audience=self._audience,
                issuer=self._issuer,
                options=_DECODE_OPTIONS,
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        self._lifetime.check(claims, time.time())
        return _principal_from_claims(claims, tenant)


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
        return verifier.verify(credentials.credentials, tenant=request.headers.get(TENANT_HEADER) or None)
    except TenantRefused as refused:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=_tenant_refusal(refused)) from refused
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


def _tenant_refusal(refused: TenantRefused) -> dict[str, Any]:
    if not refused.chosen:
        return {
            "code": "auth.tenant_required",
            "message_zh": f"访问令牌包含多个企业，请用请求头 {TENANT_HEADER} 指定其中一个",
            "message_en": str(refused),
        }
    return {
        "code": "auth.tenant_forbidden",
        "message_zh": "无权访问该企业（租户）的数据",
        "message_en": str(refused),
    }


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Any:
    """A dependency that lets only the given roles (and admin) through."""

    # Async although it does not wait: FastAPI runs a plain function dependency in its thread pool, two thread
    # switches per request for a set intersection. (current_principal stays a plain function: a JWKS verifier
    # may fetch the issuer's keys over the network.)
    async def check(principal: CurrentPrincipal) -> Principal:
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
