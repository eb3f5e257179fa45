"""Local users of the embedded default: argon2 password hashes in the store, tokens from the local issuer.

A broker's staff serve several enterprises: `memberships` lists the others, each with its own roles, beside the
default `tenant`/`roles`. A token acts for one of them (`POST /api/auth/token` with `tenant`, or
`POST /api/auth/switch` for another), and lists them all in its `tenants` claim (see `guanwu.platform.auth`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from guanwu.platform.auth import ROLES, CurrentPrincipal, LocalTokenIssuer, PasswordHashing
from guanwu.platform.store.port import Collection, DocumentStore

COLLECTION = "platform_users"


class Membership(BaseModel):
    tenant: str
    roles: list[str]


class LocalUser(BaseModel):
    username: str
    tenant: str
    """The default enterprise (a login naming none acts for it)."""
    roles: list[str]
    display_name: str | None = None
    memberships: list[Membership] = Field(default_factory=list)
    """Further enterprises this user serves, with the roles in each."""

    def enterprises(self) -> dict[str, list[str]]:
        """Tenant -> roles, the default first."""
        return {
            self.tenant: self.roles,
            **{m.tenant: m.roles for m in self.memberships if m.tenant != self.tenant},
        }


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    tenant: str | None = Field(None, min_length=1, max_length=64, description="企业: one the user serves")


class SwitchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=64)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    tenant: str
    roles: list[str]
    tenants: list[str] = Field(default_factory=list, description="Every enterprise the user serves")


TENANT_FORBIDDEN = {
    "code": "auth.tenant_forbidden",
    "message_zh": "无权访问该企业（租户）的数据",
    "message_en": "The user does not serve this tenant",
}


class LocalUserStore:
    def __init__(self, store: DocumentStore, hashing: PasswordHashing | None = None) -> None:
        self.collection: Collection = store.collection(COLLECTION)
        self._hashing = hashing or PasswordHashing()

    async def add(self, user: LocalUser, password: str) -> None:
        unknown = {r for roles in user.enterprises().values() for r in roles} - ROLES
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        doc: dict[str, Any] = {
            "_id": user.username,
            **user.model_dump(),
            "password_hash": self._hashing.hash(password),
        }
        await self.collection.insert(doc)

    async def exists(self, username: str) -> bool:
        return await self.collection.get(username) is not None

    async def authenticate(self, username: str, password: str) -> LocalUser | None:
        doc = await self.collection.get(username)
        if doc is None or not self._hashing.verify(doc["password_hash"], password):
            return None
        return LocalUser.model_validate(doc)

    async def get(self, username: str) -> LocalUser | None:
        doc = await self.collection.get(username)
        return None if doc is None else LocalUser.model_validate(doc)


def issue_for(issuer: LocalTokenIssuer, user: LocalUser, tenant: str | None) -> TokenResponse:
    """A token acting for `tenant` (None: the user's default); 403 for one the user does not serve."""
    enterprises = user.enterprises()
    chosen = tenant or user.tenant
    if chosen not in enterprises:
        raise HTTPException(403, detail=TENANT_FORBIDDEN)
    roles = enterprises[chosen]
    others = enterprises if len(enterprises) > 1 else None
    return TokenResponse(
        access_token=issuer.issue(user.username, chosen, roles, others),
        tenant=chosen,
        roles=roles,
        tenants=sorted(enterprises),
    )


def login_router(users: LocalUserStore, issuer: LocalTokenIssuer) -> APIRouter:
    router = APIRouter(prefix="/api/auth", tags=["auth"])

    @router.post("/token", response_model=TokenResponse, summary="登录 / log in and get a bearer token")
    async def token(login: LoginRequest) -> TokenResponse:
        user = await users.authenticate(login.username, login.password)
        if user is None:
            raise HTTPException(
                401,
                detail={
                    "code": "auth.bad_credentials",
                    "message_zh": "用户名或密码错误",
                    "message_en": "Wrong username or password",
                },
            )
        return issue_for(issuer, user, login.tenant)

    @router.post(
        "/switch", response_model=TokenResponse, summary="切换企业 / a token of the caller for another tenant"
    )
    async def switch(request: SwitchRequest, principal: CurrentPrincipal) -> TokenResponse:
        user = await users.get(principal.user_id)
        if user is None:  # not a local user (another issuer's token)
            raise HTTPException(403, detail=TENANT_FORBIDDEN)
        return issue_for(issuer, user, request.tenant)

    return router
