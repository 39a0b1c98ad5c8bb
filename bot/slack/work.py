"""The work after the acknowledgement: a stored Slack request to the use case it asks for, and its result drawn."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import blocks, forms, payloads
from bot.slack.receive import is_admin
from bot.slack.show import Show
from conversations import layout
from conversations.people import Person
from conversations.ports import Claimed
from conversations.shown import Actor, Shown
from conversations.usecases import Preflight

log = logging.getLogger(__name__)
Clients = Callable[..., Awaitable[AsyncWebClient | None]]


class SlackWork:
    """The inbox handler for the "slack" platform."""

    def __init__(
        self, *, preflight: Preflight, clients: Clients, forget_installation: Callable[..., Awaitable[None]], session: Any = None
    ) -> None:
        self.preflight = preflight
        self.clients = clients
        self.forget_installation = forget_installation
        self.session = session
        self.names: dict[str, str] = {}  # "team:user" -> display name, as users.info gave it

    async def named(self, client: AsyncWebClient, team: str, user: str) -> str | None:
        """A person's display name: forms and most mentions carry only their id, and people are shown and exported by name."""
        key = f"{team}:{user}"
        if key not in self.names:
            try:
                found = (await client.users_info(user=user)).get("user") or {}
            except SlackApiError as e:
                log.info("users.info %s: %s", user, e.response.get("error"))
                return None
            profile = found.get("profile") or {}
            name = profile.get("display_name") or profile.get("real_name") or found.get("real_name") or found.get("name")
            if not isinstance(name, str) or not name:
                return None
            if len(self.names) > 10_000:
                self.names.clear()
            self.names[key] = name
        return self.names[key]

    async def with_names(self, client: AsyncWebClient, team: str, values: dict[str, Any]) -> dict[str, Any]:
        """A submitted form's people ({"id", "name"} with only the id known) with their names."""
        for key, value in values.items():
            if isinstance(value, dict) and value.get("id") and value.get("name") == value["id"]:
                values[key] = {**value, "name": await self.named(client, team, value["id"]) or value["id"]}
        return values

    async def __call__(self, item: Claimed) -> None:
        payload = item.payload
        body: Mapping[str, Any] = payload.get("body") or {}
        route = str(payload.get("route"))
        client = await self.clients(enterprise_id=payload.get("enterprise"), team_id=payload.get("team") or item.workspace)
        if route == "event":
            await self.event(body, client=client, team=item.workspace, enterprise=payload.get("enterprise"))
            return
        if client is None:
            log.warning("request %s from a workspace Preflight is not installed in: dropped", item.key)
            return
        user = payloads.person_of(body).id or ""
        actor = payloads.actor_of(body, is_admin=lambda: is_admin(client, user), request=item.id)
        show = Show(
            client=client,
            user=actor.person,
            channel=actor.channel or None,
            response_url=body.get("response_url"),
            source_ts=payloads.message_ts(body) or payloads.metadata_of(body.get("view") or {}).get("m"),
            trigger_id=body.get("trigger_id"),
            session=self.session,
        )
        await show(self.preflight, await self.shown(route, body, actor, client=client))

    async def shown(self, route: str, body: Mapping[str, Any], actor: Actor, *, client: AsyncWebClient) -> Shown:
        if route == "command":
            text, mentioned = payloads.mentions(str(body.get("text") or ""))
            named = [replace(p, name=await self.named(client, actor.workspace, p.id) or p.name) if p.id else p for p in mentioned]
            return await self.preflight.command(actor, text, mentions=named)
        if route == "action":
            found = payloads.action_of(body)
            if found is None:
                return self.preflight.unreadable()
            assessment_id, action = found
            return await self.preflight.act(actor, assessment_id=assessment_id, action=action)
        view = body.get("view") or {}
        if route == "view_answer":
            assessment_id, question, values = payloads.answer_of(view)
            values = await self.with_names(client, actor.workspace, values)
            show_in = payloads.metadata_of(view).get("m")
            return await self.preflight.submit_answer(
                actor, assessment_id=assessment_id, question=question, values=values, from_message=bool(show_in)
            )
        if route == "view_gaps":
            values = await self.with_names(client, actor.workspace, forms.submitted(payloads.view_values(view)))
            return await self.preflight.submit_gaps(actor, assessment_id=payloads.assessment_of(payloads.metadata_of(view)), values=values)
        if route == "view_settings":
            return await self.preflight.save_settings(actor, values=forms.submitted(payloads.view_values(view)))
        return Shown()

    async def event(self, body: Mapping[str, Any], *, client: AsyncWebClient | None, team: str, enterprise: str | None) -> None:
        event = body.get("event") or {}
        kind, user, revoked = event.get("type"), event.get("user"), event.get("tokens")
        tokens: Mapping[str, Any] = revoked if isinstance(revoked, Mapping) else {}
        # An org-wide install is stored under its enterprise alone (as Bolt's authorizer finds it), not per workspace.
        granted = body.get("authorizations")
        org_wide = isinstance(granted, list) and any(isinstance(g, Mapping) and g.get("is_enterprise_install") for g in granted)
        installed = None if org_wide and enterprise else team
        if kind == "app_home_opened" and client is not None and event.get("tab", "home") == "home" and isinstance(user, str) and user:
            mine = Actor(person=Person(name=user, id=user), platform=payloads.PLATFORM, workspace=team)
            home = layout.of_home(await self.preflight.home(mine), start=f"{payloads.PREFIX}start <project>")
            await client.views_publish(user_id=user, view={"type": "home", "blocks": blocks.blocks_of(home)})
        elif kind == "app_uninstalled" or (kind == "tokens_revoked" and tokens.get("bot")):
            await self.forget_installation(enterprise_id=enterprise, team_id=installed)
            await self.preflight.forget_workspace(platform=payloads.PLATFORM, workspace=team)
        elif kind == "tokens_revoked" and isinstance(tokens.get("oauth"), list):
            for user_id in tokens["oauth"]:
                if isinstance(user_id, str):
                    await self.forget_installation(enterprise_id=enterprise, team_id=installed, user_id=user_id)
