"""`python -m guanwu.singlewindow_sim --port 8100` runs the simulator alone.

Its default port is the default `single_window_url` of the sync service (http://127.0.0.1:8100)."""

import argparse

import uvicorn

from guanwu.singlewindow_sim.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Single Window simulator (单一窗口模拟器)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    print(f"单一窗口模拟器 Single Window simulator on http://{args.host}:{args.port}/sim", flush=True)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
