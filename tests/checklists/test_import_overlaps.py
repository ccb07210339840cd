"""The import's overlap check (O(K log² K)) finds exactly what checking case after case against
every earlier one would: the earliest case in the file that overlaps an earlier one in its room,
and every case overlapping a stored slot, stored slots overlapping each other included."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from checklists.services.imports import Slot, first_batch_overlap, stored_clashes

T0 = dt.datetime(2027, 1, 4, 8, 0, tzinfo=dt.UTC)
# Slots on a half-hour grid inside one day: many touch (end == start, no overlap) or overlap.
spans = st.tuples(st.integers(0, 20), st.integers(1, 6)).map(
    lambda pair: (
        T0 + dt.timedelta(minutes=30 * pair[0]),
        T0 + dt.timedelta(minutes=30 * (pair[0] + pair[1])),
    )
)
batches = st.lists(st.tuples(st.integers(0, 2), spans), max_size=25)  # (room, (start, end)) per case


def overlap(a: Slot, b: Slot) -> bool:
    return a.start < b.end and b.start < a.end


def rooms_of(batch) -> list[list[Slot]]:
    rooms: dict[int, list[Slot]] = {}
    for index, (room, (start, end)) in enumerate(batch):
        rooms.setdefault(room, []).append(Slot(index, start, end))
    return [sorted(slots, key=lambda s: (s.start, s.index)) for slots in rooms.values()]


@given(batches)
def test_the_case_named_is_the_first_that_overlaps_an_earlier_one_in_its_room(batch):
    slots = [(room, Slot(index, start, end)) for index, (room, (start, end)) in enumerate(batch)]
    one_by_one = next(
        (
            later.index
            for n, (room, later) in enumerate(slots)
            if any(other_room == room and overlap(earlier, later) for other_room, earlier in slots[:n])
        ),
        None,
    )

    pair = first_batch_overlap(rooms_of(batch))

    if one_by_one is None:
        assert pair is None
    else:
        earlier, later = pair
        assert later.index == one_by_one and earlier.index < later.index and overlap(earlier, later)
        assert batch[earlier.index][0] == batch[later.index][0]  # the same room


@given(st.lists(spans, max_size=15), st.lists(spans, max_size=15))
def test_every_slot_overlapping_a_stored_one_is_found_with_one_it_overlaps(new, stored):
    slots = sorted((Slot(i, *span) for i, span in enumerate(new)), key=lambda s: (s.start, s.index))
    kept = sorted((Slot(i, *span) for i, span in enumerate(stored)), key=lambda s: (s.start, s.index))

    found = dict((slot.index, clash) for slot, clash in stored_clashes(slots, kept))

    assert set(found) == {s.index for s in slots if any(overlap(s, k) for k in kept)}
    assert all(overlap(next(s for s in slots if s.index == i), clash) for i, clash in found.items())


def test_slots_that_touch_do_not_overlap():
    a = Slot(0, T0, T0 + dt.timedelta(hours=1))
    b = Slot(1, T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=2))

    assert first_batch_overlap([[a, b]]) is None
    assert stored_clashes([b], [a]) == []
