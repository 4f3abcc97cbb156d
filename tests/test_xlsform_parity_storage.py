"""A form written for ODK Collect, brought into a project: its phone-impossible items are skipped
and recorded as not asked, its loop's answers stored one per choice (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import textwrap

from forms import form_answers
from sqlalchemy import insert

from cati.calling.queue import claim_next_case
from cati.services.interviews import load_interview, open_interview, save_answers
from cati.services.projects import create_project
from cati.services.questionnaires import form_of
from cati.storage.models import Case, Project

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)

FIELD_FORM = """
| survey |
| | type | name | label | relevant |
| | select one from yn | consent | May we start? | |
| | gps | where | Where are you? | |
| | photo | house | Photo of the house | |
| | begin loop over meals | m | | ${consent} = ’yes’ |
| | integer | days | Days a week with %(label)s? | |
| | end loop | | | |
| | note | bye | Thank you (${where}) | |
| choices |
| | list_name | name | label |
| | yn | yes | Yes |
| | yn | no | No |
| | meals | b | breakfast |
| | meals | l | lunch |
| settings |
| | form_id | version |
| | field_habits | 1 |
"""


def test_an_odk_form_runs_and_stores_what_the_phone_can_ask(database, tmp_path):
    path = tmp_path / "field_habits.md"
    path.write_text(textwrap.dedent(FIELD_FORM), encoding="utf-8")
    with database.unit() as session:
        project = create_project(session, "FIELD", path)
        session.execute(insert(Case), [{"project_id": project.id, "phone_e164": "+8613800000002",
                                        "state": "fresh", "attempts": 0, "priority": 0,
                                        "stratum": "", "attributes": {},
                                        "time_zone": "Asia/Shanghai"}])
        questionnaire_id = session.get(Project, project.id).questionnaire_id
        form = form_of(session, questionnaire_id)
    answers = form_answers(form, {"consent": "yes", "m.b.days": "7", "m.l.days": "5"})
    assert answers == {"consent": "yes", "m.b.days": "7", "m.l.days": "5"}
    claimed = claim_next_case(database, project.id, "ws1", now=NOW)
    interview = open_interview(database, project.id, case_id=claimed.case_id, workstation="ws1",
                               now=NOW)
    save_answers(database, interview.id, answers, current_item="bye", workstation="ws1",
                 now=NOW)
    stored = load_interview(database, interview.id).answers
    assert stored == {"consent": "yes", "m.b.days": "7", "m.l.days": "5"}
    assert "where" not in stored and "house" not in stored
