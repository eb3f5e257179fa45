"""`python -m guanwu.singlewindow_sim --port 8100 [--dataset demo:2000:200]` runs the simulator alone.

Its default port is the default `single_window_url` of the sync service (http://127.0.0.1:8100)."""

import argparse
import asyncio

import uvicorn

from guanwu.singlewindow_sim.app import create_app
from guanwu.singlewindow_sim.seeding import FORMAT, SeedSpec, seed_all
from guanwu.singlewindow_sim.state import SingleWindowState


def _spec(text: str) -> SeedSpec:
    try:
        return SeedSpec.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main() -> None:
    parser = argparse.ArgumentParser(description="Single Window simulator (单一窗口模拟器)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--dataset",
        type=_spec,
        action="append",
        default=[],
        metavar=FORMAT,
        help="Seed an enterprise's records over the last 30 days, e.g. demo:2000:200 (repeatable)",
    )
    args = parser.parse_args()
    state = SingleWindowState()
    asyncio.run(seed_all(state, args.dataset))
    for spec in args.dataset:
        print(f"单一窗口模拟器数据集 data set {spec}", flush=True)
    print(f"单一窗口模拟器 Single Window simulator on http://{args.host}:{args.port}/sim", flush=True)
    uvicorn.run(create_app(state), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
