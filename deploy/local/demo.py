"""The demo organisation "Demo kommun", created through the public HTTP API like any client would."""

import uuid
from dataclasses import dataclass, field

import httpx
from personnummer import personnummer

from deploy.local import demo_cases, demo_journal, demo_school, demo_templates

ORG_NAME = "Demo kommun"
ADMIN_EMAIL = "admin@demo.elevhalsa.se"
ADMIN_PASSWORD = "demo-admin-2026"
STAFF_PASSWORD = "demo-personal-2026"

# Stable external ids, as a municipality's source system would have them (used by user-import files).
SCHOOLS = {
    "Sätraskolan": (uuid.UUID("5a1d2c3e-0000-4000-8000-000000000001"), "compulsory"),
    "Björkhagens gymnasium": (uuid.UUID("5a1d2c3e-0000-4000-8000-000000000002"), "upper_secondary"),
}
ROLES = {
    "Skolsköterska": uuid.UUID("7e0c1a2b-0000-4000-8000-000000000001"),
    "Skolläkare": uuid.UUID("7e0c1a2b-0000-4000-8000-000000000002"),
    "Rektor": uuid.UUID("7e0c1a2b-0000-4000-8000-000000000003"),
    "Skolkurator": uuid.UUID("7e0c1a2b-0000-4000-8000-000000000004"),
    "Skolpsykolog": uuid.UUID("7e0c1a2b-0000-4000-8000-000000000005"),
    "Specialpedagog": uuid.UUID("7e0c1a2b-0000-4000-8000-000000000006"),
}
FOLDERS = ["Medicinsk journal", "Elevakt", "Kuratorsakt", "Psykologjournal"]
# Seed 004: user role × folder.
MATRIX = {
    "Skolsköterska": {"Medicinsk journal": "read_write", "Elevakt": "read_write"},
    "Skolläkare": {"Medicinsk journal": "read_write", "Elevakt": "read_write"},
    "Rektor": {"Elevakt": "read_write"},
    "Skolkurator": {"Elevakt": "read_write", "Kuratorsakt": "read_write"},
    "Skolpsykolog": {"Elevakt": "read_write", "Psykologjournal": "read_write"},
    "Specialpedagog": {"Elevakt": "read_write"},
}
# (e-mail, first name, last name, role, school or None for all units)
STAFF = [
    ("skolskoterska@demo.elevhalsa.se", "Sara", "Lind", "Skolsköterska", "Sätraskolan"),
    ("skollakare@demo.elevhalsa.se", "Johan", "Ek", "Skolläkare", None),
    ("rektor@demo.elevhalsa.se", "Maria", "Holm", "Rektor", "Sätraskolan"),
    ("kurator@demo.elevhalsa.se", "Ali", "Karimi", "Skolkurator", "Björkhagens gymnasium"),
    ("psykolog@demo.elevhalsa.se", "Eva", "Berg", "Skolpsykolog", None),
    ("specialpedagog@demo.elevhalsa.se", "Nils", "Strand", "Specialpedagog", "Björkhagens gymnasium"),
]
# (first name, last name, birth date YYYYMMDD, school)
STUDENTS = [
    ("Alva", "Nilsson", "20150312", "Sätraskolan"),
    ("Elias", "Johansson", "20140721", "Sätraskolan"),
    ("Saga", "Persson", "20080115", "Björkhagens gymnasium"),
    ("Omar", "Hassan", "20090930", "Björkhagens gymnasium"),
]


def personnummer_for(birth_date: str, serial: int = 238) -> str:
    """A valid personnummer for the birth date (the check digit computed, not guessed)."""
    for digit in range(10):
        candidate = f"{birth_date}{serial:03d}{digit}"
        if personnummer.valid(candidate):
            return candidate
    raise ValueError("no check digit fits")


@dataclass
class Seeder:
    client: httpx.Client
    token: str = ""
    consistency: list[str] = field(default_factory=list)

    def post(self, path: str, body: dict, token: str | None = None, method: str = "POST") -> dict:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        if self.consistency:
            headers["Consistency-Token"] = ",".join(self.consistency)
        response = self.client.request(method, path, json=body, headers=headers)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path} failed: {response.status_code} {response.text}")
        data = response.json()
        if data.get("consistency_token"):
            self.consistency = [t for t in self.consistency if not same_source(t, data["consistency_token"])]
            self.consistency.append(data["consistency_token"])
        return data

    def get(self, path: str, token: str | None = None) -> dict:
        response = self.client.get(path, headers={"Authorization": f"Bearer {token or self.token}"})
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} failed: {response.status_code} {response.text}")
        return response.json()

    def login(self, email: str, password: str) -> str:
        response = self.client.post("/api/v1/auth/token", json={"email": email, "password": password})
        response.raise_for_status()
        return response.json()["access_token"]


def same_source(a: str, b: str) -> bool:
    from services.common.consistency import ConsistencyToken

    return set(ConsistencyToken.decode(a).revisions) == set(ConsistencyToken.decode(b).revisions)


def seed_demo(gateway_url: str) -> None:
    """Schools, roles, folders with the seed-004 matrix and its template menus, case types, staff with assignments,
    students in classes, and a journal with signed, amended, linked and unsigned notes."""
    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        seeder = Seeder(client)
        seeder.token = seeder.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        units = {}
        for name, (external_id, level) in SCHOOLS.items():
            body = {"name": name, "kind": "school", "school_level": level, "external_id": str(external_id)}
            units[name] = seeder.post("/api/v1/units", body)["id"]
        roles = {
            name: seeder.post("/api/v1/user-roles", {"name": name, "external_id": str(ext)})["id"]
            for name, ext in ROLES.items()
        }
        folders = {name: seeder.post("/api/v1/folders", {"name": name})["id"] for name in FOLDERS}
        catalogue = demo_templates.seed_templates(seeder)
        demo_cases.seed_case_types(seeder, folders, catalogue["menus"])
        for role, grants in MATRIX.items():
            for folder, access in grants.items():
                menu = catalogue["menus"][demo_journal.menu_for(role, folder)]
                seeder.post(
                    f"/api/v1/user-roles/{roles[role]}/grants/{folders[folder]}",
                    {"access": access, "template_menu_id": menu},
                    method="PUT",
                )
        for email, first, last, role, school in STAFF:
            user = seeder.post(
                "/api/v1/users",
                {
                    "first_name": first,
                    "last_name": last,
                    "email": email,
                    "password": STAFF_PASSWORD,
                    "manually_managed": True,
                },
            )
            target = {"unit_id": units[school]} if school else {"all_units": True}
            seeder.post(f"/api/v1/users/{user['id']}/assignments", {"role_id": roles[role], **target})
        students = {}
        for index, (first, last, born, school) in enumerate(STUDENTS):
            body = {
                "unit_id": units[school],
                "personnummer": personnummer_for(born, 238 + index),
                "first_name": first,
                "last_name": last,
            }
            students[first] = seeder.post("/api/v1/students", body)["id"]
        demo_school.seed_school(seeder, units, students)
        tokens = {role: seeder.login(email, STAFF_PASSWORD) for email, _, _, role, _ in STAFF}
        journal = demo_journal.Journal(seeder, catalogue, students, folders)
        demo_journal.seed_journal(journal, tokens)
