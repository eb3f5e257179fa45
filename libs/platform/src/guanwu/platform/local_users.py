"""Local users of the embedded default: argon2 password hashes in the store, tokens from the local issuer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from guanwu.platform.auth import ROLES, LocalTokenIssuer, PasswordHashing
from guanwu.platform.store.port import Collection, DocumentStore

COLLECTION = "platform_users"


class LocalUser(BaseModel):
    username: str
    tenant: str
    roles: list[str]
    display_name: str | None = None


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    tenant: str
    roles: list[str]


class LocalUserStore:
    def __init__(self, store: DocumentStore, hashing: PasswordHashing | None = None) -> None:
        self.collection: Collection = store.collection(COLLECTION)
        self._hashing = hashing or PasswordHashing()

    async def add(self, user: LocalUser, password: str) -> None:
        unknown = set(user.roles) - ROLES
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
        access_token = issuer.issue(user.username, user.tenant, user.roles)
        return TokenResponse(access_token=access_token, tenant=user.tenant, roles=user.roles)

    return router
