"""Card-signer bench: signatures/s and latency percentiles through the virtual card (the full PC/SC round
trip: pyscard → pcscd → vpcd → the card process) and through the soft token, each both called directly and
through the service's single-slot card queue.

    uv run python bench/signer.py [--card-n 3000] [--soft-n 20000] [--concurrency 64] [--json]

Starts pcscd with deploy/local/pcscd.sh (installing it if needed) and a throw-away virtual card. Targets:
≥ 1,000/s through the virtual card, ≥ 5,000/s soft. It reports figures and never asserts them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from guanwu.card_signer.adapters.pcsc import PcscSigner
from guanwu.card_signer.adapters.soft import SoftSigner, create_soft_token
from guanwu.card_signer.domain import Pin, Signer
from guanwu.card_signer.service_layer.card_queue import CardQueue

REPO = Path(__file__).resolve().parents[1]
PORT = int(os.environ.get("GUANWU_VPCD_PORT", "35963"))
READER = "GUANWU Virtual Card Reader 00 00"
MESSAGE = b"<Declaration>" + b"x" * 2000 + b"</Declaration>"  # about a declaration's signed form


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, n: int, elapsed: float, latencies: list[float]) -> dict[str, float | int | str]:
    return {
        "path": name,
        "n": n,
        "per_s": round(n / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
    }


def bench_direct(name: str, sign: Callable[[bytes], object], n: int) -> dict[str, float | int | str]:
    for _ in range(min(50, n)):
        sign(MESSAGE)  # warm-up: connect, SELECT, VERIFY
    latencies = []
    started = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        sign(MESSAGE)
        latencies.append(time.perf_counter() - t)
    return report(name, n, time.perf_counter() - started, latencies)


async def bench_queue(name: str, signer: Signer, n: int, concurrency: int) -> dict[str, float | int | str]:
    queue = CardQueue(signer, max_pending=concurrency * 2, timeout_s=60)
    await queue.start()
    latencies: list[float] = []
    remaining = n

    async def client() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            t = time.perf_counter()
            await queue.sign(MESSAGE)
            latencies.append(time.perf_counter() - t)

    try:
        await queue.sign(MESSAGE)
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    finally:
        await queue.stop()
    return report(f"{name} via queue (c={concurrency})", n, elapsed, latencies)


def card_present() -> bool:
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    try:
        hresult, states = scard.SCardGetStatusChange(context, 0, [(READER, scard.SCARD_STATE_UNAWARE)])
        return hresult == scard.SCARD_S_SUCCESS and bool(states[0][1] & scard.SCARD_STATE_PRESENT)
    finally:
        scard.SCardReleaseContext(context)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--card-n", type=int, default=3000)
    parser.add_argument("--soft-n", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--skip-card", action="store_true", help="soft token only (no pcscd)")
    args = parser.parse_args()
    results = []

    with tempfile.TemporaryDirectory(prefix="guanwu-bench-") as tmp:
        folder = Path(tmp)
        passphrase = b"bench passphrase"
        create_soft_token(folder / "token.json", passphrase)
        soft = SoftSigner(folder / "token.json", passphrase)
        results.append(bench_direct("soft token, direct", soft.sign, args.soft_n))
        results.append(asyncio.run(bench_queue("soft token", soft, args.soft_n, args.concurrency)))

        if not args.skip_card:
            pcscd = str(REPO / "deploy/local/pcscd.sh")
            was_running = subprocess.run([pcscd, "status"], capture_output=True).returncode == 0
            up = subprocess.run([pcscd, "up"], capture_output=True, text=True)
            if up.returncode != 0:
                print(f"pcscd unavailable, card figures skipped: {up.stderr.strip()}", file=sys.stderr)
            else:
                pin = "271828"
                card = subprocess.Popen(
                    [sys.executable, "-m", "guanwu.smartcard_sim", "--port", str(PORT),
                     "--state-dir", str(folder / "card")],
                    env={**os.environ, "GUANWU_SMARTCARD_PIN": pin},
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                try:
                    deadline = time.monotonic() + 30
                    while not card_present() and time.monotonic() < deadline:
                        time.sleep(0.05)
                    signer = PcscSigner(lambda: Pin(pin), reader_match=READER)
                    results.append(bench_direct("virtual card (PC/SC), direct", signer.sign, args.card_n))
                    results.append(
                        asyncio.run(
                            bench_queue("virtual card (PC/SC)", signer, args.card_n, args.concurrency)
                        )
                    )
                    signer.close()
                finally:
                    card.terminate()
                    card.wait(timeout=10)
                    if not was_running:  # leave the machine as we found it: one pcscd owns the PC/SC socket
                        subprocess.run([pcscd, "down"], capture_output=True)

    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{'path':<42} {'n':>7} {'sig/s':>10} {'p50 ms':>9} {'p99 ms':>9}")
        for row in results:
            print(f"{row['path']:<42} {row['n']:>7} {row['per_s']:>10} {row['p50_ms']:>9} {row['p99_ms']:>9}")
        print("targets: >= 1000/s through the virtual card, >= 5000/s soft (reported, not asserted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
