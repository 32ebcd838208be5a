"""The demo organisation's journal: notes written from the templates, signed, amended and linked, so that a
folder, a history and a link are there to look at as soon as `make run` has started."""

# (role, folder) → the template menu that role writes with there; every role uses "Elevakt" in the student file.
MENU_OF = {
    ("Skolsköterska", "Medicinsk journal"): "Skolsköterska – Medicinsk journal",
    ("Skolläkare", "Medicinsk journal"): "Skolläkare – Medicinsk journal",
    ("Skolkurator", "Kuratorsakt"): "Kurator – Kuratorsakt",
    ("Skolpsykolog", "Psykologjournal"): "Psykolog – Psykologjournal",
}
HEARING = {
    "left": {"500": 10, "1000": 10, "2000": 5, "4000": 15, "6000": 20},
    "right": {"500": 10, "1000": 5, "2000": 5, "4000": 10, "6000": 15},
}


def menu_for(role: str, folder: str) -> str:
    return MENU_OF.get((role, folder), "Elevakt")


class Journal:
    """Writes notes through the API as the staff member whose token it is given."""

    def __init__(self, seeder, catalogue: dict, students: dict[str, str], folders: dict[str, str]):
        self.seeder = seeder
        self.catalogue = catalogue
        self.students = students
        self.folders = folders
        self.rows: dict[str, dict[str, str]] = {}

    def row_ids(self, template: str) -> dict[str, str]:
        """The template's row ids by heading."""
        if template not in self.rows:
            found = self.seeder.get(f"/api/v1/note-templates/{self.catalogue['templates'][template]}")
            self.rows[template] = {row["heading"]: row["id"] for row in found["version"]["rows"]}
        return self.rows[template]

    def body(self, template: str, values: dict, event_date: str, contact: str = "Besök") -> dict:
        ids = self.row_ids(template)
        return {
            "event_date": event_date,
            "contact_type_id": self.catalogue["contact_types"][contact],
            "rows": [{"row_id": ids[heading], "value": value} for heading, value in values.items()],
        }

    def write(
        self, token: str, student: str, folder: str, template: str, values: dict, event_date: str
    ) -> dict:
        path = f"/api/v1/students/{self.students[student]}/folders/{self.folders[folder]}/notes"
        body = {
            "template_id": self.catalogue["templates"][template],
            **self.body(template, values, event_date),
        }
        return self.seeder.post(path, body, token=token)

    def sign(self, token: str, note: dict) -> dict:
        return self.seeder.post(f"/api/v1/notes/{note['id']}/sign", {}, token=token)

    def amend(self, token: str, note: dict, template: str, values: dict, event_date: str) -> dict:
        body = self.body(template, values, event_date)
        self.seeder.post(f"/api/v1/notes/{note['id']}/versions", body, token=token)
        return self.sign(token, note)

    def link(self, token: str, note: dict, follows_up: dict) -> None:
        self.seeder.post(f"/api/v1/notes/{note['id']}/links", {"follows_up": follows_up["id"]}, token=token)


def seed_journal(journal: Journal, tokens: dict[str, str]) -> None:
    """A health visit signed and amended, a vaccination, a referral and a doctor's visit that follow it up,
    an unsigned draft, a counsellor's conversation and a psychologist's draft."""
    nurse, doctor = tokens["Skolsköterska"], tokens["Skolläkare"]
    visit_values = {
        "Längd": 138.5,
        "Vikt": 31.2,
        "Tillväxt": "Följer kurvan",
        "Hörseltest": HEARING,
        "Använder glasögon": False,
        "Samtalsområden": ["Sömn", "Skärmtid"],
        "Sammanfattning": "Mår bra. Somnar sent, pratade om skärmtid på kvällen.",
    }
    visit = journal.sign(
        nurse,
        journal.write(nurse, "Alva", "Medicinsk journal", "Hälsobesök åk 4", visit_values, "2026-09-15"),
    )
    corrected = {
        **visit_values,
        "Vikt": 32.1,
        "Sammanfattning": visit_values["Sammanfattning"] + " Vikten omvägd.",
    }
    journal.amend(nurse, visit, "Hälsobesök åk 4", corrected, "2026-09-15")
    vaccination = {"Vaccin": "MPR dos 2", "Kommentar": "Vänster överarm. Inga reaktioner."}
    journal.sign(
        nurse, journal.write(nurse, "Alva", "Medicinsk journal", "Vaccination", vaccination, "2026-10-02")
    )
    referral = {
        "Mottagare": {"entry_id": journal.catalogue["address_book"]["Logopedmottagningen"]},
        "Frågeställning": "Utredning av uttal, r-ljud.",
    }
    sent = journal.sign(
        nurse, journal.write(nurse, "Alva", "Medicinsk journal", "Remiss", referral, "2026-10-05")
    )
    journal.link(nurse, sent, visit)
    doctor_visit = {
        "Anamnes": "Remitterad av skolsköterskan.",
        "Puls": 78,
        "Bedömning": "Frisk. Åter vid behov.",
    }
    seen = journal.sign(
        doctor, journal.write(doctor, "Alva", "Medicinsk journal", "Läkarbesök", doctor_visit, "2026-10-20")
    )
    journal.link(doctor, seen, visit)
    draft = {"Längd": 141.0, "Vikt": 33.4, "Sammanfattning": "Ej klart, fortsätter nästa vecka."}
    journal.write(nurse, "Elias", "Medicinsk journal", "Hälsobesök åk 4", draft, "2026-11-20")
    counsellor = tokens["Skolkurator"]
    talk = {
        "Samtalsform": "Enskilt samtal",
        "Samtalets innehåll": "Pratade om stress inför prov.",
        "Planering": "Nytt samtal om två veckor.",
    }
    journal.sign(
        counsellor, journal.write(counsellor, "Saga", "Kuratorsakt", "Kuratorssamtal", talk, "2026-11-10")
    )
    psychologist = tokens["Skolpsykolog"]
    assessment = {
        "Frågeställning": "Koncentrationssvårigheter i undervisningen.",
        "Metod": ["Intervju", "Observation"],
    }
    journal.write(psychologist, "Omar", "Psykologjournal", "Psykologbedömning", assessment, "2026-11-18")
