"""`guanwu sync …`: start a sync job (数据同步) over the HTTP API and watch it with a progress bar; list and
cancel jobs, list what a job quarantined.

    guanwu sync declarations --by-day --from 2026-11-01 --to 2026-11-08 --enterprise-category 1
    guanwu sync declarations --by-ticket --seq-no E20260000000000123 --enterprise-category 1 --entry-kind 0
    guanwu sync bonded-lists --by-day --from 2026-11-01 --enterprise-type 1 --data-source 1
    guanwu sync jobs | guanwu sync cancel ID | guanwu sync quarantine ID

Against the embedded default (`make run`) it logs in as the demo user with the password in the data folder,
as `guanwu demo` does; elsewhere give `--url` and `--token`. Times without a zone are Beijing time (the
Single Window's 最近操作时间). Exit status: 0 when the job completed, 1 otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

JOBS = "/api/sync/jobs"
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
FINAL = ("completed", "failed", "cancelled")
STATES = {"queued": "排队", "running": "同步中", "completed": "完成", "failed": "失败", "cancelled": "已取消"}

sync_app = typer.Typer(
    help="数据同步 — sync declarations and 核注清单 from the Single Window (jobs with a progress bar)",
    no_args_is_help=True,
)


class SyncCommandFailed(Exception):
    """The API refused or could not be reached: the message says why, in Chinese and English."""


# ------------------------------------------------------------------------------------------ the API


def _answer(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            raise SyncCommandFailed(f"{what}: HTTP {response.status_code} {response.text[:300]}") from None
        fields = "; ".join(
            f"{f['field']}: {f['message_zh']} {f['message_en']}" for f in error.get("fields", [])
        )
        message = f"{what}: {error['message_zh']} / {error['message_en']}"
        raise SyncCommandFailed(f"{message} ({fields})" if fields else message)
    body: dict[str, Any] = response.json()
    return body


async def start_job(
    client: httpx.AsyncClient, headers: dict[str, str], criteria: dict[str, Any]
) -> dict[str, Any]:
    return _answer(await client.post(JOBS, json=criteria, headers=headers), "开始同步 start")


async def read_job(client: httpx.AsyncClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    return _answer(await client.get(f"{JOBS}/{job_id}", headers=headers), "读取任务 read")


async def watch(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    job: dict[str, Any],
    seen: Callable[[dict[str, Any]], None],
    poll_seconds: float = 0.5,
) -> dict[str, Any]:
    """The job once it ended; `seen` hears every state of it read on the way."""
    seen(job)
    while job["state"] not in FINAL:
        await asyncio.sleep(poll_seconds)
        job = await read_job(client, headers, job["job_id"])
        seen(job)
    return job


async def list_jobs(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, Any]
) -> dict[str, Any]:
    return _answer(await client.get(JOBS, params=params, headers=headers), "任务列表 list")


async def cancel_job(client: httpx.AsyncClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    return _answer(await client.post(f"{JOBS}/{job_id}/cancel", headers=headers), "取消 cancel")


async def quarantined(
    client: httpx.AsyncClient, headers: dict[str, str], job_id: str, limit: int
) -> dict[str, Any]:
    url = f"{JOBS}/{job_id}/quarantine"
    return _answer(await client.get(url, params={"limit": limit}, headers=headers), "隔离记录 quarantine")


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    answer = _answer(
        await client.post("/api/auth/token", json={"username": username, "password": password}), "登录 login"
    )
    return {"Authorization": f"Bearer {answer['access_token']}"}


def summary(job: dict[str, Any], base_url: str) -> list[str]:
    """What to tell when a job ended: how it ended, its counts, and where its quarantined items are."""
    counts = job["counts"]
    expected = "" if counts.get("expected") is None else f" of {counts['expected']} expected"
    lines = [
        f"{STATES.get(job['state'], job['state'])} {job['state']}: job {job['job_id']}, "
        f"{counts['fetched']} fetched{expected}: {counts['written']} written, {counts['unchanged']} unchanged, "
        f"{counts['quarantined']} quarantined"
    ]
    if job.get("reason"):
        lines.append(f"原因 reason: {job['reason']}")
    if counts["quarantined"]:
        lines.append(
            f"隔离 {counts['quarantined']} quarantined: `guanwu sync quarantine {job['job_id']}` or GET "
            f"{base_url}{job['quarantine']}"
        )
    return lines


# ------------------------------------------------------------------------------------ the command line


def parse_time(text: str, option: str) -> str:
    """An ISO date or date-time; without a zone it is Beijing time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: 应为日期或时间 use a date or an ISO date-time", param_hint=option
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)).isoformat()


def day_range(start: str | None, end: str | None) -> dict[str, str]:
    if start is None:
        raise typer.BadParameter("按天同步需要 --by-day needs --from", param_hint="--from")
    until = parse_time(end, "--to") if end else datetime.now(BEIJING).isoformat()
    return {"updated_from": parse_time(start, "--from"), "updated_to": until}


def mode_of(by_ticket: bool, by_day: bool) -> str:
    if by_ticket == by_day:
        raise typer.BadParameter("按票或按天 choose one of --by-ticket and --by-day")
    return "by_ticket" if by_ticket else "by_day"


def _given(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class Target:
    """Where guanwu runs and how this command proves who it is."""

    url: str
    token: str | None
    data_dir: Path
    username: str

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=30)

    async def headers(self, client: httpx.AsyncClient) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        password_file = self.data_dir / "demo-password"
        if not password_file.exists():
            raise SyncCommandFailed(
                f"{password_file} 不存在 not found: give --token, or start guanwu with `make run` first (with "
                "the same --data-dir or GUANWU_DATA_DIR)"
            )
        return await login(client, self.username, password_file.read_text().strip())


Url = Annotated[str | None, typer.Option(help="guanwu's base URL (instead of --host and --port)")]
Host = Annotated[str, typer.Option(envvar="GUANWU_HOST", help="Where the embedded guanwu listens")]
Port = Annotated[int, typer.Option(envvar="GUANWU_PORT", help="Its port")]
Token = Annotated[
    str | None,
    typer.Option(envvar="GUANWU_TOKEN", help="A bearer token (otherwise: log in as the demo user)"),
]
DataDir = Annotated[
    Path, typer.Option(envvar="GUANWU_DATA_DIR", help="The embedded guanwu's data folder (demo password)")
]
Username = Annotated[str, typer.Option(help="User to log in as without --token")]
Wait = Annotated[
    bool, typer.Option("--wait/--no-wait", help="Watch the job with a progress bar until it ends")
]
ByTicket = Annotated[bool, typer.Option("--by-ticket", help="按票同步: one record by its number")]
ByDay = Annotated[bool, typer.Option("--by-day", help="按天同步: every record last touched in a period")]
From = Annotated[
    str | None, typer.Option("--from", help="最近操作时间 from (date or ISO time; Beijing if no zone)")
]
To = Annotated[str | None, typer.Option("--to", help="最近操作时间 to, exclusive (default: now)")]


def target(url: str | None, host: str, port: int, token: str | None, data_dir: Path, user: str) -> Target:
    if url is None:
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}"
    return Target(url.rstrip("/"), token, data_dir, user)


def _run(action: Callable[[], Coroutine[Any, Any, int]]) -> None:
    try:
        code = asyncio.run(action())
    except (SyncCommandFailed, httpx.HTTPError) as exc:
        typer.echo(f"数据同步失败 sync failed: {exc or type(exc).__name__}", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


def run_job(where: Target, criteria: dict[str, Any], wait: bool) -> None:
    """Start the job; with `wait`, a progress bar (fetched of expected) until it ends."""
    console = Console()

    async def go() -> int:
        async with where.client() as client:
            headers = await where.headers(client)
            job = await start_job(client, headers, criteria)
            typer.echo(f"同步任务 job {job['job_id']} ({job['state']})")
            if not wait:
                return 0
            try:
                job = await _with_progress(client, headers, job, console)
            except KeyboardInterrupt:  # pragma: no cover - interactive
                typer.echo(f"任务继续 the job goes on; stop it with `guanwu sync cancel {job['job_id']}`")
                return 1
            for line in summary(job, where.url):
                typer.echo(line)
            return 0 if job["state"] == "completed" else 1

    _run(go)


async def _with_progress(
    client: httpx.AsyncClient, headers: dict[str, str], job: dict[str, Any], console: Console
) -> dict[str, Any]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task(f"{job['kind']} {job['mode']}", total=None)

        def seen(current: dict[str, Any]) -> None:
            counts = current["counts"]
            progress.update(
                bar,
                completed=counts["fetched"],
                total=counts.get("expected"),
                description=f"{current['kind']} {STATES.get(current['state'], current['state'])}",
            )

        return await watch(client, headers, job, seen)


@sync_app.command("declarations")
def declarations(
    by_ticket: ByTicket = False,
    by_day: ByDay = False,
    seq_no: Annotated[str | None, typer.Option(help="统一编号 (--by-ticket)")] = None,
    enterprise_category: Annotated[
        str, typer.Option(help="企业类别: 1 境内收发货人, 2 申报单位, 3 消费使用/生产销售单位")
    ] = "1",
    entry_kind: Annotated[
        str, typer.Option(help="报关单类型 (--by-ticket): 0 一般报关单, 1 转关提前, 2 备案清单, 3, 4")
    ] = "0",
    start: From = None,
    end: To = None,
    trade_name: Annotated[str | None, typer.Option(help="境内收发货人 name (--by-day; default: all)")] = None,
    wait: Wait = True,
    url: Url = None,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    token: Token = None,
    data_dir: DataDir = Path("data"),
    username: Username = "demo",
) -> None:
    """报关数据同步 (F-40): declarations by 统一编号, or by 最近操作时间."""
    mode = mode_of(by_ticket, by_day)
    criteria: dict[str, Any] = {
        "kind": "declarations",
        "mode": mode,
        "enterprise_category": enterprise_category,
    }
    if mode == "by_ticket":
        if not seq_no:
            raise typer.BadParameter("按票同步需要 --by-ticket needs --seq-no", param_hint="--seq-no")
        criteria |= {"seq_no": seq_no, "entry_kind": entry_kind}
    else:
        criteria |= day_range(start, end) | _given(trade_name=trade_name)
    run_job(target(url, host, port, token, data_dir, username), criteria, wait)


@sync_app.command("bonded-lists")
def bonded_lists(
    by_ticket: ByTicket = False,
    by_day: ByDay = False,
    number: Annotated[str | None, typer.Option(help="统一编号 or 清单编号 QD… (--by-ticket)")] = None,
    enterprise_type: Annotated[
        str, typer.Option(help="企业类型: 1 经营企业, 2 收发货企业, 3 申报企业")
    ] = "1",
    data_source: Annotated[str, typer.Option(help="数据源: 1 单一窗口录入, 2 报文导入")] = "1",
    ie_flag: Annotated[str | None, typer.Option(help="进出口标志 I or E (required --by-ticket)")] = None,
    data_status: Annotated[
        str | None, typer.Option(help="数据状态 (--by-day): 0 审核通过, 1 申报, 2 退单, 3 删单; default: all")
    ] = None,
    start: From = None,
    end: To = None,
    wait: Wait = True,
    url: Url = None,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    token: Token = None,
    data_dir: DataDir = Path("data"),
    username: Username = "demo",
) -> None:
    """核注清单数据同步 (F-41): 核注清单 by 统一编号/清单编号, or by 最近操作时间."""
    mode = mode_of(by_ticket, by_day)
    criteria: dict[str, Any] = {
        "kind": "bonded_lists",
        "mode": mode,
        "enterprise_type": enterprise_type,
        "data_source": data_source,
    }
    if mode == "by_ticket":
        if not number or not ie_flag:
            raise typer.BadParameter("按票同步需要 --by-ticket needs --number and --ie-flag")
        criteria |= {"number": number, "ie_flag": ie_flag}
    else:
        criteria |= day_range(start, end) | _given(data_status=data_status, ie_flag=ie_flag)
    run_job(target(url, host, port, token, data_dir, username), criteria, wait)


@sync_app.command("jobs")
def jobs(
    state: Annotated[str | None, typer.Option(help="queued, running, completed, failed, cancelled")] = None,
    kind: Annotated[str | None, typer.Option(help="declarations or bonded_lists")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
    url: Url = None,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    token: Token = None,
    data_dir: DataDir = Path("data"),
    username: Username = "demo",
) -> None:
    """The tenant's sync jobs, newest first."""
    where = target(url, host, port, token, data_dir, username)

    async def go() -> int:
        async with where.client() as client:
            page = await list_jobs(
                client, await where.headers(client), _given(state=state, kind=kind, limit=limit)
            )
        table = Table("job", "state", "kind", "mode", "fetched", "expected", "quarantined", "created")
        for job in page["items"]:
            counts = job["counts"]
            expected = "" if counts.get("expected") is None else str(counts["expected"])
            table.add_row(
                job["job_id"],
                job["state"],
                job["kind"],
                job["mode"],
                str(counts["fetched"]),
                expected,
                str(counts["quarantined"]),
                job["created_at"],
            )
        Console(width=160).print(table)
        typer.echo(f"共 {page['total']} total")
        return 0

    _run(go)


@sync_app.command("cancel")
def cancel(
    job_id: Annotated[str, typer.Argument(help="The job's id")],
    url: Url = None,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    token: Token = None,
    data_dir: DataDir = Path("data"),
    username: Username = "demo",
) -> None:
    """Cancel a job: a queued one at once, a running one after the page it is writing."""
    where = target(url, host, port, token, data_dir, username)

    async def go() -> int:
        async with where.client() as client:
            job = await cancel_job(client, await where.headers(client), job_id)
        asked = job["state"] == "running"
        typer.echo(
            f"{'已请求取消 cancel asked' if asked else '已取消 cancelled'}: job {job_id} ({job['state']})"
        )
        return 0

    _run(go)


@sync_app.command("quarantine")
def quarantine(
    job_id: Annotated[str, typer.Argument(help="The job's id")],
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    url: Url = None,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    token: Token = None,
    data_dir: DataDir = Path("data"),
    username: Username = "demo",
) -> None:
    """The records a job could not read: 统一编号 and why (the API also gives the raw payload)."""
    where = target(url, host, port, token, data_dir, username)

    async def go() -> int:
        async with where.client() as client:
            page = await quarantined(client, await where.headers(client), job_id, limit)
        for item in page["items"]:
            typer.echo(f"{item['seq_no'] or '(no 统一编号)'}: {item['reason'][:300]}")
        typer.echo(f"共 {page['total']} quarantined")
        return 0

    _run(go)
