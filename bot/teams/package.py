"""The Teams app package: manifest.json and two icons in a zip, ready to sideload."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from conversations.prompts import USAGE

VERSION = "1.0.0"
# The bot's command menu in Teams: the same words and meanings as the help. Teams allows ten, so
# the settings (only workspace admins, whom Teams does not name to a bot) are left to the help.
COMMANDS = [(usage.split()[0], f"{meaning[0].upper()}{meaning[1:]}: {usage}") for usage, meaning in USAGE if usage != "settings"][:10]


ICONS = Path(__file__).parent  # color.png (192x192, full colour) and outline.png (32x32, white on transparent)
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def checked_app_id(app_id: str) -> str:
    """Teams refuses a package whose id is not a GUID; say so before writing one."""
    if not GUID.match(app_id.strip()):
        raise ValueError(f"MICROSOFT_APP_ID must be the bot's app id, a GUID like 00000000-0000-0000-0000-000000000000; got {app_id!r}.")
    return app_id.strip()


def checked_url(url: str) -> str:
    """The public address, https and a host, without a trailing slash (links are built on it)."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"--url must be the server's public https address, e.g. https://preflight.example.com; got {url!r}.")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"--url must be a plain address, without query, fragment or credentials; got {url!r}.")
    return urlunsplit(("https", parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def manifest(*, app_id: str, base_url: str) -> dict:
    app_id, base_url = checked_app_id(app_id), checked_url(base_url)
    return {
        "$schema": "https://developer.microsoft.com/en-us/json-schemas/teams/v1.16/MicrosoftTeams.schema.json",
        "manifestVersion": "1.16",
        "version": VERSION,
        "id": app_id,
        "developer": {
            "name": "Preflight",
            "websiteUrl": base_url,
            "privacyUrl": base_url + "/privacy",
            "termsOfUseUrl": base_url + "/terms",
        },
        "name": {"short": "Preflight", "full": "Preflight: AI execution readiness check"},
        "description": {
            "short": "The AI execution readiness check, run with your team in Teams.",
            "full": (
                "Preflight walks a team through the eight questions that decide whether an AI pilot reaches "
                "production, scores the answers, names the blocking gaps (no owner, no production budget, no "
                "measurable success metric) and keeps reminding until they are closed. Sponsors get a weekly digest."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#1D3B5A",
        "bots": [
            {
                "botId": app_id,
                "scopes": ["team", "personal", "groupChat"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {"scopes": ["team", "personal", "groupChat"], "commands": [{"title": t, "description": d} for t, d in COMMANDS]}
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [urlsplit(base_url).netloc],
    }


def build(*, app_id: str, output: Path, base_url: str) -> Path:
    """Write the package zip; returns its path. A bad app id or URL raises ValueError before anything is written."""
    made = json.dumps(manifest(app_id=app_id, base_url=base_url), indent=2)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", made)
        for icon in ("color.png", "outline.png"):
            archive.writestr(icon, (ICONS / icon).read_bytes())
    output.write_bytes(buffer.getvalue())
    return output
