"""The terminal chat in a real pseudo-terminal, keys as a person presses them: line editing, history, Ctrl-C, Ctrl-D."""

from __future__ import annotations

import json
import signal
import subprocess

import pexpect
import pytest

from tests.bot.conftest import PREFLIGHT
from tests.loopback import environment

LEFT, RIGHT, UP = "\x1b[D", "\x1b[C", "\x1b[A"
CTRL_A, CTRL_E, CTRL_D, CTRL_K = "\x01", "\x05", "\x04", "\x0b"
PROMPT = "> "
ANSWER_1 = "2; nightly batch"


class Terminal:
    """`preflight console` in a pseudo-terminal of its own, in a scratch folder."""

    def __init__(self, folder, *args: str) -> None:
        # No PATH entry for the command, and readline with its default keys whatever this machine's ~/.inputrc says.
        env = environment(TERM="xterm", INPUTRC="/dev/null", PATH="/usr/bin:/bin")
        self.child = pexpect.spawn(
            str(PREFLIGHT), ["console", *args], cwd=str(folder), env=env, encoding="utf-8", timeout=30, dimensions=(50, 250)
        )

    def expect(self, text: str) -> None:
        self.child.expect_exact(text)

    def type(self, keys: str) -> None:
        self.child.send(keys)

    def enter(self, keys: str = "") -> None:
        self.child.send(keys + "\r")

    def ended(self, *, within: float) -> tuple[str, int | None]:
        """Everything printed until the program exits, and its exit status; fails if it takes longer than `within`."""
        self.child.expect(pexpect.EOF, timeout=within)
        self.child.close()
        return self.child.before, self.child.exitstatus


@pytest.fixture
def terminal(tmp_path):
    opened: list[Terminal] = []

    def open_(*args: str) -> Terminal:
        opened.append(Terminal(tmp_path, *args))
        return opened[-1]

    yield open_
    for t in opened:
        if t.child.isalive():
            t.child.terminate(force=True)


def exported(tmp_path) -> list[dict]:
    done = subprocess.run(
        [str(PREFLIGHT), "export", "--format", "json"], cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def at_question_2(terminal) -> Terminal:
    t = terminal("--project", "Churn model")
    t.expect("Question 1 of 8")
    t.expect(PROMPT)
    t.enter(ANSWER_1)
    t.expect("Saved answer 1")
    t.expect("Question 2 of 8")
    t.expect(PROMPT)
    return t


def test_arrow_keys_and_ctrl_a_and_ctrl_e_edit_the_line_and_no_escape_is_stored(terminal, tmp_path):
    t = terminal()
    t.expect("Name the project to assess")
    t.expect(PROMPT)
    # "model", back to its start with ←×5, "Churn " there; Ctrl-A then "AI "; Ctrl-E then " v2".
    t.enter("model" + LEFT * 5 + "Churn " + CTRL_A + "AI " + CTRL_E + " v2")
    t.expect("Readiness check for AI Churn model v2")
    t.expect(PROMPT)
    # A letter put in with ←, → back to the end, and Ctrl-K cutting a tail typed by mistake.
    t.enter("2; nighly" + LEFT * 2 + "t" + RIGHT * 2 + " batch oops" + LEFT * 5 + CTRL_K)
    t.expect("Saved answer 1")
    t.expect(PROMPT)
    t.type(CTRL_D)
    _, status = t.ended(within=10)
    assert status == 0
    [check] = exported(tmp_path)
    assert check["project"] == "AI Churn model v2"
    assert check["answers"]["data"]["values"] == {"choice": "partly", "notes": "nightly batch"}
    assert "\x1b" not in json.dumps(check, ensure_ascii=False)


def test_the_up_arrow_brings_back_earlier_lines_to_edit(terminal, tmp_path):
    t = at_question_2(terminal)
    t.enter("back")
    t.expect("Current answer: Partly, workarounds planned · Notes: nightly batch")
    t.expect(PROMPT)
    t.enter(UP + UP + CTRL_E + " and streaming")  # ↑ "back", ↑ "2; nightly batch", then added to
    t.expect("Saved answer 1")
    t.expect(PROMPT)
    t.type(CTRL_D)
    t.ended(within=10)
    [check] = exported(tmp_path)
    assert check["answers"]["data"]["values"] == {"choice": "partly", "notes": "nightly batch and streaming"}
    assert [(h["old"], h["new"]) for h in check["history"]] == [
        (None, {"choice": "partly", "notes": "nightly batch"}),
        ({"choice": "partly", "notes": "nightly batch"}, {"choice": "partly", "notes": "nightly batch and streaming"}),
    ]


@pytest.mark.parametrize("key", ["ctrl-c", "ctrl-d"])
def test_ctrl_c_and_ctrl_d_leave_at_once_and_every_answer_is_kept(terminal, tmp_path, key):
    t = at_question_2(terminal)
    t.type("1; half-typed, not sent")
    t.expect("half-typed, not sent")  # on the screen, as a person sees it before pressing the key
    if key == "ctrl-c":
        t.child.sendintr()
    else:
        t.type(CTRL_A + CTRL_K + CTRL_D)  # Ctrl-D ends the input on an empty line
    out, code = t.ended(within=5)
    assert code == 0
    assert f"Saved at question 2 of 8. Run '{PREFLIGHT} console' to carry on." in out
    assert "Traceback" not in out
    [check] = exported(tmp_path)
    assert check["answers"]["data"]["values"] == {"choice": "partly", "notes": "nightly batch"}
    assert check["answers"]["process"]["answer"] is None and check["stage"] == "asking"  # the half-typed line was not sent


def test_ctrl_c_at_the_first_prompt_starts_nothing(terminal, tmp_path):
    t = terminal()
    t.expect(PROMPT)
    t.child.sendintr()
    out, code = t.ended(within=5)
    assert code == 0 and "Nothing started." in out
    assert exported(tmp_path) == []


def test_ctrl_c_ends_a_piped_session_waiting_for_its_next_line(tmp_path):
    """Reading is not left to a thread the program would then wait for: an interrupted read ends at once."""
    process = subprocess.Popen(
        [str(PREFLIGHT), "console", "--project", "Churn model"],
        cwd=tmp_path,
        env=environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(ANSWER_1 + "\n")
        process.stdin.flush()
        while "Saved answer 1" not in process.stdout.readline():
            pass
        while "Commands:" not in process.stdout.readline():  # question 2 is shown; its prompt is being read
            pass
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=5)
    finally:
        process.kill()
    assert process.returncode == 0 and err == ""
    assert "Saved at question 2 of 8." in out
    assert exported(tmp_path)[0]["answers"]["data"]["values"]["notes"] == "nightly batch"
