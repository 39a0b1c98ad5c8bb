"""The Teams app package."""

import json
import struct
import zipfile

APP_ID = "11111111-2222-3333-4444-555555555555"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_package_has_the_manifest_with_the_bot_id_and_both_icons(preflight, tmp_path):
    run = preflight(
        "teams", "package", "--output", str(tmp_path / "app.zip"), "--url", "https://preflight.acme.com", env={"MICROSOFT_APP_ID": APP_ID}
    )
    assert run.code == 0 and "Upload an app" in run.out
    with zipfile.ZipFile(tmp_path / "app.zip") as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        assert png_size(archive.read("color.png")) == (192, 192)
        assert png_size(archive.read("outline.png")) == (32, 32)
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert manifest["developer"]["websiteUrl"] == "https://preflight.acme.com"
    titles = [c["title"] for c in manifest["bots"][0]["commandLists"][0]["commands"]]
    assert titles == ["start", "status", "list", "owner", "sponsor", "snooze", "rename", "archive", "digest", "help"]  # the help's words


def test_the_package_needs_the_app_id(preflight, tmp_path):
    run = preflight("teams", "package", "--output", str(tmp_path / "app.zip"))
    assert run.code == 1 and run.err.startswith("preflight: Set MICROSOFT_APP_ID")
