"""界别活动组: the ranking is made of a group's own year — plan carried out, activities held,
attendance, opinions and what they became — with the members' average as one figure among them."""

import pytest
from members.domain.groups import GroupWork, figures_of, rank_groups

pytestmark = pytest.mark.unit


def year_of(name: str, **counts) -> GroupWork:
    values = {"members": 4, "planned": 0, "plan_items_held": 0, "activities_held": 0, "attendances": 0,
              "opinions_taken_in": 0, "reports": 0, "proposals": 0, "member_average": 0.0, **counts}
    return GroupWork(group_id=f"id-{name}", name=name, sector_id=f"sector-{name}", **values)


def test_a_group_that_held_its_plan_outranks_one_whose_members_score_higher_alone():
    busy = year_of("农业界", planned=4, plan_items_held=4, activities_held=5, attendances=16, opinions_taken_in=6,
                   reports=1, proposals=1, member_average=20.0)
    idle = year_of("经济界", member_average=60.0)  # able members, no group work
    first, second = rank_groups([idle, busy])
    assert (first.name, second.name) == ("农业界", "经济界")
    assert first.points == {"activities_held": 10.0, "plan_completion": 20.0, "attendance_rate": 16.0,
                            "opinions_taken_in": 3.0, "reports": 3.0, "proposals": 4.0, "member_average": 4.0}
    assert first.total == 60.0 and second.total == 12.0


def test_rates_without_a_plan_or_an_activity_are_zero_not_a_division_by_zero():
    figures = figures_of(year_of("教育界", members=0, activities_held=2))
    assert figures["plan_completion"] == 0.0 and figures["attendance_rate"] == 0.0


def test_caps_keep_one_kind_of_work_from_deciding_the_ranking():
    flood = year_of("医药卫生界", activities_held=40, opinions_taken_in=100)
    points = rank_groups([flood])[0].points
    assert points["activities_held"] == 24 and points["opinions_taken_in"] == 10


def test_only_groups_with_points_are_named_and_ties_go_by_name():
    ranked = rank_groups([year_of("乙组", activities_held=1), year_of("甲组", activities_held=1), year_of("丙组")])
    assert [(r.name, r.rank, r.advanced) for r in ranked] == [("乙组", 1, True), ("甲组", 2, True), ("丙组", 3, False)]
