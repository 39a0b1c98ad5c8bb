"""Slack tokens encrypted at rest: slack_sdk's SQLAlchemy installation store, with a cipher around it."""

from __future__ import annotations

import base64
import copy
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

PREFIX = "enc:"
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
    """Saves tokens encrypted and hands them back decrypted; everything else is slack_sdk's."""

    def __init__(self, *, cipher: TokenCipher, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cipher = cipher

    def _apply(self, entity, how):
        changed = copy.copy(entity)
        for name in TOKEN_FIELDS:
            if hasattr(changed, name):
                setattr(changed, name, how(getattr(changed, name)))
        return changed

    async def async_save(self, installation: Installation):
        await super().async_save(self._apply(installation, self.cipher.encrypt))

    async def async_save_bot(self, bot: Bot):
        await super().async_save_bot(self._apply(bot, self.cipher.encrypt))

    async def async_find_bot(self, **kwargs) -> Bot | None:
        found = await super().async_find_bot(**kwargs)
        return None if found is None else self._apply(found, self.cipher.decrypt)

    async def async_find_installation(self, **kwargs) -> Installation | None:
        found = await super().async_find_installation(**kwargs)
        return None if found is None else self._apply(found, self.cipher.decrypt)
