"""/docs works offline: Swagger UI's page references only this service's URLs, and each of them serves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.server import run_server

pytestmark = pytest.mark.integration
# in the page's inline script: the schema URL (url: '/openapi.json') and the OAuth2 redirect
SCRIPT_URL = re.compile(
    r"""(?:url|oauth2RedirectUrl)['"]?\s*:\s*(?:window\.location\.origin\s*\+\s*)?['"]([^'"]+)['"]"""
)


class _Links(HTMLParser):
    """Every URL the page loads or links to: src and href attributes, and URLs in its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]

    def handle_data(self, data: str) -> None:
        self.urls += SCRIPT_URL.findall(data)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with run_server(env={"RLVR_WORKERS": "1"}) as base:
        yield base


@pytest.fixture(scope="module")
def page(url: str) -> str:
    response = httpx.get(f"{url}/docs", timeout=10)
    assert response.status_code == 200
    return response.text


@pytest.fixture(scope="module")
def links(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.urls


def test_docs_page_yields_only_local_urls(page: str, links: list[str]) -> None:
    assert '"validatorUrl": null' in page  # no badge fetched from validator.swagger.io
    assert any(u.endswith("swagger-ui-bundle.js") for u in links), links
    assert any(u.endswith("swagger-ui.css") for u in links), links
    assert any(u.endswith("/openapi.json") for u in links), links
    remote = [u for u in links if urlsplit(u).scheme or u.startswith("//")]
    assert remote == [], f"/docs loads {remote} from outside the service"


@pytest.mark.parametrize(
    ("suffix", "content_type", "marker"),
    [
        ("swagger-ui-bundle.js", "javascript", "SwaggerUIBundle"),
        ("swagger-ui.css", "text/css", ".swagger-ui"),
        ("favicon-32x32.png", "image/png", "PNG"),
        ("/openapi.json", "application/json", '"openapi":"3.1'),
        ("/docs/oauth2-redirect", "text/html", "oauth2"),
    ],
)
def test_each_docs_page_url_yields_its_asset(
    url: str, links: list[str], suffix: str, content_type: str, marker: str
) -> None:
    [link] = [u for u in links if u.endswith(suffix)]
    response = httpx.get(urljoin(url + "/docs", link), timeout=10)
    assert response.status_code == 200, link
    assert content_type in response.headers["content-type"]
    assert marker in response.content[:2_000_000].decode("latin-1")


def test_bundled_swagger_ui_renders_openapi_3_1(url: str, links: list[str]) -> None:
    """FastAPI's schema is OpenAPI 3.1, which Swagger UI renders from version 5 on."""
    [link] = [u for u in links if u.endswith("swagger-ui-bundle.js")]
    bundle = httpx.get(urljoin(url + "/docs", link), timeout=10).text
    versions = re.findall(r'version:"(\d+)\.(\d+)\.(\d+)"', bundle) or re.findall(r"swagger-ui-(\d+)\.", link)
    assert versions, "no Swagger UI version found in the bundle"
    assert int(versions[0][0]) >= 5
