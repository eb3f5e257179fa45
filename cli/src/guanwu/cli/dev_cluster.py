"""`guanwu dev-cluster`: the whole distributed set as local processes, started, watched and stopped together.

Each member writes its log to <data>/logs/<name>.log. The command waits until every member answers /readyz,
prints where each one is, then stays in the foreground: Ctrl-C (or SIGTERM) stops them all; a member that
ends by itself stops the others too, so the set never runs half.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import httpx

from guanwu.cli.cluster import Member

Say = Callable[[str], None]
STOP_GRACE_SECONDS = 20.0


class ClusterFailed(Exception):
    pass


def unreachable(kafka: str, mongo_url: str) -> list[str]:
    """Kafka and the database server answer a TCP connection; the ones that do not, described."""
    problems = []
    first_broker = kafka.split(",")[0]
    mongo = urlsplit(mongo_url)
    for what, host, port in [
        ("Kafka", first_broker.rsplit(":", 1)[0], int(first_broker.rsplit(":", 1)[1])),
        ("MongoDB/FerretDB", mongo.hostname or "127.0.0.1", mongo.port or 27017),
    ]:
        try:
            socket.create_connection((host, port), timeout=3).close()
        except OSError as exc:
            problems.append(f"{what} {host}:{port} ({exc.strerror or exc})")
    return problems


class DevCluster:
    def __init__(self, members: list[Member], log_dir: Path, say: Say) -> None:
        self.members = members
        self.log_dir = log_dir
        self.say = say
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def log_of(self, member: Member) -> Path:
        return self.log_dir / f"{member.name}.log"

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for member in self.members:
            with self.log_of(member).open("ab") as log:
                self.processes[member.name] = subprocess.Popen(
                    member.command, env={**os.environ, **member.env}, stdout=log, stderr=subprocess.STDOUT
                )

    def _ended(self) -> Member | None:
        return next((m for m in self.members if self.processes[m.name].poll() is not None), None)

    def _failed(self, member: Member) -> ClusterFailed:
        code = self.processes[member.name].returncode
        tail = self.log_of(member).read_text(errors="replace").splitlines()[-15:]
        return ClusterFailed(
            f"{member.name} 已退出 exited with {code}; 日志 log {self.log_of(member)}:\n" + "\n".join(tail)
        )

    def wait_ready(self) -> bool:
        """True once every member answers /readyz; False when asked to stop first. Each service gives up by
        itself when its broker or store stays away (bus startup timeout), so this does not wait forever."""
        waiting = list(self.members)
        said = time.monotonic()
        while waiting and not self.stopping:
            if (ended := self._ended()) is not None:
                raise self._failed(ended)
            waiting = [m for m in waiting if not _ready(m)]
            if waiting and time.monotonic() - said > 10:
                self.say("等待就绪 waiting for: " + ", ".join(m.name for m in waiting))
                said = time.monotonic()
            time.sleep(0.3)
        return not self.stopping

    def watch(self) -> None:
        """Until asked to stop; raises when a member ends by itself."""
        while not self.stopping:
            if (ended := self._ended()) is not None:
                raise self._failed(ended)
            time.sleep(0.3)

    def stop(self) -> None:
        for process in reversed(self.processes.values()):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop_on_signals(self) -> None:
        def ask_to_stop(signum: int, _frame: FrameType | None) -> None:
            self.stopping = True

        signal.signal(signal.SIGINT, ask_to_stop)
        signal.signal(signal.SIGTERM, ask_to_stop)


def _ready(member: Member) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{member.url}/readyz", timeout=2).status_code == 200
    return False


def run(cluster: DevCluster) -> int:
    """Start, wait, watch, stop; the exit code of the command."""
    cluster.stop_on_signals()
    try:
        cluster.start()
        if not cluster.wait_ready():
            return 0
        for member in cluster.members:
            cluster.say(f"  {member.name:<17} {member.url:<24} {cluster.log_of(member)}")
        cluster.say("全部就绪 all ready — Ctrl-C 全部停止 stops them all")
        cluster.watch()
        return 0
    except ClusterFailed as exc:
        cluster.say(f"guanwu dev-cluster: {exc}")
        return 1
    finally:
        cluster.say("正在停止 stopping …")
        cluster.stop()
