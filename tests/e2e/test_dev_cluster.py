"""`guanwu dev-cluster` starts the whole distributed set (every service, the simulator, a soft-token card
signer) on real Kafka and FerretDB, a declaration goes from 制单 to 放行 through it, and Ctrl-C stops it all."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
from watching import activity, descendants, wait_while_moving

from guanwu.cli.cluster import MEMBERS, ports_from
from guanwu.customs import fixtures
from guanwu.platform.auth import LocalTokenIssuer


def free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


def free_base_port() -> int:
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            base = int(sock.getsockname()[1])
        if base + len(MEMBERS) < 65535 and all(free(base + i) for i in range(len(MEMBERS))):
            return base
    raise AssertionError("no range of free ports")


def test_the_whole_set_starts_serves_a_declaration_to_released_and_stops(
    kafka_bootstrap: str, mongo_url: str, tmp_path: Path
) -> None:
    base, data, out = free_base_port(), tmp_path / "cluster", tmp_path / "dev-cluster.out"
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    command = [
        *(sys.executable, "-m", "guanwu.cli.main", "dev-cluster", "--base-port", str(base)),
        *("--data-dir", str(data), "--kafka", kafka_bootstrap, "--mongo-url", mongo_url),
        *("--database-prefix", f"e2e_{uuid.uuid4().hex[:10]}", "--tenant", tenant, "--poll-interval", "0.2"),
    ]
    with out.open("wb") as sink:
        popen = subprocess.Popen(command, cwd=tmp_path, stdout=sink, stderr=subprocess.STDOUT)
    moving = activity(popen, files=(out, *(data / "logs" / f"{m}.log" for m in MEMBERS)))
    try:
        wait_while_moving(
            lambda: "all ready" in out.read_text() or popen.poll() is not None, moving, "the set to start"
        )
        assert popen.poll() is None, out.read_text()
        ports = ports_from(base)
        url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        for name in MEMBERS:
            assert httpx.get(f"{url[name]}/healthz").status_code == 200, name

        issuer = LocalTokenIssuer((data / "token-secret").read_text().strip())
        preparer = {"Authorization": f"Bearer {issuer.issue('zhang', tenant, ['preparer'])}"}
        reviewer = {"Authorization": f"Bearer {issuer.issue('li', tenant, ['reviewer'])}"}
        final = released(url, preparer, reviewer, moving)
        assert final["signing"]["signature"]["device"] == "soft"
        assert [r["channel"] for r in final["receipts"]] == ["L", "P"]

        popen.send_signal(signal.SIGTERM)
        wait_while_moving(lambda: popen.poll() is not None, moving, "the set to stop")
        assert popen.returncode == 0, out.read_text()
        assert not [port for port in ports.values() if listening(port)]  # every member stopped with it
        # nothing in the working folder (faust wrote a <group>-data folder there)
        assert not [p for p in tmp_path.iterdir() if p.name.endswith("-data")]
    finally:
        stop_tree(popen)


def stop_tree(popen: subprocess.Popen[bytes]) -> None:
    """After a failure: the command stops its members on SIGTERM; kill what is left if it does not."""
    if popen.poll() is not None:
        return
    members = descendants(popen.pid)
    popen.terminate()
    try:
        popen.wait(timeout=60)
    except subprocess.TimeoutExpired:
        popen.kill()
    for pid in members:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def released(
    url: dict[str, str], auth: dict[str, str], reviewer: dict[str, str], moving: Any
) -> dict[str, Any]:
    """制单 → 提交审核 → 审单 → 申报 → 放行 across the services' own ports."""

    def ok(response: httpx.Response) -> dict[str, Any]:
        assert response.status_code in (200, 201), response.text
        body: dict[str, Any] = response.json()
        return body

    def versioned(version: int, headers: dict[str, str] = auth) -> dict[str, str]:
        return {**headers, "If-Match": f'"{version}"'}

    document = fixtures.export_sea_general_trade().model_dump(mode="json", exclude_none=True)
    declarations = f"{url['declaration']}/api/declaration/declarations"
    created = ok(httpx.post(declarations, json=document, headers=auth))
    one = f"{declarations}/{created['declaration_id']}"
    ok(httpx.post(f"{one}/submit", headers=versioned(created["version"])))

    def task() -> dict[str, Any] | None:
        page = ok(httpx.get(f"{url['review']}/api/review/tasks", headers=reviewer))
        mine = [t for t in page["items"] if t["declaration_id"] == created["declaration_id"]]
        return mine[0] if mine else None

    review = wait_while_moving(task, moving, "the review task")
    task_url = f"{url['review']}/api/review/tasks/{review['review_id']}"
    ok(httpx.post(f"{task_url}/approve", json={}, headers=versioned(review["version"], reviewer)))

    def in_state(*states: str) -> dict[str, Any] | None:
        current = ok(httpx.get(one, headers=auth))
        return current if current["status"] in states else None

    approved = wait_while_moving(lambda: in_state("审核通过"), moving, "审核通过")
    ok(httpx.post(f"{one}/declare", headers=versioned(approved["version"])))
    return wait_while_moving(lambda: in_state("放行", "结关"), moving, "放行")
