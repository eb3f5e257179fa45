"""The 报关单 import message `DecMessage` (reference §1.1): build it from a `DeclarationDocument` and back.

Choices the reference leaves open (its §10 lists the exact XSD order as unverified):
- root `<DecMessage version="3.1" xmlns="http://www.chinaport.gov.cn/dec">` (lower-case `version`, as the
  two Python generators write it; the parser accepts `Version` too and any namespace or none);
- block order: DecHead, DecLists, DecContainers, DecLicenseDocus, DecRequestCerts, DecOtherPacks,
  DecCopLimits, DecUsers, DecFreeTxt, DecSign, DecCopPromises, EdocRealation…, TrnHead, TrnList,
  TrnContainers, TrnContaGoodsList (the ODOO order, with the XSLT's tail after DecSign);
- a wrapper (e.g. DecContainers) is written only when it has items, a field only when it is not None;
- the parser accepts blocks in any order and skips elements it does not know;
- values are read as written, never converted: a legacy numeric code (currency 142, the 金关二期 form) stays
  "142" rather than becoming CNY. The card signs the canonical bytes of what was written, and sync refuses a
  message whose canonical form differs from those bytes, so a parser that rewrote codes would break signed
  messages; the logic checks flag the code instead, naming its ISO code (a 申报-blocking error).

`kind` is not an element: the parser derives it from the head (`infer_kind`), so a document whose kind
disagrees with its head markers does not survive the trip; the logic checks flag that disagreement.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from pydantic import BaseModel

from guanwu.contracts.declaration import (
    Container,
    DecCopLimit,
    DecCopPromise,
    DecFreeTxt,
    DecGoodsLimit,
    DecHead,
    DeclarationDocument,
    DecList,
    DecOtherPack,
    DecRequestCert,
    DecSign,
    DecUser,
    EdocRealation,
    LicenseDocu,
    TrnContaGoodsList,
    TrnContainer,
    TrnHead,
    TrnList,
    infer_kind,
)
from guanwu.customs.messages._mapping import read_fields, validated, write_block, write_fields
from guanwu.customs.messages.safe_xml import DEFAULT_MAX_BYTES, MessageFormatError, local_name, parse_xml

DEC_NAMESPACE = "http://www.chinaport.gov.cn/dec"
DEC_VERSION = "3.1"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# (document attribute, wrapper element, item element, item model) for the wrapped lists under the root.
_HEAD_SIDE_LISTS: tuple[tuple[str, str, str, type[BaseModel]], ...] = (
    ("containers", "DecContainers", "Container", Container),
    ("licenses", "DecLicenseDocus", "LicenseDocu", LicenseDocu),
    ("request_certs", "DecRequestCerts", "DecRequestCert", DecRequestCert),
    ("other_packs", "DecOtherPacks", "DecOtherPack", DecOtherPack),
    ("cop_limits", "DecCopLimits", "DecCopLimit", DecCopLimit),
    ("users", "DecUsers", "DecUser", DecUser),
)
_PROMISES: tuple[str, str, str, type[BaseModel]] = (
    "cop_promises",
    "DecCopPromises",
    "DecCopPromise",
    DecCopPromise,
)
_TRN_CONTAINERS = ("containers", "TrnContainers", "TrnContainer", TrnContainer)
_TRN_CONTA_GOODS = ("conta_goods", "TrnContaGoodsList", "TrnContaGoods", TrnContaGoodsList)
_WRAPPED: dict[str, tuple[str, str, str, type[BaseModel]]] = {
    spec[1]: spec for spec in (*_HEAD_SIDE_LISTS, _PROMISES)
}


# ---------------------------------------------------------------- build

_ROOT_START = f'<DecMessage xmlns="{DEC_NAMESPACE}" version="{DEC_VERSION}">'


def _wrapped(out: list[str], wrapper: str, item: str, models: list[Any]) -> None:
    if models:
        out.append(f"<{wrapper}>")
        for model in models:
            write_block(out, item, model)
        out.append(f"</{wrapper}>")


def write_dec_message(out: list[str], document: DeclarationDocument, sign: DecSign | None) -> None:
    """Append the DecMessage element (no XML declaration, no whitespace) to `out` as text parts."""
    out.append(_ROOT_START)
    write_block(out, "DecHead", document.head)
    if document.goods:
        out.append("<DecLists>")
        for line in document.goods:
            out.append("<DecList>")
            write_fields(out, line)
            _wrapped(out, "DecGoodsLimits", "DecGoodsLimit", line.goods_limits)
            out.append("</DecList>")
        out.append("</DecLists>")
    for attribute, wrapper, item, _ in _HEAD_SIDE_LISTS:
        _wrapped(out, wrapper, item, getattr(document, attribute))
    if document.free_text is not None:
        write_block(out, "DecFreeTxt", document.free_text)
    if sign is not None:
        write_block(out, "DecSign", sign)
    _wrapped(out, _PROMISES[1], _PROMISES[2], document.cop_promises)
    for edoc in document.edocs:
        write_block(out, "EdocRealation", edoc)
    if document.transit is not None:
        transit = document.transit
        write_block(out, "TrnHead", transit.head)
        if transit.trn_list is not None:
            write_block(out, "TrnList", transit.trn_list)
        _wrapped(out, _TRN_CONTAINERS[1], _TRN_CONTAINERS[2], transit.containers)
        _wrapped(out, _TRN_CONTA_GOODS[1], _TRN_CONTA_GOODS[2], transit.conta_goods)
    out.append("</DecMessage>")


def build_dec_message(document: DeclarationDocument, sign: DecSign | None = None) -> bytes:
    """The DecMessage as UTF-8 bytes with an XML declaration, ready for the Single Window client.

    Raises `UnrepresentableTextError` if a value holds a character XML cannot carry.
    """
    out: list[str] = []
    write_dec_message(out, document, sign)
    return XML_DECLARATION + "".join(out).encode("utf-8")


# ---------------------------------------------------------------- parse


class _Reader:
    """Collects the raw values of one DecMessage into the dict shape of `DeclarationDocument`."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace
        self.document: dict[str, Any] = {}
        self.transit: dict[str, Any] = {}
        self.sign: dict[str, str] | None = None

    def fields(self, element: etree._Element, model_cls: type[BaseModel]) -> dict[str, Any]:
        return read_fields(element, model_cls, self.ns)

    def items(self, wrapper: etree._Element, item: str, model_cls: type[BaseModel]) -> list[dict[str, Any]]:
        return [self.fields(child, model_cls) for child in wrapper if local_name(child) == item]

    def once(self, target: dict[str, Any], key: str, value: Any, tag: str) -> None:
        if key in target:
            raise MessageFormatError(f"DecMessage has more than one {tag}")
        target[key] = value

    def goods_line(self, element: etree._Element) -> dict[str, Any]:
        line = self.fields(element, DecList)
        if len(line) < len(element):  # a child that is not a field: maybe the nested DecGoodsLimits
            for child in element:
                if local_name(child) == "DecGoodsLimits":
                    line["goods_limits"] = self.items(child, "DecGoodsLimit", DecGoodsLimit)
        return line

    def block(self, element: etree._Element) -> None:
        tag = local_name(element)
        doc, trn = self.document, self.transit
        if tag == "DecHead":
            self.once(doc, "head", self.fields(element, DecHead), tag)
        elif tag == "DecLists":
            lines = [self.goods_line(child) for child in element if local_name(child) == "DecList"]
            self.once(doc, "goods", lines, tag)
        elif tag in _WRAPPED:
            attribute, _, item, model_cls = _WRAPPED[tag]
            self.once(doc, attribute, self.items(element, item, model_cls), tag)
        elif tag == "DecFreeTxt":
            self.once(doc, "free_text", self.fields(element, DecFreeTxt), tag)
        elif tag == "DecSign":
            if self.sign is not None:
                raise MessageFormatError("DecMessage has more than one DecSign")
            self.sign = self.fields(element, DecSign)
        elif tag == "EdocRealation":
            doc.setdefault("edocs", []).append(self.fields(element, EdocRealation))
        elif tag == "TrnHead":
            self.once(trn, "head", self.fields(element, TrnHead), tag)
        elif tag == "TrnList":
            self.once(trn, "trn_list", self.fields(element, TrnList), tag)
        elif tag == _TRN_CONTAINERS[1]:
            self.once(trn, "containers", self.items(element, _TRN_CONTAINERS[2], TrnContainer), tag)
        elif tag == _TRN_CONTA_GOODS[1]:
            self.once(trn, "conta_goods", self.items(element, _TRN_CONTA_GOODS[2], TrnContaGoodsList), tag)


def parse_dec_message_with_sign(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[DeclarationDocument, DecSign | None]:
    """Read a DecMessage: the document and, if present, its DecSign. Raises an `XmlError` subclass."""
    root = parse_xml(data, max_bytes=max_bytes)
    if local_name(root) != "DecMessage":
        raise MessageFormatError(f"expected a DecMessage root element, found {local_name(root)!r}")
    namespace = etree.QName(root).namespace or ""
    reader = _Reader(namespace)
    for element in root:
        reader.block(element)
    if "head" not in reader.document:
        raise MessageFormatError("DecMessage has no DecHead")
    if reader.transit:
        reader.transit.setdefault("head", {})
        reader.document["transit"] = reader.transit
    document = validated(DeclarationDocument, reader.document, "DecMessage")
    # Derived after validation so that the head's own values decide, exactly as a reader of the XML would.
    document = document.model_copy(update={"kind": infer_kind(document.head)})
    sign = validated(DecSign, reader.sign, "DecMessage/DecSign") if reader.sign is not None else None
    return document, sign


def parse_dec_message(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> DeclarationDocument:
    """Read a DecMessage into a `DeclarationDocument` (its DecSign, if any, is dropped)."""
    return parse_dec_message_with_sign(data, max_bytes=max_bytes)[0]
