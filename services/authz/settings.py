"""Authz's settings."""

from services.common.settings import BaseServiceSettings


class AuthzSettings(BaseServiceSettings):
    # How long a call carrying a consistency token may wait for the read model to catch up.
    freshness_timeout_seconds: float = 3.0
