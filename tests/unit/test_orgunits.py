import pytest
from liaison_shared import orgunits
from liaison_shared.orgunits import Level

pytestmark = pytest.mark.unit

SHIZUISHAN, PINGLUO, HUINONG = "640200000000", "640221000000", "640205000000"
HUANGQUQIAO = "640221100000"  # 黄渠桥镇 (a town of 平罗县)
VILLAGE = "640221100201"


@pytest.mark.parametrize(
    ("code", "level"),
    [(SHIZUISHAN, Level.CITY), (PINGLUO, Level.COUNTY), (HUANGQUQIAO, Level.TOWN), (VILLAGE, Level.VILLAGE)],
)
def test_level_follows_from_the_code(code, level):
    assert orgunits.level_of(code) is level


def test_parents_climb_to_the_city():
    assert orgunits.parent_of(VILLAGE) == HUANGQUQIAO
    assert orgunits.ancestors_of(VILLAGE) == [HUANGQUQIAO, PINGLUO, SHIZUISHAN]
    assert orgunits.parent_of(SHIZUISHAN) is None


def test_a_unit_is_within_itself_and_its_ancestors_but_not_a_sibling():
    assert orgunits.is_within(VILLAGE, PINGLUO)
    assert orgunits.is_within(PINGLUO, PINGLUO)
    assert not orgunits.is_within(VILLAGE, HUINONG)
    assert not orgunits.is_within(PINGLUO, VILLAGE)


@pytest.mark.parametrize("bad", ["640000000000", "6402", "64020000000x", "640221000100", "", None])
def test_invalid_codes_are_refused(bad):
    assert not orgunits.is_valid_code(bad)
    with pytest.raises(orgunits.InvalidOrgCode):
        orgunits.level_of(bad)


def test_subtree_pattern_matches_what_is_within():
    assert orgunits.sql_subtree_pattern(PINGLUO) == "640221%"
    assert orgunits.sql_subtree_pattern(HUANGQUQIAO) == "640221100%"
    assert orgunits.sql_subtree_pattern(VILLAGE) == VILLAGE + "%"
