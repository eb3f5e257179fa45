"""Each service's OpenAPI document, as `guanwu serve <service>` would publish it.

`python -m guanwu.cli.openapi write` refreshes the committed copies in docs/openapi/; the test
tests/contract/test_openapi_snapshots.py fails when a service's document drifts from its copy, so a change of the
HTTP API is always a deliberate, reviewed diff of those files.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from guanwu.cli.distributed import SERVICES
from guanwu.platform.auth import LocalTokenIssuer
from guanwu.platform.bus.inprocess import InProcessEventBus
from guanwu.platform.runtime import Runtime, create_app
from guanwu.platform.store.memory import MemoryDocumentStore

SNAPSHOT_DIR = Path(__file__).resolve().parents[4] / "docs" / "openapi"
_AUTH = {"secret": "s" * 32}
_SOFT_TOKEN = Path(tempfile.gettempdir()) / "guanwu-openapi-soft-token.json"
_SETTINGS: dict[str, dict[str, Any]] = {
    # A throw-away soft token: building the card signer opens its signer.
    "card-signer": {
        "tenants": ["snapshot"],
        "signer": "soft",
        "soft_token_path": _SOFT_TOKEN,
        "soft_passphrase": "snapshot-passphrase",
        "soft_create_if_missing": True,
    }
}


def service_runtime(name: str) -> Runtime:
    """A runtime holding just this service's parts as `guanwu serve <name>` builds them, not started (no store,
    bus or card is touched)."""
    entry = SERVICES[name]()
    settings = entry.settings_class(auth=_AUTH, **_SETTINGS.get(name, {}))  # type: ignore[call-arg]
    store = MemoryDocumentStore()
    runtime = Runtime(store, InProcessEventBus())
    runtime.register(entry.build(settings, store, runtime.outbox_written))
    return runtime


def service_openapi(name: str) -> dict[str, Any]:
    runtime = service_runtime(name)
    app = create_app(
        runtime, LocalTokenIssuer("s" * 32), title=f"guanwu {name}", service_label=name, manage_runtime=False
    )
    return app.openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def write(directory: Path = SNAPSHOT_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in SERVICES:
        (directory / f"{name}.json").write_text(render(service_openapi(name)), encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] != ["write"]:
        sys.exit("usage: python -m guanwu.cli.openapi write")
    write()
