"""Distributed guanwu for tests: each service its own OS process on real Kafka and FerretDB."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from watching import QUIET_SECONDS, activity, wait_while_moving

from guanwu.cli.cluster import (
    Shared,
    database_name,
    service_command,
    service_env,
    simulator_command,
    soft_signer,
    sync_upstream,
)
from guanwu.platform.auth import LocalTokenIssuer

SECRET = "distributed-test-secret-" + "y" * 32
LOG_DIR = Path(__file__).resolve().parents[2] / ".local" / "test-logs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def token(
    tenant: str, roles: tuple[str, ...] = ("preparer", "reviewer"), user: str = "e2e"
) -> dict[str, str]:
    return {"Authorization": f"Bearer {LocalTokenIssuer(SECRET).issue(user, tenant, list(roles))}"}


@dataclass(eq=False)  # identity: kept in the _LIVE set
class Process:
    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    popen: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{self.name}-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/readyz") -> Process:
        """Start and wait until ready, for as long as the process still works or logs."""
        log = self.log_path.open("ab")
        popen = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.popen = popen
        _LIVE.add(self)

        def ready() -> bool:
            if popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {popen.returncode}; log: {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(self.url + ready_path, timeout=2).status_code == 200
            return False

        wait_while_moving(
            ready, activity(popen, files=(self.log_path,)), f"{self.name} becoming ready ({self.log_path})"
        )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        _LIVE.discard(self)
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(sig)
            self.popen.wait(timeout=30)

    def stop(self) -> None:
        _LIVE.discard(self)
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


class Cluster:
    """Starts services with a database of their own per test (one per cluster) on the shared broker; their
    settings come from guanwu.cli.cluster, as `guanwu dev-cluster`'s do."""

    def __init__(self, kafka: str, mongo_url: str) -> None:
        self.kafka = kafka
        self.mongo_url = mongo_url
        self.database = f"e2e_{uuid.uuid4().hex[:10]}"
        self.shared = Shared(kafka, mongo_url, SECRET, self.database)
        self.processes: list[Process] = []

    def database_of(self, service: str) -> str:
        return database_name(self.database, service)

    def service(self, name: str, **extra_env: str) -> Process:
        port = free_port()
        env = {**os.environ, **service_env(name, self.shared, port, {"LOG_LEVEL": "INFO", **extra_env})}
        process = Process(name, service_command(name), env, port)
        self.processes.append(process)
        return process

    def soft_card_signer(self, data_dir: Path, tenants: list[str]) -> Process:
        """The card signer with a soft token kept in `data_dir` (the same token across restarts), signing for
        `tenants` (the enterprise that holds the card and any named clients)."""
        return self.service("card-signer", **soft_signer(data_dir, tenants))

    def simulator(self) -> Process:
        port = free_port()
        process = Process("singlewindow-sim", simulator_command(port), dict(os.environ), port)
        self.processes.append(process)
        return process

    def sync(self, simulator: Process, tenants: list[str]) -> Process:
        return self.service("sync", **sync_upstream(simulator.url, tenants, poll_interval_seconds=0.2))

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()


@contextlib.contextmanager
def cluster(kafka: str, mongo_url: str) -> Iterator[Cluster]:
    running = Cluster(kafka, mongo_url)
    try:
        yield running
    finally:
        running.stop_all()


# Processes started by any cluster and not yet stopped: what "still moving" is judged by.
_LIVE: set[Process] = set()


def wait_until(  # type: ignore[no-untyped-def]
    probe, *, progress=None, quiet_seconds: float = QUIET_SECONDS, interval: float = 0.3
):
    """Poll a synchronous probe until it returns something truthy, for as long as something moves: the
    cluster's processes work or log, or `progress()` (e.g. a count of stored effects) changes. Fails after
    `quiet_seconds` without movement, never after a fixed total time (a busy machine is slow, not stuck)."""
    live = tuple(p.popen for p in _LIVE if p.popen is not None and p.popen.poll() is None)
    processes = activity(*live, files=tuple(p.log_path for p in _LIVE))

    def moving() -> tuple[object, ...]:
        return (processes(), progress() if progress is not None else None)

    return wait_while_moving(probe, moving, "waiting", quiet_seconds=quiet_seconds, interval=interval)
