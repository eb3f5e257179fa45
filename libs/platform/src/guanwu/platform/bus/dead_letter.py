"""What goes to a dead-letter topic when the failed message itself is too large to copy there.

A message the broker accepted may still not fit on its dead-letter topic: the copy carries the reason headers
besides the original. Dead-lettering must not fail for that reason (the consumer would wait on that message for
ever), so an oversized copy is replaced by a reference: the reason and coordinates stay in the headers, the
value names the original's size and SHA-256 and keeps its first bytes, and the original itself stays readable
on the source topic at the given partition and offset for as long as the topic keeps it.
"""

from __future__ import annotations

import hashlib
import json

REFERENCE_HEAD_BYTES = 4096
# Record and header framing the estimate below does not count (varints, attributes, batch header).
_FRAMING_BYTES = 512

TRIMMED_HEADER = "guanwu-dlq-trimmed"
ORIGINAL_BYTES_HEADER = "guanwu-dlq-original-bytes"
ORIGINAL_SHA256_HEADER = "guanwu-dlq-original-sha256"


def record_size(key: bytes | None, value: bytes, headers: dict[str, str]) -> int:
    """An upper estimate of the record's size on the wire."""
    header_bytes = sum(len(k.encode("utf-8")) + len(v.encode("utf-8")) for k, v in headers.items())
    return len(key or b"") + len(value) + header_bytes + _FRAMING_BYTES


def as_reference(value: bytes, headers: dict[str, str], head_bytes: int = REFERENCE_HEAD_BYTES) -> bytes:
    """The small stand-in for an oversized original (the headers are extended in place)."""
    digest = hashlib.sha256(value).hexdigest()
    headers[TRIMMED_HEADER] = "true"
    headers[ORIGINAL_BYTES_HEADER] = str(len(value))
    headers[ORIGINAL_SHA256_HEADER] = digest
    reference = {
        "guanwu_dead_letter_reference": True,
        "original_bytes": len(value),
        "original_sha256": digest,
        "original_head": value[:head_bytes].decode("utf-8", "replace"),
    }
    return json.dumps(reference, ensure_ascii=False).encode("utf-8")


def fit(key: bytes | None, value: bytes, headers: dict[str, str], max_bytes: int) -> bytes:
    """The value to dead-letter: the original when the record fits in `max_bytes`, else its reference."""
    if record_size(key, value, headers) <= max_bytes:
        return value
    return as_reference(value, headers)


def is_reference(headers: dict[str, str]) -> bool:
    return headers.get(TRIMMED_HEADER) == "true"
