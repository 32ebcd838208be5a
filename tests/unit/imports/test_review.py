"""Whether a run's deactivations wait for review: decided from the plan's numbers alone."""

from services.imports.domain.user_file import FileUser
from services.imports.domain.user_import import ReviewLimits, plan_user_import, review_reason
from tests.unit.imports.test_user_import import journal_user

LIMITS = ReviewLimits(max_deactivated_share=0.10, max_faulty_share=0.10)


def staff(count: int, start: int = 0) -> list[FileUser]:
    return [FileUser(i + 1, f"hr-{i}", "Anna", f"Nr{i}", None, True, ()) for i in range(start, start + count)]


def faulty(count: int) -> list[FileUser]:
    return [FileUser(1000 + i, None, "Utan", "Id", None, True, ()) for i in range(count)]


def decide(in_file: list[FileUser], journal_size: int, limits: ReviewLimits = LIMITS) -> str | None:
    journal = {f"hr-{i}": journal_user(f"hr-{i}") for i in range(journal_size)}
    return review_reason(plan_user_import(in_file, journal, {}, {}), limits)


def test_a_file_whose_only_user_is_faulty_waits_for_review_with_its_numbers():
    reason = decide(faulty(1), journal_size=50)
    assert reason is not None
    assert "would deactivate 50 of 50 imported users" in reason
    assert "faulty 1 of 1 users in the file" in reason


def test_an_empty_export_of_every_user_waits_for_review():
    assert "would deactivate 50 of 50" in decide([], journal_size=50)


def test_a_few_leavers_in_a_healthy_file_are_deactivated_at_once():
    assert decide(staff(45), journal_size=50) is None  # 5 of 50 is exactly the limit, not beyond it


def test_one_leaver_beyond_the_share_waits_for_review():
    reason = decide(staff(44), journal_size=50)
    assert reason == "would deactivate 6 of 50 imported users (more than 10%)"


def test_too_many_faulty_users_hold_back_even_a_single_deactivation():
    reason = decide(staff(44, start=1) + faulty(6), journal_size=45)
    assert reason == "faulty 6 of 50 users in the file (more than 10%)"


def test_faulty_users_alone_need_no_review_when_nobody_would_be_deactivated():
    assert decide(staff(10) + faulty(10), journal_size=10) is None


def test_the_limits_are_settings():
    assert decide(staff(40), journal_size=50, limits=ReviewLimits(max_deactivated_share=0.25)) is None
    assert decide(staff(40), journal_size=50, limits=ReviewLimits(max_deactivated_share=0.15)) is not None


def test_inactive_and_manually_managed_users_are_not_part_of_the_share():
    journal = {f"hr-{i}": journal_user(f"hr-{i}") for i in range(20)}
    journal |= {f"old-{i}": journal_user(f"old-{i}", active=False) for i in range(80)}
    journal |= {f"man-{i}": journal_user(f"man-{i}", manually_managed=True) for i in range(80)}
    reason = review_reason(plan_user_import(staff(17), journal, {}, {}), LIMITS)
    assert reason == "would deactivate 3 of 20 imported users (more than 10%)"
