"""A small HTTP client for the web server on loopback, shaped like Flask's test client (``get``,
``post`` returning ``status_code``, ``headers`` and ``get_data``) so that the helpers of
test_web_links.py (``answer_through``) drive a real waitress server too. It keeps the cookies
the server sets and does not follow redirects."""

from __future__ import annotations

import http.client
import urllib.parse
from http.cookies import SimpleCookie


class Reply:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.body = body

    def get_data(self, as_text: bool = False):
        return self.body.decode() if as_text else self.body


class HttpClient:
    def __init__(self, port: int, *, headers: dict[str, str] | None = None,
                 timeout: float = 30) -> None:
        self.port = port
        self.headers = dict(headers or {})
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def get(self, path: str, *, headers: dict[str, str] | None = None) -> Reply:
        return self._request("GET", path, None, headers)

    def post(self, path: str, data: dict[str, str] | None = None, *,
             headers: dict[str, str] | None = None) -> Reply:
        body = urllib.parse.urlencode(data or {}).encode()
        return self._request("POST", path, body, {
            "Content-Type": "application/x-www-form-urlencoded", **(headers or {})})

    def _request(self, method: str, path: str, body: bytes | None,
                 headers: dict[str, str] | None) -> Reply:
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Reply(response.status, response.headers, data)
