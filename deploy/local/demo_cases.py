"""The demo organisation's case types (ärendetyper), over the HTTP API."""

# Name → (student-linked, folder, template menu): both live in the student file and are written from its menu.
CASE_TYPES = {
    "Elevhälsoärende": (True, "Elevakt", "Elevakt"),
    "Enhetsärende": (False, "Elevakt", "Elevakt"),
}


def seed_case_types(seeder, folders: dict[str, str], menus: dict[str, str]) -> dict[str, str]:
    """The case types by name; those already there are kept as they are."""
    existing = {c["name"]: c["id"] for c in seeder.get("/api/v1/case-types")["case_types"]}
    for name, (student_linked, folder, menu) in CASE_TYPES.items():
        if name not in existing:
            body = {
                "name": name,
                "student_linked": student_linked,
                "folder_id": folders[folder],
                "template_menu_id": menus[menu],
            }
            existing[name] = seeder.post("/api/v1/case-types", body)["id"]
    return {name: existing[name] for name in CASE_TYPES}
