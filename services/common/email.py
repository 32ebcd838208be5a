"""E-mail addresses as every service compares them: syntactically valid, normalised, lower-cased."""

from email_validator import EmailNotValidError, validate_email

from services.common.errors import InvalidArgument

MAX_EMAIL_LENGTH = 320


def normalise_email(value: str, field: str = "email") -> str:
    """The normalised, lower-cased address; InvalidArgument naming the field if it is not one."""
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidArgument(f"{field} is not a valid e-mail address: {error}", field=field) from None
