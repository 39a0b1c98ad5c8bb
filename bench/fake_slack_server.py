"""The loopback Slack Web API of the tests, in a process of its own, so the load generator stays light.

python bench/fake_slack_server.py --port 3200
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.bot.slack.fake_slack import FakeSlack


async def main(port: int) -> None:
    api = FakeSlack()
    await api.start(port)
    print(api.url, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
