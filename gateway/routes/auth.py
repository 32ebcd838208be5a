"""POST /api/v1/auth/token: password login."""

from elevhalsa.identity.v1 import identity_pb2 as pb
from fastapi import APIRouter
from pydantic import BaseModel, Field

from gateway.routes.common import BackendsDep, Strict
from services.common.email import MAX_EMAIL_LENGTH
from services.identity.domain.model import MAX_PASSWORD_LENGTH

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenRequest(Strict):
    email: str = Field(max_length=MAX_EMAIL_LENGTH)
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


@router.post("/token", response_model=TokenResponse)
async def issue_token(body: TokenRequest, services: BackendsDep) -> TokenResponse:
    """Exchange e-mail and password for a signed access token (401 for any failure)."""
    reply = await services.call(
        services.identity.IssueToken, pb.IssueTokenRequest(email=body.email, password=body.password)
    )
    return TokenResponse(access_token=reply.access_token, expires_in=reply.expires_in)
