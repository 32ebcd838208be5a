"""Driving the gateway over real HTTP, as a client of the public API would."""

import uuid

import httpx

from deploy.local.stack import LocalStack
from services.common.consistency import merge_tokens

PASSWORD = "correct horse battery"


class Api:
    def __init__(self, base_url: str):
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def close(self) -> None:
        self.http.close()

    def login(self, email: str, password: str = PASSWORD) -> str:
        response = self.http.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def call(
        self, method: str, path: str, token: str | None = None, consistency: str = "", **kwargs
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if consistency:
            headers["Consistency-Token"] = consistency
        return self.http.request(method, path, headers=headers, **kwargs)


class Tenant:
    """An organisation created with the bootstrap command, then built up through the API by its administrator."""

    def __init__(self, api: Api, stack: LocalStack, name: str | None = None):
        self.api = api
        self.name = name or f"Kommun {uuid.uuid4().hex[:8]}"
        self.admin_email = f"admin-{uuid.uuid4().hex[:8]}@e2e.elevhalsa.se"
        self.org_id = stack.bootstrap(self.name, self.admin_email, PASSWORD)["org_id"]
        self.admin = api.login(self.admin_email)
        self.tokens: list[str] = []

    @property
    def consistency(self) -> str:
        return merge_tokens(self.tokens)

    def create(self, path: str, body: dict, method: str = "POST") -> dict:
        response = self.api.call(method, path, self.admin, self.consistency, json=body)
        assert response.status_code in (200, 201), response.text
        data = response.json()
        if data.get("consistency_token"):
            self.tokens.append(data["consistency_token"])
        return data

    def unit(self, name: str | None = None) -> dict:
        return self.create("/api/v1/units", {"name": name or f"Skola {uuid.uuid4().hex[:6]}"})

    def role(self, name: str | None = None, external_id: str | None = None) -> dict:
        return self.create(
            "/api/v1/user-roles", {"name": name or f"Roll {uuid.uuid4().hex[:6]}", "external_id": external_id}
        )

    def folder(self, name: str | None = None) -> dict:
        return self.create("/api/v1/folders", {"name": name or f"Mapp {uuid.uuid4().hex[:6]}"})

    def grant(self, role_id: str, folder_id: str, access: str = "read_write") -> dict:
        return self.create(
            f"/api/v1/user-roles/{role_id}/grants/{folder_id}", {"access": access}, method="PUT"
        )

    def user(self, **fields) -> tuple[dict, str]:
        email = f"user-{uuid.uuid4().hex[:8]}@e2e.elevhalsa.se"
        body = {"first_name": "Test", "last_name": "Person", "email": email, "password": PASSWORD, **fields}
        return self.create("/api/v1/users", body), email

    def assign(self, user_id: str, role_id: str, unit_id: str | None = None, **period) -> dict:
        target = {"unit_id": unit_id} if unit_id else {"all_units": True}
        return self.create(f"/api/v1/users/{user_id}/assignments", {"role_id": role_id, **target, **period})

    def student(self, unit_id: str, personnummer: str) -> dict:
        body = {
            "unit_id": unit_id,
            "personnummer": personnummer,
            "first_name": "Elev",
            "last_name": "Testsson",
        }
        return self.create("/api/v1/students", body)

    def free_text_template(self, *headings: str) -> dict:
        """A template with a free-text row per heading (one "Anteckning" row by default)."""
        rows = [{"heading": heading, "type": "free_text"} for heading in headings or ("Anteckning",)]
        return self.create("/api/v1/note-templates", {"name": f"Mall {uuid.uuid4().hex[:6]}", "rows": rows})


def free_text_note(template: dict, *texts: str, **fields) -> dict:
    """The body of a note of a free-text template, one text per row in order."""
    rows = template["version"]["rows"]
    values = [{"row_id": row["id"], "value": text} for row, text in zip(rows, texts, strict=False)]
    return {"template_id": template["id"], "rows": values, **fields}
