"""`guanwu replay query`: rebuild the query service's read model from its topics into fresh collections and
switch over while the service keeps running (`guanwu.platform.replay`).

    guanwu replay query                         # the embedded default: the data folder (GUANWU_DATA_DIR)
    guanwu replay query --distributed           # Kafka + MongoDB/FerretDB, the query service's settings

Embedded, the events come from the event log the in-process bus keeps in the data folder's store; distributed,
from the Kafka topics read from the beginning (they need unlimited retention: docs/operations.md) and the
query database is the one `guanwu serve query` uses (GUANWU_QUERY_STORE__MONGO_URL / __DATABASE, or the
options). Exit status 0 when switched; 1 when refused or failed, with nothing switched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:
    from guanwu.platform.replay import EventSource, RebuildReport
    from guanwu.platform.replay import Progress as Progress_
    from guanwu.platform.store.port import DocumentStore

replay_app = typer.Typer(
    help="重建读模型 — rebuild a read model from its topics and switch over without stopping the service",
    no_args_is_help=True,
)

PHASES = {"replay": "重放 replay", "catch-up": "追赶 catch-up", "after switch": "切换后 after switch"}


@replay_app.command("query")
def replay_query(
    data_dir: Annotated[
        Path, typer.Option(envvar="GUANWU_DATA_DIR", help="Embedded: the data folder of `guanwu up`")
    ] = Path("data"),
    distributed: Annotated[
        bool, typer.Option("--distributed", help="Kafka + MongoDB/FerretDB instead of the data folder")
    ] = False,
    kafka: Annotated[
        str, typer.Option(envvar="GUANWU_QUERY_BUS__BOOTSTRAP_SERVERS", help="Distributed: Kafka")
    ] = "127.0.0.1:9092",
    mongo_url: Annotated[
        str,
        typer.Option(envvar="GUANWU_QUERY_STORE__MONGO_URL", help="Distributed: the query service's store"),
    ] = "mongodb://127.0.0.1:27017/",
    database: Annotated[
        str, typer.Option(envvar="GUANWU_QUERY_STORE__DATABASE", help="Distributed: the query database")
    ] = "guanwu_query",
    allow_fewer_rows: Annotated[
        bool,
        typer.Option(
            "--allow-fewer-rows",
            help="Switch even when a rebuilt collection has fewer rows than the live one (refused otherwise: "
            "the topics or the event log lack events the live model saw)",
        ),
    ] = False,
) -> None:
    """重建业务数据查询读模型 — rebuild the query read model (报关单, 动态, 核注清单) and switch over."""
    from guanwu.platform.replay import RebuildRefused, RebuildRunning

    console = Console(stderr=True)
    if not distributed and not _has_store(data_dir):
        typer.echo(f"guanwu replay query: {data_dir} 中没有数据 holds no guanwu data (--data-dir)", err=True)
        raise typer.Exit(1)
    where = f"Kafka {kafka}, {mongo_url} {database}" if distributed else str(data_dir)
    console.print(f"重建 rebuilding the query read model from {where}")
    try:
        report = asyncio.run(
            _run(data_dir, distributed, kafka, mongo_url, database, allow_fewer_rows, console)
        )
    except RebuildRefused as exc:
        typer.echo(f"未切换 nothing switched: {exc}; --allow-fewer-rows to switch anyway", err=True)
        raise typer.Exit(1) from None
    except RebuildRunning as exc:
        typer.echo(f"未开始 not started: {exc}", err=True)
        raise typer.Exit(1) from None
    _print(console, report)


def _has_store(data_dir: Path) -> bool:
    from guanwu.platform.store.sqlite import resolve_database_file

    return resolve_database_file(data_dir).exists()


async def _run(
    data_dir: Path,
    distributed: bool,
    kafka: str,
    mongo_url: str,
    database: str,
    allow_fewer_rows: bool,
    console: Console,
) -> RebuildReport:
    from guanwu.platform.replay import rebuild
    from guanwu.query.rebuild import read_model

    store, source = _store_and_source(data_dir, distributed, kafka, mongo_url, database)
    try:
        with _progress(console) as progress:
            return await rebuild(
                store, source, read_model(), progress=progress, allow_fewer_rows=allow_fewer_rows
            )
    finally:
        await source.close()
        await store.close()


def _store_and_source(
    data_dir: Path, distributed: bool, kafka: str, mongo_url: str, database: str
) -> tuple[DocumentStore, EventSource]:
    from guanwu.platform.bus.event_log import EventLog
    from guanwu.platform.replay import KafkaSource, LogSource

    if distributed:
        from guanwu.platform.store.mongo import MongoDocumentStore

        return MongoDocumentStore(mongo_url, database), KafkaSource(kafka)
    from guanwu.platform.store.sqlite import SqliteDocumentStore

    store = SqliteDocumentStore(data_dir)
    return store, LogSource(EventLog(store))


@contextmanager
def _progress(console: Console) -> Iterator[Progress_]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def seen(phase: str, done: int, total: int) -> None:
            task = tasks.get(phase)
            if task is None:
                task = tasks[phase] = bar.add_task(PHASES.get(phase, phase), total=total)
            bar.update(task, completed=done, total=total)

        yield seen


def _print(console: Console, report: RebuildReport) -> None:
    for live, fresh in report.switched.items():
        rows_live, rows_rebuilt = report.rows.get(live, (0, 0))
        console.print(f"已切换 switched {live} ← {fresh}: {rows_rebuilt} 行 rows (live had {rows_live})")
    console.print("事件 events: " + ", ".join(f"{phase} {n}" for phase, n in report.events.items()))
    if report.dead_lettered:
        console.print(f"[yellow]{report.dead_lettered} 条未能处理 not handled (dead-lettered again)[/yellow]")
    for name in report.dropped_leftovers:
        console.print(f"已删除 dropped {name} (left by an earlier rebuild that never switched)")
