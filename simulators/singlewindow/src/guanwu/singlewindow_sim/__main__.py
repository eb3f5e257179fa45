"""`python -m guanwu.singlewindow_sim --port 8100` runs the simulator alone."""

import argparse

import uvicorn

from guanwu.singlewindow_sim.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(description="Single Window simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
