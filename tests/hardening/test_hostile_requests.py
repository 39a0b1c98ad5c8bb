"""Hostile requests at both endpoints, through the real server: each gets its exact 4xx, nothing is done, and the
log says why in one line, never with a traceback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import jwt
import pytest
from aiohttp import web
from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.teams import app as teams_app
from tests.bot.slack.conftest import SECRET, run_server, slack_config
from tests.bot.slack.test_install import install
from tests.bot.teams.conftest import run_teams, teams_config
from tests.loopback import listen

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
DEEP = 10_000  # far past Python's recursion limit
DEEPISH = 200  # parses without a RecursionError, still deeper than anything Slack or Teams sends
MIB = 1024 * 1024


def nested(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


def nested_object(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


def log_problems(records: list[logging.LogRecord], *, bolt_suggests: bool = False) -> list[str]:
    """Log records that a merely invalid request must not cause: tracebacks, and lines that are not one line."""
    # With `bolt_suggests`, Bolt's warning for a request no listener takes, which suggests a listener's code over several lines.
    return [
        f"{r.name}: {r.getMessage()[:200]}"
        for r in records
        if r.exc_info
        or "Traceback" in r.getMessage()
        or ("\n" in r.getMessage() and not (bolt_suggests and r.getMessage().startswith("Unhandled request")))
    ]


def refusals(records: list[logging.LogRecord], status: int) -> list[str]:
    """Preflight's own one-line reason for refusing with `status`."""
    return [r.getMessage() for r in records if r.name.startswith("bot.") and f"refused ({status})" in r.getMessage()]


# -- Slack ---------------------------------------------------------------------------------------------------------


def slack_signature(stamp: bytes, body: bytes, secret: str = SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), b"v0:" + stamp + b":" + body, hashlib.sha256).hexdigest()


def now_stamp() -> bytes:
    return str(int(time.time())).encode()


Headers = Callable[[bytes], list[tuple[str, bytes | str]]]


def signed(body: bytes) -> list[tuple[str, bytes | str]]:
    stamp = now_stamp()
    return [("X-Slack-Request-Timestamp", stamp), ("X-Slack-Signature", slack_signature(stamp, body))]


def signed_at(stamp: Callable[[], bytes]) -> Headers:
    def headers(body: bytes) -> list[tuple[str, bytes | str]]:
        at = stamp()
        return [("X-Slack-Request-Timestamp", at), ("X-Slack-Signature", slack_signature(at, body))]

    return headers


def in_digits(zero: str) -> Callable[[], bytes]:
    """Now, written in another script's decimal digits (int() reads them; Slack never sends them)."""
    return lambda: "".join(chr(ord(zero) + int(d)) for d in str(int(time.time()))).encode()


def two_stamps(body: bytes) -> list[tuple[str, bytes | str]]:
    return [*signed(body), ("X-Slack-Request-Timestamp", "¹⁷⁰⁰⁰⁰⁰⁰⁰⁰".encode())]


def two_signatures(body: bytes) -> list[tuple[str, bytes | str]]:
    return [*signed(body), ("X-Slack-Signature", "v0=" + "0" * 64)]


def wrong_secret(body: bytes) -> list[tuple[str, bytes | str]]:
    stamp = now_stamp()
    return [("X-Slack-Request-Timestamp", stamp), ("X-Slack-Signature", slack_signature(stamp, body, secret="not-ours"))]


def no_signature(body: bytes) -> list[tuple[str, bytes | str]]:
    return [("X-Slack-Request-Timestamp", now_stamp())]


def unsigned(body: bytes) -> list[tuple[str, bytes | str]]:
    return []


def interaction(**fields: Any) -> dict[str, Any]:
    """A block_actions payload as Slack sends it, with `fields` replaced."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "acme"},
        "api_app_id": "A1",
        "token": "legacy",
        "user": {"id": "UANA", "username": "ana", "name": "ana", "team_id": "T1"},
        "trigger_id": "trigger-hostile",
        "container": {"type": "message", "message_ts": "1.0", "channel_id": "C1"},
        "channel": {"id": "C1"},
        "actions": [{"type": "button", "action_id": "pf_skip_0", "block_id": "b", "value": "{}", "action_ts": "1"}],
    }
    return {**payload, **fields}


def submission(view: Any) -> dict[str, Any]:
    return {k: v for k, v in interaction(type="view_submission", view=view).items() if k not in ("actions", "container", "channel")}


def form(payload: dict[str, Any] | str) -> bytes:
    """A form body whose `payload` is the given JSON (a dict) or raw text (a str)."""
    return ("payload=" + quote(payload if isinstance(payload, str) else json.dumps(payload))).encode()


def event_body(event: Any = None, **fields: Any) -> bytes:
    body = {"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback", "event_id": "EvHostile", "event_time": 1}
    body["event"] = event if event is not None else {"type": "app_home_opened", "user": "UANA", "tab": "home"}
    return json.dumps({**body, **fields}).encode()


COMMAND = urlencode(
    {"team_id": "T1", "channel_id": "C1", "user_id": "UANA", "command": "/readiness", "text": "help", "trigger_id": "t"}
).encode()
BLOCK_ACTIONS_NESTED = (
    '{"type":"block_actions","team":{"id":"T1"},"actions":[{"action_id":"pf_skip_0"}],"x":' + nested(DEEP) + "}"
).encode()


@dataclass(frozen=True)
class Hostile:
    body: bytes
    status: int
    content_type: str = JSON
    headers: Headers = signed
    bolt_suggests: bool = False  # well-formed, but no listener takes it: Bolt's 404 and its suggestion in the log


SLACK: dict[str, Hostile] = {
    # nesting: Bolt parses the whole body; deeper than Python recurses, or merely deeper than anything Slack sends
    "payload nested 10,000 deep": Hostile(form(nested(DEEP)), 400, FORM),
    "payload with a field nested 10,000 deep": Hostile(b"payload=" + quote(BLOCK_ACTIONS_NESTED).encode(), 400, FORM),
    "payload nested 200 deep": Hostile(form(interaction(x=json.loads(nested(DEEPISH)))), 400, FORM),
    "event body nested 10,000 deep": Hostile(
        ('{"type":"event_callback","team_id":"T1","event_id":"Ev1","event":' + nested_object(DEEP) + "}").encode(), 400
    ),
    "event body nested 200 deep": Hostile(event_body({"type": "app_home_opened", "x": json.loads(nested(DEEPISH))}), 400),
    "unsigned body nested 10,000 deep": Hostile(nested(DEEP).encode(), 401, JSON, unsigned),
    # the shapes Bolt's matchers and Preflight's listeners read
    "actions an object": Hostile(form(interaction(actions={"action_id": "pf_skip_0"})), 400, FORM),
    "actions a string": Hostile(form(interaction(actions="pf_skip_0")), 400, FORM),
    "actions an empty list": Hostile(form(interaction(actions=[])), 400, FORM),
    "an action that is a string": Hostile(form(interaction(actions=["pf_skip_0"])), 400, FORM),
    "an action without action_id": Hostile(form(interaction(actions=[{"type": "button", "value": "{}"}])), 400, FORM),
    "an action_id that is a number": Hostile(form(interaction(actions=[{"type": "button", "action_id": 5}])), 400, FORM),
    "a view that is a string": Hostile(form(submission("V1")), 400, FORM),
    "a view without callback_id": Hostile(form(submission({"id": "V1", "type": "modal", "state": {"values": {}}})), 400, FORM),
    "a view without type": Hostile(form(submission({"id": "V1", "callback_id": "pf_answer_form"})), 400, FORM),
    "a workflow_step view": Hostile(form(submission({"id": "V1", "type": "workflow_step", "callback_id": "pf_answer_form"})), 400, FORM),
    "an event that is a string": Hostile(event_body("app_home_opened"), 400),
    "an event without type": Hostile(event_body({"user": "UANA"}), 400),
    "team a number": Hostile(form(interaction(team=5)), 400, FORM),
    "team_id a number": Hostile(event_body(team_id=5), 400),
    "user a string": Hostile(form(interaction(user="UANA", team=None)), 400, FORM),
    "user id a number": Hostile(form(interaction(user={"id": 5, "name": "ana"})), 400, FORM),
    "type unknown (event body)": Hostile(json.dumps({"type": "no_such_type", "team_id": "T1"}).encode(), 400),
    "type unknown (payload)": Hostile(form(interaction(type="no_such_type")), 400, FORM),
    "type a list": Hostile(form(interaction(type=["block_actions"])), 400, FORM),
    "form without command or payload": Hostile(b"team_id=T1&text=hello", 400, FORM),
    # bodies that are not JSON objects or forms
    "empty body": Hostile(b"", 400, FORM),
    "JSON null": Hostile(b"null", 400),
    "JSON list": Hostile(b"[]", 400),
    "JSON string": Hostile(b'"event_callback"', 400),
    "truncated JSON": Hostile(b'{"type": "event_callback", "event": {', 400),
    "payload not JSON": Hostile(b"payload=not%20json", 400, FORM),
    "payload JSON null": Hostile(form("null"), 400, FORM),
    "payload a JSON list": Hostile(form("[1, 2]"), 400, FORM),
    "body not UTF-8": Hostile(b"payload=\xff\xfe", 400, FORM),
    "unknown charset": Hostile(event_body(), 400, JSON + "; charset=no-such-charset"),
    "body over 1 MiB": Hostile(b"text=" + b"x" * (MIB + 1), 413, FORM),
    # authentication: Bolt's signature check is the authority, the headers it reads are checked first
    "timestamp in superscript digits": Hostile(event_body(), 401, JSON, signed_at(lambda: "¹⁷⁰⁰⁰⁰⁰⁰⁰⁰".encode())),
    "timestamp in Arabic-Indic digits, signed": Hostile(event_body(), 401, JSON, signed_at(in_digits("٠"))),
    "timestamp in full-width digits, signed": Hostile(event_body(), 401, JSON, signed_at(in_digits("０"))),
    "two timestamp headers": Hostile(event_body(), 401, JSON, two_stamps),
    "two signature headers": Hostile(event_body(), 401, JSON, two_signatures),
    "stale timestamp": Hostile(event_body(), 401, JSON, signed_at(lambda: str(int(time.time()) - 301).encode())),
    "timestamp in the future": Hostile(event_body(), 401, JSON, signed_at(lambda: str(int(time.time()) + 600).encode())),
    "negative timestamp": Hostile(event_body(), 401, JSON, signed_at(lambda: b"-1")),
    "bad signature": Hostile(event_body(), 401, JSON, wrong_secret),
    "no signature": Hostile(event_body(), 401, JSON, no_signature),
    "no headers": Hostile(event_body(), 401, JSON, unsigned),
    # well-formed and signed, but nothing Preflight listens for
    "an action_id that is not Preflight's": Hostile(
        form(interaction(actions=[{"type": "button", "action_id": "forged", "value": "{}"}])), 404, FORM, bolt_suggests=True
    ),
    "an event Preflight does not subscribe to": Hostile(event_body({"type": "message", "text": "hi"}), 404, bolt_suggests=True),
    # well-formed, signed, with nonsense where Preflight reads its own JSON or an event's fields: answered, nothing done
    "button value nested 10,000 deep": Hostile(
        form(interaction(actions=[{"type": "button", "action_id": "pf_skip_0", "value": nested(DEEP)}])), 200, FORM
    ),
    "form metadata nested 10,000 deep": Hostile(
        form(submission({"id": "V1", "type": "modal", "callback_id": "pf_answer_form", "private_metadata": nested(DEEP)})),
        200,
        FORM,
    ),
    "tokens_revoked with tokens a string": Hostile(event_body({"type": "tokens_revoked", "tokens": "all"}), 200),
    "app_home_opened with user an object": Hostile(event_body({"type": "app_home_opened", "user": {"name": "ana"}}), 200),
    # the requests Slack does send still work
    "control: a command": Hostile(COMMAND, 200, FORM),
    "control: url_verification": Hostile(json.dumps({"type": "url_verification", "challenge": "c", "token": "t"}).encode(), 200),
}


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


@pytest.mark.parametrize("case", list(SLACK), ids=list(SLACK))
async def test_hostile_slack_requests(slack, logs, case):
    hostile = SLACK[case]
    headers = [("Content-Type", hostile.content_type), *hostile.headers(hostile.body)]
    response = await slack.http.post(slack.url + "/slack/events", content=hostile.body, headers=headers)
    await slack.core.workers.drain()
    assert response.status_code == hostile.status, f"{case}: {response.status_code} {response.text[:200]}"
    assert log_problems(logs.records, bolt_suggests=hostile.bolt_suggests) == []
    if hostile.status >= 400:
        assert len(refusals(logs.records, hostile.status)) == 1, [r.getMessage()[:200] for r in logs.records]
        assert [method for method, _ in slack.api.calls if method != "auth.test"] == []  # Bolt authorizes before it matches
        assert await slack.core.repos.assessments.listing(platform="slack", workspace="T1") == []


# -- Slack, OAuth: a workspace that has uninstalled the app -----------------------------------------------------------


@pytest.fixture
async def oauth_slack(tmp_path, api):
    config = slack_config(
        tmp_path, api, SLACK_BOT_TOKEN="", SLACK_CLIENT_ID="111.222", SLACK_CLIENT_SECRET="shh", PREFLIGHT_ENCRYPTION_KEY="a secret"
    )
    async for harness in run_server(config, api):
        yield harness


@pytest.mark.parametrize("kind", ["command", "click", "form", "app_home_opened", "tokens_revoked", "app_uninstalled"])
async def test_a_workspace_that_uninstalled_gets_a_clean_answer_that_does_nothing(oauth_slack, logs, kind):
    slack = oauth_slack
    await install(slack)  # installed as T9 by the fake Slack
    await slack.event({"type": "app_uninstalled"}, event_id="EvBye", team="T9")
    await slack.core.workers.drain()
    calls = len(slack.api.calls)
    logs.clear()
    payload = slack.base_payload("block_actions", team="T9")
    if kind == "command":
        answer = await slack.command("start Churn model", team="T9")
    elif kind == "click":
        payload.update(channel={"id": "C1"}, actions=[{"type": "button", "action_id": "pf_skip_0", "value": '{"a":1,"v":"skip"}'}])
        answer = await slack.interact(payload)
    elif kind == "form":
        payload.update(
            type="view_submission", view={"id": "V1", "type": "modal", "callback_id": "pf_answer_form", "private_metadata": "{}"}
        )
        answer = await slack.interact(payload)
    elif kind == "tokens_revoked":
        answer = await slack.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}, event_id="EvRevoked", team="T9")
    else:
        answer = await slack.event({"type": kind, "user": "UANA", "tab": "home"}, event_id=f"Ev{kind}", team="T9")
    await slack.core.workers.drain()
    assert answer.status == 200, answer.text
    assert log_problems(logs.records) == []
    done = [method for method, _ in slack.api.calls[calls:] if method != "response_url"]  # Bolt may tell the person
    assert done == []
    assert await slack.core.repos.assessments.listing(platform="slack", workspace="T9") == []


# -- Teams, authenticated: tokens ---------------------------------------------------------------------------------

APP_ID = "11111111-2222-3333-4444-555555555555"
ISSUER = "https://api.botframework.com"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


class Keys:
    """Bot Framework's OpenID metadata and signing keys, on loopback: one key, `known-key`."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.url = ""

    async def start(self) -> None:
        async def metadata(request: web.Request) -> web.Response:
            self.asked.append("metadata")
            return web.json_response({"issuer": ISSUER, "jwks_uri": self.url + "/keys", "id_token_signing_alg_values_supported": ["RS256"]})

        async def keys(request: web.Request) -> web.Response:
            self.asked.append("keys")
            jwk = {**RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "known-key", "use": "sig", "endorsements": ["msteams"]}
            return web.json_response({"keys": [jwk]})

        app = web.Application()
        app.router.add_get("/.well-known/openidconfiguration", metadata)
        app.router.add_get("/keys", keys)
        self.runner, self.url = await listen(app)

    @property
    def metadata(self) -> str:
        return self.url + "/.well-known/openidconfiguration"


@pytest.fixture
async def keys():
    served = Keys()
    await served.start()
    yield served
    await served.runner.cleanup()


@pytest.fixture
async def secured(tmp_path, connector, keys):
    """Teams with MICROSOFT_APP_ID set: every request needs a Bot Framework token, checked against `keys`."""
    config = teams_config(tmp_path, TEAMS_ALLOW_ANONYMOUS="", MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="secret")
    async for harness in run_teams(config, connector):
        settings = teams_app.SdkSettings(config)
        settings.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = keys.metadata  # with the issuer, botbuilder's public cloud values
        settings.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = ISSUER
        harness.core.teams.auth = ConfigurationBotFrameworkAuthentication(settings)
        yield harness


def b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def claims(service_url: str, **changed: Any) -> dict[str, Any]:
    found = {"aud": APP_ID, "iss": ISSUER, "exp": int(time.time()) + 600, "nbf": int(time.time()) - 10, "serviceurl": service_url}
    return {k: v for k, v in {**found, **changed}.items() if v is not None}


def hs256(header: dict[str, Any], payload: dict[str, Any], key: bytes) -> str:
    signing = b64(json.dumps(header).encode()) + b"." + b64(json.dumps(payload).encode())
    return (signing + b"." + b64(hmac.new(key, signing, hashlib.sha256).digest())).decode()


def raw_token(header: str, payload: str) -> str:
    return (b64(header.encode()) + b"." + b64(payload.encode()) + b"." + b64(b"not a signature")).decode()


Token = Callable[[str], str]  # the connector's URL (the activity's serviceUrl) to a token
TOKENS: dict[str, tuple[Token, int]] = {
    "alg none": (lambda url: jwt.encode(claims(url), None, algorithm="none"), 401),
    "HS256 with an empty key": (lambda url: hs256({"alg": "HS256", "typ": "JWT"}, claims(url), b""), 401),
    "HS256 keyed with the public key": (lambda url: hs256({"alg": "HS256", "kid": "known-key"}, claims(url), PUBLIC_PEM), 401),
    "RS256 with an unknown kid": (
        lambda url: jwt.encode(
            claims(url), rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256", headers={"kid": "unknown"}
        ),
        401,
    ),
    "RS256 without a kid": (lambda url: jwt.encode(claims(url), KEY, algorithm="RS256"), 401),
    "expired": (
        lambda url: jwt.encode(claims(url, exp=int(time.time()) - 3600), KEY, algorithm="RS256", headers={"kid": "known-key"}),
        401,
    ),
    "audience a list without our id": (
        lambda url: jwt.encode(claims(url, aud=["other-app", "another"]), KEY, algorithm="RS256", headers={"kid": "known-key"}),
        401,
    ),
    "another issuer": (
        lambda url: jwt.encode(claims(url, iss="https://evil.example"), KEY, algorithm="RS256", headers={"kid": "known-key"}),
        401,
    ),
    "for another serviceUrl": (
        lambda url: jwt.encode(claims("https://evil.example/"), KEY, algorithm="RS256", headers={"kid": "known-key"}),
        401,
    ),
    "claims nested 1,100 deep": (
        lambda url: raw_token('{"alg":"RS256","kid":"known-key"}', '{"aud":"' + APP_ID + '","x":' + nested(1100) + "}"),
        401,
    ),
    "header nested 1,100 deep": (lambda url: raw_token('{"alg":"RS256","kid":' + nested(1100) + "}", json.dumps(claims(url))), 401),
    "claims not an object": (lambda url: raw_token('{"alg":"RS256","kid":"known-key"}', "[1]"), 401),
    # the token Bot Framework sends: accepted (an activity without a tenant is then ignored, so nothing is sent)
    "control: signed with the known key": (lambda url: jwt.encode(claims(url), KEY, algorithm="RS256", headers={"kid": "known-key"}), 200),
}


@pytest.mark.parametrize("case", list(TOKENS), ids=list(TOKENS))
async def test_hostile_teams_tokens(secured, keys, logs, case):
    make, status = TOKENS[case]
    activity = secured.activity(text="start Churn model")
    if status == 200:
        del activity["conversation"]["tenantId"], activity["channelData"]
    response = await secured.http.post(
        secured.url + "/api/messages", json=activity, headers={"Authorization": f"Bearer {make(secured.connector.url)}"}
    )
    await secured.core.workers.drain()
    assert response.status_code == status, f"{case}: {response.status_code} {response.text[:200]}"
    assert log_problems(logs.records) == []
    if status >= 400:
        assert len(refusals(logs.records, status)) == 1, [r.getMessage()[:200] for r in logs.records]
    assert secured.connector.calls == []
    assert await secured.core.repos.assessments.listing(platform="teams", workspace="TENANT-A") == []


async def test_an_unknown_kid_is_refused_once_the_keys_are_read(secured, keys):
    token = TOKENS["RS256 with an unknown kid"][0](secured.connector.url)
    response = await secured.http.post(
        secured.url + "/api/messages", json=secured.activity(text="status"), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert keys.asked[:2] == ["metadata", "keys"]  # botbuilder looked the kid up in the served keys, and did not find it


async def test_a_token_that_is_not_rs256_never_fetches_the_keys(secured, keys):
    for case in ("alg none", "HS256 with an empty key", "HS256 keyed with the public key"):
        token = TOKENS[case][0](secured.connector.url)
        response = await secured.http.post(
            secured.url + "/api/messages", json=secured.activity(text="status"), headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401
    assert keys.asked == []


# -- Teams, anonymous: bodies ---------------------------------------------------------------------------------------


def activity_json(teams, **changed: Any) -> bytes:
    return json.dumps({**teams.activity(text="status"), **changed}).encode()


BODIES: dict[str, tuple[Callable[[Any], bytes], str, int]] = {
    "JSON null": (lambda t: b"null", JSON, 400),
    "JSON list": (lambda t: b"[]", JSON, 400),
    "JSON string": (lambda t: b'"message"', JSON, 400),
    "JSON number": (lambda t: b"42", JSON, 400),
    "empty body": (lambda t: b"", JSON, 400),
    "truncated JSON": (lambda t: activity_json(t)[:-5], JSON, 400),
    "body not UTF-8": (lambda t: b'{"type": "\xff"}', JSON, 400),
    "body nested 10,000 deep": (lambda t: nested(DEEP).encode(), JSON, 400),
    "body nested 200 deep": (lambda t: nested(DEEPISH).encode(), JSON, 400),
    "value nested 10,000 deep": (lambda t: activity_json(t)[:-1] + b', "value": ' + nested(DEEP).encode() + b"}", JSON, 400),
    "value nested 200 deep": (lambda t: activity_json(t, value={"pf": json.loads(nested(DEEPISH))}), JSON, 400),
    "channelData nested 200 deep": (lambda t: activity_json(t, channelData=json.loads(nested_object(DEEPISH))), JSON, 400),
    "channelData tenant a string, no tenantId": (
        lambda t: activity_json(t, conversation={"id": "19:x@thread.tacv2"}, channelData={"tenant": "TENANT-A"}),
        JSON,
        200,
    ),
    "no type": (lambda t: activity_json(t, type=None), JSON, 400),
    "type a number": (lambda t: activity_json(t, type=5), JSON, 400),
    "conversation a string": (lambda t: activity_json(t, conversation="19:x"), JSON, 400),
    "conversation without id": (lambda t: activity_json(t, conversation={"tenantId": "TENANT-A"}), JSON, 400),
    "from a string": (lambda t: activity_json(t, **{"from": "29:ana"}), JSON, 400),
    "timestamp not a date": (lambda t: activity_json(t, timestamp="yesterday"), JSON, 400),
    "wrong content type": (lambda t: activity_json(t), "text/plain", 415),
    "form content type": (lambda t: activity_json(t), FORM, 415),
    "no content type": (lambda t: activity_json(t), "", 415),
    "body over 1 MiB": (lambda t: activity_json(t, text="x" * (MIB + 1)), JSON, 413),
    "control: an activity": (lambda t: activity_json(t), JSON, 200),
}


@pytest.mark.parametrize("case", list(BODIES), ids=list(BODIES))
async def test_hostile_teams_bodies(teams, logs, case):
    make, content_type, status = BODIES[case]
    headers = {"Content-Type": content_type} if content_type else {}
    response = await teams.http.post(teams.url + "/api/messages", content=make(teams), headers=headers)
    await teams.core.workers.drain()
    assert response.status_code == status, f"{case}: {response.status_code} {response.text[:200]}"
    assert log_problems(logs.records) == []
    if status >= 400:
        assert len(refusals(logs.records, status)) == 1, [r.getMessage()[:200] for r in logs.records]
        assert teams.connector.calls == []
        assert await teams.core.repos.assessments.listing(platform="teams", workspace="TENANT-A") == []
