"""A pysiaalarm receiver in its own process, so the sender's CPU is measured alone.

``python -m bench.station.receiver --accounts N --log FILE`` listens on 127.0.0.1 (ephemeral
port, printed as ``PORT <n>``) for accounts 1000, 1001, … (hex), writes one JSON line per
acknowledged event (NULL polls counted, not written) and stops on SIGTERM, printing the counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import signal
import sys
from typing import Any

from testkit.sia import SiaReceiver, sia_account


def account_id(index: int) -> str:
    """The benchmark's ``index``-th account number."""
    return f"{0x1000 + index:X}"


async def _serve(accounts: int, log_path: str) -> None:
    receiver = SiaReceiver([sia_account(account_id(i)) for i in range(accounts)])
    with Path(log_path).open("w", encoding="utf-8") as log:  # noqa: ASYNC230 - one open at start
        recorded = 0

        async def record(event: Any) -> None:
            nonlocal recorded
            if event.message_type.value == "NULL":
                receiver.polls += 1
                return
            texts = [x.value for x in event.extended_data or [] if x.identifier == "I"]
            log.write(
                json.dumps(
                    {
                        "account": event.account,
                        "sequence": int(event.sequence),
                        "code": event.code,
                        "text": texts[0] if texts else None,
                    }
                )
                + "\n"
            )
            recorded += 1

        receiver._record = record  # type: ignore[method-assign]  # noqa: SLF001
        port = await receiver.start()
        print(f"PORT {port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await receiver.stop()
        log.flush()
    print(json.dumps({"events": recorded, "polls": receiver.polls}), flush=True)


def main() -> None:
    """Parse the arguments and serve until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=1)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    asyncio.run(_serve(args.accounts, args.log))
    sys.exit(0)


if __name__ == "__main__":
    main()
