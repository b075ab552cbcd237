"""A real headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium.

The driver and browser paths are given explicitly, so Selenium never looks for (or downloads) one.
Without them the browser tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_NAMES = ("chromium", "chromium-browser")
DRIVER_NAMES = ("chromedriver",)
ARTIFACTS_ENV = "RLVR_TEST_ARTIFACTS"


def artifacts_dir() -> Path:
    """Where screenshots go: $RLVR_TEST_ARTIFACTS/ui, else test-artifacts/ui in the repo."""
    root = Path(os.environ.get(ARTIFACTS_ENV) or REPO / "test-artifacts")
    path = root / "ui"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _which(names: tuple[str, ...]) -> str | None:
    return next((p for p in (shutil.which(n) for n in names) if p), None)


def require_chromium() -> tuple[str, str]:
    """The chromium and chromedriver paths; skip without them (fail under CI=true)."""
    browser, driver = _which(CHROMIUM_NAMES), _which(DRIVER_NAMES)
    problem = None
    if browser is None or driver is None:
        problem = "chromium and chromium-driver are not installed (make toolchains installs them as root)"
    else:
        try:
            import selenium  # noqa: F401
        except ImportError:
            problem = "selenium is not installed (the dev extra has it)"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: the /ui browser tests must run: {problem}")
        pytest.skip(problem)
    assert browser is not None and driver is not None
    return browser, driver


def start_chromium(width: int, height: int) -> Any:
    """A headless Chromium of the given window size that records its network log."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    chrome = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    chrome.set_window_size(width, height)
    return chrome


def requested_urls(chrome: Any) -> list[str]:
    """Every URL the page asked for since the last call (from the DevTools performance log)."""
    urls = []
    for entry in chrome.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls
