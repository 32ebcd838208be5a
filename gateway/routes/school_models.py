"""Response and request parts shared by the student routes (records) and the school routes."""

from datetime import date
from typing import Annotated

from elevhalsa.records.v1 import records_pb2 as pb
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from services.common.convert import date_from_proto
from services.common.email import MAX_EMAIL_LENGTH
from services.records.domain.school import MAX_CONTACT_TEXT, MAX_PHONE_LENGTH, MAX_PHONE_NUMBERS

# Contact fields are single lines: no control character at all (the service trims them).
ContactText = Annotated[str, StringConstraints(max_length=MAX_CONTACT_TEXT, pattern=r"^[^\x00-\x1f\x7f]*$")]
PhoneNumber = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=MAX_PHONE_LENGTH,
        pattern=r"^\+?[0-9](?:[0-9 -]*[0-9])?$",
    ),
]
PhoneNumbers = Annotated[
    list[PhoneNumber],
    Field(max_length=MAX_PHONE_NUMBERS, description="Digits, spaces and dashes, with an optional leading +."),
]
Email = Annotated[EmailStr, Field(max_length=MAX_EMAIL_LENGTH)]


class SchoolYear(BaseModel):
    id: str
    name: str = Field(description='"YYYY/YY", e.g. "2026/27"')
    starts_on: date
    ends_on: date
    current: bool = Field(description="The school year contains today (Europe/Stockholm).")

    @classmethod
    def of(cls, year: pb.SchoolYear) -> "SchoolYear":
        return cls(
            id=year.id,
            name=year.name,
            starts_on=date_from_proto(year.starts_on, "starts_on"),
            ends_on=date_from_proto(year.ends_on, "ends_on"),
            current=year.current,
        )


class ClassRef(BaseModel):
    id: str
    name: str

    @classmethod
    def of(cls, ref: pb.ClassRef, present: bool) -> "ClassRef | None":
        return cls(id=ref.id, name=ref.name) if present else None


class Placement(BaseModel):
    """A student's class and grade in one school year."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    school_year: SchoolYear
    school_class: ClassRef | None = Field(alias="class")
    grade: int | None = Field(description="0 förskoleklass, 1–9 grundskola, 10–13 gymnasium.")

    @classmethod
    def of(cls, p: pb.Placement) -> "Placement":
        return cls(
            school_year=SchoolYear.of(p.school_year),
            school_class=ClassRef.of(p.school_class, p.HasField("school_class")),
            grade=p.grade.value if p.HasField("grade") else None,
        )


def contact_fields(student: pb.Student) -> dict:
    """The contact fields of a student response: null (and no phone numbers) when the service left them out,
    as it does for a student with protected identity unless the caller is an admin."""
    c = student.contact
    return {
        "street_address": c.street_address or None,
        "postcode": c.postcode or None,
        "city": c.city or None,
        "country": c.country or None,
        "phone_numbers": list(c.phone_numbers),
        "email": c.email or None,
    }


def contact_to_proto(body: BaseModel) -> pb.StudentContact:
    """The contact fields of a request body (those not given are empty)."""
    return pb.StudentContact(
        street_address=getattr(body, "street_address", None) or "",
        postcode=getattr(body, "postcode", None) or "",
        city=getattr(body, "city", None) or "",
        country=getattr(body, "country", None) or "",
        phone_numbers=getattr(body, "phone_numbers", None) or [],
        email=getattr(body, "email", None) or "",
    )
