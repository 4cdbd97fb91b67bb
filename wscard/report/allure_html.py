"""One self-contained, offline HTML report from Allure results (Allure Report 3, npm).

``generate`` merges the results folders of one or more machines into a temporary folder
and runs ``allure awesome --single-file`` (npm package ``allure``, pinned in
``reports/package.json``, installed by ``npm ci --prefix reports``; no Java). Allure 3's
"awesome" template embeds a Google Tag Manager script whatever the settings are:
:func:`strip_trackers` removes it, and :func:`assert_offline` refuses a report that would
still load anything from the network when opened from disk.

Never imports pytest.
"""

from __future__ import annotations

import base64
import binascii
import filecmp
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import unquote_to_bytes

from ..errors import HarnessError
from . import environment as env_mod

ROOT = Path(__file__).resolve().parents[2]
REPORTS_DIR = ROOT / "reports"
NODE_MODULES = REPORTS_DIR / "node_modules"
CATEGORIES_FILE = REPORTS_DIR / "categories.json"
CONFIG_FILE = REPORTS_DIR / "allurerc.mjs"
INSTALL_HINT = "run ./harness check, which installs the report tools, or `npm ci --prefix reports`"

#: Files in a results folder that describe the run rather than one test.
METADATA_FILES = ("environment.properties", "categories.json", "executor.json")


class ReportError(HarnessError):
    """The HTML report could not be produced. The message names the problem and the fix."""


# --- metadata ---------------------------------------------------------------------------

def load_categories(path: Path = CATEGORIES_FILE) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"categories file {path} is missing: restore reports/categories.json from git") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"categories file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(c, dict) and c.get("name") for c in data):
        raise ReportError(f"categories file {path}: expected a list of objects with a name")
    return data


def write_metadata(
    results_dir: Path, environment: Mapping[str, Any], *, categories_file: Path = CATEGORIES_FILE
) -> None:
    """Put ``categories.json`` and ``environment.properties`` (redacted) into a results
    folder, before the report is generated (or the folder is handed to another machine)."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    categories = load_categories(categories_file)
    _write_json(results_dir / "categories.json", categories)
    env_mod.write_environment(results_dir, environment)


def _write_json(path: Path, obj: Any) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


# --- merging results of several machines ------------------------------------------------

def _is_result(name: str) -> bool:
    return name.endswith("-result.json")


def _is_container(name: str) -> bool:
    return name.endswith("-container.json")


def _fresh_name(name: str) -> str:
    """A new unique file name keeping Allure's suffix (``-attachment.json`` etc.)."""
    m = re.search(r"-(result|container|attachment)(\..*)?$", name)
    suffix = m.group(0) if m else Path(name).suffix
    return f"{uuid.uuid4()}{suffix}"


def _rewrite_sources(node: Any, names: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite_sources(v, names) for k, v in node.items()}
        if isinstance(out.get("source"), str) and out["source"] in names:
            out["source"] = names[out["source"]]
        return out
    if isinstance(node, list):
        return [_rewrite_sources(v, names) for v in node]
    return node


def _ensure_host_parameter(result: dict) -> bool:
    """Give a result that has a ``host`` label but no ``host`` parameter that parameter,
    so Allure does not take the same scenario run on two machines for retries."""
    params = result.get("parameters")
    if not isinstance(params, list):
        params = []
    if any(isinstance(p, dict) and p.get("name") == "host" for p in params):
        return False
    hosts = [l.get("value") for l in result.get("labels") or [] if isinstance(l, dict) and l.get("name") == "host"]
    if not hosts or not hosts[0]:
        return False
    result["parameters"] = [*params, {"name": "host", "value": str(hosts[0])}]
    return True


def _uuids_in(folder: Path) -> set[str]:
    found = set()
    for p in folder.iterdir():
        if p.is_file() and (_is_result(p.name) or _is_container(p.name)):
            try:
                u = json.loads(p.read_text(encoding="utf-8")).get("uuid")
            except (ValueError, OSError, AttributeError):
                continue
            if isinstance(u, str):
                found.add(u)
    return found


def merge_results(dirs: Iterable[Path], into: Path) -> Path:
    """Copy the Allure results of several folders (one per machine) into ``into``.

    File names and result UUIDs that clash between folders are renamed (references from
    results and containers to attachments and children follow); a file already present
    with the same content is not copied twice. ``environment.properties`` of all folders
    are merged (``hosts`` lists every machine), ``categories.json`` is the union by
    category name, ``executor.json`` the first one found.
    """
    into = Path(into)
    into.mkdir(parents=True, exist_ok=True)
    used_uuids = _uuids_in(into)
    envs = [env_mod.read_environment(into)]
    categories: list[dict] = []
    executor: Any = None
    if (into / "categories.json").is_file():
        categories = _read_json_list(into / "categories.json")
    if (into / "executor.json").is_file():
        executor = json.loads((into / "executor.json").read_text(encoding="utf-8"))

    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            raise ReportError(f"results folder {d} does not exist: run the features first, "
                              f"or name the folder that holds the *-result.json files")
        if d.resolve() == into.resolve():
            continue
        files = sorted(p for p in d.iterdir() if p.is_file() and not p.name.startswith("."))
        for p in files:
            if p.name == "environment.properties":
                envs.append(env_mod.read_environment(d))
            elif p.name == "categories.json":
                known = {c.get("name") for c in categories}
                categories += [c for c in _read_json_list(p) if c.get("name") not in known]
            elif p.name == "executor.json" and executor is None:
                executor = json.loads(p.read_text(encoding="utf-8"))
        files = [p for p in files if p.name not in METADATA_FILES]
        tests = [p for p in files if _is_result(p.name)] + [p for p in files if _is_container(p.name)]
        others = [p for p in files if p not in tests]

        # attachments (and anything else): same name and content -> already there
        names: dict[str, str] = {}      # this folder's file name -> name in ``into``
        for p in others:
            target = into / p.name
            if target.exists():
                if filecmp.cmp(p, target, shallow=False):
                    continue
                names[p.name] = _fresh_name(p.name)
            shutil.copyfile(p, into / names.get(p.name, p.name))

        # results first, then containers (they list results by uuid)
        uuids: dict[str, str] = {}      # this folder's uuid -> uuid in ``into``
        for p in tests:
            try:
                obj = json.loads(p.read_text(encoding="utf-8"))
            except (ValueError, OSError):
                obj = None
            if not isinstance(obj, dict):
                # unreadable: copied as is, Allure reports what it cannot read
                shutil.copyfile(p, into / (_fresh_name(p.name) if (into / p.name).exists() else p.name))
                continue
            obj = _rewrite_sources(obj, names)
            if isinstance(obj.get("children"), list):
                obj["children"] = [uuids.get(c, c) for c in obj["children"]]
            if _is_result(p.name):
                _ensure_host_parameter(obj)
            target = into / p.name
            if target.exists():
                try:
                    if json.loads(target.read_text(encoding="utf-8")) == obj:
                        continue  # the same result, merged before
                except (ValueError, OSError):
                    pass
                target = into / _fresh_name(p.name)
            u = obj.get("uuid")
            if isinstance(u, str):
                if u in used_uuids:
                    uuids[u] = obj["uuid"] = str(uuid.uuid4())
                used_uuids.add(obj["uuid"])
            target.write_text(json.dumps(obj), encoding="utf-8")

    env = env_mod.merge_environments(e for e in envs if e)
    if env:
        env_mod.write_environment(into, env)
    if categories:
        _write_json(into / "categories.json", categories)
    if executor is not None:
        _write_json(into / "executor.json", executor)
    return into


def _read_json_list(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise ReportError(f"{path} is not valid JSON ({exc}): delete it or copy reports/categories.json over it") from None
    return [c for c in data if isinstance(c, dict)] if isinstance(data, list) else []


# --- generation -------------------------------------------------------------------------

def _allure_cli(node_modules: Path) -> tuple[str, Path]:
    node = shutil.which("node")
    if node is None:
        raise ReportError(f"Node.js (`node`) is not installed, and Allure Report 3 runs on it: "
                          f"install Node.js 20 or later (Debian package nodejs), then {INSTALL_HINT}")
    cli = Path(node_modules) / "allure" / "cli.js"
    if not cli.is_file():
        raise ReportError(f"the report tools are not installed ({cli} is missing): {INSTALL_HINT}")
    return node, cli


def _allure_environment(categories_file: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           # no upload or service credentials reach the report generator
           if not k.startswith(("ALLURE_", "WSCARD_ALLURE_")) and k != "NODE_OPTIONS"}
    env.update({
        "ALLURE_NO_ANALYTICS": "true",   # honoured by Allure 3's allure2 template only
        "DO_NOT_TRACK": "1",
        "NO_UPDATE_NOTIFIER": "1",
        "npm_config_update_notifier": "false",
        "NO_COLOR": "1",
        "FORCE_COLOR": "0",
    })
    if categories_file is not None:
        env["WSCARD_ALLURE_CATEGORIES"] = str(categories_file)
    return env


def generate(
    results_dirs: list[Path],
    out_file: Path,
    *,
    title: str,
    node_modules: Path = NODE_MODULES,
    config: Path | None = CONFIG_FILE,
    group_by: list[str] | None = None,
    timeout: float = 600.0,
) -> Path:
    """Write ONE self-contained HTML report of ``results_dirs`` (one or more machines)
    to ``out_file`` and return its path.

    Raises :class:`ReportError` when the tools are not installed, there are no results,
    Allure fails, or the page would still load something from the network.
    """
    dirs = [Path(d) for d in results_dirs]
    if not dirs:
        raise ReportError("no results folder given: pass the folder(s) holding *-result.json files "
                          "(reports/allure-results after a run)")
    out_file = Path(out_file)
    with tempfile.TemporaryDirectory(prefix="wscard-allure-") as tmp_name:
        tmp = Path(tmp_name)
        merged = merge_results(dirs, tmp / "results")
        if not any(merged.glob("*-result.json")):
            raise ReportError(f"no test results in {', '.join(map(str, dirs))}: run the features first "
                              f"(pytest writes them with --alluredir=reports/allure-results)")
        node, cli = _allure_cli(node_modules)
        categories = merged / "categories.json"
        if not categories.is_file():
            shutil.copyfile(CATEGORIES_FILE, categories)
        report_dir = tmp / "report"
        cmd = [node, str(cli), "awesome", str(merged), "--single-file",
               "--output", str(report_dir), "--report-name", title, "--report-language", "en",
               "--cwd", str(tmp)]
        if config is not None:
            if not Path(config).is_file():
                raise ReportError(f"Allure config {config} is missing: restore reports/allurerc.mjs from git")
            cmd += ["--config", str(config)]
        if group_by:
            cmd += ["--group-by", ",".join(group_by)]
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=_allure_environment(categories), stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ReportError(f"allure awesome did not finish within {timeout:.0f} s: "
                              f"is the results folder very large? ({merged})") from None
        index = report_dir / "index.html"
        if proc.returncode != 0 or not index.is_file():
            output = (proc.stderr.strip() + "\n" + proc.stdout.strip()).strip()
            raise ReportError(f"allure awesome failed (exit {proc.returncode}): {output[-2000:] or 'no output'}\n"
                              f"If the report tools are damaged: {INSTALL_HINT}")
        html = index.read_text(encoding="utf-8")
    html = strip_trackers(html)
    assert_offline(html)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_out = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=out_file.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(html)
    os.chmod(tmp_out, 0o644)
    os.replace(tmp_out, out_file)
    return out_file


def generate_views(
    results_dirs: list[Path],
    views: Mapping[str, tuple[Path, list[str]]],
    *,
    title: str,
    node_modules: Path = NODE_MODULES,
    config: Path = CONFIG_FILE,
    prepare: Callable[[Path], None] | None = None,
    history: Path | None = None,
    append_history: bool = False,
    global_attachments: Iterable[Path] = (),
    timeout: float = 600.0,
) -> dict[str, Path]:
    """Write several single-file reports of the same results in ONE Allure run (``allure
    generate`` with one awesome plug-in per view): ``views`` maps a view name to (the HTML
    file, the labels its tree groups by), e.g. ``{"area": (path, ["epic", "feature"]),
    "requirement": (path, ["requirement"])}``. Returns view name -> file written.

    ``prepare(folder)`` may change the merged results (a temporary copy) before Allure reads
    them. ``history`` is Allure's history file (JSON lines): the reports show each test's
    trend from it; with ``append_history`` this run is appended to it (the lines Allure
    adds are appended to ``history`` with one write, so runs that end together do not
    lose each other's line). ``global_attachments`` are shown in every report's global
    attachments.

    Raises :class:`ReportError` as :func:`generate` does.
    """
    dirs = [Path(d) for d in results_dirs]
    if not dirs:
        raise ReportError("no results folder given: pass the folder(s) holding *-result.json files")
    if not views:
        raise ReportError("no report view asked for")
    with tempfile.TemporaryDirectory(prefix="wscard-allure-") as tmp_name:
        tmp = Path(tmp_name)
        merged = merge_results(dirs, tmp / "results")
        if not any(merged.glob("*-result.json")):
            raise ReportError(f"no test results in {', '.join(map(str, dirs))}: run the features first")
        if prepare is not None:
            prepare(merged)
        node, cli = _allure_cli(node_modules)
        categories = merged / "categories.json"
        if not categories.is_file():
            shutil.copyfile(CATEGORIES_FILE, categories)
        if not Path(config).is_file():
            raise ReportError(f"Allure config {config} is missing: restore reports/allurerc.mjs from git")
        env = _allure_environment(categories)
        env["WSCARD_ALLURE_VIEWS"] = json.dumps(
            [{"id": name, "groupBy": list(group_by), "name": title} for name, (_, group_by) in views.items()])
        before = b""
        if history is not None:
            work_history = tmp / "history.jsonl"
            try:
                before = Path(history).read_bytes()
            except OSError:
                before = b""
            work_history.write_bytes(before)
            env["WSCARD_ALLURE_HISTORY"] = str(work_history)
            env["WSCARD_ALLURE_APPEND_HISTORY"] = "1" if append_history else "0"
        globals_ = [str(Path(g).resolve()) for g in global_attachments]
        if globals_:
            env["WSCARD_ALLURE_GLOBAL_ATTACHMENTS"] = json.dumps(globals_)
        out_dir = tmp / "report"
        cmd = [node, str(cli), "generate", str(merged), "--output", str(out_dir), "--cwd", str(tmp),
               "--config", str(config), "--report-name", title]
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ReportError(f"allure generate did not finish within {timeout:.0f} s: "
                              f"is the results folder very large? ({merged})") from None
        written: dict[str, Path] = {}
        pages: dict[str, str] = {}
        for name in views:
            index = out_dir / name / "index.html"
            if len(views) == 1 and not index.is_file():
                index = out_dir / "index.html"  # one plug-in: Allure writes at the top of the output
            if proc.returncode != 0 or not index.is_file():
                output = (proc.stderr.strip() + "\n" + proc.stdout.strip()).strip()
                raise ReportError(f"allure generate failed (exit {proc.returncode}; view {name}): "
                                  f"{output[-2000:] or 'no output'}\nIf the report tools are damaged: {INSTALL_HINT}")
            html = strip_trackers(index.read_text(encoding="utf-8"))
            assert_offline(html)
            pages[name] = html
        for name, (out_file, _) in views.items():
            out_file = Path(out_file)
            out_file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_out = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=out_file.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(pages[name])
            os.chmod(tmp_out, 0o644)
            os.replace(tmp_out, out_file)
            written[name] = out_file
        if history is not None and append_history:
            after = (tmp / "history.jsonl").read_bytes() if (tmp / "history.jsonl").is_file() else before
            added = after[len(before):] if after.startswith(before) else b""
            if added:
                Path(history).parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(history, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(fd, added if added.endswith(b"\n") else added + b"\n")
                finally:
                    os.close(fd)
    return written


# --- trackers and the offline check -----------------------------------------------------

#: Hosts of tag managers, analytics and ad trackers.
TRACKER_HOSTS = (
    "googletagmanager.com", "google-analytics.com", "analytics.google.com", "doubleclick.net",
    "googleadservices.com", "googlesyndication.com", "google.com/ads", "segment.com", "segment.io",
    "mixpanel.com", "amplitude.com", "hotjar.com", "clarity.ms", "plausible.io", "matomo.cloud",
    "mc.yandex.ru", "fullstory.com", "heapanalytics.com", "nr-data.net", "newrelic.com",
    "browser-intake-datadoghq.com", "sentry.io", "facebook.net", "connect.facebook.net",
)
#: Code that only tag managers and analytics snippets contain.
_TRACKER_CODE_RE = re.compile(
    r"\bgtag\s*\(|\bdataLayer\b|\bga\s*\(\s*['\"](?:create|send)|_paq\.push|\bfbq\s*\(|\bmixpanel\.init|"
    r"\bamplitude\.getInstance|\bhj\s*\(|\bclarity\s*\(")
_TRACKER_CODE_WORDS = ("gtag", "dataLayer", "'create'", '"create"', "'send'", '"send"', "_paq", "fbq",
                       "mixpanel.init", "amplitude.getInstance", "hj(", "hj (", "clarity(", "clarity (")


def _tracker_hosts(text: str) -> list[str]:
    """Tracker hosts named in ``text`` (plain substring search: fast on megabytes)."""
    low = text.lower()
    return [h for h in TRACKER_HOSTS if h in low]


def _tracker_code(text: str) -> str | None:
    """The tracker call found in a script, if any. The words are looked for first:
    the regex alone takes seconds on the report's megabytes of embedded data."""
    if not any(w in text for w in _TRACKER_CODE_WORDS):
        return None
    m = _TRACKER_CODE_RE.search(text)
    return m.group(0) if m else None

_SCRIPT_RE = re.compile(r"<script\b(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>(?P<body>.*?)</script\s*>", re.I | re.S)
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_TAG_RE = re.compile(r"<(?P<name>[a-zA-Z][^\s/>]*)(?P<attrs>(?:\s+[^\s\"'>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*)\s*/?>")
_ATTR_RE = re.compile(r"([^\s\"'>/=]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?")
_NOSCRIPT_RE = re.compile(r"<noscript\b[^>]*>.*?</noscript\s*>", re.I | re.S)
_STYLE_RE = re.compile(r"<style\b[^>]*>(?P<body>.*?)</style\s*>", re.I | re.S)


def _attrs(text: str) -> dict[str, str]:
    out = {}
    for m in _ATTR_RE.finditer(text or ""):
        value = next((g for g in m.groups()[1:] if g is not None), "")
        out.setdefault(m.group(1).lower(), _html_unescape(value))
    return out


def _html_unescape(value: str) -> str:
    import html as _html

    return _html.unescape(value)


def strip_trackers(html: str) -> str:
    """Remove tag manager / analytics scripts (and their ``<noscript>`` pixels, preconnect
    links and images) from an HTML page. Everything else is left as it is."""

    def script(m: re.Match) -> str:
        attrs = _attrs(m.group("attrs"))
        src = attrs.get("src", "")
        if src and not src.lower().startswith("data:") and _tracker_hosts(src):
            return ""
        body = m.group("body")
        if not src and (_tracker_code(body) or _tracker_hosts(body)):
            return ""
        return m.group(0)

    html = _SCRIPT_RE.sub(script, html)
    html = _NOSCRIPT_RE.sub(lambda m: "" if _tracker_hosts(m.group(0)) else m.group(0), html)

    def tag(m: re.Match) -> str:
        if m.group("name").lower() in ("link", "img", "iframe", "meta", "source", "embed") \
                and _tracker_hosts(m.group("attrs") or ""):
            return ""
        return m.group(0)

    return _apply_outside_scripts(html, lambda part: _TAG_RE.sub(tag, part))


def _apply_outside_scripts(html: str, fn) -> str:
    out, pos = [], 0
    for m in _SCRIPT_RE.finditer(html):
        out.append(fn(html[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(fn(html[pos:]))
    return "".join(out)


_EXTERNAL = re.compile(r"^\s*(?:(?:https?|wss?|ftp):)?//", re.I)
#: ``<link rel=...>`` values that do not make the browser fetch the ``href``.
_NON_LOADING_RELS = {"canonical", "alternate", "author", "help", "license", "bookmark", "external",
                     "nofollow", "noopener", "noreferrer", "next", "prev", "search", "me", "tag"}
#: Attributes whose URL the browser fetches as soon as the element exists.
_LOADING_ATTRS = {"src", "srcset", "poster", "background", "data", "manifest", "lowsrc", "dynsrc", "imagesrcset"}
_CSS_URL_RE = re.compile(r"""(?:url\(\s*\\?["']?|@import\s+\\?["'])\s*(?P<url>(?:(?:https?|ftp):)?//[^"')\s\\]+)""", re.I)
_JS_LOAD_RES = (
    re.compile(r"""\b(?:fetch|import|importScripts|sendBeacon)\s*\(\s*(?P<q>['"`])(?P<url>(?:(?:https?|wss?):)?//[^'"`]+)(?P=q)"""),
    re.compile(r"""\bnew\s+(?:WebSocket|EventSource|Worker|SharedWorker)\s*\(\s*(?P<q>['"`])(?P<url>(?:(?:https?|wss?):)?//[^'"`]+)(?P=q)"""),
    re.compile(r"""\.open\s*\(\s*(['"`])[A-Za-z]+\1\s*,\s*(?P<q>['"`])(?P<url>(?:https?:)?//[^'"`]+)(?P=q)"""),
    re.compile(r"""\.src\s*=\s*(?P<q>['"`])(?P<url>(?:https?:)?//[^'"`]+)(?P=q)"""),
    re.compile(r"""<(?:script|img|iframe|frame|link|embed|object|source|audio|video|track|image)\b[^>]{0,300}?\b(?:src|href|data)\s*=\s*\\?["']?(?P<url>(?:https?:)?//[^"'\s>\\]+)""", re.I),
)
_DATA_URI_RE = re.compile(r"^data:(?P<type>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<data>.*)$", re.S | re.I)


def _decode_data_uri(uri: str) -> tuple[str, str] | None:
    m = _DATA_URI_RE.match(uri.strip())
    if not m:
        return None
    kind = m.group("type").lower()
    try:
        if ";base64" in m.group("params").lower():
            raw = base64.b64decode(m.group("data"), validate=False)
        else:
            raw = unquote_to_bytes(m.group("data"))
    except (binascii.Error, ValueError):
        return None
    return kind, raw.decode("utf-8", "replace")


def _scan_css(css: str, where: str, found: list[str]) -> None:
    for m in _CSS_URL_RE.finditer(css):
        found.append(f"{where}: CSS loads {m.group('url')}")


def _scan_js(js: str, where: str, found: list[str]) -> None:
    for rx in _JS_LOAD_RES:
        for m in rx.finditer(js):
            found.append(f"{where}: script loads {m.group('url')}")
    for host in _tracker_hosts(js):
        found.append(f"{where}: script refers to tracker host {host}")


def _scan_embedded(uri: str, where: str, found: list[str], depth: int) -> None:
    decoded = _decode_data_uri(uri)
    if decoded is None or depth > 3:
        return
    kind, text = decoded
    if "javascript" in kind or "ecmascript" in kind:
        _scan_js(text, f"{where} (embedded script)", found)
    elif kind == "text/css":
        _scan_css(text, f"{where} (embedded stylesheet)", found)
    elif kind in ("text/html", "image/svg+xml", "application/xhtml+xml"):
        _scan_html(text, f"{where} (embedded {kind})", found, depth + 1)


def _scan_html(html: str, where: str, found: list[str], depth: int = 0) -> None:
    html = _COMMENT_RE.sub("", html)
    for m in _SCRIPT_RE.finditer(html):
        attrs = _attrs(m.group("attrs"))
        src = attrs.get("src")
        if src is not None:
            if _EXTERNAL.match(src):
                found.append(f"{where}: <script src={src}>")
            elif src.lower().startswith("data:"):
                _scan_embedded(src, f"{where} <script>", found, depth)
        elif (attrs.get("type") or "").lower() not in ("application/json", "application/ld+json", "text/template"):
            _scan_js(m.group("body"), f"{where} inline <script>", found)
            code = _tracker_code(m.group("body"))
            if code:
                found.append(f"{where}: inline <script> runs tracker code ({code})")
    rest = _SCRIPT_RE.sub("", html)
    for m in _STYLE_RE.finditer(rest):
        _scan_css(m.group("body"), f"{where} <style>", found)
    for m in _TAG_RE.finditer(rest):
        name = m.group("name").lower()
        attrs = _attrs(m.group("attrs"))
        for attr, value in attrs.items():
            urls: list[str] = []
            if attr in _LOADING_ATTRS and not (name == "a"):
                urls = [c.strip().split()[0] for c in value.split(",") if c.strip()] if "srcset" in attr else [value]
            elif attr in ("href", "xlink:href"):
                if name == "link":
                    rels = set((attrs.get("rel") or "").lower().split())
                    if not rels or not rels <= _NON_LOADING_RELS:
                        urls = [value]
                elif name in ("base", "image", "use", "feimage", "script"):
                    urls = [value]
            elif attr == "style":
                _scan_css(value, f"{where} <{name} style>", found)
            elif attr == "content" and name == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
                target = re.search(r"url\s*=\s*['\"]?([^'\";]+)", value, re.I)
                urls = [target.group(1)] if target else []
            for url in urls:
                if _EXTERNAL.match(url):
                    found.append(f"{where}: <{name} {attr}={url}>")
                elif url.lower().startswith("data:"):
                    _scan_embedded(url, f"{where} <{name} {attr}>", found, depth)
    # references to tracker hosts left anywhere in the markup (not in hyperlinks' data)
    for host in _tracker_hosts(rest):
        found.append(f"{where}: markup refers to tracker host {host}")


def find_external_loads(html: str) -> list[str]:
    """What the page would fetch from the network by itself when opened: external
    ``src``/``srcset``/``data``/``poster`` attributes, ``<link href>`` (stylesheets,
    icons, preloads, preconnects; not ``rel=canonical`` and the like), ``<base href>``,
    meta refresh, CSS ``url()``/``@import``, and ``fetch``/``import``/XHR/WebSocket/
    ``.src =``/HTML-in-strings with an http(s) or protocol-relative URL in inline
    scripts and in scripts, stylesheets and SVG/HTML embedded as ``data:`` URIs; plus any
    mention of a tracker host outside hyperlinks' data. ``<a href>`` hyperlinks and URLs
    inside the report's (base64) data are not loads and are not listed."""
    found: list[str] = []
    _scan_html(html, "page", found)
    return list(dict.fromkeys(found))


def assert_offline(html: str) -> None:
    """Raise :class:`ReportError` if the page would load anything from the network."""
    found = find_external_loads(html)
    if found:
        listed = "\n  ".join(found[:20])
        more = f"\n  ... and {len(found) - 20} more" if len(found) > 20 else ""
        raise ReportError(f"the report is not self-contained: it would load from the network:\n  {listed}{more}\n"
                          f"Update strip_trackers() in wscard/report/allure_html.py for this Allure version "
                          f"(reports/package.json pins it).")
