"""The Teams app package: manifest.json and two icons in a zip, ready to sideload."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

from conversations.prompts import USAGE

VERSION = "1.0.0"
# The bot's command menu in Teams: the same words and meanings as the help (Teams allows ten).
COMMANDS = [(usage.split()[0], f"{meaning[0].upper()}{meaning[1:]}: {usage}") for usage, meaning in USAGE][:10]


def png(size: int, *, rgba: tuple[int, int, int, int], border: tuple[int, int, int, int] | None = None) -> bytes:
    """A square PNG: one colour, with an optional one-pixel-per-16 border (for the outline icon)."""
    width = max(1, size // 16)
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            edge = border is not None and (x < width or y < width or x >= size - width or y >= size - width)
            row += bytes(border if edge and border is not None else rgba)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def manifest(*, app_id: str, base_url: str | None = None) -> dict:
    return {
        "$schema": "https://developer.microsoft.com/en-us/json-schemas/teams/v1.16/MicrosoftTeams.schema.json",
        "manifestVersion": "1.16",
        "version": VERSION,
        "id": app_id,
        "developer": {
            "name": "Preflight",
            "websiteUrl": base_url or "https://preflight.example.com",
            "privacyUrl": (base_url or "https://preflight.example.com") + "/privacy",
            "termsOfUseUrl": (base_url or "https://preflight.example.com") + "/terms",
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
        "validDomains": [],
    }


def build(*, app_id: str, output: Path, base_url: str | None = None) -> Path:
    """Write the package zip; returns its path."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest(app_id=app_id, base_url=base_url), indent=2))
        archive.writestr("color.png", png(192, rgba=(29, 59, 90, 255)))
        archive.writestr("outline.png", png(32, rgba=(0, 0, 0, 0), border=(255, 255, 255, 255)))
    output.write_bytes(buffer.getvalue())
    return output
