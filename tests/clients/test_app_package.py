"""The Teams app package against Microsoft's manifest schema, its links served, its arguments checked."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib

import pytest

from tests.bot.conftest import preflight  # the real `preflight` command in a scratch folder

__all__ = ["preflight"]

APP_ID = "11111111-2222-3333-4444-555555555555"


def pixels(png: bytes) -> tuple[int, int, int, bytes]:
    """Width, height, colour type and the raw scanlines of a PNG (8-bit, no interlace)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert depth == 8
    data, at = b"", 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind = png[at + 4 : at + 8]
        if kind == b"IDAT":
            data += png[at + 8 : at + 8 + length]
        at += 12 + length
    return width, height, colour, zlib.decompress(data)


def package(preflight, tmp_path, *args: str, app_id: str = APP_ID):
    out = tmp_path / "app.zip"
    return preflight("teams", "package", "--output", str(out), *args, env={"MICROSOFT_APP_ID": app_id}), out


def test_the_manifest_passes_microsofts_schema_and_the_icons_are_real(preflight, tmp_path, renderer):
    run, out = package(preflight, tmp_path, "--url", "https://preflight.acme.com/")
    assert run.code == 0, run.err
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        color, outline = archive.read("color.png"), archive.read("outline.png")
    assert renderer.manifest_errors(manifest) == []
    assert manifest["developer"]["privacyUrl"] == "https://preflight.acme.com/privacy"  # one slash, whatever --url ended with
    assert manifest["developer"]["termsOfUseUrl"] == "https://preflight.acme.com/terms"

    width, height, kind, raw = pixels(color)
    assert (width, height, kind) == (192, 192, 6)
    rows = [raw[y * (1 + 4 * width) + 1 : (y + 1) * (1 + 4 * width)] for y in range(height)]
    colours = {bytes(row[x : x + 4]) for row in rows for x in range(0, len(row), 4)}
    assert len(colours) > 20, "a mark, not a blank square"
    assert all(row[x + 3] == 255 for row in rows for x in range(0, len(row), 4)), "the colour icon is opaque"

    width, height, kind, raw = pixels(outline)
    assert (width, height, kind) == (32, 32, 6)
    rows = [raw[y * (1 + 4 * width) + 1 : (y + 1) * (1 + 4 * width)] for y in range(height)]
    drawn = [row[x : x + 4] for row in rows for x in range(0, len(row), 4) if row[x + 3] > 0]
    assert all(p[:3] == b"\xff\xff\xff" for p in drawn), "the outline icon is white on transparent"
    centre = rows[16][4 * 4 : 4 * 28]  # the middle row, inside the frame: the mark crosses it
    assert any(centre[x + 3] > 128 for x in range(0, len(centre), 4)), "more than an empty frame"
    assert 0.1 < len(drawn) / (32 * 32) < 0.6


@pytest.mark.parametrize(
    ("app_id", "url", "said"),
    [
        ("not-a-guid", "https://preflight.acme.com", "must be the bot's app id, a GUID"),
        (APP_ID, "preflight.acme.com", "must be the server's public https address"),
        (APP_ID, "http://preflight.acme.com", "must be the server's public https address"),
        (APP_ID, "https://preflight.acme.com/?x=1", "without query"),
    ],
)
def test_a_bad_app_id_or_url_writes_no_package(preflight, tmp_path, app_id, url, said):
    run, out = package(preflight, tmp_path, "--url", url, app_id=app_id)
    assert run.code == 1 and said in run.err and not out.exists(), (run.code, run.err)


def test_the_package_needs_the_url(preflight, tmp_path):
    run, out = package(preflight, tmp_path)
    assert run.code == 1 and "Pass --url" in run.err and not out.exists()


@pytest.mark.parametrize("page", ["/privacy", "/terms"])
async def test_the_pages_the_manifest_links_to_are_served(teams, page):
    response = await teams.http.get(teams.url + page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "<h1>Preflight: privacy</h1>" in response.text if page == "/privacy" else "<h1>Preflight: terms of use</h1>" in response.text
