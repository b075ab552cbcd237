"""/ui in a real headless Chromium against a real server while batches are being scored.

Checks, at 1280×800 and on a phone-sized window: the live charts update, the sample browser filters
by status and reward and opens a trace as a tree, the playground scores and offers a curl line, no
request leaves 127.0.0.1, nothing logs a console error, nothing overflows sideways. Screenshots go to
test-artifacts/ui (or $RLVR_TEST_ARTIFACTS/ui).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.server import run_server
from tests.ui.browser import artifacts_dir, requested_urls, require_chromium, start_chromium

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KEY = "ui-test-key"
MAX_CHARS = 2000
ENV = {
    "RLVR_API_KEYS": f'["{KEY}"]',
    "RLVR_UI_CAPTURE": "true",
    "RLVR_UI_CAPTURE_SIZE": "500",
    "RLVR_WORKERS": "2",
    "RLVR_MAX_COMPLETION_CHARS": str(MAX_CHARS),
}
WINDOWS = {"desktop": (1280, 800), "narrow": (390, 844)}
WAIT_S = 30


def _batch(round_no: int) -> dict[str, Any]:
    """Right, wrong and too-long answers, so that rewards and statuses vary."""
    items = []
    for i in range(24):
        answer = i % 7 if (i + round_no) % 2 else (i + 1) % 7  # half right
        completion = f"<think>adding up</think> The answer is $\\boxed{{{answer}}}$."
        if i % 8 == 7:
            completion = "x" * (MAX_CHARS + 1)
        items.append(
            {
                "id": f"r{round_no}-{i}",
                "prompt": f"What is {i} mod 7?",
                "completion": completion,
                "reference": str(i % 7),
            }
        )
    return {"items": items, "rewards": {"math": 1.0, "format": 0.2}}


@pytest.fixture(scope="module")
def scoring_server() -> Iterator[str]:
    """A real server, and a client thread scoring batches against it for as long as the tests run."""
    require_chromium()  # fail (CI) or skip before paying for a server
    with run_server(env=ENV) as url:
        stop = threading.Event()

        def score_forever() -> None:
            with httpx.Client(base_url=url, headers={"authorization": f"Bearer {KEY}"}, timeout=60) as client:
                n = 0
                while not stop.is_set():
                    client.post("/v1/score", json=_batch(n)).raise_for_status()
                    n += 1
                    stop.wait(0.3)

        worker = threading.Thread(target=score_forever, daemon=True)
        worker.start()
        try:
            yield url
        finally:
            stop.set()
            worker.join(timeout=60)


@pytest.fixture(params=sorted(WINDOWS), ids=sorted(WINDOWS))
def chrome(request: pytest.FixtureRequest) -> Iterator[Any]:
    driver = start_chromium(*WINDOWS[request.param])
    driver.window_name = request.param
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: Any, condition: Any, what: str) -> Any:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S, ignored_exceptions=(StaleElementReferenceException,)).until(
        condition, message=f"timed out waiting for {what}"
    )


def _shot(driver: Any, name: str) -> None:
    path = artifacts_dir() / f"{driver.window_name}-{name}.png"
    assert driver.save_screenshot(str(path)), f"no screenshot written to {path}"


def _no_sideways_overflow(driver: Any) -> None:
    width, inner = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner + 1, f"the page is {width}px wide in a {inner}px window"


def test_dashboard_live_samples_and_playground_yield_local_only_traffic(scoring_server: str, chrome: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    url = scoring_server
    chrome.get(f"{url}/ui")
    chrome.find_element(By.ID, "key").send_keys(KEY)
    chrome.find_element(By.CSS_SELECTOR, "#key-form button").click()

    # live view: the per-verifier table fills and the chart redraws with the batches being scored
    row = 'tr[data-verifier="math"]'
    _wait(chrome, lambda d: d.find_elements(By.CSS_SELECTOR, f"#verifiers {row}"), "the math row")
    _wait(
        chrome,
        lambda d: d.find_element(By.CSS_SELECTOR, f"{row} td:nth-child(2)").text not in ("–", "0"),
        "a non-zero math rate",
    )
    first_path = _wait(
        chrome, lambda d: d.find_element(By.CSS_SELECTOR, "#rate-chart path.series").get_attribute("d"), "a rate line"
    )
    updates = int(chrome.find_element(By.ID, "live").get_attribute("data-updates"))
    _wait(
        chrome,
        lambda d: d.find_element(By.CSS_SELECTOR, "#rate-chart path.series").get_attribute("d") != first_path,
        "the rate chart to redraw",
    )
    assert int(chrome.find_element(By.ID, "live").get_attribute("data-updates")) > updates
    cells = [c.text for c in chrome.find_elements(By.CSS_SELECTOR, f"{row} td")]
    assert 0 < float(cells[2]) < 1 and cells[5].endswith(("ms", "s")) and cells[6].endswith(("ms", "s")), cells
    assert chrome.find_elements(By.CSS_SELECTOR, f"{row} svg.hist rect.bar"), "no score histogram bars"
    statuses = {e.get_attribute("data-status") for e in chrome.find_elements(By.CSS_SELECTOR, f"{row} .status-item")}
    assert {"ok", "too_large"} <= statuses
    health = {e.get_attribute("data-component") for e in chrome.find_elements(By.CSS_SELECTOR, "#c-health .pill.ok")}
    assert "worker_pool" in health
    assert chrome.find_element(By.ID, "c-cache").text.endswith("%")
    _no_sideways_overflow(chrome)
    _shot(chrome, "live")

    # sample browser: filter by status, then by reward, then open a trace
    chrome.get(f"{url}/ui#samples")
    rows = "#sample-rows tr"
    _wait(chrome, lambda d: len(d.find_elements(By.CSS_SELECTOR, rows)) > 10, "captured samples")
    _wait(
        chrome,
        lambda d: "too_large" in [o.get_attribute("value") for o in Select(d.find_element(By.ID, "f-status")).options],
        "a status option",
    )
    Select(chrome.find_element(By.ID, "f-status")).select_by_value("too_large")
    _wait(
        chrome,
        lambda d: {r.get_attribute("data-status") for r in d.find_elements(By.CSS_SELECTOR, rows)} == {"too_large"},
        "only too_large rows",
    )
    Select(chrome.find_element(By.ID, "f-status")).select_by_value("ok")
    chrome.find_element(By.ID, "f-min").send_keys("1")
    chrome.find_element(By.CSS_SELECTOR, "#filters button").click()
    _wait(
        chrome,
        lambda d: (
            (r := d.find_elements(By.CSS_SELECTOR, rows)) and all(float(x.get_attribute("data-reward")) >= 1 for x in r)
        ),
        "only rewards ≥ 1",
    )
    chrome.find_element(By.CSS_SELECTOR, rows).click()
    trace = _wait(chrome, lambda d: d.find_elements(By.CSS_SELECTOR, "#trace details.component"), "the trace tree")
    assert [t.find_element(By.TAG_NAME, "summary").text.split(" ")[0] for t in trace] == ["math", "format"]
    keys = [e.text for e in chrome.find_elements(By.CSS_SELECTOR, "#trace .leaf .k")]
    assert "extracted: " in keys and "rule: " in keys, keys
    assert chrome.find_element(By.CSS_SELECTOR, "#trace .formula").text.endswith("= 1.2")
    _no_sideways_overflow(chrome)
    _shot(chrome, "samples")

    # the sample opens in the playground, which scores it again and offers a curl line
    chrome.find_element(By.ID, "to-playground").click()
    _wait(chrome, lambda d: d.find_element(By.ID, "playground").is_displayed(), "the playground")
    chrome.find_element(By.ID, "pg-score").click()
    reward = _wait(chrome, lambda d: d.find_elements(By.ID, "pg-reward"), "the playground's result")[0]
    assert reward.text == "reward 1.2 · ok"
    assert chrome.find_elements(By.CSS_SELECTOR, "#pg-result details.component")
    curl = chrome.find_element(By.ID, "pg-curl").text
    assert curl.startswith(f"curl -sS '{url}/v1/score?explain=true'") and '"rewards"' in curl
    _no_sideways_overflow(chrome)
    _shot(chrome, "playground")

    # nothing left this machine, and the page raised nothing (a CSP violation would show here)
    hosts = {urlsplit(u).hostname for u in requested_urls(chrome) if urlsplit(u).scheme in ("http", "https", "ws")}
    assert hosts == {"127.0.0.1"}, hosts
    errors = [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
