"""If-Match parsing, the ETag of an answer, and the 412 answer every versioned API shares."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi import HTTPException, Response

from guanwu.platform.http.versioning import expected_version, tagged
from guanwu.platform.refusal import Noun, VersionConflict


@pytest.mark.parametrize(("header", "version"), [('"3"', 3), ('W/"12"', 12), (" 7 ", 7)])
def test_if_match_gives_the_version(header: str, version: int) -> None:
    assert expected_version(header) == version


@pytest.mark.parametrize(("header", "status"), [(None, 428), ('"v3"', 400), ('""', 400)])
def test_a_missing_or_malformed_if_match_is_refused(header: str | None, status: int) -> None:
    with pytest.raises(HTTPException) as refused:
        expected_version(header)
    assert refused.value.status_code == status
    assert refused.value.detail["message_zh"] and refused.value.detail["message_en"]  # type: ignore[index]


def test_a_conflict_names_the_current_version_in_body_and_etag() -> None:
    conflict = VersionConflict(Noun("thing", "模版", "template"), "things", "t1", 3, 4)
    assert conflict.status == 412 and conflict.headers() == {"ETag": '"4"'}
    assert conflict.details["current_version"] == 4
    assert "模版已被他人修改（当前版本 4）" in conflict.message_zh
    assert (
        VersionConflict(Noun("x", "单", "doc"), "docs", "d1", 1, None).headers() is None
    )  # the document is gone


def test_an_answer_carries_its_version_as_etag() -> None:
    response = Response()
    task = SimpleNamespace(version=7)
    assert tagged(task, response) is task
    assert response.headers["ETag"] == '"7"'
