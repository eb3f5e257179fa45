"""Refusals are answered by the platform's error handlers, the same way for every service."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from guanwu.platform.http.errors import install_error_handlers
from guanwu.platform.refusal import InvalidRequest, NotFound, Noun, Refusal, VersionConflict

pytestmark = pytest.mark.unit
NOUN = Noun("parcel", "包裹", "parcel")


class Blocking(BaseModel):
    field: str
    message_zh: str


def client_raising(refusal: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/change")
    async def change() -> None:
        raise refusal

    return TestClient(app)


def test_a_refusal_says_why_in_both_languages_with_the_blocking_findings() -> None:
    refusal = Refusal(
        "parcel.too_heavy",
        "包裹超重",
        "The parcel is too heavy",
        findings=[Blocking(field="weight", message_zh="超过 30 千克")],
    )
    answer = client_raising(refusal).post("/change")
    assert answer.status_code == 409
    assert answer.json() == {
        "error": {
            "code": "parcel.too_heavy",
            "message_zh": "包裹超重",
            "message_en": "The parcel is too heavy",
            "findings": [{"field": "weight", "message_zh": "超过 30 千克"}],
        }
    }


@pytest.mark.parametrize(
    ("refusal", "status", "code"),
    [
        (NotFound(NOUN), 404, "parcel.not_found"),
        (InvalidRequest("parcel.bad", "不对", "Wrong", field="weight"), 422, "parcel.bad"),
    ],
)
def test_each_kind_of_refusal_has_its_status(refusal: Refusal, status: int, code: str) -> None:
    answer = client_raising(refusal).post("/change")
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert "findings" not in answer.json()["error"]


def test_a_version_conflict_names_the_current_version_also_as_etag() -> None:
    answer = client_raising(VersionConflict(NOUN, "parcels", "p1", 1, 4)).post("/change")
    assert answer.status_code == 412
    assert answer.headers["ETag"] == '"4"'
    assert answer.json()["error"]["current_version"] == 4
    assert "当前版本 4" in answer.json()["error"]["message_zh"]
