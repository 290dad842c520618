"""Time-ordered identifiers: RFC 9562 version 7, sorting by when they were made."""

import time
import uuid

import pytest
from liaison_shared.ids import time_ordered

pytestmark = pytest.mark.unit


def test_an_id_is_a_version_7_uuid_carrying_the_unix_milliseconds_it_was_made_at():
    before = time.time_ns() // 1_000_000
    made = time_ordered()
    after = time.time_ns() // 1_000_000
    assert made.version == 7 and made.variant == uuid.RFC_4122
    assert before <= made.int >> 80 <= after
    assert uuid.UUID(str(made)) == made


def test_ids_of_later_milliseconds_sort_after_and_none_repeat():
    made = []
    for _ in range(5):
        made.append(time_ordered())
        time.sleep(0.002)
    assert made == sorted(made) and sorted(str(m) for m in made) == [str(m) for m in made]
    assert len({time_ordered() for _ in range(10_000)}) == 10_000
