"""Password login: argon2id hashes, the same answer for every failure, a JWT on success."""

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.common.auth import PermissionLevel, TokenSigner
from services.common.email import MAX_EMAIL_LENGTH, normalise_email
from services.common.errors import Unauthenticated
from services.common.uow import UnitOfWork
from services.identity.adapters.repository import NO_ORGANISATION
from services.identity.domain.model import MAX_PASSWORD_LENGTH

FAILED = "wrong e-mail address or password, or the account is inactive"


class Login:
    """Issues tokens for e-mail and password."""

    def __init__(self, hasher: PasswordHasher, signer: TokenSigner):
        self._hasher = hasher
        self._signer = signer
        # Verified against when the e-mail is unknown, so that the answer takes as long as for a known one.
        self._decoy_hash = hasher.hash("decoy password that never matches")

    async def issue_token(self, uow: UnitOfWork, email: str, password: str) -> tuple[str, int]:
        """(token, lifetime in seconds), or Unauthenticated with one message for every failure."""
        # Input no real login has is refused before it costs a hash: an over-long password is what an attacker
        # would send to make argon2 (or the e-mail parser) work for nothing.
        if len(email) > MAX_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
            raise Unauthenticated(FAILED)
        try:
            login = normalise_email(email)
        except Exception:  # whatever the parser dislikes is the same refusal, never a 500
            raise Unauthenticated(FAILED) from None
        # The caller is anonymous: their repository serves no organisation, and `login_of` is its one read
        # across organisations.
        found = await uow.repository(NO_ORGANISATION).login_of(login)
        stored_hash = found[0].password_hash if found else self._decoy_hash
        if not await asyncio.to_thread(self._verify, stored_hash, password) or found is None:
            raise Unauthenticated(FAILED)
        _, user = found
        if not user.active:
            raise Unauthenticated(FAILED)
        token = self._signer.issue(
            user_id=str(user.id), org_id=str(user.org_id), level=PermissionLevel(user.permission_level)
        )
        return token, self._signer.ttl_seconds

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False
