"""Declaration drafting through HTTP: create + validate + submit of a 50-line declaration at a fixed
concurrency, next to a bare FastAPI endpoint that returns the same JSON, both served by uvicorn in their own
processes on loopback and driven by the same client in the same run.

    uv run python bench/declaration.py --iterations 200 --concurrency 8 --rounds 3

Reports p50, p99 and requests/s of both, and the p99 ratio guanwu / bare (target ≤ 3×). Never asserted.

On 2 cores a single run's p99 is mostly noise: the guanwu process keeps relaying and cleaning its outbox for a
moment after its load ends, and that work lands in whatever is measured next. So the two alternate over
several rounds, each after a pause that lets the other side go quiet, and the percentiles are taken over all
rounds' samples.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import statistics
import time
from typing import Any

import httpx

SECRET = "bench-declaration-secret-" + "b" * 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_guanwu(port: int) -> None:
    """The declaration service as it runs embedded: in-process bus, SQLite store in a temporary folder."""
    import tempfile

    import uvicorn
    from pydantic import SecretStr

    from guanwu.declaration import bootstrap
    from guanwu.declaration.config import DeclarationSettings
    from guanwu.platform.auth import LocalTokenIssuer
    from guanwu.platform.bus.inprocess import InProcessEventBus
    from guanwu.platform.runtime import Runtime, create_app
    from guanwu.platform.settings import AuthSettings
    from guanwu.platform.store.sqlite import SqliteDocumentStore

    store = SqliteDocumentStore(tempfile.mkdtemp(prefix="guanwu-bench-"))
    runtime = Runtime(store, InProcessEventBus())
    settings = DeclarationSettings(auth=AuthSettings(secret=SecretStr(SECRET)))
    runtime.register(bootstrap.build(settings, store, runtime.outbox_written))
    app = create_app(runtime, LocalTokenIssuer(SECRET), title="declaration", service_label="declaration")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error")


def serve_bare(port: int, body: bytes) -> None:
    """The baseline: FastAPI returning the same JSON, no validation, no store, no auth."""
    import uvicorn
    from fastapi import FastAPI, Request, Response

    app = FastAPI()

    @app.api_route("/echo", methods=["GET", "POST"])
    async def echo(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error")


async def wait_ready(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.get(url, timeout=1)
                return
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
    raise TimeoutError(url)


async def drive(iteration: Any, iterations: int, concurrency: int) -> tuple[list[float], float]:
    """Run `iterations` calls of `iteration` with `concurrency` workers; per-request latencies and wall time."""
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(iterations):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            queue.get_nowait()
            latencies.extend(await iteration())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


async def timed(request: Any) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = await request
    return time.perf_counter() - started, response


async def main(args: argparse.Namespace) -> None:
    from guanwu.customs import fixtures
    from guanwu.platform.auth import LocalTokenIssuer

    document = fixtures.fifty_line_export().model_dump(mode="json", exclude_none=True)
    token = {"Authorization": f"Bearer {LocalTokenIssuer(SECRET).issue('bench', 'acme', ['preparer'])}"}
    guanwu_port, bare_port = free_port(), free_port()
    ctx = multiprocessing.get_context("spawn")
    servers = [ctx.Process(target=serve_guanwu, args=(guanwu_port,), daemon=True)]
    servers[0].start()
    await wait_ready(f"http://127.0.0.1:{guanwu_port}/healthz")
    # The bare endpoint answers with what guanwu answers to a create: the same bytes on the wire.
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{guanwu_port}", headers=token, timeout=30
    ) as probe:
        sample = (await probe.post("/api/declaration/declarations", json=document)).content
    servers.append(ctx.Process(target=serve_bare, args=(bare_port, sample), daemon=True))
    servers[1].start()
    await wait_ready(f"http://127.0.0.1:{bare_port}/echo")
    try:
        limits = httpx.Limits(max_connections=args.concurrency)
        async with (
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{guanwu_port}", headers=token, timeout=60, limits=limits
            ) as guanwu,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{bare_port}", timeout=60, limits=limits) as bare,
        ):

            async def guanwu_iteration() -> list[float]:
                t1, created = await timed(guanwu.post("/api/declaration/declarations", json=document))
                declaration_id = created.json()["declaration_id"]
                t2, _ = await timed(guanwu.post("/api/declaration/validate", json=document))
                t3, submitted = await timed(
                    guanwu.post(
                        f"/api/declaration/declarations/{declaration_id}/submit", headers={"If-Match": '"1"'}
                    )
                )
                assert submitted.status_code == 200, submitted.text
                return [t1, t2, t3]

            async def bare_iteration() -> list[float]:
                t1, _ = await timed(bare.post("/echo", json=document))
                t2, _ = await timed(bare.post("/echo", json=document))
                t3, _ = await timed(bare.post("/echo"))
                return [t1, t2, t3]

            await drive(guanwu_iteration, 5, args.concurrency)  # warm-up
            await drive(bare_iteration, 5, args.concurrency)
            g_lat, b_lat, g_wall, b_wall = [], [], 0.0, 0.0
            for _ in range(args.rounds):
                await asyncio.sleep(args.settle_seconds)
                lat, wall = await drive(bare_iteration, args.iterations, args.concurrency)
                b_lat, b_wall = b_lat + lat, b_wall + wall
                await asyncio.sleep(args.settle_seconds)
                lat, wall = await drive(guanwu_iteration, args.iterations, args.concurrency)
                g_lat, g_wall = g_lat + lat, g_wall + wall
    finally:
        for server in servers:
            server.kill()

    def line(name: str, lat: list[float], wall: float) -> str:
        return (
            f"{name:<34} p50 {percentile(lat, 50) * 1000:7.1f} ms   p99 {percentile(lat, 99) * 1000:7.1f} ms   "
            f"{len(lat) / wall:7.0f} requests/s   (mean {statistics.mean(lat) * 1000:.1f} ms)"
        )

    print(
        f"{args.rounds} rounds × {args.iterations} × (create + validate + submit) of a 50-line declaration, "
        f"concurrency {args.concurrency}"
    )
    print(line("guanwu declaration service", g_lat, g_wall))
    print(line("bare FastAPI, same JSON", b_lat, b_wall))
    p99_ratio = percentile(g_lat, 99) / percentile(b_lat, 99)
    verdict = "ok" if p99_ratio <= 3 else "ABOVE TARGET"
    print(f"RESULT declaration.http_p99: ratio={p99_ratio:.2f} target<=3.0 ({verdict})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of bare and guanwu")
    parser.add_argument("--settle-seconds", type=float, default=3.0, help="pause before each measured run")
    asyncio.run(main(parser.parse_args()))
