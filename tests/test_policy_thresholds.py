"""The Art. 50 thresholds have one definition: inclusive, and never raised above the statute."""

from __future__ import annotations

from edudata.policy.thresholds import LARGE_SCALE_PEOPLE, effective, reaches


def test_exactly_200000_people_reach_the_threshold() -> None:
    assert reaches(200_000, LARGE_SCALE_PEOPLE) and not reaches(199_999, LARGE_SCALE_PEOPLE)


def test_a_stored_threshold_above_the_statute_is_not_in_force() -> None:
    assert effective(LARGE_SCALE_PEOPLE, 10**9) == 200_000
    assert effective(LARGE_SCALE_PEOPLE, 5) == 5
