"""Property: whatever one field of a valid declaration is set to, the declaration API refuses it, or its
申报-level checks name the field, or 申报 sends exactly it in a DecMessage the kernel reads back.

The hostile values and what each deserves come from libs/customs/tests/hostile_declarations.py.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime
from typing import Any

from declaration_harness import Service, as_json, auth, running_service
from hostile_declarations import Expect, HostileEdit, hostile_documents, to_json
from hypothesis import HealthCheck, event, given, note, settings

from guanwu.contracts import topics
from guanwu.contracts.declaration import DeclarationDocument
from guanwu.contracts.events import ReviewApproved
from guanwu.customs.messages import parse_dec_message
from guanwu.platform.events import envelope_for

DECLARATIONS = "/api/declaration/declarations"


def headers(version: int | None = None) -> dict[str, str]:
    extra = {} if version is None else {"If-Match": f'"{version}"'}
    return {**auth(), "content-type": "application/json", **extra}


async def approve(service: Service, declaration: dict[str, Any]) -> None:
    """What the review service publishes when a reviewer approves."""
    approved = ReviewApproved(
        review_id="rv-1",
        declaration_id=declaration["declaration_id"],
        declaration_version=declaration["version"],
        reviewer="reviewer-1",
        decided_at=datetime.now(UTC),
    )
    topic, envelope = envelope_for(approved, source="/test", tenant="acme")
    await service.bus.publish(topic, envelope)


async def declared_message(service: Service, declaration: dict[str, Any]) -> bytes:
    """申报 an approved declaration; the DecMessage the declaration service hands to sync."""
    url = f"{DECLARATIONS}/{declaration['declaration_id']}"
    ready = (await service.client.get(url, headers=auth())).json()
    response = await service.client.post(f"{url}/declare", headers=headers(ready["version"]))
    assert response.status_code == 200, f"申报 refused a declaration that passed the checks: {response.text}"
    await service.runtime.relay.drain()  # type: ignore[union-attr]
    [requested] = [
        env
        for topic, env in service.bus.published
        if topic == topics.DECLARATION_EVENTS and env.type.endswith("DeclarationDeclareRequested.v1")
    ]
    return base64.b64decode(requested.data["message_b64"])


async def judge(base: DeclarationDocument, edit: HostileEdit) -> None:
    body = to_json(edit.apply(as_json(base)))
    async with running_service() as service:
        created = await service.client.post(DECLARATIONS, content=body, headers=headers())
        if created.status_code != 201:
            assert 400 <= created.status_code < 500, created.text
            assert await service.stored() == 0
            event(f"{edit.expect.value}: refused by the API")
            return
        assert edit.expect is not Expect.REFUSE, f"stored a value it cannot carry: {created.text[:300]}"
        declaration = created.json()
        stored = DeclarationDocument.model_validate(declaration["document"])
        assert stored == DeclarationDocument.model_validate_json(body), (
            "the stored draft is not what was sent"
        )

        url = f"{DECLARATIONS}/{declaration['declaration_id']}"
        submitted = await service.client.post(f"{url}/submit", headers=headers(1))
        if submitted.status_code == 409:
            findings = submitted.json()["error"].get("findings", [])
            if edit.expect is Expect.FLAG:
                named = [
                    f for f in findings if f["field_path"] == edit.field_path and f["severity"] == "error"
                ]
                assert named, f"提交审核 refused, but no error names {edit.field_path}: {findings}"
            event(f"{edit.expect.value}: stored, held at 提交审核")
            return
        assert submitted.status_code == 200, submitted.text
        assert edit.expect is not Expect.FLAG, (
            f"{edit.field_path} = {edit.value!r} passed the 申报-level checks"
        )

        await approve(service, submitted.json())
        message = await declared_message(service, submitted.json())
        assert parse_dec_message(message) == stored, (
            "the DecMessage sent does not read back as the declaration"
        )
        event(f"{edit.expect.value}: declared, read back the same")


# Each example starts a service and may walk 暂存 → 提交审核 → 审核通过 → 申报 (~50 ms); 80 keep it ~5 s.
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hostile_documents())
def test_a_hostile_value_is_refused_flagged_or_carried_exactly(
    case: tuple[DeclarationDocument, HostileEdit],
) -> None:
    base, edit = case
    note(f"{edit!r} in a {base.kind.value} ({base.head.ie_flag})")
    asyncio.run(judge(base, edit))
