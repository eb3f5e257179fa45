"""A dead-letter copy always fits: an oversized original becomes a reference that still names it."""

from __future__ import annotations

import hashlib
import json

from guanwu.platform.bus import dead_letter

HEADERS = {"guanwu-dlq-reason": "invalid-payload", "guanwu-dlq-source-offset": "41"}


def test_a_copy_that_fits_is_the_original() -> None:
    headers = dict(HEADERS)
    assert dead_letter.fit(b"k", b"x" * 1000, headers, max_bytes=10_000) == b"x" * 1000
    assert headers == HEADERS


def test_a_copy_whose_headers_push_it_over_the_limit_becomes_a_reference() -> None:
    original = b'{"data": "' + "报".encode() * 300_000 + b'"}'
    headers = dict(HEADERS)
    # The original alone is under the limit; with the reason headers and framing it is not.
    value = dead_letter.fit(b"key", original, headers, max_bytes=len(original) + 100)
    reference = json.loads(value)
    assert len(value) < 10_000
    assert reference["original_bytes"] == len(original)
    assert reference["original_sha256"] == hashlib.sha256(original).hexdigest()
    assert reference["original_head"].startswith('{"data": "报')
    assert headers["guanwu-dlq-trimmed"] == "true"
    assert headers["guanwu-dlq-original-bytes"] == str(len(original))
    assert headers["guanwu-dlq-reason"] == "invalid-payload" and headers["guanwu-dlq-source-offset"] == "41"
    assert dead_letter.is_reference(headers)


def test_a_reference_cut_inside_a_character_is_still_valid_json() -> None:
    headers: dict[str, str] = {}
    value = dead_letter.as_reference("报".encode() * 5000, headers, head_bytes=4096 + 1)
    assert json.loads(value)["original_head"].startswith("报")
