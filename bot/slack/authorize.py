"""Authorization for one workspace with a bot token: auth.test once per process, not once per request
that arrives before the first answer.

Bolt's built-in single-workspace authorization calls auth.test until the first call has answered,
so a burst of requests right after a start (or the worker's queue after a restart) sends one call
each. This one lets the first caller ask and the others wait for its answer; a failure is not
remembered, so the next request asks again.
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_sdk.web.async_client import AsyncWebClient


class BotToken(AsyncAuthorize):
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.result: AuthorizeResult | None = None
        self.asking = asyncio.Lock()

    async def __call__(self, **_: Any) -> AuthorizeResult:
        if self.result is None:
            async with self.asking:
                if self.result is None:
                    response = await self.client.auth_test()
                    self.result = AuthorizeResult.from_auth_test_response(auth_test_response=response, bot_token=self.client.token)
        return self.result
