"""A slash command carrying a terminal escape sequence: the core strips it before anything is stored or posted."""

from sqlmodel import select

from storage.tables import Assessment
from tests.bot.slack.conftest import text_of
from tests.conftest import session_of


async def test_an_escape_sequence_in_a_slash_command_is_neither_stored_nor_posted(slack):
    answer = await slack.command("start Churn\x1b[D\x1b[D model\x1b[A\x07")
    assert answer.status == 200
    card, intro, first = (await slack.api.wait_for("chat.postMessage", 3))[:3]
    assert "AI readiness: Churn model" in text_of(card)
    assert "Readiness check for Churn model" in text_of(intro)
    assert not any(c in text_of(m) for m in (card, intro, first) for c in "\x1b\x07")
    async with session_of(slack.core) as session:
        assert [row.project for row in (await session.exec(select(Assessment))).all()] == ["Churn model"]
