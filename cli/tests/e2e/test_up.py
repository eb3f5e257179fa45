"""`guanwu up` and `guanwu demo` as a person runs them: separate processes, a real port, a data folder."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from watching import Activity, activity, wait_while_moving


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Run:
    popen: subprocess.Popen[bytes]
    out: Path
    err: Path
    moving: Activity = field(init=False)

    def __post_init__(self) -> None:
        self.moving = activity(self.popen, files=(self.out, self.err))

    @property
    def output(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def exited(self) -> int:
        """Wait for the process to end by itself; its exit code."""
        wait_while_moving(lambda: self.popen.poll() is not None, self.moving, "the process to exit")
        return self.popen.returncode


@contextlib.contextmanager
def guanwu(args: list[str], cwd: Path, logs: Path, env: dict[str, str] | None = None) -> Iterator[Run]:
    """Run `guanwu <args>` in `cwd`; its output goes to files in `logs`. Stopped (killed) at the end."""
    cwd.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    name = args[0]
    out, err = logs / f"{name}.out", logs / f"{name}.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        popen = subprocess.Popen(
            [sys.executable, "-m", "guanwu.cli.main", *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=stdout,
            stderr=stderr,
        )
    try:
        yield Run(popen, out, err)
    finally:
        if popen.poll() is None:
            popen.kill()
            popen.wait()


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another process listens on for the whole test."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


def ready(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    return False


def test_a_taken_port_ends_up_at_once_with_a_clear_message_and_nothing_written(
    tmp_path: Path, taken_port: int
) -> None:
    workdir, data = tmp_path / "cwd", tmp_path / "new-data"
    for how, env, args in [
        ("options", {}, ["up", "--port", str(taken_port), "--data-dir", str(data)]),
        ("environment", {"GUANWU_PORT": str(taken_port), "GUANWU_DATA_DIR": str(data)}, ["up"]),
    ]:
        with guanwu(args, workdir, tmp_path / how, env) as run:
            assert run.exited() != 0, how
            assert "已被占用" in run.output and "already in use" in run.output, run.output
            assert f"127.0.0.1:{taken_port}" in run.output
        assert not data.exists(), how  # no folder, no secret, no demo user
        assert list(workdir.iterdir()) == [], how


def test_demo_finds_guanwu_on_the_port_and_folder_it_was_started_with(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "elsewhere" / "data"
    same = {"GUANWU_PORT": str(port), "GUANWU_DATA_DIR": str(data)}
    with guanwu(["up", "--simulator"], tmp_path / "run", tmp_path / "logs", same) as up:
        url = f"http://127.0.0.1:{port}"
        wait_while_moving(lambda: ready(url) or up.popen.poll() is not None, up.moving, "guanwu up to start")
        assert up.popen.poll() is None, up.output
        assert "模拟器" in up.output and "simulator: on" in up.output
        assert (data / "demo-password").exists() and not (tmp_path / "run" / "data").exists()
        with guanwu(["demo"], tmp_path / "demo", tmp_path / "logs", same) as demo:
            code = wait_while_moving(
                lambda: demo.popen.poll() is not None,
                lambda: (demo.moving(), up.moving()),
                "the demo to finish",
            )
            assert code and demo.popen.returncode == 0, demo.output
            assert "状态 status now 放行" in demo.output
        up.popen.send_signal(signal.SIGTERM)
        up.exited()


def test_without_simulator_nobody_can_post_receipts_and_the_console_says_so(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "data"
    args = ["up", "--port", str(port), "--data-dir", str(data)]
    with guanwu(args, tmp_path, tmp_path / "logs") as up:
        url = f"http://127.0.0.1:{port}"
        wait_while_moving(lambda: ready(url) or up.popen.poll() is not None, up.moving, "guanwu up to start")
        assert up.popen.poll() is None, up.output
        receipt = {"enterprise": "demo", "entry_id": "610120260000012345", "channel": "D"}
        assert httpx.post(f"{url}/sim/receipts", json=receipt).status_code == 404
        assert "单一窗口" in up.output and "Single Window: none" in up.output, up.output
        up.popen.send_signal(signal.SIGTERM)
        up.exited()


def test_dev_cluster_refuses_a_taken_port_before_starting_or_writing_anything(
    tmp_path: Path, taken_port: int
) -> None:
    data = tmp_path / "cluster"
    args = ["dev-cluster", "--base-port", str(taken_port), "--data-dir", str(data)]
    with guanwu(args, tmp_path / "cwd", tmp_path / "logs") as run:
        assert run.exited() == 1
        assert "declaration" in run.output and f"127.0.0.1:{taken_port}" in run.output, run.output
        assert "已被占用" in run.output and "already in use" in run.output
    assert not data.exists() and list((tmp_path / "cwd").iterdir()) == []


def test_serve_refuses_a_taken_port_before_building_the_service(tmp_path: Path, taken_port: int) -> None:
    """The card signer would create its soft token while being built; a taken port must come first."""
    state = tmp_path / "signer"
    env = {
        "GUANWU_CARD_SIGNER_HTTP__PORT": str(taken_port),
        "GUANWU_CARD_SIGNER_AUTH__SECRET": "s" * 40,
        "GUANWU_CARD_SIGNER_TENANTS": '["demo"]',
        "GUANWU_CARD_SIGNER_STORE__DATA_DIR": str(state / "store"),
        "GUANWU_CARD_SIGNER_SIGNER": "soft",
        "GUANWU_CARD_SIGNER_SOFT_TOKEN_PATH": str(state / "soft-token.json"),
        "GUANWU_CARD_SIGNER_SOFT_PASSPHRASE": "p" * 20,
        "GUANWU_CARD_SIGNER_SOFT_CREATE_IF_MISSING": "true",
    }
    with guanwu(["serve", "card-signer"], tmp_path / "cwd", tmp_path / "logs", env) as run:
        assert run.exited() == 1, run.output
        assert "已被占用" in run.output and f"127.0.0.1:{taken_port}" in run.output, run.output
    assert not state.exists() and list((tmp_path / "cwd").iterdir()) == []
