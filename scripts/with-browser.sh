#!/usr/bin/env bash
# Run a command with what the real-client tests (tests/clients) need: Chromium, node and the npm
# packages of package-lock.json (Microsoft's Adaptive Cards renderer, puppeteer-core, the Teams
# manifest schema). Installs what is missing: Chromium and node with apt-get (as root), the npm
# packages with `npm ci`. When that cannot be done the command still runs and those tests skip,
# saying why, unless REQUIRE_BROWSER=1, which makes it a failure here.
# Usage: scripts/with-browser.sh COMMAND [ARGS...]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

need() { [[ "${REQUIRE_BROWSER:-0}" == "1" ]] && { echo "$1" >&2; exit 1; }; echo "$1: the real-client tests will skip." >&2; }

packages=()
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
[[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || packages+=(chromium fonts-dejavu-core)
if ((${#packages[@]})); then
  if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${packages[*]}..." >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"; } >/dev/null 2>&1 \
      || need "Could not install ${packages[*]}"
  else
    need "Missing ${packages[*]} and not root to install them"
  fi
fi

# npm ci when node_modules is missing or older than the lock file.
if command -v npm >/dev/null 2>&1; then
  stamp="$ROOT/node_modules/.package-lock.json"
  if [[ ! -f "$stamp" || "$ROOT/package-lock.json" -nt "$stamp" ]]; then
    echo "Installing the npm packages (npm ci)..." >&2
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || need "npm ci failed"
  fi
fi

exec "$@"
