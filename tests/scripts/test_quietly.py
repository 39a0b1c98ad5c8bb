"""`make run` sets up quietly: the installers' output goes to a log, shown only when a step fails.

The real install takes minutes, so the Makefile's recipe runs here with a stand-in Python whose
`-m venv` makes an environment whose pip prints the usual noise (and fails when told to).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.loopback import environment

REPO = Path(__file__).resolve().parents[2]
QUIETLY = REPO / "scripts" / "quietly.sh"
NOISE = [f"Collecting package-{n} (from preflight==0.1.0)" for n in range(65)]

PYTHON = """#!/bin/sh
# A stand-in for python3: `-m venv DIR` makes DIR/bin/python (a noisy pip) and DIR/bin/preflight.
[ "$1 $2" = "-m venv" ] || exit 64
mkdir -p "$3/bin"
cat > "$3/bin/python" <<'PIP'
#!/bin/sh
for n in $(seq 0 64); do echo "Collecting package-$n (from preflight==0.1.0)"; done
case "$*" in *"install -e"*) [ -z "$PIP_FAILS" ] || { echo "ERROR: No matching distribution found" >&2; exit 1; } ;; esac
PIP
printf '#!/bin/sh\\necho "preflight $*"\\n' > "$3/bin/preflight"
chmod +x "$3/bin/python" "$3/bin/preflight"
"""


def run(*args: str, cwd: Path = REPO, **env: str) -> subprocess.CompletedProcess[str]:
    """Run as a person would from a shell, also under `make test` (whose settings would make this make a sub-make)."""
    clean = {k: v for k, v in environment(**env).items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES")}
    return subprocess.run(list(args), cwd=cwd, env=clean, capture_output=True, text=True, timeout=60)


def test_a_command_that_succeeds_prints_only_what_is_happening(tmp_path):
    log = tmp_path / "logs" / "install.log"
    done = run(str(QUIETLY), str(log), "Setting up...", "sh", "-c", "seq 1 65; echo warning >&2")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "Setting up...\n")
    assert log.read_text().splitlines() == [*map(str, range(1, 66)), "warning"]


def test_a_command_that_fails_shows_its_output_and_its_status(tmp_path):
    log = tmp_path / "install.log"
    done = run(str(QUIETLY), str(log), "Setting up...", "sh", "-c", "echo collecting; echo 'no such package' >&2; exit 3")
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr == f"Setting up...\ncollecting\nno such package\nFailed (exit status 3); the output above is also in {log}.\n"


@pytest.fixture
def python(tmp_path) -> Path:
    stand_in = tmp_path / "python3"
    stand_in.write_text(PYTHON)
    stand_in.chmod(0o755)
    return stand_in


def test_make_run_sets_up_in_one_line_then_starts_preflight(tmp_path, python):
    venv = tmp_path / "venv"
    first = run("make", "run", f"PYTHON={python}", f"VENV={venv}")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "preflight run\n"
    assert first.stderr == f"Setting up {venv} for Preflight (a minute or two the first time)...\n"
    assert (venv / "install.log").read_text().splitlines() == NOISE * 2  # pip upgraded, then the project installed
    again = run("make", "run", f"PYTHON={python}", f"VENV={venv}")
    assert (again.returncode, again.stdout, again.stderr) == (0, "preflight run\n", "")


def test_make_run_shows_the_installers_output_when_set_up_fails(tmp_path, python):
    venv = tmp_path / "venv"
    failed = run("make", "run", f"PYTHON={python}", f"VENV={venv}", PIP_FAILS="1")
    assert failed.returncode != 0 and failed.stdout == ""
    assert "\n".join(NOISE) in failed.stderr and "ERROR: No matching distribution found" in failed.stderr
    assert f"the output above is also in {venv}/install.log" in failed.stderr
    assert not (venv / ".installed").exists()  # the next `make run` tries again


def test_make_export_writes_the_results_with_nothing_else_on_standard_output(tmp_path, python):
    venv = tmp_path / "venv"
    run("make", "run", f"PYTHON={python}", f"VENV={venv}")
    assert run("make", "export", f"VENV={venv}").stdout == "preflight export --format json\n"
    assert run("make", "export", f"VENV={venv}", "FORMAT=md", "OUTPUT=my results.md").stdout == (
        "preflight export --format md --output my results.md\n"
    )
