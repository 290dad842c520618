"""The duplicate suggester (关注多) on Chinese text, as a pure function: the labelled set's
precision and recall, and the cases the issue names."""

from __future__ import annotations

from feedback.domain import duplicates
from liaison_shared.settings import Settings

from tests.data import duplicates as labelled

THRESHOLD = Settings().duplicate_similarity_threshold


def test_a_lamp_that_is_out_is_a_broken_lamp_not_a_broken_road():
    out, broken = duplicates.grams("路灯不亮"), duplicates.grams("路灯损坏")
    road = duplicates.grams("路面破损")
    assert duplicates.similarity(out, broken) >= THRESHOLD
    assert duplicates.similarity(out, road) < THRESHOLD


def test_two_villagers_on_the_same_ditch_are_suggested_and_a_pension_is_not():
    ditch = "村口的灌溉渠堵塞了，水流不过去，地里的麦子浇不上水"
    candidates = [("same ditch", duplicates.keys("村口那段灌溉渠堵住了，浇不上水")),
                  ("pension", duplicates.keys("我今年满六十岁了，养老金到现在还没发下来"))]
    found = duplicates.suggest(ditch, candidates, threshold=THRESHOLD, limit=3)
    assert [case for case, _ in found] == ["same ditch"]


def test_the_similarity_is_symmetric_and_one_for_the_same_text():
    a, b = duplicates.grams("广场舞音响开得太大"), duplicates.grams("晚上广场舞噪音扰民")
    assert duplicates.similarity(a, b) == duplicates.similarity(b, a)
    assert duplicates.similarity(a, a) == 1.0
    assert duplicates.similarity([], []) == 0.0


def test_an_excerpt_is_short_and_masks_a_phone_number():
    text = "村口路灯坏了，联系我13812345678，" + "晚上很黑" * 20
    short = duplicates.excerpt(text)
    assert "13812345678" not in short and "***********" in short
    assert len(short) <= 41 and short.endswith("…")


def test_precision_and_recall_on_the_labelled_set_are_at_least_0_8():
    rows = labelled.load()
    assert len(rows) >= 200
    assert len({row["category"] for row in rows}) >= 10
    all_keys = [duplicates.keys(row["text"]) for row in rows]

    def suggested(i: int) -> set[int]:
        candidates = [(j, k) for j, k in enumerate(all_keys) if j != i]
        return {j for j, _ in duplicates.suggest(rows[i]["text"], candidates, threshold=THRESHOLD,
                                                 limit=labelled.SHOWN)}

    precision, recall = labelled.precision_recall(rows, suggested)
    print(f"duplicate suggester (domain), threshold {THRESHOLD}: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.8
    assert recall >= 0.8
