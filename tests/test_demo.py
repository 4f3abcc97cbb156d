"""The demo project's sample: valid numbers spread over the 19 townships."""

from __future__ import annotations

from sqlalchemy import func, select

from cati.services.demo import create_demo
from cati.storage.db import Database
from cati.storage.models import Case, Disposition


def test_demo_sample(sqlite_url):
    database = Database(sqlite_url)
    database.upgrade()
    with database.unit() as session:
        result = create_demo(session, cases=500)
    assert result.created and set(result.passwords) == {"admin", "supervisor", "interviewer1",
                                                        "interviewer2"}
    with database.unit() as session:
        strata = session.execute(select(Case.stratum, func.count()).group_by(Case.stratum)).all()
        types = dict(session.execute(select(Case.number_type, func.count())
                                     .group_by(Case.number_type)).all())
        phones = session.scalars(select(Case.phone_e164)).all()
        codes = set(session.scalars(select(Disposition.code)))
    assert len(strata) == 19 and "古槐街道" in dict(strata)
    assert sum(count for _, count in strata) == 500
    assert types.keys() <= {"mobile", "fixed_line", "fixed_line_or_mobile"}
    assert all(p.startswith("+86") for p in phones) and len(set(phones)) == 500
    assert any(p.startswith("+86396") for p in phones)  # landlines of 驻马店 (0396)
    assert {"1.1", "4.70", "3.13", "2.111"} <= codes
    database.dispose()
