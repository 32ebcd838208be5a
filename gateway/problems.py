"""RFC 9457 problem responses, the one body format of every gateway error."""

from http import HTTPStatus

from fastapi.responses import JSONResponse

from services.common.telemetry import current_trace_id

MEDIA_TYPE = "application/problem+json"


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
