"""The signing API refuses bad input before the card is used: text the customs XML cannot carry (422 naming
the field), content that is not base64 (400)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from guanwu.card_signer import bootstrap
from guanwu.card_signer.config import CardSignerSettings
from guanwu.platform.auth import LocalTokenIssuer
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.runtime import Runtime, create_app
from guanwu.platform.store.memory import MemoryDocumentStore

from .conftest import FakeSigner

SECRET = "u" * 40


@pytest.fixture
async def client(fake_signer: FakeSigner, soft_token: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = CardSignerSettings(
        auth={"mode": "local", "secret": SECRET},  # type: ignore[arg-type]
        tenants=["tenant-1"],
        signer="soft",
        soft_token_path=soft_token,
        soft_passphrase="correct horse battery",  # type: ignore[arg-type]
    )
    store = MemoryDocumentStore()
    runtime = Runtime(store, InProcessEventBus())
    runtime.register(bootstrap.build(settings, store, runtime.outbox_written, signer=fake_signer))
    app = create_app(runtime, LocalTokenIssuer(SECRET), title="card-signer", service_label="card-signer")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


@pytest.mark.parametrize("user_id", ["1234\x00", "\u0008abc", "abc\ufffe"])
async def test_an_unwritable_user_id_is_refused_and_nothing_is_signed(
    client: httpx.AsyncClient, fake_signer: FakeSigner, user_id: str
) -> None:
    token = LocalTokenIssuer(SECRET).issue("u1", "tenant-1", ["preparer"])
    body = {"content_b64": base64.b64encode(b"<DecMessage/>").decode(), "user_id": user_id}
    response = await client.post(
        "/api/card-signer/sign", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422, response.text
    [field] = response.json()["error"]["fields"]
    assert (field["field"], field["type"]) == ("user_id", "xml_char")
    assert fake_signer.calls == 0


@pytest.mark.parametrize("content_b64", ["\u0080", "QUJD\u4e2d", "not base64!", "QUJ"])
async def test_content_that_is_not_base64_is_a_400_and_nothing_is_signed(
    client: httpx.AsyncClient, fake_signer: FakeSigner, content_b64: str
) -> None:
    token = LocalTokenIssuer(SECRET).issue("u1", "tenant-1", ["preparer"])
    response = await client.post(
        "/api/card-signer/sign",
        json={"content_b64": content_b64},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "card_signer.bad_request"
    assert fake_signer.calls == 0
