"""The demo organisation's school: this and last school year, classes, a student group and placements."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # demo.py imports this module to call it
    from deploy.local.demo import Seeder

# (student's first name, school, class this year, grade this year)
PLACEMENTS = [
    ("Alva", "Sätraskolan", "4A", 4),
    ("Elias", "Sätraskolan", "4B", 4),
    ("Saga", "Björkhagens gymnasium", "NA22", 11),
    ("Omar", "Björkhagens gymnasium", "NA22", 11),
]
CLASSES = {"Sätraskolan": ["4A", "4B"], "Björkhagens gymnasium": ["NA22"]}
# Last year's class of one student, so that her placements show a history.
LAST_YEAR = ("Alva", "Sätraskolan", "3A", 3)
GROUP = ("Sätraskolan", "Kör", "demo-grupp-kor", ["Alva", "Elias"])


def get(seeder: "Seeder", path: str) -> dict:
    response = seeder.client.get(path, headers={"Authorization": f"Bearer {seeder.token}"})
    if response.status_code >= 300:
        raise RuntimeError(f"GET {path} failed: {response.status_code} {response.text}")
    return response.json()


def previous_name(name: str) -> str:
    """The name of the school year before "YYYY/YY"."""
    first = int(name[:4]) - 1
    return f"{first}/{(first + 1) % 100:02d}"


def seed_school(seeder: "Seeder", units: dict[str, str], students: dict[str, str]) -> dict:
    """The current school year (and last year), classes per school, a group, and every demo student placed."""
    current = get(seeder, "/api/v1/school-years/current")
    last = seeder.post("/api/v1/school-years", {"name": previous_name(current["name"])})

    def new_class(school: str, year: dict, name: str) -> str:
        body = {"unit_id": units[school], "school_year_id": year["id"], "name": name}
        return seeder.post("/api/v1/classes", body)["id"]

    classes = {
        (school, name): new_class(school, current, name)
        for school, names in CLASSES.items()
        for name in names
    }

    def place(student: str, year: dict, class_id: str, grade: int) -> None:
        path = f"/api/v1/students/{students[student]}/placements/{year['id']}"
        seeder.post(path, {"class_id": class_id, "grade": grade}, method="PUT")

    for student, school, name, grade in PLACEMENTS:
        place(student, current, classes[(school, name)], grade)
    student, school, name, grade = LAST_YEAR
    place(student, last, new_class(school, last, name), grade)
    school, name, external_id, members = GROUP
    body = {"unit_id": units[school], "name": name, "external_id": external_id}
    group = seeder.post("/api/v1/student-groups", body)["id"]
    for member in members:
        seeder.post(f"/api/v1/student-groups/{group}/students/{students[member]}", {}, method="PUT")
    return {
        "school_year": current["id"],
        "last_school_year": last["id"],
        "classes": {name: class_id for (_, name), class_id in classes.items()},
        "student_group": group,
    }
