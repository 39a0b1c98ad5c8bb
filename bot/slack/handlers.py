"""Bolt listeners: Slack payloads in, neutral events to the core, Block Kit out."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from typing import Any, Awaitable, Callable

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy.exc import SQLAlchemyError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.bootstrap import App
from bot.slack import blocks, forms, home
from bot.slack.client import web_client
from bot.slack import settings as slack_settings
from bot.slack.commands import SlashCommands
from bot.slack.delivery import Cards, Delivery, explain, notify
from conversations import events
from conversations.answers import parse_answer, partial_errors
from conversations.commands import read
from conversations.messages import Tone
from conversations.people import Person
from conversations.prompts import NOT_FOUND
from conversations.questions import BY_KEY
from conversations.scoring import score
from conversations.service import NotFound

log = logging.getLogger(__name__)
PLATFORM = "slack"
WORKERS = 2
DATABASE_ERRORS = (SQLAlchemyError, OSError, ConnectionError)


def person_of(user: dict[str, Any]) -> Person:
    return Person(name=user.get("name") or user.get("username") or user.get("id", "someone"), id=user.get("id"))


def _team(body: dict[str, Any]) -> str:
    return (body.get("team") or {}).get("id") or body.get("team_id") or (body.get("user") or {}).get("team_id") or ""


def _event_key(body: dict[str, Any]) -> str:
    """The delivery key of an Events API event: claimed before the ack, released if its work fails."""
    return f"evt:{body.get('event_id')}"


def _parse(raw: str) -> dict[str, Any]:
    try:
        parsed = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


class ClaimEvents(AsyncMiddleware):
    """Events are claimed before they are acknowledged: a retry is recognised, and if the database is
    down Slack gets a 503 and delivers again later, instead of an ack for work that cannot happen.

    A middleware object rather than a function: it runs on every request, and Bolt builds no
    keyword arguments for it. Requests handed to the worker (lazy-only) were claimed already."""

    def __init__(self, core: App) -> None:
        self.core = core

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:  # noqa: A002
        body = req.body
        if req.lazy_only or body.get("type") != "event_callback" or not body.get("event_id"):
            return await next()
        try:
            first = await self.core.store.claim(key=_event_key(body), now=self.core.clock())
        except DATABASE_ERRORS:
            log.warning("database unavailable: event %s refused for Slack to retry", body.get("event_id"))
            return BoltResponse(status=503, body="database unavailable, retry later")
        if not first:
            return BoltResponse(status=200, body="")
        return await next()


class Handlers:
    def __init__(self, *, core: App) -> None:
        self.core = core
        self.cards = Cards(load=self._state)
        # Work after the ack runs a few at a time: a burst of requests then waits its turn in a queue
        # instead of crowding the event loop, so new requests are still acknowledged at once.
        self.work_slots = asyncio.Semaphore(WORKERS)
        self.commands = SlashCommands(core=core, once=self.once, cards=self.cards)

    async def _state(self, assessment_id: int):  # noqa: ANN202
        loaded = await self.core.store.load(assessment_id=assessment_id)
        return loaded.state if loaded else None

    async def once(self, key: str, work: Callable[[], Awaitable[Any]]) -> bool:
        """Run `work` for the first delivery of `key`; a retry or replay does nothing."""
        if not await self.core.store.claim(key=key, now=self.core.clock()):
            log.info("duplicate delivery %s ignored", key)
            return False
        await self.released_on_failure(key, work)
        return True

    async def released_on_failure(self, key: str, work: Callable[[], Awaitable[Any]]) -> None:
        try:
            await work()
        except BaseException:
            await self.core.store.release(key=key)  # a real failure: Slack's retry is handled
            raise

    def guarded(self, work: Callable[..., Awaitable[Any]], *, urgent: Callable[[dict], bool] | None = None) -> Callable[..., Awaitable[None]]:
        """Work done after the ack: a failure still reaches the person, in words.

        Work that opens a form is urgent (Slack's trigger expires after 3 seconds) and skips the queue.
        """

        @functools.wraps(work)  # Bolt reads the wrapped function's parameters to know what to pass
        async def run(**kwargs: Any) -> None:
            if kwargs.get("client") is not None:
                # Bolt copies each request for its lazy listeners, so its clients cannot hold a connection
                # pool; the work after the ack uses one on the shared session, with the same token.
                kwargs["client"] = web_client(self.core.config, token=kwargs["client"].token, session=self.core.http_session())
            try:
                if urgent is not None and urgent(kwargs):
                    await work(**kwargs)
                else:
                    async with self.work_slots:
                        await work(**kwargs)
            except Exception as e:
                payload = kwargs.get("body") or kwargs.get("command") or {}
                await self.on_error(e, payload, kwargs.get("client"), kwargs.get("respond"))

        return run

    async def on_error(self, error: Exception, body: dict, client: AsyncWebClient, respond: AsyncRespond | None = None) -> None:
        """A listener failed after the ack: tell the person, in words."""
        log.error("listener failed: %s", error, exc_info=error)
        user = person_of(body.get("user") or {"id": body.get("user_id"), "name": body.get("user_name")})
        if not user.id:
            return
        text = (
            "Preflight cannot reach its database right now, so nothing was saved. Please try again in a minute."
            if isinstance(error, DATABASE_ERRORS)
            else "Something went wrong on Preflight's side. Everything answered before is saved; please try again."
        )
        channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
        await notify(client=client, respond=respond if body.get("response_url") else None, channel=channel, user=user, text=text)
    async def turn(
        self,
        *,
        client: AsyncWebClient,
        team: str,
        assessment_id: int,
        event: events.Event,
        user: Person,
        respond: AsyncRespond | None,
        source_ts: str | None = None,
    ) -> None:
        try:
            outcome = await self.core.assessments.run(
                assessment_id=assessment_id, event=event, now=self.core.clock(), workspace=team
            )
        except NotFound:
            await notify(client=client, respond=respond, channel=None, user=user, text=NOT_FOUND)
            return
        delivery = Delivery(
            client=client, assessment_id=assessment_id, place=outcome.place, user=user, respond=respond,
            source_ts=source_ts, cards=self.cards,
        )
        replies = outcome.replies
        if replies and replies[0].tone is Tone.ERROR:
            replies = replies[:1]  # the question is already on screen; say only what was wrong
        await delivery.show(replies, changed=outcome.changed, state=outcome.state, version=outcome.version)

    # -- buttons ---------------------------------------------------------------

    async def choice(self, body: dict, action: dict, client: AsyncWebClient, respond: AsyncRespond) -> None:
        data = _parse(action.get("value", ""))
        user, team = person_of(body["user"]), _team(body)
        question, choice = str(data.get("q", "")), str(data.get("v", ""))

        async def work() -> None:
            await self.turn(
                client=client, team=team, assessment_id=_id(data), user=user, respond=respond,
                event=events.Submit(question=question, values={"choice": choice}, by=user, partial=True), source_ts=_message_ts(body),
            )

        await self.once(f"act:{team}:{body.get('trigger_id')}:{action.get('action_id')}", work)

    async def command_button(self, body: dict, action: dict, client: AsyncWebClient, respond: AsyncRespond) -> None:
        if action.get("type") == "static_select":
            data = _parse((action.get("selected_option") or {}).get("value", ""))
        else:
            data = _parse(action.get("value", ""))
        user, team = person_of(body["user"]), _team(body)
        text = str(data.get("c", ""))
        event = read(text, by=user, question=data.get("q"))
        source = _message_ts(body) if text in ("skip",) else None

        async def work() -> None:
            await self.turn(
                client=client, team=team, assessment_id=_id(data), user=user, respond=respond,
                event=event, source_ts=source,
            )

        await self.once(f"act:{team}:{body.get('trigger_id')}:{action.get('action_id')}", work)

    async def open_form(self, body: dict, action: dict, client: AsyncWebClient, respond: AsyncRespond) -> None:
        data = _parse(action.get("value", ""))
        user, team = person_of(body["user"]), _team(body)
        q = forms.question_of(data)
        assessment_id = _id(data)
        loaded = await self.core.store.load(assessment_id=assessment_id, workspace=team)
        if q is None or loaded is None:
            await notify(client=client, respond=respond, channel=None, user=user, text=NOT_FOUND)
            return
        current = loaded.state.answers.get(q.key)
        metadata = {"a": assessment_id, "q": q.key, "m": _message_ts(body)}
        view = forms.modal(q, current=current.values if current else None, metadata=metadata)
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as e:
            await notify(client=client, respond=respond, channel=loaded.place.channel, user=user, text=explain(e))

    # -- the form --------------------------------------------------------------

    async def _form_problems(self, body: dict, view: dict) -> dict[str, str] | None:
        """Why a submitted answer form cannot be saved, by field; None when it can."""
        metadata = _parse(view.get("private_metadata", ""))
        q = forms.question_of(metadata)
        if q is None:
            return {}
        raw = forms.submitted(q, view.get("state", {}).get("values", {}), names={})
        parsed = parse_answer(q, raw, today=self.core.clock().date())
        if not parsed.ok:
            keys = {f.key for f in q.fields}
            return {(k if k in keys else q.fields[0].key): blocks.clip(m, 150) for k, m in parsed.errors.items()}
        if await self.core.store.load(assessment_id=_id(metadata), workspace=_team(body)) is None:
            return {q.fields[0].key: NOT_FOUND}
        return None

    async def check_form(self, ack: AsyncAck, body: dict, view: dict) -> None:
        """The form's answer reads and the assessment is this workspace's: checked before the ack,
        so errors show in the form; saving happens after the ack (form_submitted)."""
        problems = await self._form_problems(body, view)
        if problems:
            await ack(response_action="errors", errors=problems)
        else:
            await ack()

    async def form_submitted(self, body: dict, view: dict, client: AsyncWebClient) -> None:
        if await self._form_problems(body, view) is not None:
            return  # the form showed the errors
        metadata = _parse(view.get("private_metadata", ""))
        q = forms.question_of(metadata)
        assert q is not None
        user, team = person_of(body["user"]), _team(body)
        raw = forms.submitted(q, view.get("state", {}).get("values", {}), names={})
        assessment_id = _id(metadata)
        digest = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()[:16]

        async def work() -> None:
            await self.turn(
                client=client, team=team, assessment_id=assessment_id, user=user, respond=None,
                event=events.Submit(question=q.key, values=raw, by=user), source_ts=metadata.get("m"),
            )

        await self.once(f"view:{team}:{view.get('id')}:{digest}", work)

    async def fill(self, body: dict, action: dict, client: AsyncWebClient, respond: AsyncRespond) -> None:
        """"Fill in now" on a reminder: a form with exactly the missing fields."""
        data = _parse(action.get("value", ""))
        user, team = person_of(body["user"]), _team(body)
        loaded = await self.core.store.load(assessment_id=_id(data), workspace=team)
        if loaded is None:
            await notify(client=client, respond=respond, channel=None, user=user, text=NOT_FOUND)
            return
        gaps = score(loaded.state.values).gaps
        if not gaps:
            await notify(client=client, respond=respond, channel=None, user=user, text=f"{loaded.state.project} has no blocking gaps any more.")
            return
        view = forms.gaps_modal(gaps=gaps, answers=loaded.state.values, metadata={"a": loaded.id})
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as e:
            await notify(client=client, respond=respond, channel=loaded.place.channel, user=user, text=explain(e))

    async def _gaps_plan(self, body: dict, view: dict) -> tuple[dict[str, dict], dict[str, str]]:
        """The fields a gaps form changes, by question, and any errors by block."""
        loaded = await self.core.store.load(assessment_id=_id(_parse(view.get("private_metadata", ""))), workspace=_team(body))
        values = view.get("state", {}).get("values", {})
        if loaded is None:
            return {}, {next(iter(values), "x"): NOT_FOUND}
        given = forms.gap_values(values)
        errors: dict[str, str] = {}
        for question, fields in given.items():
            stored = loaded.state.answers.get(question)
            problems = partial_errors(BY_KEY[question], stored.values if stored else None, fields, today=self.core.clock().date())
            errors.update({f"{question}.{k}": blocks.clip(m, 150) for k, m in problems.items()})
        return given, errors

    async def check_gaps(self, ack: AsyncAck, body: dict, view: dict) -> None:
        _, errors = await self._gaps_plan(body, view)
        if errors:
            await ack(response_action="errors", errors=errors)
        else:
            await ack()

    async def gaps_submitted(self, body: dict, view: dict, client: AsyncWebClient) -> None:
        given, errors = await self._gaps_plan(body, view)
        if errors:
            return
        user, team = person_of(body["user"]), _team(body)
        assessment_id = _id(_parse(view.get("private_metadata", "")))
        for question, fields in given.items():
            event = events.Submit(question=question, values=fields, by=user, partial=True)
            await self.turn(client=client, team=team, assessment_id=assessment_id, user=user, respond=None, event=event)

    async def check_settings(self, ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient) -> None:
        if not await slack_settings.is_admin(client, (body.get("user") or {}).get("id") or ""):
            await ack(response_action="errors", errors={"tz": "Only workspace admins can change the settings."})
            return
        settings, errors = slack_settings.read(view.get("state", {}).get("values", {}))
        await ack(response_action="errors", errors=errors) if settings is None else await ack()

    async def settings_submitted(self, body: dict, view: dict, client: AsyncWebClient) -> None:
        user, team = person_of(body["user"]), _team(body)
        settings, _ = slack_settings.read(view.get("state", {}).get("values", {}))
        if settings is None or not await slack_settings.is_admin(client, user.id or ""):
            return
        await self.core.store.save_settings(platform=PLATFORM, workspace=team, settings=settings, now=self.core.clock())
        await notify(client=client, respond=None, channel=None, user=user, text="Preflight's settings are saved for this workspace.")

    # -- events ----------------------------------------------------------------

    async def home_opened(self, event: dict, body: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
        if event.get("tab", "home") != "home":
            return
        team = context.team_id or _team(body)

        async def work() -> None:
            listed = await self.core.store.for_person(platform=PLATFORM, workspace=team, person=event["user"])
            await client.views_publish(user_id=event["user"], view=home.view(listed))

        await self.released_on_failure(_event_key(body), work)

    async def uninstalled(self, body: dict, context: AsyncBoltContext) -> None:
        team = context.team_id or _team(body)

        async def work() -> None:
            store = self.core.slack_installations
            if store is not None:
                await store.async_delete_all(enterprise_id=context.enterprise_id, team_id=team)
            await self.core.store.delete_workspace(platform=PLATFORM, workspace=team)

        await self.released_on_failure(_event_key(body), work)

    async def tokens_revoked(self, body: dict, event: dict, context: AsyncBoltContext) -> None:
        team = context.team_id or _team(body)
        tokens = event.get("tokens") or {}

        async def work() -> None:
            store = self.core.slack_installations
            if store is not None:
                for user_id in tokens.get("oauth") or []:
                    await store.async_delete_installation(enterprise_id=context.enterprise_id, team_id=team, user_id=user_id)
            if tokens.get("bot"):
                if store is not None:
                    await store.async_delete_all(enterprise_id=context.enterprise_id, team_id=team)
                await self.core.store.delete_workspace(platform=PLATFORM, workspace=team)

        await self.released_on_failure(_event_key(body), work)



def _message_ts(body: dict[str, Any]) -> str | None:
    return (body.get("container") or {}).get("message_ts") or (body.get("message") or {}).get("ts")


def _id(data: dict[str, Any]) -> int:
    """The assessment id a button carries; anything forged or malformed finds nothing."""
    raw = data.get("a")
    return raw if isinstance(raw, int) and 0 < raw < 2**31 else 0
