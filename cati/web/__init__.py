"""Web self-completion: the project's questionnaire as a phone-friendly web page.

The same engine and the same interview services as the interviewer window write into the same
store (interviews.mode = "web"), so the monitor, the reports and the exports include web
interviews. ``links`` makes and checks the ways in (an open link per collection point, personal
invitations per case), ``respondents`` runs one respondent's interview a page at a time,
``limits`` keeps the per-address and per-link rate limits, ``addresses`` the key of the stored
address hashes (outside the store), ``app`` is the WSGI application (Flask) and ``server`` runs
it under waitress. ``activity`` is what the supervisor sees.
"""
