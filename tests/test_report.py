"""The HTML report of a trained classifier (skaudio.report), in Python and in a browser."""

import base64
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from skaudio.diagnostics import shortcut_probe
from skaudio.report import html_report
from skaudio.robustness import RobustnessReport

SCRIPT = "<script>alert(1)</script>"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_URI = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def robustness_rows(offset=0.0):
    return [{"kind": kind, "value": value, "fold": fold,
             "score": 0.9 - offset - 0.01 * (abs(value) if np.isfinite(value) else 0) - 0.02 * fold}
            for kind, values in (("gain", (0.0, -20.0)), ("snr", (np.inf, 6.0)))
            for value in values for fold in range(3)]


def probe_result(*, watermark):
    rng = np.random.default_rng(0)
    X = rng.random((40, 10, 8))
    y = np.arange(40) % 2
    X[:, :, 6:] = 1e-12 * (1 + 3 * y[:, None, None] if watermark else 1)
    return shortcut_probe(X, y, warn=False)


def full_report(path=None, labels=("dog", "cat", "bird")):
    return html_report(
        title="Digits " + SCRIPT,
        settings={"system": "PERSA+ -> VGG-like", "parameters": {"q": 9, "epochs": 30},
                  "classes": list(labels), "sample rate": 8000, "groups": "no"},
        scores={"accuracy": [0.9, 0.8, 0.85], "f1_macro": np.array([0.88, 0.84, 0.79])},
        confusion=(list(labels), np.array([[10, 2, 0], [1, 12, 0], [0, 3, 9]])),
        robustness=[RobustnessReport("PERSA+", robustness_rows()),
                    RobustnessReport("LOG", robustness_rows(0.1))],
        shortcut=probe_result(watermark=False),
        notes=["no groups given: clips of one source may sit in both train and test"],
        path=path,
    )


def images(page):
    """The decoded PNGs of every data: URI of the page."""
    return [base64.b64decode(data, validate=True) for data in DATA_URI.findall(page)]


def test_only_given_sections_appear_and_no_figure_needs_no_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    page = html_report(title="Minimal", settings={"system": "LOG -> LR"})
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert 'id="settings"' in page and "LOG -&gt; LR" in page
    for section in ("scores", "confusion", "robustness", "shortcut", "warnings"):
        assert f'id="{section}"' not in page
    assert "<img" not in page
    assert "(no settings given)" in html_report(title="t", settings={})


def test_full_report_has_every_section_numbers_and_settings():
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    page = full_report()
    for section in ("warnings", "settings", "scores", "confusion", "robustness", "shortcut"):
        assert f'id="{section}"' in page
    # Scores: mean ± std (ddof=0) and every fold.
    assert "0.850 ± 0.041" in page and "0.837 ± 0.037" in page
    assert all(f">{v}<" in page for v in ("0.900", "0.800", "0.880", "0.790"))
    # Settings, nested parameters as a nested table, lists on one line.
    assert "<th>q</th><td>9</td>" in page and "dog, cat, bird" in page
    # The confusion matrix as counts, with the accuracy it implies.
    assert "37 predictions, 31 correct: accuracy 0.838" in page
    assert '<th scope="row">cat</th><td class="num">1</td><td class="num">12</td>' in page
    # Robustness: one column per report, one row per condition.
    assert "PERSA+: accuracy %" in page and "LOG: accuracy %" in page
    for condition in ("gain +0 dB", "gain -20 dB", "clean", "SNR 6 dB"):
        assert f"<td>{condition}</td>" in page
    assert "88.0 ± 1.6 (3 folds)" in page and "78.0 ± 1.6 (3 folds)" in page
    assert len(images(page)) == 2


def test_user_text_is_escaped_everywhere():
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    page = html_report(
        title=SCRIPT,
        settings={SCRIPT: SCRIPT, "classes": [SCRIPT, 'a"b'], "nested": {SCRIPT: 1}},
        scores={SCRIPT: [0.5, 0.6]},
        confusion=([SCRIPT, "$5 & up"], [[3, 1], [0, 4]]),
        robustness=RobustnessReport(SCRIPT, robustness_rows()),
        notes=SCRIPT,  # one note, not one per character
    )
    assert "<script" not in page.lower()
    escaped = html.escape(SCRIPT)
    assert page.count(escaped) >= 9
    assert "$5 &amp; up" in page and "a&quot;b" in page
    assert page.count("<li>") == 1


def test_images_are_valid_pngs_of_the_declared_size():
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    page = full_report()
    pngs = images(page)
    assert len(pngs) == 2
    sizes = re.findall(r'<img src="data:[^"]*" alt="[^"]+" width="(\d+)" height="(\d+)">', page)
    assert len(sizes) == 2
    for png, (width, height) in zip(pngs, sizes):
        assert png.startswith(PNG_MAGIC) and png.endswith(b"IEND\xaeB`\x82")
        assert int.from_bytes(png[16:20], "big") == int(width) > 100
        assert int.from_bytes(png[20:24], "big") == int(height) > 100


def test_page_is_self_contained():
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    page = full_report()
    assert re.findall(r'\b(?:src|href)="(?!data:image/png;base64,)', page) == []
    assert "<link" not in page and "<script" not in page and "url(" not in page
    assert ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "img-src data:; style-src 'unsafe-inline'\">") in page


def test_scores_of_unequal_length_and_normalised_confusion():
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    page = html_report(title="t", settings={},
                       scores={"accuracy": [1.0, 0.5, 0.75], "fit_time": [2.5, 3.5]},
                       confusion=(np.array([0, 1]), np.array([[0.75, 0.25], [0.5, 0.5]])))
    assert "<th>fold 3</th>" in page and "3.000 ± 0.500" in page
    assert '<td class="num">0.250</td>' in page and "predictions" not in page


def test_robustness_of_one_fitted_model_is_one_fold():
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    rows = [row for row in robustness_rows() if row["fold"] == 0]
    page = html_report(title="t", settings={}, robustness=RobustnessReport("LOG", rows))
    assert "<td>SNR 6 dB</td><td class=\"num\">84.0 ± 0.0 (1 fold)</td>" in page


def test_shortcut_verdicts():
    clean = html_report(title="t", settings={}, shortcut=probe_result(watermark=False))
    assert '<p class="verdict ok">no shortcut found: ' in clean
    assert "% chance (p = " in clean and 'id="warnings"' not in clean
    flagged = html_report(title="t", settings={}, shortcut=probe_result(watermark=True))
    assert '<p class="verdict warning">WARNING: labels are predictable from inaudible ' \
           "content: a simple classifier on inaudible content only reaches 100.0 % " \
           "accuracy against 50.0 % chance" in flagged
    warnings = flagged.split('id="warnings"')[1].split("</section>")[0]
    assert "labels are predictable from inaudible content" in warnings
    assert "Probe accuracy per fold: 1.000, 1.000" in flagged


def test_atomic_write(tmp_path):
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    path = tmp_path / "report.html"
    path.write_text("old report")
    page = full_report(path=path)
    assert path.read_text(encoding="utf-8") == page
    assert os.listdir(tmp_path) == ["report.html"]  # no temporary file left
    page = html_report(title="second", settings={}, path=str(path))
    assert path.read_text(encoding="utf-8") == page


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "report.html"
    path.write_text("old report")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        html_report(title="t", settings={}, path=path)
    assert path.read_text() == "old report"
    assert os.listdir(tmp_path) == ["report.html"]


def test_missing_matplotlib_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install 'skaudio\[plot\]'"):
        html_report(title="t", settings={}, confusion=(["a", "b"], [[1, 0], [0, 1]]))
    with pytest.raises(ImportError, match=r"html_report needs matplotlib"):
        html_report(title="t", settings={},
                    robustness=RobustnessReport("LOG", robustness_rows()))


def test_pyplot_state_is_left_alone():
    matplotlib = pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    import matplotlib.pyplot as plt

    original = matplotlib.get_backend()
    plt.switch_backend("svg")  # the user's choice, not Agg
    try:
        figures = plt.get_fignums()
        full_report()
        assert matplotlib.get_backend() == "svg"
        assert plt.get_fignums() == figures
    finally:
        plt.switch_backend(original)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"settings": [("system", "LOG")]}, TypeError, "settings must be a dict"),
    ({"title": None}, TypeError, "title must be a str"),
    ({"scores": [0.5, 0.6]}, TypeError, "scores must be a non-empty dict"),
    ({"scores": {"accuracy": []}}, ValueError, r"scores\['accuracy'\] must be a non-empty"),
    ({"scores": {"accuracy": "high"}}, ValueError, "per-fold numbers"),
    ({"confusion": [[1, 0], [0, 1]]}, ValueError, r"shape \(n_labels, n_labels\) = \(2, 2\)"),
    ({"confusion": (["a", "b", "c"], [[1, 0], [0, 1]])}, ValueError, r"= \(3, 3\)"),
    ({"confusion": 3}, TypeError, r"pair \(labels, matrix\)"),
    ({"robustness": {"name": "LOG"}}, TypeError, "RobustnessReport"),
    ({"robustness": []}, ValueError, "empty list"),
    ({"robustness": RobustnessReport("LOG")}, ValueError, "'LOG' has no rows"),
    ({"shortcut": 0.9}, TypeError, "shortcut_probe"),
    ({"shortcut": {"accuracy": 0.9}}, ValueError, "lacks chance, p_value, shortcut"),
])
def test_bad_inputs_are_clear_errors(kwargs, error, match):
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    kwargs = {"title": "t", "settings": {}, **kwargs}
    with pytest.raises(error, match=match):
        html_report(**kwargs)


# -- in a real browser ------------------------------------------------------------------

BROWSERS = ("chromium", "chromium-browser", "google-chrome")

# Runs first (in <head>), so that it sees every error; on load, writes what it saw
# into the page, which --dump-dom then prints.
CHECK_SCRIPT = """
(function () {
  var errors = [];
  window.addEventListener("error", function (e) {
    errors.push(e.message || ("failed to load " + (e.target && (e.target.src || e.target.href
                                                                || e.target.tagName))));
  }, true);
  window.addEventListener("securitypolicyviolation", function (e) {
    errors.push("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
  });
  ["error", "warn"].forEach(function (level) {
    var original = console[level];
    console[level] = function () {
      errors.push("console." + level + ": " + Array.prototype.join.call(arguments, " "));
      original.apply(console, arguments);
    };
  });
  window.addEventListener("load", function () {
    var out = document.createElement("pre");
    out.id = "skaudio-browser-check";
    out.textContent = JSON.stringify({
      errors: errors,
      title: document.title,
      h1: document.querySelector("h1").textContent,
      scripts: document.scripts.length,
      height: document.body.scrollHeight,
      sections: Array.prototype.map.call(document.querySelectorAll("section"),
                                         function (s) { return s.id; }),
      images: Array.prototype.map.call(document.images, function (img) {
        return {complete: img.complete, naturalWidth: img.naturalWidth,
                naturalHeight: img.naturalHeight, shownWidth: img.getBoundingClientRect().width,
                alt: img.alt};
      })
    });
    document.body.appendChild(out);
  });
})();
"""


def find_browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def with_check_script(page):
    """The page with CHECK_SCRIPT first in <head>, allowed by its hash in the page's CSP."""
    digest = base64.b64encode(hashlib.sha256(CHECK_SCRIPT.encode()).digest()).decode()
    csp = re.compile(r'(<meta http-equiv="Content-Security-Policy" content="[^"]*)(">)')
    assert csp.search(page), "the report lost its Content-Security-Policy"
    return csp.sub(lambda m: f"{m.group(1)}; script-src 'sha256-{digest}'{m.group(2)}\n"
                             f"<script>{CHECK_SCRIPT}</script>", page, count=1)


def test_report_renders_in_headless_chromium(tmp_path):
    """Opens the full report in headless Chromium: it renders, its images load, no errors."""
    pytest.importorskip("matplotlib", reason="the report's figures need matplotlib")
    browser = find_browser()
    if browser is None:
        pytest.skip(reason=f"no headless browser: none of {', '.join(BROWSERS)} is on "
                           "PATH (Debian: apt-get install chromium)")
    page = full_report(path=tmp_path / "report.html")
    checked = tmp_path / "checked.html"
    checked.write_text(with_check_script(page), encoding="utf-8")
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", "--mute-audio",
        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1024",
        "--enable-logging=stderr", "--v=0", "--dump-dom", checked.as_uri(),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{browser} did not finish rendering the report within 120 s")
    found = re.search(r'<pre id="skaudio-browser-check">(.*?)</pre>', done.stdout, re.S)
    assert found, (f"{browser} printed no check result (exit {done.returncode}); "
                   f"stderr:\n{done.stderr[-3000:]}")
    result = json.loads(html.unescape(found.group(1)))

    assert result["errors"] == []
    # Chromium logs every console message (and CSP report) to stderr as CONSOLE lines.
    assert [line for line in done.stderr.splitlines() if re.search(r":CONSOLE[:(]", line)] == []
    assert result["title"] == result["h1"] == "Digits " + SCRIPT  # shown as text, not run
    assert result["scripts"] == 1  # ours: the escaped label made none
    assert result["sections"] == ["warnings", "settings", "scores", "confusion",
                                  "robustness", "shortcut"]
    assert result["height"] > 1000
    assert len(result["images"]) == 2
    for image in result["images"]:
        assert image["complete"] and image["alt"]
        assert image["naturalWidth"] > 100 and image["naturalHeight"] > 100
        assert image["shownWidth"] > 100
