"""Published contract documents generated from the models: one JSON Schema per event type and AsyncAPI 3.0.

    python -m guanwu.contracts.schemas write   # regenerate libs/contracts/schemas/*.json and asyncapi.yaml
    python -m guanwu.contracts.schemas check   # exit 1 when the committed files are stale (run `make docs`)

Everything registered in `guanwu.contracts.events.REGISTRY` is published. The generating functions are pure;
only the CLI (`main`) touches the file system. The YAML is emitted by a small deterministic writer here
(JSON-quoted strings, block style), so the contracts library needs no YAML dependency.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from guanwu.contracts.envelope import Envelope
from guanwu.contracts.events import REGISTRY, Event

JsonSchema = dict[str, Any]

SCHEMA_ID_BASE = "https://guanwu.dev/schemas/"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
API_VERSION = "0.1.0"
LOCAL_KAFKA = "127.0.0.1:9092"
SCHEMAS_DIR = "schemas"
ASYNCAPI_FILE = "asyncapi.yaml"
STALE_HINT = "run `make docs` (python -m guanwu.contracts.schemas write) and commit the result"

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def default_root() -> Path:
    """`libs/contracts` in a source checkout (this file is libs/contracts/src/guanwu/contracts/schemas.py)."""
    return Path(__file__).resolve().parents[3]


def schema_id(event_type: str) -> str:
    return f"{SCHEMA_ID_BASE}{event_type}.json"


def schema_file_name(event_type: str) -> str:
    return f"{event_type}.json"


def component_id(text: str) -> str:
    """An AsyncAPI component / channel / operation key (`^[A-Za-z0-9_-]+$`)."""
    return _ID_UNSAFE.sub("_", text)


def _doc_summary(cls: type[Any]) -> str:
    doc = (cls.__doc__ or "").strip()
    return doc.split("\n\n", 1)[0].replace("\n", " ").strip()


# -- JSON Schema -----------------------------------------------------------------------------------


def event_schema(event_class: type[Event]) -> JsonSchema:
    """The full wire schema of one event: the envelope whose `data` is the payload's schema."""
    envelope = Envelope.model_json_schema(mode="serialization")
    payload = event_class.model_json_schema(mode="serialization")
    defs: dict[str, Any] = dict(envelope.pop("$defs", {}))
    for name, definition in payload.pop("$defs", {}).items():
        if name in defs and defs[name] != definition:
            raise ValueError(f"{event_class.event_type}: $defs name {name!r} clashes with the envelope's")
        defs[name] = definition
    properties: dict[str, Any] = dict(envelope["properties"])
    properties["type"] = {**properties["type"], "const": event_class.event_type}
    properties["data"] = payload
    schema: JsonSchema = {
        **envelope,
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id(event_class.event_type),
        "title": event_class.event_type,
        "description": _doc_summary(event_class),
        "properties": properties,
        "x-topic": event_class.topic,
        "x-owner": event_class.owner,
        "x-kafka-key": "subject",
    }
    if defs:
        schema["$defs"] = defs
    return schema


def all_event_schemas() -> dict[str, JsonSchema]:
    """Every registered event type -> its schema, sorted by type."""
    return {cls.event_type: event_schema(cls) for cls in REGISTRY.all()}


def dump_json(document: Any) -> str:
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# -- AsyncAPI --------------------------------------------------------------------------------------


def _relocate_refs(node: Any, names: dict[str, str]) -> Any:
    """Rewrite `#/$defs/X` to `#/components/schemas/<names[X]>`."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = f"#/components/schemas/{names[value.removeprefix('#/$defs/')]}"
            else:
                out[key] = _relocate_refs(value, names)
        return out
    if isinstance(node, list):
        return [_relocate_refs(item, names) for item in node]
    return node


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document: a Kafka server, one channel per topic, one send operation per producer."""
    events = REGISTRY.all()
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    by_topic: dict[str, list[type[Event]]] = {}
    for cls in events:
        by_topic.setdefault(cls.topic, []).append(cls)
        message_id = component_id(cls.event_type)
        schema = event_schema(cls)
        defs: dict[str, Any] = schema.pop("$defs", {})
        # Shared definitions (e.g. one declaration block used by several events) are published once;
        # if another event already published a different definition under the same name, prefix ours.
        names = {name: component_id(name) for name in defs}
        if any(
            names[name] in schemas and schemas[names[name]] != _relocate_refs(definition, names)
            for name, definition in defs.items()
        ):
            names = {name: component_id(f"{message_id}__{name}") for name in defs}
        for name, definition in defs.items():
            schemas[names[name]] = _relocate_refs(definition, names)
        for key in ("$schema", "$id"):
            schema.pop(key, None)
        schemas[message_id] = _relocate_refs(schema, names)
        messages[message_id] = {
            "name": cls.__name__,
            "title": cls.event_type,
            "summary": _doc_summary(cls),
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{message_id}"},
            "correlationId": {
                "description": "Shared by every event of one flow",
                "location": "$message.payload#/correlationid",
            },
            "bindings": {
                "kafka": {
                    "key": {
                        "type": "string",
                        "description": (
                            "The envelope `subject` (aggregate id), so one aggregate's events stay in order"
                        ),
                    },
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            },
            "x-owner": cls.owner,
            "x-schema-id": schema_id(cls.event_type),
        }

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in sorted(by_topic):
        channel_id = component_id(topic)
        topic_events = by_topic[topic]
        channels[channel_id] = {
            "address": topic,
            "title": topic,
            "description": f"Kafka topic {topic}; message key = envelope subject; dead letters on {topic}.dlq",
            "servers": [{"$ref": "#/servers/kafka"}],
            "messages": {
                component_id(cls.event_type): {
                    "$ref": f"#/components/messages/{component_id(cls.event_type)}"
                }
                for cls in topic_events
            },
            "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        for owner in sorted({cls.owner for cls in topic_events}):
            owned = [cls for cls in topic_events if cls.owner == owner]
            operations[component_id(f"{owner}.send.{topic}")] = {
                "action": "send",
                "title": f"{owner} publishes on {topic}",
                "summary": f"The {owner} service produces these events.",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "messages": [
                    {"$ref": f"#/channels/{channel_id}/messages/{component_id(cls.event_type)}"}
                    for cls in owned
                ],
                "tags": [{"name": owner}],
                "x-owner": owner,
            }

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "guanwu",
            "version": API_VERSION,
            "description": (
                "guanwu (关务) events. Every message is a CloudEvents-1.0-shaped envelope whose `data` is the "
                "event payload; `subject` (the aggregate id) is the Kafka key. Generated from "
                "libs/contracts by `make docs`; do not edit."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": LOCAL_KAFKA,
                "protocol": "kafka",
                "description": "Local example broker (`make infra-up`)",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": dict(sorted(schemas.items())), "messages": messages},
    }


# -- a small deterministic YAML writer (JSON-compatible values only) -------------------------------

_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$.-]*$")
_YAML_RESERVED = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"})


def _yaml_key(key: str) -> str:
    if _PLAIN_KEY.match(key) and key.lower() not in _YAML_RESERVED:
        return key
    return json.dumps(key, ensure_ascii=False)


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _yaml_lines(value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{_yaml_key(str(key))}:"
            if isinstance(item, dict | list) and item:
                lines.append(head)
                lines.extend(_yaml_lines(item, indent + 1))
            else:
                lines.append(f"{head} {_yaml_inline(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list) and item:
                nested = _yaml_lines(item, indent + 1)
                first = nested[0].lstrip(" ")
                lines.append(f"{pad}- {first}")
                lines.extend(nested[1:])
            else:
                lines.append(f"{pad}- {_yaml_inline(item)}")
    else:
        lines.append(f"{pad}{_yaml_inline(value)}")
    return lines


def _yaml_inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _yaml_scalar(value)


def dump_yaml(document: Any) -> str:
    return "\n".join(_yaml_lines(document, 0)) + "\n"


# -- files and CLI ---------------------------------------------------------------------------------


def expected_files(root: Path) -> dict[Path, str]:
    """Every generated file under `root` (libs/contracts) and its exact expected content."""
    files = {
        root / SCHEMAS_DIR / schema_file_name(event_type): dump_json(schema)
        for event_type, schema in all_event_schemas().items()
    }
    files[root / ASYNCAPI_FILE] = dump_yaml(asyncapi_document())
    return files


def stale_schema_files(root: Path, expected: dict[Path, str]) -> list[Path]:
    """Committed schema files no registered event generates any more."""
    directory = root / SCHEMAS_DIR
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.glob("*.json") if path not in expected)


def differences(root: Path) -> list[str]:
    """What is missing, stale or out of date on disk; empty when everything matches the models."""
    expected = expected_files(root)
    problems: list[str] = []
    for path, content in expected.items():
        rel = path.relative_to(root)
        if not path.exists():
            problems.append(f"missing: {rel}")
        elif path.read_text(encoding="utf-8") != content:
            problems.append(f"out of date: {rel}")
    problems.extend(
        f"no registered event generates {path.relative_to(root)} (event removed or renamed?)"
        for path in stale_schema_files(root, expected)
    )
    return problems


def write(root: Path) -> list[Path]:
    """Write every generated file; remove schema files no event generates. Returns the paths changed."""
    expected = expected_files(root)
    changed: list[Path] = []
    for path, content in expected.items():
        if path.exists() and path.read_text(encoding="utf-8") == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        changed.append(path)
    for path in stale_schema_files(root, expected):
        path.unlink()
        changed.append(path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m guanwu.contracts.schemas", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("command", choices=("write", "check"))
    parser.add_argument(
        "--root", type=Path, default=None, help="libs/contracts directory (default: source tree)"
    )
    args = parser.parse_args(argv)
    root: Path = args.root if args.root is not None else default_root()
    if args.command == "write":
        changed = write(root)
        for path in changed:
            print(f"{'wrote' if path.exists() else 'removed'} {path.relative_to(root)}")
        print(f"{len(REGISTRY.all())} event schemas and {ASYNCAPI_FILE} up to date ({len(changed)} changed)")
        return 0
    problems = differences(root)
    if problems:
        print("Published contract files differ from the models:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        print(STALE_HINT, file=sys.stderr)
        return 1
    print(f"{len(REGISTRY.all())} event schemas and {ASYNCAPI_FILE} match the models")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
