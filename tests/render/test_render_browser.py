"""A real browser opens the rendered index and a report from the file system.

Method: Debian's headless ``chromium`` is started with a throw-away profile, background
networking off and ``--remote-debugging-port=0``; the test reads the port from the profile's
``DevToolsActivePort`` file and drives the page over the DevTools protocol with
``websocket-client`` (installed with Jupyter). It enables the Network, Runtime and Log domains,
navigates to the ``file://`` URL, waits for the load event plus a short quiet period, and
collects every request the page made and every console error, uncaught exception and log error.
A page passes when it made no request other than ``file:`` and ``data:`` URLs and reported no
error. This is more precise than ``--dump-dom`` with ``--enable-logging``, which shows neither
requests nor a reliable list of console errors.

The reader-facing checks render the index and one report of each report notebook on the demo
data (a district's, and the wijk and buurt report of a municipality too) and open each at 1280
and at 420 px wide: no horizontal scroll at 420 px, ``lang="nl"``, an
alt text on every image that is not nbconvert's default, no decimal point in the Dutch prose, and
no serious or critical violation by axe-core (npm package pinned in ``package.json`` and
``package-lock.json``, injected into the page with ``Runtime.evaluate``). Printing a report with
Chromium's print to PDF gives A4 pages.

Skips (with the reason) when chromium, websocket-client or axe-core is missing, except under
``CI=true``, where a missing tool fails the test; ``.ci/run`` installs chromium and runs
``npm ci`` before ``make test``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from tidy_sources import write_tiny_source

from rvs_analysis.render.batch import render_batch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIXTURES = Path(__file__).parents[1] / "fixtures" / "notebooks"
REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _need(condition: bool, reason: str) -> None:
    """Skip without ``condition``; under CI=true fail instead, so CI cannot pass by skipping."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser tests must run)")
    pytest.skip(reason)


def _need_chromium():
    _need(CHROMIUM is not None, "Debian's chromium is not installed (apt-get install chromium)")


def _tiny_source(folder: Path) -> Path:
    return write_tiny_source(folder, {2017: 1100}, years=(2017,))


class DevToolsPage:
    """One chromium page driven over the DevTools protocol."""

    def __init__(self, profile: Path, startup_timeout: float = 30.0):
        try:
            import websocket
        except ImportError:
            _need(False, "websocket-client is not installed")
        self.scratch = tempfile.mkdtemp(prefix="rvs-test-chromium-")
        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--disable-extensions",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-allow-origins=*",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Chromium's own scratch (org.chromium.Chromium.*, with a socket: a short path) in
            # a folder of the page's own, removed on close, not left in TMPDIR.
            env={**os.environ, "TMPDIR": self.scratch},
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + startup_timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                pytest.fail("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        page = next(target for target in targets if target["type"] == "page")
        self.socket = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True
        )
        self.next_id = 0
        self.backlog = []
        for domain in ("Network", "Runtime", "Log", "Page"):
            self.wait_for_reply(self.call(f"{domain}.enable"))

    def wait_for_reply(self, call_id, timeout=30.0):
        """Read messages until the reply to ``call_id``; keep events for :meth:`visit`."""
        import websocket

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.socket.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                message = json.loads(self.socket.recv())
            except websocket.WebSocketTimeoutException:
                break
            if message.get("id") == call_id:
                return message.get("result", {})
            self.backlog.append(message)
        pytest.fail(f"chromium did not answer DevTools call {call_id}")

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        return self.next_id

    def visit(self, url: str, quiet_seconds: float = 1.0, timeout: float = 60.0):
        """Navigate and return (request URLs, errors) seen until the page is loaded and quiet."""
        import websocket

        requests, errors = [], []
        self.wait_for_reply(self.call("Page.navigate", url=url))
        loaded_at = None
        ready_check = None
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            if loaded_at is not None and time.monotonic() - loaded_at > quiet_seconds:
                break
            if loaded_at is None and ready_check is None and time.monotonic() - started > 5:
                # A load event can be missed on a slow first start: ask the page itself.
                ready_check = self.call("Runtime.evaluate", expression="document.readyState")
            if self.backlog:
                message = self.backlog.pop(0)
            else:
                self.socket.settimeout(0.2)
                try:
                    message = json.loads(self.socket.recv())
                except websocket.WebSocketTimeoutException:
                    continue
            if ready_check is not None and message.get("id") == ready_check:
                if message.get("result", {}).get("result", {}).get("value") == "complete":
                    loaded_at = time.monotonic()
                else:
                    ready_check = None
                continue
            method, params = message.get("method"), message.get("params", {})
            if method == "Network.requestWillBeSent":
                requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Runtime.exceptionThrown":
                errors.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                errors.append(f"log: {params['entry'].get('text')} ({params['entry'].get('url')})")
            elif method == "Page.loadEventFired":
                loaded_at = time.monotonic()
        assert loaded_at is not None, f"{url} did not finish loading within {timeout} s"
        return requests, errors

    def evaluate(self, expression: str, timeout: float = 60.0):
        """The value of a JavaScript expression in the page (promises awaited)."""
        reply = self.wait_for_reply(
            self.call(
                "Runtime.evaluate",
                expression=expression,
                awaitPromise=True,
                returnByValue=True,
            ),
            timeout=timeout,
        )
        if "exceptionDetails" in reply:
            pytest.fail(f"page script failed: {reply['exceptionDetails']}")
        return reply.get("result", {}).get("value")

    def set_width(self, width: int, height: int = 900):
        self.wait_for_reply(
            self.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=width < 600,
            )
        )

    def close(self):
        if getattr(self, "socket", None) is not None:
            self.socket.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        shutil.rmtree(self.scratch, ignore_errors=True)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    result = render_batch(
        str(_tiny_source(root / "tidy")),
        areas=["Flevoland"],
        notebooks=["good", "script_label"],
        notebooks_dir=FIXTURES,
        out=root / "outputs",
        jobs=1,
        progress=False,
    )
    assert result.exit_code == 0
    return result.out


@pytest.mark.parametrize(
    "page", ["index.html", "flevoland/good.html", "flevoland/script_label.html"]
)
def test_page_opens_offline_without_console_errors(rendered, tmp_path, page):
    _need_chromium()
    browser = DevToolsPage(tmp_path / "profile")
    try:
        requests, errors = browser.visit((rendered / page).as_uri())
    finally:
        browser.close()
    assert errors == []
    assert requests, "the navigation itself is seen"
    outside = [url for url in requests if not url.startswith(("file://", "data:"))]
    assert outside == [], "the page fetched something from the network"


# ------------------------------------------------------------------------------------------------
# The real reports as a reader sees them
# ------------------------------------------------------------------------------------------------

REPORT_NOTEBOOKS = sorted(path.stem for path in (REPO / "notebooks").glob("*.ipynb"))

# A decimal point between digits that is not a thousands separator (a dot before exactly three
# digits): "0.97", "4.15e-200", "12.5" but not "12.564".
_DECIMAL_POINT = re.compile(r"\d\.(?!\d{3}(?!\d))\d")

_PROSE = """
(() => {
  const main = document.querySelector('main') || document.body;
  const skip = 'footer, code, pre, style, script, [lang="en"], .rvs-provenance';
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  const parts = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement || !node.parentElement.closest(skip)) parts.push(node.data);
  }
  return parts.join('\\n');
})()
"""


@pytest.fixture(scope="module")
def reports(request):
    """The index and the reports of every report notebook (demo data; the region and the
    districts, ``conftest.demo_batch``, shared with test_notebooks.py); the pages checked are the
    index and Flevoland's reports."""
    _need_chromium()
    demo_batch = request.getfixturevalue("demo_batch")  # not rendered when the test skips
    assert (demo_batch.parent / "render_exit_code").read_text(encoding="utf-8") == "0"
    assert {f"flevoland/{name}.html" for name in REPORT_NOTEBOOKS} <= {
        str(path.relative_to(demo_batch)) for path in demo_batch.glob("flevoland/*.html")
    }
    return demo_batch


@pytest.fixture(scope="module")
def axe_source():
    _need(AXE.is_file(), f"axe-core is not installed ({AXE}; run npm ci)")
    return AXE.read_text(encoding="utf-8")


MUNICIPAL_PAGES = ("utrecht/neighbourhood_signals.html",)
"""Report pages of a municipality, from ``conftest.demo_neighbourhood_batch`` (the demo batch
holds the region's and the districts'): the wijk and buurt report reads differently there."""


def _pages():
    return [
        "index.html",
        *(f"flevoland/{name}.html" for name in REPORT_NOTEBOOKS),
        *MUNICIPAL_PAGES,
    ]


_KEY_MESSAGE = """(() => {
  const blocks = document.querySelectorAll('.rvs-kernboodschap');
  const methods = [...document.querySelectorAll('h2')].find(
    h => h.textContent.trim().startsWith('Methode en bronnen'));
  const first = blocks[0];
  return {
    blocks: blocks.length,
    sentences: first ? first.querySelectorAll('p').length : 0,
    before_methods: !!(first && methods
      && (first.compareDocumentPosition(methods) & Node.DOCUMENT_POSITION_FOLLOWING)),
  };
})()"""


@pytest.mark.parametrize("width", [1280, 420])
@pytest.mark.parametrize("page", _pages())
def test_reader_checks_at_desktop_and_phone_width(axe_source, tmp_path, page, width, request):
    if page in MUNICIPAL_PAGES:  # not the whole demo batch for these
        _need_chromium()
        folder = request.getfixturevalue("demo_neighbourhood_batch")
    else:
        folder = request.getfixturevalue("reports")
    browser = DevToolsPage(tmp_path / "profile")
    try:
        browser.set_width(width)
        requests, errors = browser.visit((folder / page).as_uri(), quiet_seconds=0.3)
        assert errors == []
        assert [url for url in requests if not url.startswith(("file://", "data:"))] == []
        assert browser.evaluate("document.documentElement.lang") == "nl"
        overflow = browser.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page} scrolls sideways by {overflow} px at {width} px"
        alts = browser.evaluate("[...document.images].map(image => image.alt)")
        assert all(alt and "No description" not in alt for alt in alts), alts
        prose = browser.evaluate(_PROSE)
        points = sorted({match.group(0) for match in _DECIMAL_POINT.finditer(prose)})
        assert points == [], f"decimal points in Dutch prose of {page}: {points}"
        if page != "index.html":  # each report opens with its three-sentence kernboodschap
            key_message = browser.evaluate(_KEY_MESSAGE)
            assert key_message == {"blocks": 1, "sentences": 3, "before_methods": True}, page
        browser.evaluate(axe_source + ";true")
        violations = browser.evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
            "v => ({id: v.id, impact: v.impact, nodes: v.nodes.length, "
            "target: v.nodes[0].target.join(' ')})))",
            timeout=120,
        )
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], f"axe-core on {page} at {width} px: {serious}"
        if page == "index.html":  # all of the index's content, the demo banner too, in a landmark
            outside = [v for v in violations if v["id"] == "region"]
            assert outside == [], f"content outside the landmarks of the index: {outside}"
    finally:
        browser.close()


def test_report_prints_on_a4_pages(reports, tmp_path):
    browser = DevToolsPage(tmp_path / "profile")
    try:
        browser.visit((reports / "flevoland" / "strategy_monitor.html").as_uri(), quiet_seconds=0.3)
        reply = browser.wait_for_reply(
            browser.call("Page.printToPDF", preferCSSPageSize=True, printBackground=True),
            timeout=120,
        )
    finally:
        browser.close()
    pdf = base64.b64decode(reply["data"])
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", pdf)
    assert len(boxes) >= 2, "a report takes more than one page"
    for width, height in boxes:
        # A4 is 210 x 297 mm = 595,3 x 841,9 pt.
        assert abs(float(width) - 595.3) < 1.5 and abs(float(height) - 841.9) < 1.5
