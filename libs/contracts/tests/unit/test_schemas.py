"""Published contracts: committed JSON Schemas / AsyncAPI match the models and stay backward compatible."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Literal

import jsonschema
import pytest
from pydantic import BaseModel, ConfigDict, Field

from guanwu.contracts import schemas
from guanwu.contracts.compat import incompatibilities
from guanwu.contracts.events import REGISTRY

pytestmark = pytest.mark.unit

ROOT = schemas.default_root()
SCHEMA_DIR = ROOT / schemas.SCHEMAS_DIR
COMMITTED = sorted(SCHEMA_DIR.glob("*.json"))
MAKE_DOCS = "run `make docs`"


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


# -- (a) committed files exist and are up to date -----------------------------------------------------


@pytest.mark.parametrize("event_type", [cls.event_type for cls in REGISTRY.all()])
def test_every_registered_event_has_a_committed_schema(event_type: str) -> None:
    path = SCHEMA_DIR / schemas.schema_file_name(event_type)
    assert path.exists(), f"no published schema for {event_type}: {MAKE_DOCS} and commit {path.name}"


def test_committed_contract_files_are_up_to_date() -> None:
    problems = schemas.differences(ROOT)
    assert not problems, f"contract files differ from the models, {MAKE_DOCS}:\n" + "\n".join(problems)


def test_check_cli_fails_with_a_hint_on_stale_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert schemas.main(["write", "--root", str(tmp_path)]) == 0
    assert schemas.main(["check", "--root", str(tmp_path)]) == 0
    (tmp_path / schemas.ASYNCAPI_FILE).write_text("asyncapi: 2.6.0\n", encoding="utf-8")
    (tmp_path / schemas.SCHEMAS_DIR / "guanwu.gone.Removed.v1.json").write_text("{}\n", encoding="utf-8")
    assert schemas.main(["check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "out of date: asyncapi.yaml" in err
    assert "guanwu.gone.Removed.v1.json" in err
    assert "make docs" in err


def test_generation_is_deterministic_and_valid_json_schema() -> None:
    first = schemas.expected_files(ROOT)
    assert first == schemas.expected_files(ROOT)
    for event_type, schema in schemas.all_event_schemas().items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$id"] == f"https://guanwu.dev/schemas/{event_type}.json"
        assert schema["title"] == event_type
        assert schema["properties"]["type"]["const"] == event_type
        assert "data" in schema["required"]
    for content in first.values():
        assert content.endswith("\n")


def test_a_real_envelope_validates_against_its_schema() -> None:
    from guanwu.contracts.envelope import Envelope
    from guanwu.contracts.events import DeclarationDrafted

    payload = DeclarationDrafted(declaration_id="d-1", version=1, ie_flag="I", status="草稿")
    envelope = Envelope(
        source="/guanwu/declaration",
        type=DeclarationDrafted.event_type,
        subject=payload.aggregate_id(),
        tenant="t-1",
        correlationid="c-1",
        data=payload.model_dump(mode="json"),
    )
    schema = schemas.event_schema(DeclarationDrafted)
    jsonschema.Draft202012Validator(schema).validate(json.loads(envelope.to_json_bytes()))


# -- (b) current models stay compatible with what was published --------------------------------------


@pytest.mark.parametrize("path", COMMITTED, ids=[p.stem for p in COMMITTED])
def test_current_model_is_backward_compatible_with_the_published_schema(path: Path) -> None:
    published = _load(path)
    event_type = published["title"]
    event_class = REGISTRY.get(event_type)
    assert event_class is not None, (
        f"{event_type} was published but is no longer registered; consumers may still depend on it. "
        "Keep the event (deprecate it) or, if it never shipped, delete the schema file."
    )
    problems = incompatibilities(published, schemas.event_schema(event_class))
    assert not problems, (
        f"{event_type} changed incompatibly with its published schema; publish a new type version "
        f"(…v2) instead:\n" + "\n".join(problems)
    )


# -- (c) the checker itself ---------------------------------------------------------------------------


class Inner(BaseModel):
    code: str
    note: str | None = None


class V1(BaseModel):
    id: str
    count: int
    kind: Literal["a", "b"] = "a"
    when: date | None = None
    inner: Inner
    tags: list[str] = []


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(mode="serialization")


def test_identical_schema_is_compatible() -> None:
    assert incompatibilities(_schema(V1), _schema(V1)) == []


def test_added_optional_field_is_compatible() -> None:
    class V2(V1):
        extra: str | None = Field(default=None, max_length=10)

    assert incompatibilities(_schema(V1), _schema(V2)) == []


def test_an_optional_field_added_to_a_closed_object_is_reported() -> None:
    """Consumers built from the old model (extra="forbid") would refuse the new field and dead-letter it."""

    class Closed(BaseModel):
        model_config = ConfigDict(extra="forbid")
        path: str

    class ClosedV2(Closed):
        note: str | None = None

    problems = incompatibilities(_schema(Closed), _schema(ClosedV2))
    assert problems == ["$.note: property added to a closed object (old consumers refuse it)"]


def test_removed_field_is_reported() -> None:
    class V2(BaseModel):
        id: str
        kind: Literal["a", "b"] = "a"
        when: date | None = None
        inner: Inner
        tags: list[str] = []

    problems = incompatibilities(_schema(V1), _schema(V2))
    assert problems == ["$.count: property removed"]


def test_type_change_is_reported() -> None:
    class V2(V1):
        count: str  # type: ignore[assignment]

    problems = incompatibilities(_schema(V1), _schema(V2))
    assert problems == ["$.count: type changed from integer to string"]


def test_new_required_field_is_reported() -> None:
    class V2(V1):
        owner: str

    problems = incompatibilities(_schema(V1), _schema(V2))
    assert problems == ["$.owner: new required property"]


def test_optional_field_made_required_is_reported() -> None:
    class V2(V1):
        when: date  # type: ignore[assignment]

    problems = incompatibilities(_schema(V1), _schema(V2))
    assert any("$.when: type changed from null|string to string" in p for p in problems)
    assert "$.when: property became required" in problems


def test_enum_narrowing_and_format_change_are_reported_but_widening_is_not() -> None:
    class Narrow(V1):
        kind: Literal["a"] = "a"  # type: ignore[assignment]

    class Wide(V1):
        kind: Literal["a", "b", "c"] = "a"  # type: ignore[assignment]

    class NewFormat(V1):
        when: str | None = None  # type: ignore[assignment]

    assert incompatibilities(_schema(V1), _schema(Narrow)) == ["$.kind: values no longer allowed: 'b'"]
    assert incompatibilities(_schema(V1), _schema(Wide)) == []
    assert incompatibilities(_schema(V1), _schema(NewFormat)) == [
        "$.when: format changed from 'date' to None"
    ]


def test_changes_inside_a_ref_definition_are_reported() -> None:
    class Inner2(BaseModel):
        code: int
        note: str | None = None
        must: str

    class V2(V1):
        inner: Inner2  # type: ignore[assignment]

    problems = incompatibilities(_schema(V1), _schema(V2))
    assert problems == [
        "$.inner<Inner2>.code: type changed from string to integer",
        "$.inner<Inner2>.must: new required property",
    ]


def test_additional_properties_tightened_and_bounds_are_reported() -> None:
    old = {"type": "object", "properties": {"s": {"type": "string", "maxLength": 10}}}
    closed = {**old, "additionalProperties": False}
    tighter = {"type": "object", "properties": {"s": {"type": "string", "maxLength": 5}}}
    looser = {"type": "object", "properties": {"s": {"type": "string", "maxLength": 50}}}
    assert incompatibilities(old, closed) == ["$: additionalProperties tightened (no longer allowed)"]
    assert incompatibilities(old, tighter) == ["$.s: maxLength tightened from 10 to 5"]
    assert incompatibilities(old, looser) == []
    assert incompatibilities(closed, old) == []


def test_array_item_changes_are_reported() -> None:
    class V2(V1):
        tags: list[int] = []  # type: ignore[assignment]

    assert incompatibilities(_schema(V1), _schema(V2)) == ["$.tags[]: type changed from string to integer"]


def test_recursive_refs_terminate() -> None:
    schema = {
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
        "$ref": "#/$defs/Node",
    }
    assert incompatibilities(schema, schema) == []


def test_published_envelope_field_removal_would_be_caught() -> None:
    event_class = REGISTRY.all()[0]
    current = schemas.event_schema(event_class)
    broken = json.loads(json.dumps(current))
    del broken["properties"]["data"]["properties"][next(iter(broken["properties"]["data"]["properties"]))]
    assert any("property removed" in p for p in incompatibilities(current, broken))


# -- (d) AsyncAPI ---------------------------------------------------------------------------------------


def test_asyncapi_document_lists_every_topic_and_event() -> None:
    doc = schemas.asyncapi_document()
    assert doc["asyncapi"] == "3.0.0"
    assert doc["servers"]["kafka"]["protocol"] == "kafka"
    addresses = {channel["address"]: channel for channel in doc["channels"].values()}
    topics_with_events = {cls.topic for cls in REGISTRY.all()}
    assert set(addresses) == topics_with_events
    for cls in REGISTRY.all():
        message_id = schemas.component_id(cls.event_type)
        assert message_id in addresses[cls.topic]["messages"]
        message = doc["components"]["messages"][message_id]
        assert message["title"] == cls.event_type
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
        payload_ref = message["payload"]["$ref"].removeprefix("#/components/schemas/")
        assert payload_ref in doc["components"]["schemas"]
        sending = [
            op
            for op in doc["operations"].values()
            if op["action"] == "send"
            and op["x-owner"] == cls.owner
            and op["channel"]["$ref"] == f"#/channels/{schemas.component_id(cls.topic)}"
        ]
        assert len(sending) == 1
    assert "$defs" not in json.dumps(doc), "local $defs refs must be relocated into components.schemas"


def test_committed_asyncapi_file_is_the_rendered_document() -> None:
    text = (ROOT / schemas.ASYNCAPI_FILE).read_text(encoding="utf-8")
    assert text.startswith('asyncapi: "3.0.0"\n')
    assert text == schemas.dump_yaml(schemas.asyncapi_document()), MAKE_DOCS
