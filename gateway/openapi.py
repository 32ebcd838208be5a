"""The OpenAPI document as clients see it: every error answered as application/problem+json."""

from fastapi import FastAPI

from gateway.problems import MEDIA_TYPE

PROBLEM_REF = "#/components/schemas/Problem"
JSON = "application/json"


def describe_problems(app: FastAPI) -> None:
    """File the responses declared with the Problem model under problem+json, the type they are sent as."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = problems_as_problem_json(generate())
        return app.openapi_schema

    app.openapi = openapi


def problems_as_problem_json(document: dict) -> dict:
    """FastAPI files every response model under application/json; move the problems to their own type."""
    for path in document.get("paths", {}).values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if content.get(JSON, {}).get("schema", {}).get("$ref") == PROBLEM_REF:
                    content[MEDIA_TYPE] = content.pop(JSON)
    return document
