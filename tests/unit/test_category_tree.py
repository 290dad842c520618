"""The category tree as one unit sees it (feedback/domain/categories.py) and what Open311 makes of a
case's state (feedback/domain/open311.py): pure, no I/O."""

from datetime import date

import pytest
from feedback.domain import open311
from feedback.domain.categories import (
    AmbiguousCategory,
    Node,
    Tree,
    UnknownCategory,
    lineage,
    next_code,
)

pytestmark = pytest.mark.unit

PINGLUO = "640221000000"
TREE = [
    Node("01", None, "城乡建设", None), Node("0101", "01", "道路交通", None), Node("010101", "0101", "路灯", None),
    Node("02", None, "水利", None), Node("0201", "02", "灌溉", None),
    Node("020101", "0201", "渠道清淤", PINGLUO),
    Node("03", None, "旧类别", None, retired=True), Node("0301", "03", "路灯", None),
]


def test_paths_run_from_the_top_depth_first():
    placed = Tree(TREE).placed
    assert [p.path for p in placed][:3] == ["城乡建设", "城乡建设/道路交通", "城乡建设/道路交通/路灯"]
    assert Tree(TREE).by_code("020101").path == "水利/灌溉/渠道清淤"
    assert Tree(TREE).by_code("010101").depth == 3


def test_a_retired_category_is_not_offered_nor_anything_under_it():
    offered = {p.path for p in Tree(TREE).offered}
    assert "旧类别" not in offered and "旧类别/路灯" not in offered
    assert Tree(TREE).placed_at("旧类别/路灯") is not None  # an old case's text still places


def test_a_name_only_one_offered_category_has_resolves_to_its_path():
    tree = Tree(TREE)
    assert tree.resolve("路灯").path == "城乡建设/道路交通/路灯"  # the retired twin does not count
    assert tree.resolve(" 水利 / 灌溉 ").path == "水利/灌溉"
    with pytest.raises(UnknownCategory) as unknown:
        tree.resolve("火星探测")
    assert "水利/灌溉/渠道清淤" in unknown.value.valid and "旧类别" not in unknown.value.valid


def test_a_name_two_offered_categories_have_asks_for_the_path():
    tree = Tree([*TREE, Node("0202", "02", "路灯", None)])
    with pytest.raises(AmbiguousCategory) as ambiguous:
        tree.resolve("路灯")
    assert sorted(ambiguous.value.candidates) == ["城乡建设/道路交通/路灯", "水利/路灯"]


def test_a_node_whose_parent_is_hidden_is_left_out():
    assert Tree([Node("020101", "0201", "渠道清淤", PINGLUO)]).placed == []


def test_lineage_and_codes():
    assert lineage("城乡建设/道路交通/路灯") == ["城乡建设/道路交通/路灯", "城乡建设/道路交通", "城乡建设"]
    assert next_code("0201", ["020101", "020102"]) == "020103"
    assert next_code(None, ["01", "02", "99"]) == "03"


def test_open311_states_notes_and_deadlines():
    assert [open311.status_of(s) for s in ("received", "assigned", "converted", "replied", "merged", "closed")] == [
        "open", "open", "open", "closed", "closed", "closed"]
    assert open311.notes_of("converted", {"kind": "proposal"}) == "已转为提案办理"
    assert open311.expected_at(date(2026, 12, 31)).isoformat() == "2026-12-31T23:59:59+08:00"
    key = open311.new_api_key()
    assert key.startswith("o311_") and open311.key_hash(key) != open311.key_hash(open311.new_api_key())
