"""The offline single-file HTML report (wscard.report.allure_html, wscard.report.environment).

The tracker stripping, the offline check, categories, environment.properties and the
merge of several machines' results are tested on their own and always run. The end-to-end
tests run a real pytest-bdd feature through allure-pytest-bdd, render it with Allure
Report 3 and look inside the HTML; they need ``npm ci --prefix reports`` (CI runs it
before the tests) and are skipped otherwise.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wscard.errors import HarnessError
from wscard.report import allure_html
from wscard.report import environment as env_mod
from wscard.report.allure_html import ReportError, assert_offline, find_external_loads, strip_trackers
from wscard.report.redact import REDACTED

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "reports" / "node_modules"
HAVE_TOOLS = (NODE_MODULES / "allure" / "cli.js").is_file() and shutil.which("node") is not None
needs_tools = pytest.mark.skipif(
    not HAVE_TOOLS, reason="report tools not installed: run `npm ci --prefix reports` (CI does, before the tests)"
)

# --- tracker stripping -------------------------------------------------------------------

#: What Allure 3's awesome template writes (abridged), with the report's own scripts.
ALLURE_LIKE = """<!DOCTYPE html>
<html dir="ltr" lang="en">
<head>
    <meta charset="utf-8">
    <title> Compliance </title>
    <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E%3C/svg%3E">
    <script>
      window.allureReportOptions = {"reportName":"Compliance","links":"https://docs.aws.amazon.com/x"}
    </script>
</head>
<body>
    <div id="app"></div>
    <script>
      window.allure = window.allure || {};
    </script>
    <script   src="data:text/javascript;base64,@APP@"></script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('js', new Date());
        gtag('config', 'G-LNDJ3J7WT0', {"report": "awesome"});
    </script>
    <script async>
      window.allureReportData = window.allureReportData || {};
      function d(name, value){ window.allureReportData[name] = value; }
    </script>
    <script defer>
      Promise.allSettled([d("data/test-results/1.json","@DATA@")])
    </script>
</body>
</html>
"""
APP_JS = 'const a = {href: "https://allurereport.org"}; fetch("data/x.json"); const b = "http://www.w3.org/2000/svg";'
DATA = {"links": [{"url": "https://docs.aws.amazon.com/workspaces/latest/adminguide/smart-cards.html"}]}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def allure_like_page() -> str:
    return ALLURE_LIKE.replace("@APP@", _b64(APP_JS)).replace("@DATA@", _b64(json.dumps(DATA)))


def test_strip_trackers_removes_the_google_tag_manager_of_the_awesome_template():
    page = allure_like_page()
    assert "googletagmanager.com" in page
    stripped = strip_trackers(page)
    assert "googletagmanager" not in stripped
    assert "gtag(" not in stripped and "dataLayer" not in stripped
    # the report's own scripts and data stay, byte for byte
    for kept in ("window.allureReportOptions", "window.allure = window.allure || {};",
                 f'src="data:text/javascript;base64,{_b64(APP_JS)}"', _b64(json.dumps(DATA)), '<div id="app">'):
        assert kept in stripped
    assert_offline(stripped)


def test_strip_trackers_removes_other_analytics_snippets():
    page = """<html><head>
    <link rel="preconnect" href="https://www.google-analytics.com">
    <link rel="dns-prefetch" href="//www.googletagmanager.com">
    <script>(function(i,s,o,g,r,a,m){i['GoogleAnalyticsObject']=r;})(window,document,'script',
      'https://www.google-analytics.com/analytics.js','ga'); ga('create', 'UA-1-1', 'auto'); ga('send', 'pageview');</script>
    <script>var _paq = window._paq = []; _paq.push(['trackPageView']);</script>
    <script src='https://cdn.segment.com/analytics.js/v1/x/analytics.min.js'></script>
    </head><body>
    <noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-X" height="0" width="0"></iframe></noscript>
    <img src="https://www.google-analytics.com/collect?v=1" alt="">
    <p>kept</p><a href="https://docs.aws.amazon.com/">docs</a>
    </body></html>"""
    stripped = strip_trackers(page)
    assert "<p>kept</p>" in stripped and 'href="https://docs.aws.amazon.com/"' in stripped
    for gone in ("google-analytics", "googletagmanager", "_paq", "segment.com", "<noscript>", "<img"):
        assert gone not in stripped
    assert find_external_loads(stripped) == []


def test_strip_trackers_leaves_a_page_without_trackers_unchanged():
    page = allure_like_page().replace(
        ALLURE_LIKE.split("<script async src=")[1].split("</script>\n    <script async>")[0], "")
    page = strip_trackers(page)
    assert strip_trackers(page) == page


# --- the offline check -------------------------------------------------------------------

@pytest.mark.parametrize("snippet, expected", [
    ('<script src="https://cdn.example.com/app.js"></script>', "cdn.example.com"),
    ("<script src=//cdn.example.com/app.js></script>", "cdn.example.com"),
    ('<link rel="stylesheet" href="https://fonts.example.com/css">', "fonts.example.com"),
    ('<link rel="icon" href="http://example.com/favicon.ico">', "example.com/favicon.ico"),
    ('<link rel="preload" as="font" href="https://fonts.example.com/a.woff2" crossorigin>', "a.woff2"),
    ('<img alt="x" src="https://example.com/pixel.gif">', "pixel.gif"),
    ('<img srcset="data:image/png;base64,AA 1x, https://example.com/big.png 2x">', "big.png"),
    ("<iframe src='https://example.com/embed'></iframe>", "example.com/embed"),
    ('<video poster="https://example.com/p.jpg"></video>', "p.jpg"),
    ('<object data="https://example.com/x.swf"></object>', "x.swf"),
    ('<base href="https://example.com/">', "example.com"),
    ('<meta http-equiv="refresh" content="0; url=https://example.com/">', "example.com"),
    ("<style>@import url('https://fonts.example.com/css');</style>", "fonts.example.com"),
    ('<style>body { background: url("https://example.com/bg.png") }</style>', "bg.png"),
    ('<div style="background-image: url(https://example.com/bg.png)"></div>', "bg.png"),
    ('<script>fetch("https://api.example.com/v1/track")</script>', "api.example.com"),
    ("<script>const s = new WebSocket('wss://example.com/live');</script>", "wss://example.com"),
    ("<script>x.open('GET', 'https://example.com/data.json');</script>", "data.json"),
    ("<script>const i = new Image(); i.src = 'https://example.com/p.gif';</script>", "p.gif"),
    ("<script>document.write('<script src=\"https://example.com/x.js\"><\\/script>')</script>", "x.js"),
    ('<script src="data:text/javascript;base64,%s"></script>' % _b64('import("https://esm.example.com/m.js")'),
     "esm.example.com"),
    ('<link rel="stylesheet" href="data:text/css;base64,%s">' % _b64("@font-face{src:url(https://f.example.com/a.woff)}"),
     "f.example.com"),
    ('<img src="data:image/svg+xml;base64,%s">' % _b64(
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.com/i.png"/></svg>'), "i.png"),
    ('<script>gtag("config", "G-1")</script>', "tracker code"),
    ('<p>see www.googletagmanager.com</p>', "googletagmanager.com"),
])
def test_assert_offline_refuses_what_the_page_would_load(snippet, expected):
    page = f"<!DOCTYPE html><html><head></head><body>{snippet}</body></html>"
    found = find_external_loads(page)
    assert found and any(expected in f for f in found), found
    with pytest.raises(ReportError, match="not self-contained") as exc:
        assert_offline(page)
    assert isinstance(exc.value, HarnessError)


def test_assert_offline_accepts_hyperlinks_and_data():
    page = """<!DOCTYPE html><html><head>
      <link rel="canonical" href="https://example.com/report">
      <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E%3C/svg%3E">
      <script type="application/json">{"url": "https://docs.aws.amazon.com/x"}</script>
      <script>const docs = "https://docs.aws.amazon.com/workspaces/"; const ns = "http://www.w3.org/2000/svg";
        window.open(docs); fetch("data/test-results/1.json"); fetch(`widgets/${name}.json`);</script>
      <!-- <script src="https://example.com/commented-out.js"></script> -->
    </head><body>
      <a href="https://docs.aws.amazon.com/directoryservice/latest/admin-guide/ad_connector_clientauth.html">AD Connector</a>
      <a href="https://allurereport.org" target="_blank" rel="noreferrer">Powered by Allure</a>
      <svg xmlns="http://www.w3.org/2000/svg"><use href="#icon"/></svg>
      <img src="data:image/png;base64,iVBORw0KGgo=">
      <script src="data:text/javascript;base64,@APP@"></script>
      <script>d("data/x.json","@DATA@")</script>
    </body></html>""".replace("@APP@", _b64(APP_JS)).replace("@DATA@", _b64(json.dumps(DATA)))
    assert find_external_loads(page) == []
    assert_offline(page)


# --- categories --------------------------------------------------------------------------

CASES = [
    ("failed", "AssertionError: NON-COMPLIANT: CN=alice: no Smart Card Logon EKU\nFix: reissue\nassert False",
     "Non-compliance"),
    ("failed", "wscard.errors.NonCompliance: NON-COMPLIANT [CA-4] CN=bob\nsecond line", "Non-compliance"),
    ("failed", "NON-COMPLIANT without an exception type", "Non-compliance"),
    ("broken", "wscard.errors.EnvironmentProblem: Environment problem: no PC/SC reader\nFix: start pcscd",
     "Environment problem"),
    ("broken", "setup: wscard.errors.ChangeRefused: Environment problem: refused\nby the guard", "Environment problem"),
    ("broken", "KeyError: 'subject'\nmore", "Harness error"),
    ("broken", "", "Harness error"),
    ("failed", "AssertionError: assert 1 == 2\n +  where NON-COMPLIANT appears later", "Harness error"),
    ("passed", "", None),
    ("passed", "WARNING: [CA-8] the issuing CA expires in 150 days", "Warning"),
    ("skipped", "Environment problem: skipped on purpose", "Not evaluated"),
    ("skipped", "not run: the run was interrupted before this scenario", "Not evaluated"),
    ("skipped", "Skipped: not applicable: the profile describes no Linux WorkSpace", "Not applicable"),
    ("skipped", "not applicable: with a PC/SC backend, the cards are counted in the readers", "Not applicable"),
]


def _classify(categories: list[dict], status: str, message: str, fullmatch: bool) -> str | None:
    """Allure 3 (first matching category, RegExp.test = search) or Allure 2 (Java
    String.matches = full match)."""
    for c in categories:
        if status not in c.get("matchedStatuses", []):
            continue
        rx = re.compile(c["messageRegex"])
        if (rx.fullmatch(message) if fullmatch else rx.search(message)):
            return c["name"]
    return None


@pytest.mark.parametrize("status, message, expected", CASES)
@pytest.mark.parametrize("engine", ["allure3-search", "allure2-fullmatch"])
def test_categories_sort_results(status, message, expected, engine):
    categories = allure_html.load_categories()
    assert _classify(categories, status, message, fullmatch=engine.endswith("fullmatch")) == expected


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_categories_regexes_work_in_javascript():
    """Allure 3 compiles messageRegex with JavaScript's RegExp, which has no (?s) flag:
    the regexes use [\\s\\S] so they match multi-line messages in both engines."""
    script = textwrap.dedent("""
        const cats = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const cases = JSON.parse(process.argv[2]);
        const out = cases.map(([status, message]) => {
          const c = cats.find(c => c.matchedStatuses.includes(status) && new RegExp(c.messageRegex).test(message));
          return c ? c.name : null;
        });
        console.log(JSON.stringify(out));
    """)
    cases = [[s, m] for s, m, _ in CASES]
    proc = subprocess.run(["node", "-e", script, str(allure_html.CATEGORIES_FILE), json.dumps(cases)],
                          capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [e for _, _, e in CASES]


# --- environment.properties --------------------------------------------------------------

def test_environment_properties_escape_and_round_trip():
    env = {
        "profile": "lab: east=1 #2 !3",
        "baseline": "admin-guide",
        "AWS mode": "live (read-only)",
        "region": "us-gov-west-1",
        "hosts": ["ws-client-01", "ws-client-02"],
        "harness version": "0.1.0",
        "python version": "3.11.9",
        "date": "2025-01-02T03:04:05+00:00",
        " leading": "  spaced\tvalue\nsecond line\\",
        "unicode": "Zoë ✓ 🔒",
        "empty": None,
        "flag": True,
    }
    text = env_mod.format_properties(env)
    assert text.isascii()
    assert "hosts=ws-client-01, ws-client-02\n" in text
    assert "AWS\\ mode=live (read-only)\n" in text
    assert "profile=lab\\: east\\=1 \\#2 \\!3\n" in text
    back = env_mod.parse_properties(text)
    assert back == {k: env_mod._text(v) for k, v in env.items()}


def test_environment_properties_never_carry_secrets():
    text = env_mod.format_properties({
        "aws secret access key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "password": "hunter2",
        "region": "us-east-1",
        "note": "credentials AKIAIOSFODNN7EXAMPLE in the profile",
    })
    back = env_mod.parse_properties(text)
    assert back["aws secret access key"] == REDACTED and back["password"] == REDACTED
    assert "AKIAIOSFODNN7EXAMPLE" not in text and "hunter2" not in text and "wJalr" not in text
    assert back["region"] == "us-east-1"


def test_parse_properties_reads_java_syntax():
    text = "# comment\n! other comment\nkey1 = value one\nkey2:value2\nkey3 value3\n" \
           "multi = first \\\n    second\nuni=\\u00e9\\ud83d\\udd12\nempty\n"
    assert env_mod.parse_properties(text) == {
        "key1": "value one", "key2": "value2", "key3": "value3", "multi": "first second",
        "uni": "é🔒", "empty": ""}


@pytest.mark.skipif(not HAVE_TOOLS, reason="report tools not installed: run `npm ci --prefix reports`")
def test_allure_reads_environment_properties_as_written():
    env = {"profile": "lab: east=1 #2", " leading": " x\ty\nz", "unicode": "Zoë ✓ 🔒", "hosts": "a, b"}
    text = env_mod.format_properties(env)
    parser = NODE_MODULES / "@allurereport" / "reader" / "dist" / "properties.js"
    script = (f"import {{ parseProperties }} from {json.dumps(parser.as_uri())};"
              "console.log(JSON.stringify(parseProperties(process.argv[1])));")
    proc = subprocess.run(["node", "--input-type=module", "-e", script, text],
                          capture_output=True, text=True, encoding="utf-8", check=True, timeout=60)
    assert json.loads(proc.stdout) == env


def test_write_metadata_puts_categories_and_environment_into_the_results(tmp_path):
    allure_html.write_metadata(tmp_path / "results", {"profile": "embedded", "token": "abc", "hosts": "h1"})
    cats = json.loads((tmp_path / "results" / "categories.json").read_text())
    assert cats == json.loads(allure_html.CATEGORIES_FILE.read_text())
    env = env_mod.read_environment(tmp_path / "results")
    assert env == {"profile": "embedded", "token": REDACTED, "hosts": "h1"}


def test_base_environment_names_the_harness_and_python():
    env = env_mod.base_environment()
    assert {"harness version", "python version", "date", "hosts"} <= set(env)


# --- merging several machines' results ---------------------------------------------------

def _result(uid: str, host: str, attachment: str | None = None, *, host_param: bool = True) -> dict:
    r = {
        "uuid": uid, "name": "Key size", "status": "passed", "historyId": f"h.{host}", "testCaseId": "tc",
        "fullName": "features/pki.feature:Key size",
        "labels": [{"name": "host", "value": host}],
        "parameters": [{"name": "host", "value": host}] if host_param else [],
        "steps": [{"name": "Given a key", "status": "passed",
                   "attachments": [{"name": "evidence", "source": attachment, "type": "application/json"}]
                   if attachment else []}],
    }
    return r


def _write_results(folder: Path, host: str, *, host_param: bool = True) -> None:
    folder.mkdir(parents=True)
    (folder / "11111111-1111-1111-1111-111111111111-result.json").write_text(
        json.dumps(_result("aaaa", host, "22222222-2222-2222-2222-222222222222-attachment.json", host_param=host_param)))
    (folder / "22222222-2222-2222-2222-222222222222-attachment.json").write_text(json.dumps({"host": host}))
    (folder / "33333333-3333-3333-3333-333333333333-attachment.txt").write_text("same on every host")
    (folder / "44444444-4444-4444-4444-444444444444-container.json").write_text(
        json.dumps({"uuid": "cccc", "children": ["aaaa"], "befores": []}))
    allure_html.write_metadata(folder, {"profile": "embedded", "hosts": host, "date": "2025-01-01"})


def test_merge_results_keeps_machines_apart(tmp_path):
    _write_results(tmp_path / "alpha", "alpha")
    _write_results(tmp_path / "beta", "beta")
    merged = allure_html.merge_results([tmp_path / "alpha", tmp_path / "beta"], tmp_path / "merged")

    results = [json.loads(p.read_text()) for p in merged.glob("*-result.json")]
    containers = [json.loads(p.read_text()) for p in merged.glob("*-container.json")]
    assert sorted(r["labels"][0]["value"] for r in results) == ["alpha", "beta"]
    assert len({r["uuid"] for r in results}) == 2
    assert len({c["uuid"] for c in containers}) == 2
    by_uuid = {r["uuid"]: r for r in results}
    for c in containers:  # each container still points at its own machine's result
        assert len(c["children"]) == 1 and c["children"][0] in by_uuid
    assert sorted(by_uuid[c["children"][0]]["labels"][0]["value"] for c in containers) == ["alpha", "beta"]
    for r in results:  # each result's attachment is its own machine's
        source = r["steps"][0]["attachments"][0]["source"]
        assert json.loads((merged / source).read_text()) == {"host": r["labels"][0]["value"]}
    assert len(list(merged.glob("*-attachment.txt"))) == 1  # identical file: copied once
    assert len(list(merged.glob("*-attachment.json"))) == 2

    env = env_mod.read_environment(merged)
    assert env["hosts"] == "alpha, beta" and env["profile"] == "embedded"
    assert json.loads((merged / "categories.json").read_text()) == allure_html.load_categories()

    # the same folder named twice is merged once
    twice = allure_html.merge_results([tmp_path / "alpha", tmp_path / "alpha"], tmp_path / "twice")
    assert sorted(p.name for p in twice.iterdir()) == sorted(p.name for p in (tmp_path / "alpha").iterdir())


def test_merge_results_gives_a_host_parameter_to_results_without_one(tmp_path):
    _write_results(tmp_path / "alpha", "alpha", host_param=False)
    merged = allure_html.merge_results([tmp_path / "alpha"], tmp_path / "merged")
    (result,) = [json.loads(p.read_text()) for p in merged.glob("*-result.json")]
    assert {"name": "host", "value": "alpha"} in result["parameters"]


def test_merge_results_refuses_a_missing_folder(tmp_path):
    with pytest.raises(ReportError, match="does not exist"):
        allure_html.merge_results([tmp_path / "nowhere"], tmp_path / "merged")


# --- errors of generate ------------------------------------------------------------------

def test_generate_without_results_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReportError, match="no test results"):
        allure_html.generate([tmp_path / "empty"], tmp_path / "r.html", title="t", node_modules=NODE_MODULES)
    with pytest.raises(ReportError, match="no results folder"):
        allure_html.generate([], tmp_path / "r.html", title="t", node_modules=NODE_MODULES)


def test_generate_without_the_tools_names_the_fix(tmp_path):
    _write_results(tmp_path / "alpha", "alpha")
    with pytest.raises(ReportError, match=r"npm ci --prefix reports"):
        allure_html.generate([tmp_path / "alpha"], tmp_path / "r.html", title="t",
                             node_modules=tmp_path / "no_node_modules")
    assert not (tmp_path / "r.html").exists()


@needs_tools
def test_generate_reports_an_allure_failure(tmp_path):
    _write_results(tmp_path / "alpha", "alpha")
    broken = tmp_path / "broken.mjs"
    broken.write_text("export default { notAnAllureSetting: true };\n")
    with pytest.raises(ReportError, match=r"allure awesome failed.*notAnAllureSetting"):
        allure_html.generate([tmp_path / "alpha"], tmp_path / "r.html", title="t",
                             node_modules=NODE_MODULES, config=broken)


# --- end to end: pytest-bdd -> allure-pytest-bdd -> one offline HTML file ----------------

FEATURE = """\
Feature: Report demo
  Scenario Outline: Key size is at least <bits> bits
    Given a certificate with a <bits>-bit key
    Then the key is long enough

    Examples:
      | bits |
      | 2048 |

  Scenario: Smart card logon EKU present
    Given a certificate without the smart card logon EKU
    Then the certificate has the smart card logon EKU

  Scenario: OCSP responder answers
    Given the OCSP responder is down
    Then revocation can be checked
"""

STEPS = """\
import allure
from pytest_bdd import given, parsers, scenarios, then

from wscard.errors import EnvironmentProblem, NonCompliance

scenarios("demo.feature")
DOC = "https://docs.aws.amazon.com/workspaces/latest/adminguide/smart-cards.html"


@given(parsers.parse("a certificate with a {bits:d}-bit key"), target_fixture="bits")
def certificate(bits):
    return bits


@then("the key is long enough")
def long_enough(bits):
    allure.attach('{"bits": 2048}', name="evidence", attachment_type=allure.attachment_type.JSON)
    assert bits >= 2048


@given("a certificate without the smart card logon EKU")
def no_eku():
    pass


@then("the certificate has the smart card logon EKU")
def has_eku():
    raise NonCompliance("NON-COMPLIANT [CA-4] CN=alice: the Smart Card Logon EKU is missing\\nFix: reissue it")


@given("the OCSP responder is down")
def responder_down():
    pass


@then("revocation can be checked")
def revocation():
    raise EnvironmentProblem("OCSP responder at http://127.0.0.1:9/ did not answer\\nFix: start it")
"""

CONFTEST = """\
import allure
import pytest


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_scenario(request, feature, scenario):
    allure.dynamic.parameter("host", "alpha")
    allure.dynamic.link("https://docs.aws.amazon.com/workspaces/latest/adminguide/smart-cards.html",
                        link_type="requirement", name="CA-4: admin guide")
"""


def _second_host(src: Path, dst: Path, host: str) -> None:
    """What the same run on another machine produces: same files, another host label
    and parameter (and so another historyId). File names and UUIDs are kept on purpose:
    the merge must cope with clashes."""
    shutil.copytree(src, dst)
    for p in dst.glob("*-result.json"):
        r = json.loads(p.read_text())
        r["labels"] = [dict(l, value=host) if l["name"] == "host" else l for l in r["labels"]]
        r["parameters"] = [dict(x, value=repr(host)) if x["name"] == "host" else x for x in r["parameters"]]
        r["historyId"] = r["testCaseId"] + "." + hashlib.md5(repr(r["parameters"]).encode()).hexdigest()
        p.write_text(json.dumps(r))
    env = env_mod.read_environment(dst)
    allure_html.write_metadata(dst, {**env, "hosts": host})


def _embedded(html: str) -> dict[str, str]:
    """The report's data files, decoded (Allure 3 embeds them base64-encoded)."""
    return {name: base64.b64decode(value).decode("utf-8")
            for name, value in re.findall(r'\bd\("([^"]+)","([A-Za-z0-9+/=]*)"\)', html)}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    if not HAVE_TOOLS:
        pytest.skip("report tools not installed: run `npm ci --prefix reports` (CI does, before the tests)")
    work = tmp_path_factory.mktemp("bdd")
    (work / "demo.feature").write_text(FEATURE)
    (work / "test_demo.py").write_text(STEPS)
    (work / "conftest.py").write_text(CONFTEST)
    (work / "pytest.ini").write_text("[pytest]\n")
    alpha = work / "results-alpha"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", f"--alluredir={alpha}",
         "test_demo.py"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # one passed, two failed: as designed
    assert "1 passed" in proc.stdout and "2 failed" in proc.stdout, proc.stdout
    allure_html.write_metadata(alpha, {"profile": "embedded", "baseline": "seed", "AWS mode": "simulated",
                                       "region": "us-east-1", "hosts": "alpha"})
    beta = work / "results-beta"
    _second_host(alpha, beta, "beta")
    out_dir = work / "html"
    out = allure_html.generate([alpha, beta], out_dir / "report.html", title="Report demo",
                               node_modules=NODE_MODULES)
    return out


def test_report_is_one_file(report):
    assert [p.name for p in report.parent.iterdir()] == ["report.html"]
    assert report.stat().st_size > 100_000


def test_report_loads_nothing_from_the_network(report):
    html = report.read_text(encoding="utf-8")
    assert_offline(html)
    # independent of assert_offline: no tracker anywhere, also inside embedded scripts ...
    decoded = [base64.b64decode(m).decode("utf-8", "replace")
               for m in re.findall(r"data:[a-z/+.-]+;base64,([A-Za-z0-9+/=]+)", html)]
    for text in [html, *decoded]:
        assert not re.search(r"googletagmanager|google-analytics|gtag\(|dataLayer", text)
    # ... no element other than a hyperlink points at an http(s) or protocol-relative URL ...
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S | re.I)
    loads = [m.group(0) for m in re.finditer(r"<(\w+)\b[^>]*?\s(?:src|href|srcset|data|poster)\s*=\s*[\"']?"
                                             r"(?:https?:)?//[^\s\"'>]+", markup, re.I)
             if m.group(1).lower() != "a"]
    assert loads == []
    script_srcs = re.findall(r"<script\b[^>]*\bsrc\s*=\s*[\"']?([^\"'\s>]+)", html, re.I)
    assert script_srcs and all(s.startswith("data:") for s in script_srcs)
    # ... and the only web addresses in the embedded application are inert constants
    # (XML namespaces, the "Powered by" hyperlink, Playwright's trace viewer opened on
    # click, the base URL fallback). A new one after an Allure upgrade must be looked at.
    hosts = set()
    for text in decoded:
        hosts |= set(re.findall(r"(?:https?|wss?)://([A-Za-z0-9.-]+)", text))
    assert hosts <= {"www.w3.org", "allurereport.org", "trace.playwright.dev", "localhost"}, hosts


def test_report_shows_scenarios_parameters_and_steps(report):
    data = _embedded(report.read_text(encoding="utf-8"))
    results = [json.loads(v) for k, v in data.items() if k.startswith("data/test-results/")]
    names = {r["name"] for r in results}
    assert names == {"Key size is at least 2048 bits", "Smart card logon EKU present", "OCSP responder answers"}
    outline = [r for r in results if r["name"] == "Key size is at least 2048 bits"]
    assert all({"name": "bits", "value": "2048"}.items() <= p.items()
               for r in outline for p in r["parameters"] if p["name"] == "bits")
    assert all(any(p["name"] == "bits" for p in r["parameters"]) for r in outline)
    steps = {s["name"] for r in results for s in r["steps"] if s.get("type") == "step"}
    assert {"Given a certificate with a 2048-bit key", "Then the key is long enough",
            "Given a certificate without the smart card logon EKU",
            "Then the certificate has the smart card logon EKU",
            "Given the OCSP responder is down", "Then revocation can be checked"} <= steps
    links = {l["url"] for r in results for l in r["links"]}
    assert links == {"https://docs.aws.amazon.com/workspaces/latest/adminguide/smart-cards.html"}
    failed = next(r for r in results if r["status"] == "failed")
    assert "NON-COMPLIANT [CA-4] CN=alice" in failed["error"]["message"]
    assert [c["name"] for c in failed["categories"]] == ["Non-compliance"]
    broken = next(r for r in results if r["status"] == "broken")
    assert "Environment problem: OCSP responder" in broken["error"]["message"]
    assert [c["name"] for c in broken["categories"]] == ["Environment problem"]
    environment = json.loads(data["widgets/allure_environment.json"])
    as_dict = {e["name"]: e["values"] for e in environment}
    assert as_dict["hosts"] == ["alpha, beta"] and as_dict["AWS mode"] == ["simulated"]


def test_report_keeps_each_host_a_separate_entry(report):
    data = _embedded(report.read_text(encoding="utf-8"))
    results = [json.loads(v) for k, v in data.items() if k.startswith("data/test-results/")]
    assert len(results) == 6
    assert json.loads(data["widgets/statistic.json"]) == {"total": 6, "passed": 2, "failed": 2, "broken": 2}
    for name in ("Key size is at least 2048 bits", "Smart card logon EKU present", "OCSP responder answers"):
        entries = [r for r in results if r["name"] == name]
        hosts = sorted(p["value"] for r in entries for p in r["parameters"] if p["name"] == "host")
        assert hosts == ["'alpha'", "'beta'"], name
        labels = sorted(l["value"] for r in entries for l in r["labels"] if l["name"] == "host")
        assert labels == sorted([socket.gethostname(), "beta"])  # allure-pytest-bdd's label: the machine's name
        assert not any(r["retriesCount"] for r in entries)  # not mistaken for retries of one another
