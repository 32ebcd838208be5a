"""Who is calling the gateway: the bearer token is verified here and again by every service."""

from fastapi import Request

from services.common.auth import Caller, TokenVerifier, bearer_token
from services.common.consistency import merge_tokens


async def authenticated(request: Request) -> Caller:
    """FastAPI dependency: the verified caller, or 401 (async: on the event loop, never in a thread)."""
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.verify(bearer_token(request.headers.get("authorization")))


async def consistency_token(request: Request) -> str:
    """FastAPI dependency: the Consistency-Token header(s), merged into one (400 if malformed)."""
    values = [
        part.strip() for header in request.headers.getlist("consistency-token") for part in header.split(",")
    ]
    return merge_tokens(values)
