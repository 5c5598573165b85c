"""The web page at `/` is served with its own files only: every script, style and icon it names
comes from this server, and none of its files refers to another site (it must work offline)."""
from __future__ import annotations

import re

from scriptio.serve.webpage import STATIC


def test_page_and_its_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert {"/static/app.js", "/static/style.css"} <= set(assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and response.content, asset
    assert client.get("/static/%2e%2e/edited.py").status_code == 404  # nothing outside static/
    assert "/" not in client.get("/openapi.json").json()["paths"]


def test_no_file_loads_anything_from_elsewhere():
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        # The only absolute URLs allowed are XML namespace names, which are never fetched.
        urls = set(re.findall(r"https?://[^\s\"')]+", text)) - {"http://www.w3.org/2000/svg"}
        assert not urls, f"{path.name} refers to {urls}"
