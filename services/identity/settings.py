"""Identity's settings."""

from services.common.settings import AuthzCallerSettings


class IdentitySettings(AuthzCallerSettings):
    """Authz is asked whether an administrative action is allowed; its channel connects lazily, so identity
    starts, and logs users in, before authz does."""

    # PEM of the Ed25519 private key that signs access tokens; only identity has it.
    auth_signing_key: str
    auth_token_ttl_seconds: int = 900
