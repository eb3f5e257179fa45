"""Document store throughput: MongoDocumentStore next to raw pymongo, same server (FerretDB), same run.

    uv run python bench/store.py --url mongodb://127.0.0.1:27017 --docs 2000 --finds 50

Both sides write the same N declaration-summary documents (~3 KB: head fields, eight goods lines, Chinese
text, an empty outbox) one `insert` at a time, read each back by `_id` (`get`), then run `--finds`
`find_one` by an indexed field (`entry_id`, spread over the whole collection); each side in a collection of
its own with the same index, in a fresh database dropped at the end.

Why fewer finds than inserts: FerretDB 1.24 on SQLite never pushes a filter other than `_id` down to SQLite
(its `explain` says `filterPushdown: false`, plan `SCAN`): secondary indexes enforce uniqueness but every
other query reads and decodes the whole collection: about one find per second over 2,000 such documents.

Adapter: `MongoDocumentStore.collection(...).insert` / `.get` / `.find_one` (document validation, filter validation,
the `_version` stamp). Baseline: `AsyncMongoClient` `insert_one` / `find_one` with documents that already
carry `_version`. Sides alternate over `--rounds` rounds (fresh collections each) and the best round of
each counts, which keeps a noisy shared machine from deciding the ratio. The SqliteDocumentStore figure on
the same documents (temporary folder) is printed for information.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

from _common import machine, quiet_logging, rate, ratio, result_line, run_id, section
from pymongo import AsyncMongoClient

from guanwu.platform.store.mongo import MongoDocumentStore
from guanwu.platform.store.port import Collection
from guanwu.platform.store.sqlite import SqliteDocumentStore

TARGET = 0.9
TENANT = "91310000MA1FL0BENCH"


def declaration_summary(run: str, i: int) -> dict[str, Any]:
    """What the query side keeps per declaration: head, goods lines, status, outbox bookkeeping."""
    goods = [
        {
            "g_no": n + 1,
            "code_ts": f"84713{n:05d}",
            "g_name": "便携式自动数据处理设备（笔记本电脑）",
            "g_model": f"品牌:示范|型号:X{i % 97}-{n}|14英寸|用途:办公",
            "qty": 10 + n,
            "unit": "台",
            "decl_price": 4999.5 + n,
            "decl_total": (10 + n) * (4999.5 + n),
            "trade_curr": "USD",
            "origin_country": "CHN",
            "destination_country": "USA",
            "duty_mode": "照章征税",
        }
        for n in range(8)
    ]
    return {
        "_id": f"dec-{run}-{i:07d}",
        "tenant": TENANT,
        "entry_id": f"2244{2026:04d}{i:010d}",
        "client_seq_no": f"{i:018d}",
        "ie_flag": "E" if i % 2 else "I",
        "status": "草稿",
        "custom_master": "2244",
        "trade_name": "上海关务示范贸易有限公司",
        "owner_name": "宁波示范制造有限公司",
        "bill_no": f"MSKU{i:010d}",
        "traf_mode": "2",
        "trans_mode": "FOB",
        "declared_at": "2026-11-27T08:00:00+08:00",
        "total_value": sum(g["decl_total"] for g in goods),
        "goods": goods,
        "_outbox": [],
        "_outbox_pending": False,
    }


async def timed(count: int, op: Callable[[int], Awaitable[object]]) -> float:
    start = time.perf_counter()
    for i in range(count):
        await op(i)
    return rate(count, time.perf_counter() - start)


def probe_keys(docs: list[dict[str, Any]], finds: int) -> list[str]:
    step = max(1, len(docs) // max(1, finds))
    return [docs[(i * step) % len(docs)]["entry_id"] for i in range(finds)]


async def bench_port(col: Collection, docs: list[dict[str, Any]], finds: int) -> tuple[float, float, float]:
    await col.ensure_index([("entry_id", 1)])
    keys = probe_keys(docs, finds)
    inserts = await timed(len(docs), lambda i: col.insert(docs[i]))
    gets = await timed(len(docs), lambda i: col.get(docs[i]["_id"]))
    found = await timed(len(keys), lambda i: col.find_one({"entry_id": keys[i]}))
    return inserts, gets, found


async def bench_raw(
    client: AsyncMongoClient[dict[str, Any]], db: str, name: str, docs: list[dict[str, Any]], finds: int
) -> tuple[float, float, float]:
    col = client[db][name]
    await col.create_index([("entry_id", 1)])
    keys = probe_keys(docs, finds)
    stamped = [{**d, "_version": 1} for d in docs]
    inserts = await timed(len(docs), lambda i: col.insert_one(stamped[i]))
    gets = await timed(len(docs), lambda i: col.find_one({"_id": docs[i]["_id"]}))
    found = await timed(len(keys), lambda i: col.find_one({"entry_id": keys[i]}))
    return inserts, gets, found


def _rates(rates: tuple[float, float, float]) -> str:
    return (
        f"insert {rates[0]:8,.0f}/s   get by _id {rates[1]:8,.0f}/s   find_one by entry_id {rates[2]:8,.1f}/s"
    )


async def main(url: str, count: int, finds: int, rounds: int) -> None:
    quiet_logging()
    run = run_id()
    database = f"guanwu_bench_store_{run.replace('-', '_')}"
    docs = [declaration_summary(run, i) for i in range(count)]
    size = len(str(docs[0]).encode())
    print(
        f"{machine()}; {count} documents of ~{size:,} bytes, {finds} finds; {rounds} rounds; database {database}"
    )

    store = MongoDocumentStore(url, database)
    raw: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    best: dict[str, list[float]] = {"adapter": [0.0, 0.0, 0.0], "raw": [0.0, 0.0, 0.0]}
    try:
        if not await store.ping():
            raise SystemExit(f"no MongoDB-wire server answers at {url} (deploy/local/infra.sh up ferretdb)")
        with section("warm-up"):
            await bench_port(store.collection("warm_adapter"), copy.deepcopy(docs[:100]), 20)
            await bench_raw(raw, database, "warm_raw", docs[:100], 20)
        for r in range(rounds):
            order = ("raw", "adapter") if r % 2 == 0 else ("adapter", "raw")
            with section(f"round {r + 1}"):
                for side in order:
                    if side == "adapter":
                        rates = await bench_port(store.collection(f"adapter_{r}"), docs, finds)
                    else:
                        rates = await bench_raw(raw, database, f"raw_{r}", docs, finds)
                    print(f"{side:8s} {_rates(rates)}", flush=True)
                    best[side] = [max(b, r) for b, r in zip(best[side], rates, strict=True)]
    finally:
        await store.drop()
        await store.close()
        await raw.close()

    with section("SQLite (embedded default, for information)"):
        with tempfile.TemporaryDirectory() as folder:
            sqlite = SqliteDocumentStore(folder)
            rates = await bench_port(sqlite.collection("declarations"), docs, count)
            await sqlite.close()
        print(f"sqlite   {_rates(rates)}")

    with section("results (best round per side)"):
        for i, measure in enumerate(("insert", "get", "find_one")):
            adapter, baseline = best["adapter"][i], best["raw"][i]
            print(result_line(f"store.{measure}", ratio(adapter, baseline), TARGET, adapter, baseline))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="mongodb://127.0.0.1:27017")
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--finds", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.url, args.docs, args.finds, args.rounds))
