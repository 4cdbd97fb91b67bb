"""The import rules of docs/ARCHITECTURE.md ("What each package may import"), read from the
syntax tree of every module of ``wscard/`` and ``hardware/``: imports at the top, inside
functions and under ``if TYPE_CHECKING`` all count, and so does ``importlib.import_module``
or ``__import__`` with a literal name. A failure names the file, the line, the import and
the rule. No subprocess, nothing imported: about 0.5 s."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = "docs/ARCHITECTURE.md, 'What each package may import'"

TEST_MACHINERY = ("steps", "pytest", "_pytest", "pytest_bdd")
#: Rule 1's exceptions: module -> why it must import the test machinery.
TEST_MACHINERY_EXCEPTIONS = {
    "wscard.selftest": "the fault-profile self-test runner runs the suite itself (pytest.main in a forked "
                       "child of its fork server)",
}
#: Rule 3: hold what a section and an area both need; from wscard at most wscard.errors.
LEAVES = ("wscard.errors", "wscard.requirements", "wscard.regions", "wscard.client_version",
          "wscard.service_faults", "wscard.card_login")
#: Rule 5.
CORE = ("wscard.errors", "wscard.checks", "wscard.verdict")
FRONT_ENDS = ("wscard.cli", "wscard.fleet_cli", "wscard.selftest")
#: Rule 6.
CARD_PROTOCOL = tuple(f"hardware.{m}" for m in ("apdu", "transport", "pcsc", "piv", "cac", "pin", "pkcs11",
                                                 "identify"))
CARD_CHECKS = ("hardware.checks", "hardware.scenarios")
CARD_PROTOCOL_MAY_USE = ("wscard.errors", "wscard.pki.certs")
CARD_ENVIRONMENT_MAY_USE = CARD_PROTOCOL_MAY_USE + ("wscard.host", "wscard.locks", "wscard.lifetime", "wscard.ports",
                                                   "wscard.card_login")
CARD_CHECKS_MAY_USE = ("wscard.checks", "wscard.errors", "wscard.limits", "wscard.requirements", "wscard.card_login")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    path: str  # its file, relative to the repository
    line: int
    name: str  # the imported module, dotted and absolute


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(path: Path, text: str | None = None) -> list[Import]:
    """Every import in the file at ``path`` (or in ``text``, read as that file), relative
    imports made absolute, ``from pkg import mod`` read as ``pkg.mod`` when ``mod`` is a
    module of the repository."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    rel = str(path.relative_to(ROOT))
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8") if text is None else text, filename=rel)):
        if isinstance(node, ast.Import):
            found += [Import(module, rel, node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                sub = f"{origin}.{alias.name}"
                found.append(Import(module, rel, node.lineno, sub if _is_module(sub) else origin))
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id == "__import__"))):
            found.append(Import(module, rel, node.lineno, node.args[0].value))
    return found


@cache
def all_imports() -> tuple[Import, ...]:
    out: list[Import] = []
    for top in ("wscard", "hardware"):
        for path in sorted((ROOT / top).rglob("*.py")):
            out += imports_of(path)
    return tuple(out)


def _under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names or name == "__future__"


def _area_packages() -> tuple[str, ...]:
    """Every package under wscard/ (ad, aws, client, ... sections), and hardware, steps."""
    packages = sorted(f"wscard.{p.parent.name}" for p in (ROOT / "wscard").glob("*/__init__.py"))
    return (*packages, "hardware", "steps")


def _report(broken: list[tuple[Import, str]]) -> str:
    lines = [f"{i.path}:{i.line}: imports {i.name} - rule: {rule}" for i, rule in broken]
    return f"{len(broken)} import(s) break the import rules ({DOC}):\n" + "\n".join(lines)


def _check(rule: str, applies, allowed) -> None:
    broken = [(i, rule) for i in all_imports() if applies(i) and not allowed(i)]
    if broken:
        pytest.fail(_report(broken), pytrace=False)


# --- the rules ------------------------------------------------------------------------------

def test_no_library_module_imports_the_test_machinery():
    _check("1. nothing under wscard/ or hardware/ imports steps, pytest, _pytest or pytest_bdd "
           "(the exceptions are listed in tests/unit/test_import_rules.py with their reason)",
           lambda i: _under(i.name, *TEST_MACHINERY),
           lambda i: i.module in TEST_MACHINERY_EXCEPTIONS)


def test_every_test_machinery_exception_is_still_needed():
    users = {i.module for i in all_imports() if _under(i.name, *TEST_MACHINERY)}
    stale = sorted(set(TEST_MACHINERY_EXCEPTIONS) - users)
    assert not stale, f"listed as an exception to rule 1 but imports no test machinery: {stale} ({DOC})"


def test_wscard_never_imports_hardware():
    _check("2. wscard/ never imports hardware/ (hardware builds on wscard; steps/ joins them)",
           lambda i: i.module.startswith("wscard"), lambda i: not _under(i.name, "hardware"))


def test_leaf_modules_import_at_most_the_errors_from_wscard():
    _check("3. a leaf module (" + ", ".join(LEAVES) + ") imports from wscard at most wscard.errors",
           lambda i: i.module in LEAVES,
           lambda i: not _under(i.name, "wscard", "hardware", "steps") or i.name == "wscard.errors")


def test_sections_import_only_stdlib_errors_profile_and_leaves():
    _check("4. wscard/sections/* import only the standard library, wscard.errors, wscard.profile and "
           "the leaf modules, never the packages that use them (a rule across sections goes in "
           "wscard.profile.CROSS_SECTION_RULES)",
           lambda i: _under(i.module, "wscard.sections"),
           lambda i: _stdlib(i.name) or i.name in ("wscard.profile", *LEAVES) or _under(i.name, "wscard.sections"))


def test_the_profile_loader_imports_only_errors_and_sections():
    _check("4. wscard/profile.py imports from wscard only wscard.errors and wscard.sections",
           lambda i: i.module == "wscard.profile",
           lambda i: not _under(i.name, "wscard", "hardware", "steps") or i.name == "wscard.errors"
           or _under(i.name, "wscard.sections"))


def test_the_core_imports_no_area_package():
    banned = (*_area_packages(), *FRONT_ENDS)
    _check("5. wscard/errors.py, checks.py and verdict.py import no area package (" + ", ".join(banned) + ")",
           lambda i: i.module in CORE, lambda i: not _under(i.name, *banned))


def test_the_card_protocol_judges_nothing():
    _check("6. the card protocol (" + ", ".join(CARD_PROTOCOL) + ") imports from wscard only "
           + " and ".join(CARD_PROTOCOL_MAY_USE) + ", from hardware only other protocol modules",
           lambda i: i.module in CARD_PROTOCOL,
           lambda i: (not _under(i.name, "wscard", "hardware", "steps") or i.name in CARD_PROTOCOL_MAY_USE
                      or i.name in CARD_PROTOCOL))


def test_the_card_environment_judges_nothing():
    _check("6. the card environment (hardware/ but its protocol and checks modules) imports from wscard only "
           + ", ".join(CARD_ENVIRONMENT_MAY_USE) + ", and never hardware.checks or hardware.scenarios",
           lambda i: _under(i.module, "hardware") and i.module not in (*CARD_PROTOCOL, *CARD_CHECKS),
           lambda i: (not _under(i.name, "wscard", "steps") or i.name in CARD_ENVIRONMENT_MAY_USE)
           and not _under(i.name, *CARD_CHECKS))


def test_the_card_checks_use_only_the_check_api():
    _check("6. the card area's checks (" + ", ".join(CARD_CHECKS) + ") import from wscard only "
           + ", ".join(CARD_CHECKS_MAY_USE),
           lambda i: i.module in CARD_CHECKS,
           lambda i: not _under(i.name, "wscard", "steps") or i.name in CARD_CHECKS_MAY_USE)


# --- the reader itself ------------------------------------------------------------------------

@pytest.mark.parametrize("source, expected", [
    ("from ..aws.regions import region_problem", "wscard.aws.regions"),
    ("def f():\n    from ..client import version\n", "wscard.client"),
    ("from .. import profile", "wscard.profile"),
    ("import pytest", "pytest"),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import steps.harness_plugin\n",
     "steps.harness_plugin"),
    ("import importlib\nimportlib.import_module('pytest_bdd')\n", "pytest_bdd"),
])
def test_the_reader_sees_every_kind_of_import(source, expected):
    # read as if it were wscard/sections/x.py, for the relative imports to resolve
    assert expected in [i.name for i in imports_of(ROOT / "wscard" / "sections" / "x.py", source)]
