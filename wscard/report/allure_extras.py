"""Allure results the plug-in cannot write itself.

allure-pytest-bdd writes a result when a scenario starts; a scenario skipped at
collection (no reader, no domain), stopped by a fixture that could not set up, or never
run (an interrupted run) would be missing from the report. :func:`write_result` writes
those, in the same form (same ``fullName``, ``testCaseId`` and ``historyId`` rules), so
every selected scenario appears. :func:`mark_warnings` makes a warning visible at the top
of its result (a passed scenario with a warning is not a plain pass).

Never imports pytest.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid as uuid_mod
from pathlib import Path
from typing import Iterable, Mapping

from allure_commons.utils import md5

from ..verdict import ALLURE_STATUS, Outcome

WARNING_TAG = "warning"


def _write(path: Path, obj: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".allure-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(obj, fh)
    os.replace(tmp, path)


def write_result(results: Path, *, name: str, full_name: str, outcome: Outcome, message: str,
                 labels: Iterable[tuple[str, str]], links: Iterable[tuple[str, str]],
                 parameters: Iterable[tuple[str, str]]) -> Path:
    """Write one ``<uuid>-result.json`` into ``results`` for a scenario that did not start.

    ``full_name`` is ``<feature file>:<scenario>`` as allure-pytest-bdd writes it (the path
    may start with ``features/``, which is dropped). Raises OSError if it cannot write.
    """
    full_name = full_name.removeprefix("features/")
    params = [{"name": k, "value": repr(v)} for k, v in parameters]
    test_case_id = md5(full_name)
    history = md5(*(p["value"] for p in sorted(params, key=lambda p: p["name"])))
    now = int(time.time() * 1000)
    uid = str(uuid_mod.uuid4())
    obj = {
        "uuid": uid,
        "name": name,
        "fullName": full_name,
        "testCaseId": test_case_id,
        "historyId": f"{test_case_id}.{history}",
        "status": ALLURE_STATUS[outcome],
        "statusDetails": {"message": f"{outcome.value}: {message}".strip()},
        "stage": "finished",
        "start": now,
        "stop": now,
        "labels": [{"name": k, "value": v} for k, v in labels]
        + [{"name": "framework", "value": "pytest-bdd"}, {"name": "tag", "value": outcome.value.replace(" ", "-")}],
        "links": [{"type": "requirement", "url": u, "name": n} for u, n in links],
        "parameters": params,
        "description": f"This scenario did not run to a verdict: {outcome.value}.",
    }
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{uid}-result.json"
    _write(path, obj)
    return path


def mark_warnings(results: Path, warned: Mapping[str, list[str]]) -> int:
    """For each result whose ``wscard_nodeid`` label is in ``warned``, put the warnings in
    its statusDetails message (shown at the top of the result) and add the ``warning``
    tag. Returns the number of results changed."""
    changed = 0
    for path in Path(results).glob("*-result.json"):
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        nodeid = next((lb.get("value") for lb in obj.get("labels", []) if lb.get("name") == "wscard_nodeid"), None)
        if nodeid not in warned:
            continue
        details = obj.setdefault("statusDetails", {})
        details["message"] = "WARNING: " + "\n".join(warned[nodeid])
        if not any(lb.get("name") == "tag" and lb.get("value") == WARNING_TAG for lb in obj.get("labels", [])):
            obj.setdefault("labels", []).append({"name": "tag", "value": WARNING_TAG})
        _write(path, obj)
        changed += 1
    return changed
