"""A short soak: several workspaces starting and finishing assessments at the same time, all through HTTP."""

import asyncio
import json
import time

from bot.slack import forms
from conversations.questions import BY_KEY
from conversations.shown import Form, FormKind
from conversations.views import answer_form

WORKSPACES = ["T1", "T2", "T3"]
PER_WORKSPACE = 4
CHOICES = {"data": "ready", "process": "some", "governance": "parallel", "skills": "partly", "use_case": "real"}
FORMS = {
    "roi": {"statement": "Cut churn", "target": "below 4%", "by_when": "2099-06-30"},
    "ownership": {"owner": "UDANA", "budget": "50k EUR", "time": "1 day a week"},
    "monitoring": {"checks": ["accuracy_drift", "data_drift"]},
}


async def wait_for_assessment(slack, team, channel, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = await slack.core.repos.assessments.in_channel(platform="slack", workspace=team, channel=channel)
        found = listed[0].id if listed else None
        if found is not None:
            loaded = await slack.core.repos.assessments.load(assessment_id=found)
            if loaded.place.thread:
                return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no assessment in {team}/{channel}")


async def wait_for_stage(slack, aid, stage, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        loaded = await slack.core.repos.assessments.load(assessment_id=aid)
        if loaded.state.stage.value == stage:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"assessment {aid} never reached {stage}")


async def one_assessment(slack, team, n):
    channel, user = f"C{team}{n}", {"id": f"U{team}{n}", "name": f"user{n}"}
    await slack.command(f"start Project {team}-{n}", team=team, channel=channel, user=user)
    aid = await wait_for_assessment(slack, team, channel)
    message = {"ts": "1.0", "channel": channel}
    for q in BY_KEY.values():
        if q.key in CHOICES:
            block = {
                "type": "actions",
                "block_id": f"q:{q.key}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "pf_choice_0",
                        "text": {"type": "plain_text", "text": "pick"},
                        "value": json.dumps({"a": aid, "v": "choose", "q": q.key, "c": CHOICES[q.key]}),
                    }
                ],
            }
            answer = await slack.click({**message, "blocks": [block]}, "pick", user=user, team=team)
        else:
            form = Form(FormKind.ANSWER, answer_form(q, current=None), assessment_id=aid, question=q.key)
            view = forms.modal_of(form, message_ts=None)
            answer = await slack.submit(view, FORMS[q.key], user=user, team=team, view_id=f"V{team}{n}{q.key}")
        assert answer.status == 200, answer.text
    await wait_for_stage(slack, aid, "review")  # a person presses Finish on the review once it is posted
    finish = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "pf_cmd_finish",
                "text": {"type": "plain_text", "text": "Finish"},
                "value": json.dumps({"a": aid, "v": "finish"}),
            }
        ],
    }
    assert (await slack.click({**message, "blocks": [finish]}, "Finish", user=user, team=team)).status == 200
    await wait_for_stage(slack, aid, "finished")
    return team, aid


async def test_several_workspaces_at_once_all_end_complete_and_correct(slack):
    started = time.monotonic()
    done = await asyncio.gather(*(one_assessment(slack, team, n) for team in WORKSPACES for n in range(PER_WORKSPACE)))
    await slack.core.workers.drain()
    assert time.monotonic() - started < 60
    for team, aid in done:
        loaded = await slack.core.repos.assessments.load(assessment_id=aid, workspace=team)
        assert loaded is not None, (team, aid)
        state = loaded.state
        assert state.stage.value == "finished" and len(state.answers) == 8
        assert state.answers["ownership"].values["budget"] == {"amount": 50000, "currency": "EUR"}
        assert len(await slack.core.repos.assessments.history(assessment_id=aid)) == 8
    for team in WORKSPACES:
        listed = await slack.core.repos.assessments.listing(platform="slack", workspace=team)
        assert len(listed) == PER_WORKSPACE and {i.percent for i in listed} == {81}
