"""The user import's error and warning codes, with their Swedish and English texts (seed: Automatisk användarimport)."""

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Code:
    code: int
    severity: Severity
    text_sv: str
    text_en: str


def _error(code: int, sv: str, en: str) -> Code:
    return Code(code, Severity.ERROR, sv, en)


def _warning(code: int, sv: str, en: str) -> Code:
    return Code(code, Severity.WARNING, sv, en)


CODES = {
    c.code: c
    for c in (
        _error(
            1001,
            "Flera aktiva användare med samma mail-adress",
            "Several active users with the same e-mail address",
        ),
        _error(
            1002,
            "Flera användare med samma källsystems-ID i journalen",
            "Several users with the same source id in the journal",
        ),
        _error(
            1003,
            "Flera användare med samma källsystems-ID i källsystemet",
            "Several users with the same source id in the file",
        ),
        _error(1004, "Källsystems-ID saknas", "Source id missing"),
        _error(10010, "Okänt fel i användarimportsfil", "Unknown error in the user import file"),
        _error(10011, "Användarimportsfil var inte giltig XML", "The user import file was not valid XML"),
        _error(10012, "Användarimportsfilens format är ogiltigt", "The user import file's format is invalid"),
        _error(
            10013,
            "Användarimportsfil innehöll ogiltig användarinformation",
            "The user import file contained invalid user data",
        ),
        _error(10014, "Datainläsningen misslyckades", "Reading the data failed"),
        _error(10100, "Okänt fel under användarimport", "Unknown error during the user import"),
        _error(10101, "Okänt fel under användaruppdatering", "Unknown error while updating a user"),
        _warning(1010, "Okänt UUID för enhet", "Unknown unit UUID"),
        _warning(1011, "Okänt UUID för användarroll", "Unknown user role UUID"),
        _warning(
            20000,
            "Skolklass hittades inte på läsåret, markerades ej som utvald",
            "Class not found in the school year, not starred",
        ),
        _warning(20001, "Flera skolklasser hittades på läsåret", "Several classes found in the school year"),
        _warning(
            20002,
            "Användaren saknar åtkomst till skolklass, markerades ej som utvald",
            "The user lacks access to the class, not starred",
        ),
        _warning(20010, "Okänt UUID för enhet, tilldelas ej", "Unknown unit UUID, not assigned"),
        _warning(
            20011,
            "Användaren tilldelades enheter den saknar åtkomst till, tilldelas ej",
            "The user was assigned units it lacks access to, not assigned",
        ),
        _warning(
            20100, "Okänt ID för elevgrupp, markerades ej som utvald", "Unknown student group id, not starred"
        ),
        _warning(
            20101,
            "Användaren saknar åtkomst till elevgrupp, markerades ej som utvald",
            "The user lacks access to the student group, not starred",
        ),
        # Not in the seed: the guard against broken exports (a run waits for review instead of deactivating).
        _warning(
            10200,
            "Inaktiveringar hålls inne tills en administratör bekräftar körningen",
            "Deactivations are held back until an administrator confirms the run",
        ),
    )
}

NOT_XML = 10011
INVALID_FORMAT = 10012
INVALID_USER_DATA = 10013
READ_FAILED = 10014
IMPORT_FAILED = 10100
UPDATE_FAILED = 10101
DUPLICATE_EMAIL = 1001
DUPLICATE_IN_FILE = 1003
MISSING_EXTERNAL_ID = 1004
UNKNOWN_UNIT = 1010
UNKNOWN_ROLE = 1011
HELD_FOR_REVIEW = 10200


@dataclass(frozen=True)
class RunMessage:
    """One error or warning of a run."""

    code: int
    external_id: str | None = None
    detail: str = ""

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity
