"""A broker's staff serving several enterprises: one tenant per request, only those the signed token lists."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from guanwu.platform.auth import (
    TENANT_HEADER,
    CurrentPrincipal,
    InvalidToken,
    LocalTokenIssuer,
    TenantRefused,
)
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.http.errors import install_error_handlers
from guanwu.platform.local_users import LocalUser, LocalUserStore, Membership, login_router
from guanwu.platform.runtime import Runtime, create_app
from guanwu.platform.store.memory import MemoryDocumentStore

pytestmark = pytest.mark.unit

SECRET = "t" * 40
ISSUER = LocalTokenIssuer(SECRET)
BROKER = {"acme": ["preparer"], "other": ["reviewer", "manager"]}


def signed(**claims: Any) -> str:
    now = int(time.time())
    base = {"sub": "u1", "iss": "guanwu-local", "aud": "guanwu", "iat": now, "exp": now + 600}
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


def test_a_token_with_one_tenant_acts_for_it_as_before() -> None:
    principal = ISSUER.verify(ISSUER.issue("u1", "acme", ["preparer"]))
    assert (principal.tenant, principal.roles, principal.tenants) == ("acme", {"preparer"}, ("acme",))
    assert ISSUER.verify(ISSUER.issue("u1", "acme", ["preparer"]), tenant="acme").tenant == "acme"
    with pytest.raises(TenantRefused):
        ISSUER.verify(ISSUER.issue("u1", "acme", ["preparer"]), tenant="other")


def test_a_token_listing_tenants_acts_for_the_asked_one_with_its_roles() -> None:
    token = ISSUER.issue("u1", "acme", ["preparer"], BROKER)
    own = ISSUER.verify(token)
    assert (own.tenant, own.roles, own.tenants) == ("acme", {"preparer"}, ("acme", "other"))
    other = ISSUER.verify(token, tenant="other")
    assert (other.tenant, other.roles) == ("other", {"reviewer", "manager"})
    with pytest.raises(TenantRefused) as refused:
        ISSUER.verify(token, tenant="third")
    assert refused.value.chosen and refused.value.choices == ("acme", "other")


def test_a_tenants_claim_without_a_tenant_needs_the_choice_unless_it_lists_one() -> None:
    several = signed(tenants=["acme", "other"], roles=["reviewer"])
    with pytest.raises(TenantRefused) as refused:
        ISSUER.verify(several)
    assert not refused.value.chosen and refused.value.choices == ("acme", "other")
    assert ISSUER.verify(several, tenant="other").roles == {"reviewer"}
    assert ISSUER.verify(signed(tenants={"acme": ["admin"]})).tenant == "acme"


@pytest.mark.parametrize(
    "claims",
    [{"tenants": "acme"}, {"tenants": {"acme": "preparer"}}, {"tenants": []}, {"tenants": {}}],
    ids=["string", "roles-not-a-list", "empty-list", "empty-object"],
)
def test_malformed_tenants_claims_are_invalid(claims: dict[str, Any]) -> None:
    with pytest.raises(InvalidToken):
        ISSUER.verify(signed(**claims))


def caller() -> TestClient:
    app = FastAPI()
    app.state.token_verifier = ISSUER
    install_error_handlers(app)

    @app.get("/me")
    def me(principal: CurrentPrincipal) -> dict[str, Any]:
        return {"tenant": principal.tenant, "roles": sorted(principal.roles)}

    return TestClient(app)


def test_every_service_sees_the_header_s_tenant_only_when_the_token_lists_it() -> None:
    client = caller()
    token = {"Authorization": f"Bearer {ISSUER.issue('u1', 'acme', ['preparer'], BROKER)}"}
    assert client.get("/me", headers=token).json() == {"tenant": "acme", "roles": ["preparer"]}
    switched = client.get("/me", headers={**token, TENANT_HEADER: "other"})
    assert switched.json() == {"tenant": "other", "roles": ["manager", "reviewer"]}
    refused = client.get("/me", headers={**token, TENANT_HEADER: "third"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.tenant_forbidden"
    single = {"Authorization": f"Bearer {ISSUER.issue('u2', 'acme', ['preparer'])}"}
    assert client.get("/me", headers={**single, TENANT_HEADER: "other"}).status_code == 403
    several = {"Authorization": f"Bearer {signed(tenants=['acme', 'other'])}"}
    unnamed = client.get("/me", headers=several)
    assert unnamed.status_code == 403 and unnamed.json()["error"]["code"] == "auth.tenant_required"
    assert "X-Guanwu-Tenant" in unnamed.json()["error"]["message_zh"]


async def test_local_login_and_switch_issue_a_token_per_enterprise() -> None:
    store = MemoryDocumentStore()
    users = LocalUserStore(store)
    broker = LocalUser(
        username="broker",
        tenant="acme",
        roles=["preparer"],
        memberships=[Membership(tenant="other", roles=["reviewer"])],
    )
    await users.add(broker, "secret-password")
    await users.add(LocalUser(username="zhang", tenant="acme", roles=["preparer"]), "secret-password")
    app = create_app(
        Runtime(store, InProcessEventBus()),
        ISSUER,
        title="t",
        service_label="t",
        extra_routers=[login_router(users, ISSUER)],
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        login = {"username": "broker", "password": "secret-password"}
        default = (await client.post("/api/auth/token", json=login)).json()
        assert (default["tenant"], default["roles"], default["tenants"]) == (
            "acme",
            ["preparer"],
            ["acme", "other"],
        )
        chosen = (await client.post("/api/auth/token", json={**login, "tenant": "other"})).json()
        assert ISSUER.verify(chosen["access_token"]).roles == {"reviewer"}
        refused = await client.post("/api/auth/token", json={**login, "tenant": "third"})
        assert refused.status_code == 403
        bearer = {"Authorization": f"Bearer {default['access_token']}"}
        switched = await client.post("/api/auth/switch", json={"tenant": "other"}, headers=bearer)
        assert switched.status_code == 200, switched.text
        assert ISSUER.verify(switched.json()["access_token"]).tenant == "other"
        zhang = (await client.post("/api/auth/token", json={**login, "username": "zhang"})).json()
        assert zhang["tenants"] == ["acme"] and "tenants" not in jwt.decode(
            zhang["access_token"], options={"verify_signature": False}
        )
        other = {"Authorization": f"Bearer {zhang['access_token']}"}
        assert (
            await client.post("/api/auth/switch", json={"tenant": "other"}, headers=other)
        ).status_code == 403


async def test_a_membership_with_an_unknown_role_is_refused() -> None:
    users = LocalUserStore(MemoryDocumentStore())
    odd = LocalUser(
        username="x", tenant="acme", roles=["preparer"], memberships=[Membership(tenant="b", roles=["boss"])]
    )
    with pytest.raises(ValueError, match="boss"):
        await users.add(odd, "secret-password")
