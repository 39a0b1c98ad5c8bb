"""The terminal chat end to end: the real command, piped answers, the rows it leaves behind."""

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.loopback import environment

EIGHT = [
    "2; nightly batch, streaming planned",
    "1; https://wiki.example.com/release",
    "Cut monthly churn of SME customers; 6.1%; below 4%; 2099-06-30",
    "3",
    "none; not allocated; none",
    "1,2",
    "2",
    "1; churn calls eat a third of the week",
]


def lines(*items):
    return "\n".join(items) + "\n"


def rows(tmp_path, query):
    with sqlite3.connect(tmp_path / "preflight.db") as db:
        return db.execute(query).fetchall()


def test_eight_piped_answers_print_score_level_gaps_and_recommendations(preflight, tmp_path):
    run = preflight("console", stdin=lines("Churn model", *EIGHT, "finish"))
    assert run.code == 0, run.err
    assert run.err == ""
    assert "── Churn model: 56% · Needs work ──" in run.out
    assert "Level: Needs work, set by the weakest pillar" in run.out
    assert "Blocking gaps: no production owner, no production budget." in run.out
    assert "- 4. Governance: Start the privacy, access-control and audit review now" in run.out
    assert "- 6. Drift monitoring: Add outlier alerts, threshold alerts and retraining trigger" in run.out
    assert "Finished and saved." in run.out
    assert rows(tmp_path, "SELECT project, stage, answered, gaps FROM assessment") == [("Churn model", "finished", 8, "owner,budget")]
    assert rows(tmp_path, "SELECT count(*) FROM answer")[0][0] == 8
    assert rows(tmp_path, "SELECT count(*) FROM answer_change")[0][0] == 8


def test_the_database_is_created_and_migrated_on_first_run(preflight, tmp_path):
    assert not (tmp_path / "preflight.db").exists()
    preflight("console", stdin=lines("Churn model"))
    assert rows(tmp_path, "SELECT version_num FROM alembic_version") == [("0007",)]


def test_edit_changes_an_answer_and_keeps_the_history(preflight, tmp_path):
    run = preflight("console", "--project", "Churn model", stdin=lines(*EIGHT[:3], "edit 2", "3", "status"))
    assert run.code == 0, run.err
    assert "Current answer: Defined stages, gate criteria, sign-offs · Link to the process: https://wiki.example.com/release" in run.out
    assert "Churn model · question 4 of 8 · 3 of 8 answered" in run.out
    history = rows(tmp_path, "SELECT question, old_value, new_value FROM answer_change WHERE question = 'process' ORDER BY id")
    assert [(q, json.loads(old) if old else None, json.loads(new)) for q, old, new in history] == [
        ("process", None, {"choice": "defined", "link": "https://wiki.example.com/release"}),
        ("process", {"choice": "defined", "link": "https://wiki.example.com/release"}, {"choice": "improvised", "link": None}),
    ]
    assert rows(tmp_path, "SELECT value FROM answer WHERE question = 'process'") == [('{"choice": "improvised", "link": null}',)]


def test_a_paused_assessment_resumes_in_a_new_process(preflight, tmp_path):
    first = preflight("console", stdin=lines("Churn model", *EIGHT[:3], "quit"))
    assert "Saved at question 4 of 8." in first.out
    second = preflight("console", stdin=lines("1", *EIGHT[3:], "finish"))
    assert "1) Churn model (question 4 of 8, 3 of 8 answered, 31% ready)" in second.out
    assert "Resuming Churn model at question 4 of 8." in second.out
    assert "── Churn model: 56% · Needs work ──" in second.out
    assert rows(tmp_path, "SELECT count(*), min(stage) FROM assessment") == [(1, "finished")]


def test_bad_project_names_are_refused_and_the_console_asks_again(preflight):
    run = preflight("console", stdin=lines("", "x" * 500, "Churn model"))
    assert "! A project needs a name, e.g. 'Churn model'." in run.out
    assert "! Project names can have at most 80 characters; this one has 500." in run.out
    assert "Readiness check for Churn model" in run.out


def test_typing_the_start_command_where_a_name_is_asked_names_the_project(preflight, tmp_path):
    run = preflight("console", stdin=lines("start", "Start Churn model", "quit"))
    assert "! Name the project, e.g. start Churn model." in run.out
    assert "Readiness check for Churn model" in run.out
    assert rows(tmp_path, "SELECT project FROM assessment") == [("Churn model",)]


def test_a_bad_project_name_on_the_command_line_exits_non_zero(preflight):
    run = preflight("console", "--project", "   ")
    assert run.code == 2 and "A project needs a name" in run.out and "Traceback" not in run.err


def test_bad_input_gets_one_line_and_loses_nothing(preflight, tmp_path):
    run = preflight(
        "console",
        "--project",
        "Churn model",
        stdin=lines(
            "7", "/frobnicate", EIGHT[0], EIGHT[1], EIGHT[2], EIGHT[3], "Dana; lots of money", "Dana; 120000", EIGHT[4], *EIGHT[5:]
        ),
    )
    out = run.out
    assert "! Data architecture: pick a number from 1 to 3: 1) Built for AI workloads" in out
    assert "! '/frobnicate' is not a command I know." in out
    assert "! Production budget: 'lots of money' is not an amount; write an amount with a currency" in out
    assert "! Production budget: add a currency, e.g. '120000 EUR'." in out
    assert "Traceback" not in out + run.err
    assert rows(tmp_path, "SELECT count(*) FROM answer")[0][0] == 8


@pytest.mark.parametrize(
    "url, message",
    [
        ("sqlite:////nonexistent-folder/preflight.db", "the folder /nonexistent-folder does not exist."),
        ("sqlite:////etc/hostname/preflight.db", "/etc/hostname is a file, not a folder."),
        ("postgresql://preflight:secret@127.0.0.1:1/preflight", "connection refused"),
        ("mysql://localhost/preflight", "must name SQLite or PostgreSQL"),
    ],
)
def test_an_unusable_database_is_one_human_line(preflight, url, message):
    run = preflight("console", stdin=lines("Churn model"), env={"DATABASE_URL": url})
    assert run.code == 1
    assert run.err.startswith("preflight: ") and message in run.err
    assert run.err.count("\n") == 1 and "secret" not in run.err


def test_run_without_credentials_opens_the_console_and_says_how_to_connect(preflight):
    run = preflight("run", stdin=lines("Churn model", "1", "quit"))
    assert run.code == 0
    first = run.out.splitlines()[0]
    assert first.startswith("No Slack or Teams credentials set: opening the terminal chat.")
    assert "SLACK_BOT_TOKEN" in first and "MICROSOFT_APP_ID" in first
    assert "Saved answer 1" in run.out


def test_db_upgrade(preflight, tmp_path):
    run = preflight("db", "upgrade")
    assert run.code == 0 and "up to date" in run.out
    assert rows(tmp_path, "SELECT version_num FROM alembic_version") == [("0007",)]


def test_export_in_every_format(preflight, tmp_path):
    preflight("console", "--project", "Churn model", "--sponsor", "Sam Ortiz", stdin=lines(*EIGHT, "finish"))
    preflight("console", "--project", "Fraud | model", stdin=lines("skip", "1"))

    data = json.loads(preflight("export", "--format", "json").out)
    assert [(d["project"], d["percent"], d["level"], d["gaps"], d["sponsor"]) for d in data] == [
        ("Churn model", 56, "Needs work", ["owner", "budget"], "Sam Ortiz"),
        ("Fraud | model", 12, "Not ready", ["owner", "budget", "roi"], None),
    ]
    assert data[0]["answers"]["monitoring"]["answer"] == "Accuracy drift, Data drift (2 of 5)"
    assert data[1]["answers"]["data"]["skipped"] is True
    assert data[0]["recommendations"][0]["question"] == "data"
    history = data[0]["history"]  # every change: question, old, new, by, at
    assert len(history) == 8 and {h["by"] for h in history} == {data[0]["answers"]["data"]["by"]}
    assert history[0]["question"] == "data" and history[0]["old"] is None and history[0]["new"]["choice"] == "partly"
    assert all(set(h) == {"question", "old", "new", "by", "at"} for h in history)

    csv_text = preflight("export", "--format", "csv").out
    header, churn, fraud = csv_text.strip().splitlines()
    assert header.startswith(
        "id,platform,workspace,channel,project,sponsor,owner,stage,answered,score,percent,level,gaps,history,1_data_score"
    )
    assert '""question"": ""data""' in churn  # the history, as JSON in its cell
    assert ",Churn model,Sam Ortiz,,finished,8,4.5,56,Needs work,owner budget," in churn
    assert "skipped" in fraud

    md = preflight("export", "--format", "md").out
    assert "## Churn model — 56%, Needs work" in md
    assert "## Fraud \\| model — 12%, Not ready" in md
    assert "| 6 | Drift monitoring | 0.5 | Accuracy drift, Data drift (2 of 5) |" in md
    assert "Changes:" in md and " · data · " in md

    out = preflight("export", "--format", "md", "--output", str(tmp_path / "report.md"))
    assert out.code == 0 and (tmp_path / "report.md").read_text() == md


def test_export_to_an_unwritable_file_is_one_line(preflight):
    run = preflight("export", "--output", "/nonexistent-folder/out.json")
    assert run.code == 1 and run.err.startswith("preflight: Cannot write /nonexistent-folder/out.json")


def test_starting_a_project_that_is_already_here_opens_it(preflight, tmp_path):
    preflight("console", "--project", "Churn model", stdin=lines(*EIGHT[:2], "quit"))
    again = preflight("console", "--project", "churn model", stdin=lines(EIGHT[2], "quit"))
    assert again.code == 0, again.err
    assert "Churn model already has a check here, at question 3 of 8; carry on with that one." in again.out
    assert "Resuming Churn model at question 3 of 8." in again.out
    assert rows(tmp_path, "SELECT count(*) FROM assessment") == [(1,)]
    assert rows(tmp_path, "SELECT count(*) FROM answer") == [(3,)]  # the third answer went to the same check


def test_escape_sequences_in_piped_lines_are_neither_stored_nor_echoed(preflight, tmp_path):
    run = preflight("console", stdin=lines("Churn\x1b[D\x1b[D model\x07", "2; nightly batch\x1b[A", "\x1b[Aquit"))
    assert run.code == 0, run.err
    assert "> Churn model\n" in run.out and "> 2; nightly batch\n" in run.out
    assert "\x1b" not in run.out and "\x07" not in run.out
    assert "Saved at question 2 of 8." in run.out
    assert rows(tmp_path, "SELECT project FROM assessment") == [("Churn model",)]
    assert rows(tmp_path, "SELECT value FROM answer") == [('{"choice": "partly", "notes": "nightly batch"}',)]


REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "path, named",
    [
        ("/usr/bin:/bin", ".venv/bin/preflight"),  # after `make run`: the command is on no PATH
        (f"{REPO / '.venv' / 'bin'}:/usr/bin:/bin", "preflight"),  # an activated environment
    ],
)
def test_the_goodbye_names_commands_that_work_from_where_the_person_is(tmp_path, path, named):
    env = environment(DATABASE_URL=f"sqlite:///{tmp_path}/preflight.db", PATH=path)
    session = subprocess.run(
        [".venv/bin/preflight", "console"],
        input=lines("Churn model", *EIGHT, "finish", "quit"),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert session.returncode == 0, session.stderr
    goodbye = session.stdout.splitlines()[-1]
    assert goodbye == f"Finished and saved. '{named} export' writes the results; '{named} console' opens it again."
    export = subprocess.run(f"{named} export --format json", shell=True, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert export.returncode == 0, export.stderr
    assert [c["project"] for c in json.loads(export.stdout)] == ["Churn model"]


def test_answers_typed_the_way_people_write_them(preflight, tmp_path):
    typed = [
        EIGHT[0],
        EIGHT[1],
        "Cut monthly churn of SME customers; 6.1%; below 4%; end of Q2 2099",
        "yes",
        EIGHT[3],
        "Marco Rossi; 120.000 €; 20%",
        "1",
        "accuracy drift and data drift, alerts on thresholds",
        *EIGHT[6:],
        "edit 3",
        "; 6%; 4%; 30/06/2099",
        "yes",
        "finish",
    ]
    run = preflight("console", "--project", "Churn model", stdin=lines(*typed))
    assert run.code == 0, run.err
    out = run.out
    assert "By when: I read 'end of Q2 2099' as 30 June 2099. Is that right?" in out
    assert "Production budget: '120.000 €' can be read 2 ways. Which one did you mean?" in out
    assert "  1) 120 000 EUR\n  2) 120 EUR\n" in out and "Commands: no · help · quit" in out
    assert "Production budget: 120 000 EUR" in out
    assert "Blocking gaps:" not in out.split("── Churn model:")[-1]  # owner, budget and success metric are all in place
    stored = dict(rows(tmp_path, "SELECT question, value FROM answer"))
    assert json.loads(stored["ownership"]) == {
        "owner": {"id": None, "name": "Marco Rossi"},
        "budget": {"amount": "120000", "currency": "EUR"},
        "time": "20%",
    }
    assert json.loads(stored["monitoring"]) == {"checks": ["accuracy_drift", "data_drift", "threshold_alerts"]}
    roi = json.loads(stored["roi"])  # the edit changed what was typed and kept the statement left empty
    assert roi == {"statement": "Cut monthly churn of SME customers", "baseline": "6%", "target": "4%", "by_when": "2099-06-30"}
    assert rows(tmp_path, "SELECT stage, gaps FROM assessment") == [("finished", "")]


def test_an_ambiguous_amount_waits_across_sessions_for_its_reading(preflight, tmp_path):
    first = preflight("console", "--project", "Churn model", stdin=lines(*EIGHT[:4], "Dana Lee; 1.200 USD; none", "quit"))
    assert "  1) 1 200 USD\n  2) 1.20 USD\n" in first.out
    again = preflight("console", stdin=lines("1", "2"))
    assert "Production budget: '1.200 USD' can be read 2 ways." in again.out
    value = json.loads(rows(tmp_path, "SELECT value FROM answer WHERE question = 'ownership'")[0][0])
    assert value["budget"] == {"amount": "1.2", "currency": "USD"}


def test_the_terminal_renames_and_archives_a_check(preflight, tmp_path):
    run = preflight("console", stdin=lines("Churn model", EIGHT[0], "rename Churn model v2", "archive", "quit"))
    assert run.code == 0, run.err
    assert "Churn model is now called Churn model v2." in run.out
    assert "Churn model v2 is archived: no more reminders or digests, and it leaves the list. It stays in exports." in run.out
    assert rows(tmp_path, "SELECT project, stage, next_reminder_at FROM assessment") == [("Churn model v2", "archived", None)]
    exported = preflight("export", "--format", "json")
    assert [c["project"] for c in json.loads(exported.out)] == ["Churn model v2"]
