"""Reminders and digests into Slack: the Sender the scheduler uses for the "slack" platform."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks
from conversations import layout
from conversations.reminders import Notice, Sent, Target

if TYPE_CHECKING:
    from bot.slack.app import Clients

# Errors that no retry will fix: the message is marked with the reason and never sent again.
PERMANENT = frozenset(
    "channel_not_found not_in_channel account_inactive is_archived user_not_found user_disabled cannot_dm_bot invalid_auth"
    " token_revoked not_authed missing_scope msg_too_long invalid_blocks restricted_action".split()
)


class SlackSender:
    def __init__(self, *, clients: Clients) -> None:
        self.clients = clients

    async def _client(self, workspace: str) -> AsyncWebClient | None:
        return await self.clients(team_id=workspace)

    async def send(self, *, notice: Notice, target: Target) -> Sent:
        client = await self._client(target.workspace)
        if client is None:
            return Sent(ok=False, permanent="the app is not installed in this workspace any more")
        message = blocks.drawn(layout.of_notice(notice))
        try:
            if target.person:
                await client.chat_postMessage(channel=target.person, **message)
            else:
                await client.chat_postMessage(channel=target.channel or "", thread_ts=target.thread, **message)
        except SlackApiError as e:
            code = str(e.response.get("error") or "")
            status = e.response.status_code
            if code in PERMANENT:
                return Sent(ok=False, permanent=code)
            retry_after = e.response.headers.get("Retry-After") or e.response.headers.get("retry-after")
            return Sent(ok=False, retry_after=float(retry_after) if retry_after else None, error=code or f"HTTP {status}")
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            return Sent(ok=False, error=f"{type(e).__name__}: {e}"[:200])
        return Sent(ok=True)

    async def time_zone(self, *, workspace: str, person: str) -> str | None:
        client = await self._client(workspace)
        if client is None:
            return None
        try:
            found = await client.users_info(user=person)
        except SlackApiError:
            return None
        return (found.get("user") or {}).get("tz")
