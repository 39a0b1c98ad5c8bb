"""The use cases: typed input from any adapter in, what to show out. Every product rule lives here once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from conversations import commands as cmd
from conversations import events, views
from conversations.answers import parse_answer, partial_errors
from conversations.digest import digest
from conversations.machine import State, step, where
from conversations.messages import Action, Reply, Verb
from conversations.people import Person
from conversations.ports import Assessments, Listing, Place, Workspaces
from conversations.present import Redraws, Screen, present
from conversations.prompts import NOT_FOUND, USAGE, commands_help, error
from conversations.questions import BY_KEY
from conversations.scoring import GAP_LABELS, score
from conversations.service import NotFound, Turns
from conversations.settings import chosen, read_settings
from conversations.shown import Actor, Card, Form, FormKind, Shown, arrange

MAX_LISTED = 20
MAX_ASKED = 10  # buttons when asking which check a command is about


AboutOne = cmd.Status | cmd.SetOwner | cmd.SetSponsor | cmd.SnoozeCheck | cmd.RenameCheck | cmd.ArchiveCheck


def _about_one_check(command: AboutOne) -> Action:
    """A command about one check, as the action its buttons carry."""
    if isinstance(command, cmd.Status):
        return Action("Status", Verb.STATUS)
    if isinstance(command, cmd.RenameCheck):
        return Action("Rename", Verb.RENAME, value=command.name)
    if isinstance(command, cmd.ArchiveCheck):
        return Action("Archive", Verb.ARCHIVE)
    if isinstance(command, cmd.SnoozeCheck):
        return Action("Snooze", Verb.SNOOZE, number=command.days)
    return Action.naming("", Verb.OWNER if isinstance(command, cmd.SetOwner) else Verb.SPONSOR, command.person)


# Buttons whose result takes the place of their message, so that they cannot be pressed again.
REPLACES = frozenset({Verb.CHOOSE, Verb.SKIP, Verb.BACK, Verb.YES, Verb.NO, Verb.FINISH})


def _private(*replies: Reply, assessment_id: int | None = None) -> Shown:
    return Shown(assessment_id=assessment_id, private=replies)


class Preflight:
    def __init__(self, *, assessments: Assessments, workspaces: Workspaces, clock: Callable[[], datetime]) -> None:
        self.assessments = assessments
        self.workspaces = workspaces
        self.turns = Turns(assessments=assessments)
        self.clock = clock
        self.redraws = Redraws(newer=self.newer_card)

    # -- commands ------------------------------------------------------------------------

    def at_once(self, actor: Actor, text: str, *, mentions: Sequence[Person] = ()) -> Shown | None:
        """The answer to a command that needs no storage (help, a mistake in the words); None for the rest."""
        command = cmd.parse(text, mentions=mentions, prefix=actor.prefix)
        if isinstance(command, cmd.Help):
            return _private(commands_help(actor.prefix))
        if isinstance(command, cmd.Invalid):
            return _private(error(command.problem), commands_help(actor.prefix))
        if isinstance(command, cmd.Unknown) and not actor.typed_answers:
            return self._unknown(actor, command)
        return None

    def _unknown(self, actor: Actor, command: cmd.Unknown) -> Shown:
        return _private(error(f"I don't know '{actor.prefix}{command.word}'."), commands_help(actor.prefix))

    async def command(self, actor: Actor, text: str, *, mentions: Sequence[Person] = ()) -> Shown:
        """What the words after `/readiness` or a mention ask for."""
        quick = self.at_once(actor, text, mentions=mentions)
        if quick is not None:
            return quick
        command = cmd.parse(text, mentions=mentions, prefix=actor.prefix)
        by = actor.person
        if isinstance(command, cmd.StartCheck):
            return await self.start(actor, project=command.project)
        if isinstance(command, cmd.ListChecks):
            return await self.listing(actor)
        if isinstance(command, cmd.DigestPreview):
            return await self.digest_preview(actor)
        if isinstance(command, cmd.OpenSettings):
            return await self.settings_form(actor)
        listed = await self.assessments.in_channel(platform=actor.platform, workspace=actor.workspace, channel=actor.channel)
        if isinstance(command, cmd.Unknown):  # a typed answer or command: for the check started last here
            if not listed:
                return self._unknown(actor, command)
            return await self.turn(actor, assessment_id=listed[0].id, event=cmd.read(command.text, by=by))
        if not listed:
            return _private(error(f"There is no readiness check in this conversation yet. Start one with {actor.prefix}start <project>."))
        assert isinstance(command, AboutOne)  # the rest were answered above
        action = _about_one_check(command)
        named = [i for i in listed if i.project.casefold() == command.project.casefold()]
        if command.project and not named:
            return self._which(actor, listed, action, problem=f"There is no check named '{command.project}' here.")
        if len(listed) > 1 and not named:
            return self._which(actor, listed, action, problem=f"This conversation has {len(listed)} checks: which one?")
        return await self.act(actor, assessment_id=(named or listed)[0].id, action=action, from_message=False)

    def _which(self, actor: Actor, listed: Sequence[Listing], action: Action, *, problem: str) -> Shown:
        """Ask which check a command is about, with a button for each (and the words for typing it)."""
        usage = next(u for u, _ in USAGE if u.split()[0] == action.verb.value)
        typed = f"{actor.prefix}{usage.replace('[project]', '<project>')}"
        buttons = tuple(replace(action, label=i.project, target=i.id) for i in listed[:MAX_ASKED])
        return _private(Reply(title=problem, body=f"Pick one, or name it: {typed}", actions=buttons))

    async def start(self, actor: Actor, *, project: str, sponsor: Person | None = None) -> Shown:
        place = Place(platform=actor.platform, workspace=actor.workspace, channel=actor.channel)
        started = await self.turns.start(
            place=place, project=project, by=actor.person, sponsor=sponsor, now=self.clock(), applying=actor.request
        )
        if started.replayed:  # done before a crash; its card may not have been posted
            listed = await self.assessments.in_channel(platform=actor.platform, workspace=actor.workspace, channel=actor.channel)
            loaded = await self.assessments.load(assessment_id=listed[0].id) if listed else None
            if loaded is None:
                return Shown()
            card = Card(loaded.id, loaded.state, loaded.version)
            if loaded.place.thread:
                return Shown(assessment_id=loaded.id, place=loaded.place, card=card, thread=self._resumed(loaded.state, actor))
            # Its card was never posted: nobody has seen it yet, so it begins as a new check would.
            begun = step(
                None, events.Start(project=loaded.state.project, by=loaded.state.started_by, sponsor=loaded.state.sponsor), self.clock()
            )
            return Shown(assessment_id=loaded.id, place=place, card=card, new=True, thread=begun.replies)
        if started.existing is not None:
            loaded = await self.assessments.load(assessment_id=started.existing)
            name, now_at = (loaded.state.project, f", {where(loaded.state).strip('()')}") if loaded is not None else (project, "")
            title = f"{name} already has a check here{now_at}; carry on with that one."
            return _private(Reply(title=title, actions=(Action("Continue", Verb.RESUME),)), assessment_id=started.existing)
        if started.id is None or started.state is None:
            return _private(*started.replies)
        card = Card(started.id, started.state, 1)
        return Shown(assessment_id=started.id, place=place, thread=started.replies, card=card, new=True)

    def _resumed(self, state: State, actor: Actor) -> tuple[Reply, ...]:
        """Where a check stands, as Continue would say it."""
        return step(state, events.Resume(by=actor.person), self.clock()).replies

    async def newer_card(self, *, assessment_id: int, than: int) -> Card | None:
        """The check's card as stored now, if it changed since version `than` was drawn (one small read when not)."""
        version = await self.assessments.version(assessment_id=assessment_id)
        if version is None or version <= than:
            return None
        loaded = await self.assessments.load(assessment_id=assessment_id)
        return Card(loaded.id, loaded.state, loaded.version) if loaded is not None else None

    async def present(self, shown: Shown, screen: Screen) -> None:
        """Show a result on a platform's screen, in the one order every platform uses."""
        await present(
            shown,
            screen,
            redraws=self.redraws,
            posted=lambda a, thread: self.card_posted(assessment_id=a, thread=thread),
            refused=lambda a: self.start_refused(assessment_id=a),
        )

    async def card_posted(self, *, assessment_id: int, thread: str) -> None:
        """The platform made the check's card: its replies go in that thread from now on."""
        await self.assessments.set_thread(assessment_id=assessment_id, thread=thread)

    async def start_refused(self, *, assessment_id: int) -> None:
        """The platform would not post a new check's card: nothing was answered, so it goes."""
        await self.assessments.delete_assessment(assessment_id=assessment_id)

    async def listing(self, actor: Actor) -> Shown:
        listed = await self.assessments.listing(platform=actor.platform, workspace=actor.workspace)
        if not listed:
            return _private(Reply(title=f"No readiness checks in this workspace yet. Start one with {actor.prefix}start <project>."))
        lines = [
            f"• {item} · {item.level} · {', '.join(GAP_LABELS[g] for g in item.gaps) or 'no blocking gaps'}" for item in listed[:MAX_LISTED]
        ]
        if len(listed) > MAX_LISTED:
            lines.append(f"…and {len(listed) - MAX_LISTED} more ('preflight export' has them all).")
        return _private(Reply(title=f"Readiness checks in this workspace ({len(listed)})", body="\n".join(lines)))

    async def digest_preview(self, actor: Actor) -> Shown:
        person_id = await self.workspaces.person_id(platform=actor.platform, workspace=actor.workspace, person=actor.person.key)
        projects = (await self.workspaces.sponsored(person_ids=[person_id])).get(person_id, []) if person_id else []
        notice = digest(actor.person, projects, now=self.clock())
        if notice is None:
            return _private(
                Reply(
                    title="You sponsor no readiness checks yet, so there is no digest.",
                    body=f"{actor.prefix}sponsor @you in a conversation makes you the sponsor of its check.",
                )
            )
        reply = Reply(title=notice.title, body="\n\n".join(notice.lines), actions=notice.actions)
        return _private(reply, assessment_id=notice.assessment_id)

    async def home(self, actor: Actor) -> list[Listing]:
        """The checks a person started, owns or sponsors."""
        return await self.assessments.for_person(platform=actor.platform, workspace=actor.workspace, person=actor.person.key)

    # -- one check -----------------------------------------------------------------------

    async def turn(self, actor: Actor, *, assessment_id: int, event: events.Event, from_message: bool = False) -> Shown:
        try:
            outcome = await self.turns.run(
                assessment_id=assessment_id, event=event, now=self.clock(), workspace=actor.workspace, applying=actor.request
            )
        except NotFound:
            return _private(error(NOT_FOUND))
        card = Card(assessment_id, outcome.state, outcome.version) if outcome.changed or outcome.replayed else None
        if outcome.replayed:  # worked on again after a crash: what it said may not have been shown, so say where things stand
            return Shown(assessment_id=assessment_id, place=outcome.place, card=card, thread=self._resumed(outcome.state, actor))
        return arrange(outcome.replies, assessment_id=assessment_id, place=outcome.place, card=card, from_message=from_message)

    async def act(self, actor: Actor, *, assessment_id: int, action: Action, from_message: bool = True) -> Shown:
        """A button was pressed."""
        if action.verb in (Verb.STATUS, Verb.OWNER, Verb.SPONSOR, Verb.RENAME, Verb.ARCHIVE):
            return await self._about(actor, assessment_id=assessment_id, action=action)
        if action.verb is Verb.ANSWER:
            return await self.answer_form(actor, assessment_id=assessment_id, question=action.question or "")
        if action.verb is Verb.FILL:
            return await self.gaps_form(actor, assessment_id=assessment_id)
        if action.verb is Verb.CHANGE:  # from a review: it is retired, so only the newest review can be finished
            shown = await self.turn(actor, assessment_id=assessment_id, event=events.Edit(number=action.number, by=actor.person))
            if not from_message or shown.private:
                return shown
            return replace(shown, replace=Reply(title=f"Changing answer {action.number}: the review comes again once it is saved."))
        event: events.Event
        if action.verb is Verb.CHOOSE:
            event = events.Submit(question=action.question or "", values={"choice": action.value}, by=actor.person, partial=True)
        else:
            event = cmd.read(action.words, by=actor.person, question=action.question)
        return await self.turn(actor, assessment_id=assessment_id, event=event, from_message=from_message and action.verb in REPLACES)

    async def _about(self, actor: Actor, *, assessment_id: int, action: Action) -> Shown:
        """Status, owner, sponsor, a new name or the archive, for one check."""
        person = action.person
        event: events.Event
        if action.verb is Verb.STATUS:
            event = events.Status(by=actor.person)
        elif action.verb is Verb.ARCHIVE:
            event = events.Archive(by=actor.person)
        elif action.verb is Verb.RENAME:
            taken = await self._name_taken(actor, name=action.value or "", other_than=assessment_id)
            if taken:
                return _private(error(f"There is a check called {taken} here already; pick another name."))
            event = events.Rename(project=action.value or "", by=actor.person)
        elif person is None:
            return self.unreadable()
        else:
            event = (events.SetOwner if action.verb is Verb.OWNER else events.SetSponsor)(person=person, by=actor.person)
        shown = await self.turn(actor, assessment_id=assessment_id, event=event)
        if action.verb is Verb.STATUS:  # only for the person who asked
            return replace(shown, private=shown.private + shown.thread, thread=())
        return shown

    async def _name_taken(self, actor: Actor, *, name: str, other_than: int) -> str | None:
        listed = await self.assessments.in_channel(platform=actor.platform, workspace=actor.workspace, channel=actor.channel)
        return next((i.project for i in listed if i.id != other_than and i.project.casefold() == name.strip().casefold()), None)

    def unreadable(self) -> Shown:
        """A button or form whose payload does not read (forged, or from an older version): nothing to act on."""
        return _private(error(NOT_FOUND))

    async def say(self, actor: Actor, *, assessment_id: int, text: str) -> Shown:
        """A line typed inside a check (the terminal)."""
        return await self.turn(actor, assessment_id=assessment_id, event=cmd.read(text, by=actor.person))

    async def answer_form(self, actor: Actor, *, assessment_id: int, question: str) -> Shown:
        loaded = await self.assessments.load(assessment_id=assessment_id, workspace=actor.workspace)
        if loaded is None or question not in BY_KEY:
            return _private(error(NOT_FOUND))
        current = loaded.state.answers.get(question)
        spec = views.answer_form(BY_KEY[question], current=current.values if current else None)
        form = Form(FormKind.ANSWER, spec, assessment_id=assessment_id, question=question)
        return Shown(assessment_id=assessment_id, place=loaded.place, form=form)

    async def check_answer(self, actor: Actor, *, assessment_id: int, question: str, values: Mapping[str, Any]) -> dict[str, str]:
        """What is wrong with a submitted answer form, by field; empty when it can be saved."""
        q = BY_KEY.get(question)
        if q is None:
            return {"": NOT_FOUND}
        parsed = parse_answer(q, values, today=self.clock().date())
        if not parsed.ok:
            keys = {f.key for f in q.fields}
            return {(k if k in keys else q.fields[0].key): m for k, m in parsed.errors.items()}
        if await self.assessments.load(assessment_id=assessment_id, workspace=actor.workspace) is None:
            return {q.fields[0].key: NOT_FOUND}
        return {}

    async def submit_answer(
        self, actor: Actor, *, assessment_id: int, question: str, values: Mapping[str, Any], from_message: bool = True
    ) -> Shown:
        if question not in BY_KEY:
            return self.unreadable()
        event = events.Submit(question=question, values=values, by=actor.person)
        return await self.turn(actor, assessment_id=assessment_id, event=event, from_message=from_message)

    async def gaps_form(self, actor: Actor, *, assessment_id: int) -> Shown:
        """ "Fill in now": a form with exactly the fields that close the blocking gaps."""
        loaded = await self.assessments.load(assessment_id=assessment_id, workspace=actor.workspace)
        if loaded is None:
            return _private(error(NOT_FOUND))
        gaps = score(loaded.state.values).gaps
        if not gaps:
            return _private(Reply(title=f"{loaded.state.project} has no blocking gaps any more."), assessment_id=assessment_id)
        form = Form(FormKind.GAPS, views.gaps_form(gaps=gaps, answers=loaded.state.values), assessment_id=assessment_id)
        return Shown(assessment_id=assessment_id, place=loaded.place, form=form)

    async def check_gaps(self, actor: Actor, *, assessment_id: int, values: Mapping[str, Any]) -> dict[str, str]:
        """What is wrong with a submitted gaps form, by "question.field"; empty when it can be saved."""
        given = views.given(values)
        loaded = await self.assessments.load(assessment_id=assessment_id, workspace=actor.workspace)
        if loaded is None:
            first = next((f"{q}.{k}" for q, fields in given.items() for k in fields), "")
            return {first: NOT_FOUND}
        errors: dict[str, str] = {}
        for question, fields in given.items():
            if question not in BY_KEY:
                continue
            stored = loaded.state.answers.get(question)
            problems = partial_errors(BY_KEY[question], stored.values if stored else None, fields, today=self.clock().date())
            errors.update({f"{question}.{k}": m for k, m in problems.items()})
        return errors

    async def submit_gaps(self, actor: Actor, *, assessment_id: int, values: Mapping[str, Any]) -> Shown:
        """The gaps form as submitted, by "question.field"."""
        return await self.turn(actor, assessment_id=assessment_id, event=events.Fill(values=views.given(values), by=actor.person))

    # -- the workspace -------------------------------------------------------------------

    async def settings_form(self, actor: Actor) -> Shown:
        if not await actor.admin():
            return _private(error("Only workspace admins can change Preflight's settings."))
        current = await self.workspaces.settings(platform=actor.platform, workspace=actor.workspace)
        return Shown(form=Form(FormKind.SETTINGS, views.settings_form(current)))

    async def check_settings(self, actor: Actor, *, values: Mapping[str, str]) -> dict[str, str]:
        if not await actor.admin():
            return {"tz": "Only workspace admins can change the settings."}
        return read_settings(values)[1]

    async def submit_settings(self, actor: Actor, *, values: Mapping[str, str]) -> Shown:
        """The settings form, where the platform cannot show its errors under the fields: checked, then saved or refused."""
        errors = await self.check_settings(actor, values=values)
        if errors:
            return _private(error(" ".join(dict.fromkeys(errors.values()))))
        return await self.save_settings(actor, values=values)

    async def save_settings(self, actor: Actor, *, values: Mapping[str, str]) -> Shown:
        settings, _ = read_settings(values)
        if settings is None or not await actor.admin():
            return Shown()
        current = await self.workspaces.settings(platform=actor.platform, workspace=actor.workspace)
        settings = chosen(settings, current=current, by=actor.person.name)
        await self.workspaces.save_settings(platform=actor.platform, workspace=actor.workspace, settings=settings, now=self.clock())
        return _private(Reply(title="Preflight's settings are saved for this workspace."))

    async def remember_zone(self, actor: Actor, *, tz: str) -> None:
        """The person's time zone as their client reported it (Teams sends it with each message)."""
        await self.workspaces.set_time_zone(
            platform=actor.platform, workspace=actor.workspace, person=actor.person, tz=tz, now=self.clock()
        )
        # The first zone a client reports is the workspace's too, until an admin chooses one.
        await self.workspaces.adopt_zone(platform=actor.platform, workspace=actor.workspace, tz=tz, by=actor.person.name, now=self.clock())

    async def forget_workspace(self, *, platform: str, workspace: str) -> None:
        """The app was removed from a workspace: its data goes with it."""
        await self.workspaces.delete_workspace(platform=platform, workspace=workspace)
