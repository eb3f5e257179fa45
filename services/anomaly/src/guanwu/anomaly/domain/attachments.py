"""附件 of anomaly records (F-24). Pure: no I/O.

An attachment is a file kept outside its record (a blob) and described by a document of its own: its name as
sanitised here, its size, its type as its content says, who uploaded it and when. Adding or removing one is a
change of the record: one more entry in the record's history and an AnomalyChanged whose facts do not move.

Types are checked from the content, never from the name or the client's Content-Type: `ContentCheck` reads
the bytes as they stream past (the magic bytes of the first `HEAD_BYTES` with `filetype`; for xlsx/docx,
which are zip files, the zip's central directory at the end, never extracting anything; for txt/csv, text
without NUL bytes in UTF-8 or GB18030) and refuses at the first byte that shows the file is not allowed.
Nothing external scans anything.
"""

from __future__ import annotations

import codecs
import re
import struct
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote

import filetype
from pydantic import BaseModel, Field

from guanwu.anomaly.domain.records import (
    Anomaly,
    HistoryAction,
    HistoryEntry,
    facts_of,
)
from guanwu.contracts.events.anomaly import AnomalyChanged, FieldChange
from guanwu.platform import ids
from guanwu.platform.refusal import InvalidRequest, Refusal

new_attachment_id = ids.new_id

HEAD_BYTES = 8192
"""How much of the start the magic bytes are read from."""
ZIP_TAIL_BYTES = 256 * 1024
"""How much of the end is kept to read a zip's central directory from (an Office file's is a few KB)."""
NAME_MAX_CHARS = 120
ATTACHMENTS_FIELD = "attachments"
"""How the record's history names an attachment added or removed."""


class AttachmentKind(StrEnum):
    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    XLSX = "xlsx"
    DOCX = "docx"
    TXT = "txt"
    CSV = "csv"


@dataclass(frozen=True)
class KindInfo:
    content_type: str
    extensions: tuple[str, ...]
    zip_folder: bytes | None = None  # an Office file: the zip member folder it must have


KINDS: dict[AttachmentKind, KindInfo] = {
    AttachmentKind.PDF: KindInfo("application/pdf", (".pdf",)),
    AttachmentKind.PNG: KindInfo("image/png", (".png",)),
    AttachmentKind.JPEG: KindInfo("image/jpeg", (".jpg", ".jpeg")),
    AttachmentKind.XLSX: KindInfo(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), b"xl/"
    ),
    AttachmentKind.DOCX: KindInfo(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), b"word/"
    ),
    AttachmentKind.TXT: KindInfo("text/plain; charset=utf-8", (".txt",)),
    AttachmentKind.CSV: KindInfo("text/csv; charset=utf-8", (".csv",)),
}
_BY_EXTENSION = {ext: kind for kind, info in KINDS.items() for ext in info.extensions}
_MAGIC = {
    "application/pdf": AttachmentKind.PDF,
    "image/png": AttachmentKind.PNG,
    "image/jpeg": AttachmentKind.JPEG,
}
_ZIP_MIMES = {"application/zip", *(KINDS[k].content_type for k in (AttachmentKind.XLSX, AttachmentKind.DOCX))}
_OFFICE = (AttachmentKind.XLSX, AttachmentKind.DOCX)
_TEXT = (AttachmentKind.TXT, AttachmentKind.CSV)


class AttachmentInfo(BaseModel):
    """An attachment as the list shows it."""

    attachment_id: str
    anomaly_id: str
    name: str = Field(description="The file name as kept (sanitised)")
    size: int = Field(description="Bytes")
    content_type: str = Field(description="From the content's type, not from what the client said")
    kind: AttachmentKind
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class Attachment(AttachmentInfo):
    """An attachment as kept: also its tenant (every read is scoped by it)."""

    tenant: str


# ── refusals (422 naming the field `file`, 413 for size) ──────────────────────────────────────────────────


class AttachmentRefused(InvalidRequest):
    def __init__(self, code: str, zh: str, en: str, **details: Any) -> None:
        super().__init__(f"anomaly.attachment_{code}", zh, en, field="file", **details)


class AttachmentTooLarge(Refusal):
    status = 413

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            "anomaly.attachment_too_large",
            f"附件不能超过 {_megabytes(max_bytes)}",
            f"An attachment may not be larger than {_megabytes(max_bytes)}",
            field="file",
            max_bytes=max_bytes,
        )


class TooManyAttachments(Refusal):
    def __init__(self, limit: int) -> None:
        super().__init__(
            "anomaly.too_many_attachments",
            f"每条异常记录最多 {limit} 个附件",
            f"A record has at most {limit} attachments",
            max_attachments=limit,
        )


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"


def empty_file() -> AttachmentRefused:
    return AttachmentRefused("empty", "附件为空文件", "The file is empty")


def type_not_allowed(what: str, allowed: Collection[AttachmentKind]) -> AttachmentRefused:
    names = ", ".join(sorted(kind.value for kind in allowed))
    return AttachmentRefused(
        "type_not_allowed",
        f"不允许的附件类型（{what}），允许：{names}",
        f"This type of file is not allowed ({what}); allowed: {names}",
        allowed=sorted(kind.value for kind in allowed),
    )


# ── names ─────────────────────────────────────────────────────────────────────────────────────────────

_UNSAFE = re.compile(r'[<>:"|?*\\/]')
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\.|$)", re.IGNORECASE)


def sanitized_name(raw: str | None) -> str:
    """The name to keep: no folders (only what follows the last / or \\), no control or format characters,
    none of <>:"|?* (Windows), no leading or trailing dots and spaces, NFC, at most NAME_MAX_CHARS characters
    with the extension kept; "" when nothing is left."""
    text = unicodedata.normalize("NFC", raw or "")
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = _UNSAFE.sub("_", text).strip(" .")
    if _WINDOWS_RESERVED.match(text):
        text = f"_{text}"
    stem, dot, ext = text.rpartition(".")
    if not dot or len(ext) > 10:
        stem, ext = text, ""
    suffix = f".{ext}" if ext else ""
    return (stem[: NAME_MAX_CHARS - len(suffix)].rstrip(" .") + suffix) if stem else ""


def extension_of(name: str) -> str:
    _, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot else ""


def kind_named(name: str, allowed: Collection[AttachmentKind]) -> AttachmentKind | None:
    """The kind the name's extension says (None: no extension); a disallowed extension is refused here,
    before a byte is stored."""
    ext = extension_of(name)
    if not ext:
        return None
    kind = _BY_EXTENSION.get(ext)
    if kind is None or kind not in allowed:
        raise type_not_allowed(ext, allowed)
    return kind


def named_for(name: str, kind: AttachmentKind) -> str:
    """The kept name: the sanitised one, given the kind's extension when it has none."""
    base = name or "附件"
    return base if extension_of(base) else base[: NAME_MAX_CHARS - 5] + KINDS[kind].extensions[0]


# ── content ───────────────────────────────────────────────────────────────────────────────────────────


class ContentCheck:
    """Feed it the file's bytes in order, then `finish()`: the kind the content is, or an AttachmentRefused
    as soon as the bytes show it is not allowed (`expected`: the kind the name says, which the content must
    be)."""

    def __init__(self, allowed: Collection[AttachmentKind], expected: AttachmentKind | None) -> None:
        self._allowed = frozenset(allowed)
        self._expected = expected
        self._head = bytearray()
        self._tail = bytearray()
        self._family: str | None = None  # "magic", "zip" or "text" once the head is read
        self._magic: AttachmentKind | None = None
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._gb18030 = codecs.getincrementaldecoder("gb18030")()
        self._text_encodings = {"utf-8", "gb18030"}
        self.size = 0

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._family is None:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
            if len(self._head) >= HEAD_BYTES:
                self._read_head()
                self._after_head(bytes(self._head) + chunk[len(chunk) - (self.size - HEAD_BYTES) :])
            return
        self._after_head(chunk)

    def finish(self) -> AttachmentKind:
        if self.size == 0:
            raise empty_file()
        if self._family is None:
            self._read_head()
            self._after_head(bytes(self._head))
        if self._family == "zip":
            return self._office_kind()
        if self._family == "text":
            return self._text_kind(final=True)
        assert self._magic is not None
        return self._magic

    def _read_head(self) -> None:
        guessed = filetype.guess(bytes(self._head))
        family: tuple[AttachmentKind, ...]
        if guessed is None:
            self._family, family, what = "text", _TEXT, "文本或未知类型 / text or unknown"
        elif guessed.mime in _ZIP_MIMES:
            self._family, family, what = "zip", _OFFICE, f"zip ({guessed.extension})"
        elif guessed.mime in _MAGIC:
            self._family, family, what = "magic", (_MAGIC[guessed.mime],), guessed.extension
            self._magic = _MAGIC[guessed.mime]
        else:
            raise type_not_allowed(guessed.extension, self._allowed)
        if not self._candidates(family):
            allowed_here = [kind for kind in family if kind in self._allowed]
            if allowed_here and self._expected is not None:
                raise self._mismatch(what)
            raise type_not_allowed(what, self._allowed)

    def _mismatch(self, what: str) -> AttachmentRefused:
        expected = self._expected.value if self._expected else "?"
        return AttachmentRefused(
            "type_mismatch",
            f"文件内容是 {what}，与文件名所示的 {expected} 不符",
            f"The file's content is {what}, not the {expected} its name says",
        )

    def _candidates(self, kinds: tuple[AttachmentKind, ...]) -> list[AttachmentKind]:
        """The kinds of this family the file may be: allowed, and the one its name says if it says one."""
        return [kind for kind in kinds if kind in self._allowed and self._expected in (None, kind)]

    def _after_head(self, data: bytes) -> None:
        """The bytes from the head on (the head itself once): what the family needs to see of them."""
        if self._family == "zip":
            self._tail = (self._tail + data)[-ZIP_TAIL_BYTES:]
        elif self._family == "text":
            self._decode(data)

    def _decode(self, data: bytes, *, final: bool = False) -> None:
        if b"\x00" in data:
            raise type_not_allowed("二进制 / binary", self._allowed)
        for encoding, decoder in (("utf-8", self._utf8), ("gb18030", self._gb18030)):
            if encoding in self._text_encodings:
                try:
                    decoder.decode(data, final)
                except UnicodeDecodeError:
                    self._text_encodings.discard(encoding)
        if not self._text_encodings:
            raise type_not_allowed("非 UTF-8/GB18030 文本 / not UTF-8 or GB18030 text", self._allowed)

    def _text_kind(self, *, final: bool) -> AttachmentKind:
        self._decode(b"", final=final)
        return self._candidates(_TEXT)[0]

    def _office_kind(self) -> AttachmentKind:
        names = zip_member_names(bytes(self._tail))
        if names is None or b"[Content_Types].xml" not in names:
            raise type_not_allowed("zip", self._allowed)
        found = [kind for kind in _OFFICE if _has_folder(names, KINDS[kind].zip_folder)]
        for kind in self._candidates(_OFFICE):
            if kind in found:
                return kind
        if found and found[0] in self._allowed:
            raise self._mismatch(found[0].value)
        raise type_not_allowed("zip", self._allowed)


def _has_folder(names: set[bytes], folder: bytes | None) -> bool:
    return folder is not None and any(name.startswith(folder) for name in names)


_EOCD = b"PK\x05\x06"
_CENTRAL = b"PK\x01\x02"


def zip_member_names(tail: bytes) -> set[bytes] | None:
    """The member names in a zip's central directory, read from the last bytes of the file (None: no
    readable central directory in them). Nothing is extracted or decompressed."""
    end = tail.rfind(_EOCD, max(0, len(tail) - 22 - 0xFFFF))
    if end < 0 or len(tail) - end < 22:
        return None
    count, directory_size = struct.unpack_from("<HI", tail, end + 10)
    start = end - directory_size
    if start < 0:
        return None
    names: set[bytes] = set()
    position = start
    for _ in range(count):
        if tail[position : position + 4] != _CENTRAL or position + 46 > end:
            return None
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", tail, position + 28)
        names.add(tail[position + 46 : position + 46 + name_length])
        position += 46 + name_length + extra_length + comment_length
    return names


# ── the record's history ──────────────────────────────────────────────────────────────────────────────


def attachment_change(
    anomaly: Anomaly, change: FieldChange, *, user_id: str, now: datetime
) -> tuple[Anomaly, AnomalyChanged]:
    """The record after an attachment was added or removed: one more history entry (修改 of `attachments`,
    the file's name before or after) and the AnomalyChanged announcing its version; its facts do not move."""
    entry = HistoryEntry(
        version=anomaly.version + 1, at=now, by=user_id, action=HistoryAction.CHANGED, changes=[change]
    )
    after = anomaly.model_copy(
        update={
            "version": entry.version,
            "updated_at": now,
            "updated_by": user_id,
            "history": [*anomaly.history, entry],
        }
    )
    event = AnomalyChanged(
        anomaly_id=anomaly.anomaly_id,
        version=after.version,
        before=facts_of(anomaly),
        after=facts_of(after),
        changed_by=user_id,
        changed_at=now,
        changes=[change],
    )
    return after, event


def added(attachment: AttachmentInfo) -> FieldChange:
    return FieldChange(field=ATTACHMENTS_FIELD, before=None, after=attachment.name)


def removed(attachment: AttachmentInfo) -> FieldChange:
    return FieldChange(field=ATTACHMENTS_FIELD, before=attachment.name, after=None)


# ── downloads ─────────────────────────────────────────────────────────────────────────────────────────


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the real one as RFC 5987 `filename*` (Chinese names)."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
