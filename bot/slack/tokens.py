"""Slack tokens: encrypted at rest (slack_sdk's SQLAlchemy installation store, with a cipher around it),
found for a workspace inside an Enterprise Grid organisation, refreshed before they expire."""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import logging
import time

from cryptography.fernet import Fernet, InvalidToken
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from storage.slack_install_tables import TEAMS

log = logging.getLogger(__name__)
PREFIX = "enc:"
# With token rotation on, a bot token lives twelve hours: it is refreshed when it has less than this left.
REFRESH_MINUTES = 120
TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


class TokenCipher:
    """Fernet with a key derived from PREFLIGHT_ENCRYPTION_KEY (any passphrase, or a Fernet key)."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("an encryption key is required")
        key = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())
        self._fernet = Fernet(key)

    def encrypt(self, token: str | None) -> str | None:
        if token is None or token.startswith(PREFIX):
            return token
        return PREFIX + self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, stored: str | None) -> str | None:
        if stored is None or not stored.startswith(PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise ValueError("a stored Slack token cannot be decrypted: PREFLIGHT_ENCRYPTION_KEY has changed") from None


class EncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """Saves tokens encrypted and hands them back decrypted; everything else is slack_sdk's.

    It also remembers which Enterprise Grid organisation each workspace belongs to: an install
    inside an org is found by enterprise and team (an org-wide one by the enterprise alone), and
    a reminder knows only its workspace."""

    def __init__(self, *, cipher: TokenCipher, rotator: AsyncTokenRotator, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cipher = cipher
        self.rotator = rotator
        self.rotating = asyncio.Lock()  # one refresh at a time in this process: a refresh token is used once
        self.enterprises: dict[str, str] = {}  # team id -> enterprise id, as stored

    async def async_bot_token(self, *, enterprise_id: str | None, team_id: str | None) -> str | None:
        """A workspace's bot token, found as Bolt's authorizer finds it: the workspace's own install,
        else its organisation's (org-wide); refreshed first when it rotates and expires soon.

        A request names both ids (they are remembered); a reminder only its workspace."""
        if enterprise_id and team_id:
            await self.async_remember_team(team_id=team_id, enterprise_id=enterprise_id)
        elif team_id:
            enterprise_id = await self.async_enterprise_of(team_id)
        for org_wide in (False, True) if enterprise_id else (False,):
            found = await self.async_find_installation(enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=org_wide)
            if found is not None and found.bot_refresh_token and (found.bot_token_expires_at or 0) < time.time() + REFRESH_MINUTES * 60:
                found = await self._refreshed(enterprise_id=enterprise_id, team_id=team_id, org_wide=org_wide)
            if found is not None and found.bot_token:
                return found.bot_token
        return None

    async def _refreshed(self, *, enterprise_id: str | None, team_id: str | None, org_wide: bool) -> Installation | None:
        async with self.rotating:  # read again inside: another send may have refreshed it meanwhile
            latest = await self.async_find_installation(enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=org_wide)
            if latest is None:
                return None
            try:
                refreshed = await self.rotator.perform_token_rotation(installation=latest, minutes_before_expiration=REFRESH_MINUTES)
            except SlackTokenRotationError as e:  # the current token is used while it lasts; the next send tries again
                log.warning("the Slack token of %s could not be refreshed: %s", team_id or enterprise_id, e)
                return latest
            if refreshed is not None:
                await self.async_save(refreshed)
            return refreshed or latest

    async def async_enterprise_of(self, team_id: str) -> str | None:
        if team_id not in self.enterprises:
            async with self.engine.connect() as conn:
                found = (await conn.execute(select(TEAMS.c.enterprise_id).where(TEAMS.c.team_id == team_id))).scalar_one_or_none()
            if found is None:
                return None
            self.enterprises[team_id] = found
        return self.enterprises[team_id]

    async def async_remember_team(self, *, team_id: str, enterprise_id: str) -> None:
        """Record (once) that a workspace belongs to an organisation."""
        if await self.async_enterprise_of(team_id) == enterprise_id:
            return
        try:
            async with self.engine.begin() as conn:
                await conn.execute(delete(TEAMS).where(TEAMS.c.team_id == team_id))
                await conn.execute(insert(TEAMS).values(team_id=team_id, enterprise_id=enterprise_id))
        except IntegrityError:  # another process recorded it at the same moment
            pass
        self.enterprises[team_id] = enterprise_id

    def _apply(self, entity, how):
        changed = copy.copy(entity)
        for name in TOKEN_FIELDS:
            if hasattr(changed, name):
                setattr(changed, name, how(getattr(changed, name)))
        return changed

    async def async_save(self, installation: Installation):
        await super().async_save(self._apply(installation, self.cipher.encrypt))
        if installation.enterprise_id and installation.team_id:
            await self.async_remember_team(team_id=installation.team_id, enterprise_id=installation.enterprise_id)

    async def async_save_bot(self, bot: Bot):
        await super().async_save_bot(self._apply(bot, self.cipher.encrypt))

    async def async_find_bot(self, **kwargs) -> Bot | None:
        found = await super().async_find_bot(**kwargs)
        return None if found is None else self._apply(found, self.cipher.decrypt)

    async def async_find_installation(self, **kwargs) -> Installation | None:
        found = await super().async_find_installation(**kwargs)
        return None if found is None else self._apply(found, self.cipher.decrypt)
