"""RFC 9457 problem responses, the one body format of every gateway error."""

from http import HTTPStatus

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.common.telemetry import current_trace_id

MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    field: str = Field(
        description="The request field, e.g. `rows.0.heading`; `body` for the body as a whole."
    )
    message: str
    type: str | None = Field(description="The kind of error, e.g. `missing`, `string_too_long`.")


class Problem(BaseModel):
    """What went wrong, the field it concerns and the trace id operators can search for."""

    type: str = Field("about:blank", description="Always `about:blank`: the status says what kind it is.")
    title: str = Field(description="The HTTP status phrase.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong, for people; never repeats personal data.")
    trace_id: str = Field(description="The id of the request's trace, as in the X-Trace-Id header.")
    field: str | None = Field(None, description="The request field the problem is about, when known.")
    errors: list[FieldError] | None = Field(None, description="Every problem found in the request (422).")


def problem(status: int, detail: str, *, field: str | None = None, errors: list | None = None, headers=None):
    """A problem response; `field` names the request field it concerns, the trace id lets operators find it."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "trace_id": current_trace_id(),
    }
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)
