"""If-Match parsing and the 412 answer every versioned API shares."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from guanwu.platform.http.versioning import expected_version, version_conflict


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
    conflict = version_conflict("thing.version_conflict", "模版", "template", 4)
    assert conflict.status_code == 412 and conflict.headers == {"ETag": '"4"'}
    assert conflict.detail["current_version"] == 4  # type: ignore[index]
    assert "模版已被他人修改（当前版本 4）" in conflict.detail["message_zh"]  # type: ignore[index]
    assert version_conflict("x", "单", "doc", None).headers is None  # the document is gone
