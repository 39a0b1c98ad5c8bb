"""The TeamsReferences contract, on every backend: where proactive Teams messages go."""

from datetime import timedelta

CHANNEL = {"conversation": {"id": "19:channel"}, "serviceUrl": "https://smba.example/emea/"}
CHAT = {"conversation": {"id": "a:chat"}, "serviceUrl": "https://smba.example/emea/"}


async def test_a_remembered_reference_is_found_by_conversation_or_by_person(repos, now):
    teams = repos.teams
    await teams.remember(tenant="TEN", conversation_id="19:channel", kind="channel", reference=CHANNEL, now=now)
    await teams.remember(
        tenant="TEN", conversation_id="a:chat", kind="personal", reference=CHAT, now=now + timedelta(seconds=1), user_id="29:ana"
    )
    assert await teams.find(tenant="TEN", conversation_id="19:channel") == CHANNEL
    assert await teams.find(tenant="TEN", user_id="29:ana") == CHAT
    assert await teams.find(tenant="TEN", user_id="29:bo") is None
    assert await teams.find(tenant="TEN", conversation_id="19:other") is None
    assert await teams.find(tenant="OTHER", conversation_id="19:channel") is None
    assert await teams.find(tenant="TEN") == CHAT  # any in the tenant: the most recently refreshed


async def test_a_person_is_found_only_through_their_personal_chat(repos, now):
    await repos.teams.remember(tenant="TEN", conversation_id="19:group", kind="groupChat", reference=CHANNEL, now=now, user_id="29:ana")
    assert await repos.teams.find(tenant="TEN", user_id="29:ana") is None


async def test_a_deactivated_reference_is_not_found_until_remembered_again(repos, now):
    teams = repos.teams
    await teams.remember(tenant="TEN", conversation_id="19:channel", kind="channel", reference=CHANNEL, now=now)
    await teams.deactivate(tenant="TEN", conversation_id="19:channel")
    await teams.deactivate(tenant="TEN", conversation_id="19:never-seen")
    await teams.deactivate(tenant="NOBODY", conversation_id="19:channel")
    assert await teams.find(tenant="TEN", conversation_id="19:channel") is None
    assert await teams.find(tenant="TEN") is None
    refreshed = {**CHANNEL, "serviceUrl": "https://smba.example/amer/"}
    await teams.remember(tenant="TEN", conversation_id="19:channel", kind="channel", reference=refreshed, now=now + timedelta(hours=1))
    assert await teams.find(tenant="TEN", conversation_id="19:channel") == refreshed


async def test_the_found_reference_is_a_copy(repos, now):
    reference = {"conversation": {"id": "19:channel"}}
    await repos.teams.remember(tenant="TEN", conversation_id="19:channel", kind="channel", reference=reference, now=now)
    found = dict(await repos.teams.find(tenant="TEN", conversation_id="19:channel"))
    found["conversation"] = {"id": "changed"}
    assert await repos.teams.find(tenant="TEN", conversation_id="19:channel") == {"conversation": {"id": "19:channel"}}
