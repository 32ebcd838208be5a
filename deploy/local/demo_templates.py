"""The demo organisation's note templates, template menus, address book and contact types, over the HTTP API."""

CONTACT_TYPES = ["Besök", "Telefon", "Digitalt möte", "Brev"]
# (name, organisation, address): made-up addresses.
ADDRESS_BOOK = [
    ("BUP Stockholm", "Region Stockholm", "Barn- och ungdomspsykiatrin\nBox 17914\n118 95 Stockholm"),
    (
        "Logopedmottagningen",
        "Region Stockholm",
        "Logopedmottagningen Skärholmen\nSkärholmsvägen 10\n127 48 Skärholmen",
    ),
    ("Vårdcentralen Sätra", "Region Stockholm", "Vårdcentralen Sätra\nSätra torg 3\n127 38 Skärholmen"),
]


def text(heading: str, **fields) -> dict:
    return {"heading": heading, "type": "free_text", **fields}


def choice(heading: str, options: list[str], *, multiple: bool = False, **fields) -> dict:
    kind = "multiple_choice" if multiple else "single_choice"
    return {"heading": heading, "type": kind, "settings": {"options": options}, **fields}


TEMPLATES = {
    # The school nurse's health visit in year 4.
    "Hälsobesök åk 4": [
        {"heading": "Längd", "type": "length", "required": True},
        {"heading": "Vikt", "type": "weight", "required": True},
        choice("Tillväxt", ["Följer kurvan", "Avviker uppåt", "Avviker nedåt"]),
        {
            "heading": "Hörseltest",
            "type": "hearing_test",
            "settings": {"frequencies": [500, 1000, 2000, 4000, 6000]},
            "help_text": "Screening med hörlurar; lämna tomt det som inte mättes.",
        },
        {"heading": "Använder glasögon", "type": "yes_no"},
        choice(
            "Samtalsområden",
            ["Sömn", "Kost", "Fysisk aktivitet", "Skärmtid", "Trivsel", "Tandhälsa"],
            multiple=True,
        ),
        text("Sammanfattning"),
    ],
    "Vaccination": [
        choice(
            "Vaccin",
            ["MPR dos 2", "HPV dos 1", "HPV dos 2", "dTp (difteri, stelkramp, kikhosta)"],
            required=True,
        ),
        text("Kommentar", help_text="Injektionsställe, batchnummer, eventuella reaktioner."),
    ],
    "Remiss": [
        {"heading": "Mottagare", "type": "recipient", "required": True},
        text("Frågeställning", required=True),
        text("Bakgrund"),
    ],
    # The counsellor's conversation.
    "Kuratorssamtal": [
        choice("Samtalsform", ["Enskilt samtal", "Med vårdnadshavare", "Gruppsamtal", "Digitalt samtal"]),
        text("Bakgrund"),
        text("Samtalets innehåll", required=True),
        text("Planering"),
    ],
    # The school doctor's visit; "Bedömning" is prefilled from the latest visit (set once the template exists).
    "Läkarbesök": [
        text("Anamnes"),
        text("Status"),
        {"heading": "Puls", "type": "integer", "settings": {"min": 30, "max": 250, "unit": "slag/min"}},
        text("Bedömning", required=True),
    ],
    "Psykologbedömning": [
        text("Frågeställning", required=True),
        choice("Metod", ["Intervju", "Observation", "Skattningsskalor", "WISC-V"], multiple=True),
        text("Resultat"),
        text("Bedömning"),
        text("Rekommendationer"),
    ],
    # A plain note for the student file.
    "Anteckning": [text("Anteckning", required=True)],
}
# Menu → its items: a template's name, or (submenu, [template names]).
MENUS = {
    "Skolsköterska – Medicinsk journal": ["Hälsobesök åk 4", "Vaccination", ("Remisser", ["Remiss"])],
    "Skolläkare – Medicinsk journal": ["Läkarbesök", ("Remisser", ["Remiss"])],
    "Kurator – Kuratorsakt": ["Kuratorssamtal"],
    "Psykolog – Psykologjournal": ["Psykologbedömning", ("Remisser", ["Remiss"])],
    "Elevakt": ["Anteckning"],
}


def seed_templates(seeder) -> dict:
    """Contact types, the address book, templates and menus; their ids by kind and name."""
    contact_types = {
        name: seeder.post("/api/v1/contact-types", {"name": name})["id"] for name in CONTACT_TYPES
    }
    address_book = {
        name: seeder.post("/api/v1/address-book", {"name": name, "organisation": org, "address": address})[
            "id"
        ]
        for name, org, address in ADDRESS_BOOK
    }
    templates = {
        name: seeder.post("/api/v1/note-templates", {"name": name, "rows": rows})
        for name, rows in TEMPLATES.items()
    }
    prefill_latest_assessment(seeder, templates["Läkarbesök"])
    ids = {name: template["id"] for name, template in templates.items()}
    menus = {
        name: seeder.post("/api/v1/template-menus", {"name": name, "items": menu_items(items, ids)})["id"]
        for name, items in MENUS.items()
    }
    return {"contact_types": contact_types, "address_book": address_book, "templates": ids, "menus": menus}


def prefill_latest_assessment(seeder, template: dict) -> None:
    """A doctor's visit starts from the assessment of the student's latest visit."""
    rows = [
        {key: row[key] for key in ("id", "heading", "type", "settings", "required", "help_text")}
        for row in template["version"]["rows"]
    ]
    for row in rows:
        if row["heading"] == "Bedömning":
            row["prefill"] = {"template_id": template["id"], "row_id": row["id"]}
    seeder.post(
        f"/api/v1/note-templates/{template['id']}", {"name": template["name"], "rows": rows}, method="PUT"
    )


def menu_items(items: list, ids: dict[str, str]) -> list[dict]:
    return [
        {"template_id": ids[item]}
        if isinstance(item, str)
        else {"submenu": item[0], "items": menu_items(item[1], ids)}
        for item in items
    ]
