"""Who is calling the gateway: the bearer token is verified here and again by every service."""

from typing import Annotated

from fastapi import Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.common.auth import Caller, TokenVerifier, bearer_token
from services.common.consistency import merge_tokens

# Declared for the OpenAPI document (the bearer security scheme); the token itself is checked below.
BEARER = HTTPBearer(
    scheme_name="bearer", auto_error=False, description="An access token from `POST /api/v1/auth/token`."
)
CONSISTENCY_HEADER = "Consistency-Token"


async def authenticated(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]
) -> Caller:
    """FastAPI dependency: the verified caller, or 401 (async: on the event loop, never in a thread)."""
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.verify(bearer_token(request.headers.get("authorization")))


async def consistency_token(
    request: Request,
    _: Annotated[
        str | None,
        Header(
            alias=CONSISTENCY_HEADER,
            description="The consistency token of an earlier write, so that this call sees that write. "
            "Several may be sent, in several headers or separated by commas.",
        ),
    ] = None,
) -> str:
    """FastAPI dependency: the Consistency-Token header(s), merged into one (400 if malformed)."""
    values = [
        part.strip() for header in request.headers.getlist("consistency-token") for part in header.split(",")
    ]
    return merge_tokens(values)
