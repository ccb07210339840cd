"""Each process keeps the catalogue, flag deadlines and premedication steps in memory while they
are unchanged: a request reads the rule data in one query, and any change (admin, service) is seen
by the next read in every process (RuleDataVersion, bumped in the change's transaction)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from checklists.models import Drug, FlagDeadline, RuleSettings
from checklists.selectors.catalogue import load_rule_config

pytestmark = pytest.mark.django_db(transaction=True)


def read() -> tuple[object, int]:
    with CaptureQueriesContext(connection) as queries:
        config = load_rule_config()
    return config, len(queries)


def test_unchanged_rule_data_is_read_in_one_query(clinical_defaults):
    first, first_cost = read()
    second, second_cost = read()

    assert (first_cost, second_cost) == (4, 1)
    assert second == first


def test_a_catalogue_change_is_seen_by_the_next_read(clinical_defaults):
    before, _ = read()
    drug = Drug.objects.get(name="warfarin")
    drug.aliases = f"{drug.aliases}, trilobite tablets"
    drug.save()

    after, cost = read()

    assert cost == 4
    assert not before.read("trilobite tablets").recognised
    assert after.read("trilobite tablets").recognised


def test_a_deadline_removed_and_a_setting_changed_are_seen_at_once(clinical_defaults):
    read()
    deadline = FlagDeadline.objects.first()
    deadline.delete()
    RuleSettings.objects.filter(pk=1).update(food_stop_hours=8)  # read on every request anyway

    config, _ = read()

    assert deadline.code not in config.deadlines
    assert config.food_stop_hours == 8


def test_rule_data_read_inside_a_transaction_is_never_kept(clinical_defaults):
    """It may be quokka drops: another change could later reach the same version number."""
    with transaction.atomic():
        read()
        drug = Drug.objects.get(name="warfarin")
        drug.aliases = f"{drug.aliases}, quokka drops"
        drug.save()
        inside, _ = read()
        assert inside.read("quokka drops").recognised
        transaction.set_rollback(True)
    other = Drug.objects.get(name="aspirin")
    other.aliases = f"{other.aliases}, trilobite tablets"
    other.save()  # committed: the version the rolled-back change had reached

    after, _ = read()

    assert not after.read("quokka drops").recognised
    assert after.read("trilobite tablets").recognised
