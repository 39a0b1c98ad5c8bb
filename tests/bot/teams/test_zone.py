"""A Teams tenant's zone: the first client that reports one sets it, until an admin chooses."""

from dataclasses import replace

from tests.conftest import NOW


async def test_the_first_reported_zone_is_the_workspaces_and_an_admins_choice_stays(teams):
    await teams.say("list", localTimezone="America/Chicago")
    settings = await teams.core.repos.workspaces.settings(platform="teams", workspace="TENANT-A")
    assert (settings.tz, settings.tz_source, settings.tz_by) == ("America/Chicago", "platform", "Ana")
    await teams.say("list", user={"id": "29:bo", "name": "Bo", "aadObjectId": "aad-bo"}, localTimezone="Asia/Tokyo")
    assert (await teams.core.repos.workspaces.settings(platform="teams", workspace="TENANT-A")).tz == "America/Chicago"
    chosen = replace(settings, tz="Europe/Lisbon", tz_source="settings", tz_by="Bo")
    await teams.core.repos.workspaces.save_settings(platform="teams", workspace="TENANT-B", settings=chosen, now=NOW)
    await teams.say("list", tenant="TENANT-B", localTimezone="Asia/Tokyo")
    assert (await teams.core.repos.workspaces.settings(platform="teams", workspace="TENANT-B")).tz == "Europe/Lisbon"
