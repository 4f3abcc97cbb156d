"""The web pages against a hostile browser or network: only the form's languages are taken from
?lang= (nothing else is echoed or stored), posts from another site are refused, HSTS and Secure
cookies behind HTTPS, and the key of the address hashes lives outside the store."""

from __future__ import annotations

import pytest
from test_web_links import web_client, web_interviews

from cati.web.links import point_link

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@sqlite_only
def test_only_the_forms_languages_are_taken_from_lang(database, one_case_project):
    link = point_link(database, "ONE", "东门")
    client = web_client(database, one_case_project)
    evil = '"><script>alert(1)</script>\r\nSet-Cookie: x=1'
    response = client.get(link.path, query_string={"lang": evil})
    assert response.status_code == 200
    assert response.headers.getlist("Set-Cookie") == []
    page = response.get_data(as_text=True)
    assert "alert" not in page and "开始填写" in page  # the default language's words
    # Neither ?lang= nor a cookie of another language reaches the store.
    client.set_cookie("lang", "Klingon")
    assert client.post(link.path, query_string={"lang": evil},
                       data={"action": "start"}).status_code == 303
    [interview] = web_interviews(database)
    assert interview.language == ""
    # A language of the form is still chosen, remembered and stored.
    chosen = client.get(link.path, query_string={"lang": "English (en)"})
    assert "Next" in chosen.get_data(as_text=True)
    [cookie] = chosen.headers.getlist("Set-Cookie")
    assert cookie.startswith('lang="English (en)"')
    other = web_client(database, one_case_project, address="10.0.0.2")
    other.post(link.path, query_string={"lang": "English (en)"}, data={"action": "start"})
    assert web_interviews(database)[1].language == "English (en)"
