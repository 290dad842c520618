import pytest
from liaison_shared import db

from .probe import PROBE_MIGRATION, probe_spec


@pytest.fixture(scope="session")
def probe(platform, tmp_path_factory):
    """The probe's schema migrated and its topics created; returns a spec factory."""
    import asyncio

    from liaison_shared.kafka import ensure_topics

    own = tmp_path_factory.mktemp("probe-migrations")
    (own / "20261129100000_effects.sql").write_text(PROBE_MIGRATION)
    db.migrate(platform, "probe", [*db.migration_dirs("liaison_shared"), own])
    asyncio.run(ensure_topics(platform, probe_spec().topics_to_create()))
    return probe_spec
