"""`python -m guanwu.smartcard_sim --port 35963 --state-dir DIR`: run the virtual card (TEST AND DEMO DEVICE).

Creates the card in DIR on first use (PIN from GUANWU_SMARTCARD_PIN, default 123456 for demos), then stays
connected to vpcd. SIGUSR1 pulls the card out of the reader, SIGUSR2 puts it back, SIGTERM/SIGINT stop.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from guanwu.smartcard_sim.card import VirtualCard
from guanwu.smartcard_sim.state import CardStore
from guanwu.smartcard_sim.vpcd import VpcdLink


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="guanwu.smartcard_sim", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="where vpcd listens")
    parser.add_argument("--port", type=int, default=35963, help="vpcd port (reader.conf CHANNELID)")
    parser.add_argument("--state-dir", type=Path, required=True, help="the card's folder (key, cert, PIN)")
    parser.add_argument(
        "--max-retries", type=int, default=3, help="PIN tries before the card blocks (new card)"
    )
    parser.add_argument("--subject", default="/C=CN/O=GUANWU Demo Trading Co./CN=GUANWU VIRTUAL TEST CARD")
    parser.add_argument("--init-only", action="store_true", help="create the card and exit")
    parser.add_argument("--removed", action="store_true", help="start out of the reader (SIGUSR2 inserts)")
    parser.add_argument("--sign-delay-ms", type=float, default=0.0, help="make each signature this slow")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s guanwu-smartcard-sim %(levelname)s %(message)s",
    )

    store = CardStore(args.state_dir)
    if not store.initialised:
        pin = os.environ.get("GUANWU_SMARTCARD_PIN", "123456").encode()
        store.initialise(pin, subject=args.subject, max_retries=args.max_retries)
        logging.getLogger("guanwu.smartcard_sim").info("new virtual card created in %s", args.state_dir)
    if args.init_only:
        return 0

    link = VpcdLink(VirtualCard(store, args.sign_delay_ms / 1000), args.host, args.port)
    if args.removed:
        link.inserted = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGUSR1:
            link.remove()
        elif signum == signal.SIGUSR2:
            link.insert()
        else:
            link.stop()

    for signum in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    link.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
