"""The enterprise switch: a broker's staff member serving two enterprises sees one at a time, never the other's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from console_system import PASSWORD, console_system, draft, hidden_csrf, log_in
from embedded_system import eventually

from guanwu.platform.auth import TENANT_HEADER
from guanwu.platform.local_users import LocalUser, Membership

pytestmark = pytest.mark.unit

BROKER = LocalUser(
    username="broker",
    tenant="acme",
    roles=["preparer"],
    memberships=[Membership(tenant="other", roles=["preparer", "reviewer"])],
)


async def test_a_broker_switches_enterprise_and_sees_only_its_data(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        await system.users.add(BROKER, PASSWORD)
        ours = (await draft(system, client, "acme", "zhang"))["declaration_id"]
        theirs = (await draft(system, client, "other", "wang"))["declaration_id"]
        await log_in(client, "broker")
        home = await client.get("/console/")
        assert "企业：acme" in home.text and 'action="/console/tenant"' in home.text
        assert (await client.get(f"/console/declarations/{ours}")).status_code == 200
        assert (await client.get(f"/console/declarations/{theirs}")).status_code == 404
        assert "审单" not in home.text  # a preparer in acme: no 审单 menu

        switched = await client.post(
            "/console/tenant",
            data={
                "tenant": "other",
                "next": "/console/query/declarations",
                "csrf_token": hidden_csrf(home.text),
            },
        )
        assert switched.status_code == 303 and switched.headers["location"] == "/console/query/declarations"
        home = await client.get("/console/")
        assert "企业：other" in home.text and "报关单审核" in home.text  # the roles of that enterprise
        assert (await client.get(f"/console/declarations/{theirs}")).status_code == 200
        assert (await client.get(f"/console/declarations/{ours}")).status_code == 404

        async def listed() -> str | None:
            page = await client.get("/console/query/declarations")
            return page.text if theirs in page.text else None

        assert ours not in await eventually(listed)


async def test_a_switch_to_an_enterprise_the_user_does_not_serve_is_refused(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (system, client):
        await system.users.add(BROKER, PASSWORD)
        await log_in(client, "broker")
        home = await client.get("/console/")
        csrf = hidden_csrf(home.text)
        refused = await client.post("/console/tenant", data={"tenant": "third", "csrf_token": csrf})
        assert refused.status_code == 403 and "无权访问该企业" in refused.text
        assert (await client.post("/console/tenant", data={"tenant": "other"})).status_code == 403  # no CSRF
        client.cookies.set("guanwu_tenant", "third")  # a forged choice grants nothing: the token's own tenant
        assert "企业：acme" in (await client.get("/console/")).text


async def test_a_user_of_one_enterprise_has_no_switch(tmp_path: Path) -> None:
    async with console_system(tmp_path) as (_, client):
        await log_in(client, "zhang")
        home = await client.get("/console/")
        assert "企业：acme" in home.text and "/console/tenant" not in home.text
        client.cookies.set("guanwu_tenant", "other")
        home = await client.get("/console/")
        assert "企业：acme" in home.text
        refused = await client.post(
            "/console/tenant", data={"tenant": "other", "csrf_token": hidden_csrf(home.text)}
        )
        assert refused.status_code == 403


async def test_a_service_calling_another_for_the_user_acts_for_the_same_enterprise(tmp_path: Path) -> None:
    """审单's 高级审核 reads the declaration from the declaration service with the caller's token: for a broker
    acting for their second enterprise it must name that enterprise too, or it would read the first one's."""
    async with console_system(tmp_path) as (system, client):
        ours = await draft(system, client, "other", "wang")
        url = f"/api/declaration/declarations/{ours['declaration_id']}"
        wang = {"Authorization": f"Bearer {system.issuer.issue('wang', 'other', ['preparer'])}"}
        submitted = await client.post(f"{url}/submit", headers={**wang, "If-Match": f'"{ours["version"]}"'})
        assert submitted.status_code < 300, submitted.text
        token = system.issuer.issue("broker", "acme", ["preparer"], {"other": ["reviewer"]})
        as_other = {"Authorization": f"Bearer {token}", TENANT_HEADER: "other"}

        async def task() -> list[dict[str, Any]]:
            page = await client.get("/api/review/tasks", headers=as_other)
            return [t for t in page.json()["items"] if t["declaration_id"] == ours["declaration_id"]]

        [found] = await eventually(task)
        advanced = await client.get(f"/api/review/tasks/{found['review_id']}/advanced", headers=as_other)
        assert advanced.status_code == 200, advanced.text
        assert advanced.json()["template"]["state"] != "unavailable", advanced.json()["template"]
