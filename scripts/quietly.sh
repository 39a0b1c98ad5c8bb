#!/bin/sh
# Run a command with its output kept in a log file, shown only when it fails: a new user's first
# `make run` should show one line while the environment is set up, not the installer's every step.
# Usage: scripts/quietly.sh LOG "WHAT IS HAPPENING" COMMAND [ARGS...]
# Exits with the command's status; on failure the log goes to standard error.
set -u
log=$1 what=$2
shift 2
mkdir -p "$(dirname "$log")" || exit
echo "$what" >&2
if "$@" >"$log" 2>&1; then
  exit 0
else
  status=$?
fi
cat "$log" >&2
echo "Failed (exit status $status); the output above is also in $log." >&2
exit "$status"
