"""The import rules of docs/ARCHITECTURE.md ("What each package may import"), read from the
syntax tree of every module of ``wscard/`` and ``hardware/``: imports at the top, inside
functions and under ``if TYPE_CHECKING`` all count, and so do ``importlib.import_module``,
``__import__`` and ``runpy.run_module`` with a literal name (also through an alias, a relative
name resolved against a literal package) and the imports in ``exec`` of literal code; a
computed name (rule 7) is refused outside the listed call sites. A failure names the file,
the line, the import and the rule. No subprocess, nothing imported: about 0.5 s."""

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
#: Rule 7's allow-list: (module, enclosing function) -> why it imports by a computed name.
DYNAMIC_IMPORT_EXCEPTIONS = {
    ("wscard.profile", "sections"): "the profile loader imports every module of wscard.sections it finds "
                                    "(pkgutil.iter_modules), so adding a section touches no other file; "
                                    "rule 4 covers those modules' own imports",
    ("wscard.selftest", "serve"): "the fork server preloads PRELOAD (pytest, boto3, moto...: the "
                                  "test machinery rule 1 already allows this front end) before forking",
    ("wscard.selftest", "_preload_harness"): "the fork server preloads every module of wscard and "
                                             "hardware (pkgutil.walk_packages) before forking",
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


@dataclass(frozen=True)
class DynamicCall:
    """A call that imports or runs code by a name (or code) the syntax tree does not hold."""
    module: str
    path: str
    line: int
    function: str  # the enclosing function's qualified name ("" at module level)
    call: str  # what is called, as written: "importlib.import_module", "exec"...


_IMPORTERS = {"import_module", "__import__"}  # importlib's and the builtin
_RUNNERS = {"exec", "eval"}  # builtins that run code
_RUNPY = {"run_module", "run_path"}


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        return "".join(v.value for v in node.values)
    return None


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _resolve(name: str, level: int, package: str) -> str:
    """importlib.util.resolve_name: ``level`` dots up from ``package``."""
    base = package.split(".")[: len(package.split(".")) - level + 1]
    return ".".join(base + ([name] if name else []))


class _Reader(ast.NodeVisitor):
    def __init__(self, module: str, package: str, rel: str):
        self.module, self.package, self.rel = module, package, rel
        self.found: list[Import] = []
        self.dynamic: list[DynamicCall] = []
        self.scope: list[str] = []
        self.aliases: dict[str, str] = {}  # local name -> "import_module", "__import__", "exec", "runpy"...

    def _add(self, node: ast.AST, name: str) -> None:
        self.found.append(Import(self.module, self.rel, node.lineno, name))

    def visit_FunctionDef(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_Import(self, node):
        for a in node.names:
            self._add(node, a.name)
            if a.name in ("importlib", "builtins", "runpy"):
                self.aliases[a.asname or a.name] = a.name

    def visit_ImportFrom(self, node):
        origin = _resolve(node.module or "", node.level, self.package) if node.level else node.module or ""
        for a in node.names:
            sub = f"{origin}.{a.name}"
            self._add(node, sub if _is_module(sub) else origin)
            if (origin, a.name) in (("importlib", "import_module"), ("builtins", "__import__"),
                                    ("builtins", "exec"), ("builtins", "eval")):
                self.aliases[a.asname or a.name] = a.name
            elif origin == "runpy" and a.name in _RUNPY:
                self.aliases[a.asname or a.name] = a.name

    def visit_Assign(self, node):
        # ``_im = importlib.import_module`` or ``_imp = __import__``
        kind = self._kind(node.value)
        if kind:
            for t in node.targets:
                if isinstance(t, ast.Name):
                    self.aliases[t.id] = kind
        self.generic_visit(node)

    def _kind(self, func: ast.expr) -> str | None:
        """What a callee is: one of _IMPORTERS, _RUNNERS, _RUNPY, or None."""
        if isinstance(func, ast.Name):
            kind = self.aliases.get(func.id, func.id if func.id in {"__import__", *_RUNNERS} else None)
            return kind if kind in _IMPORTERS | _RUNNERS | _RUNPY else None
        if isinstance(func, ast.Attribute):
            owner = self.aliases.get(func.value.id, func.value.id) if isinstance(func.value, ast.Name) else None
            if func.attr == "import_module" or (owner == "builtins" and func.attr in {"__import__", *_RUNNERS}):
                return func.attr
            if owner == "runpy" and func.attr in _RUNPY:
                return func.attr
        return None

    def _dynamic(self, node: ast.Call) -> None:
        self.dynamic.append(DynamicCall(self.module, self.rel, node.lineno, ".".join(self.scope),
                                        ast.unparse(node.func)))

    def _package_argument(self, node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Name) and node.id == "__package__":
            return self.package
        return _literal(node)

    def visit_Call(self, node):
        kind = self._kind(node.func)
        if kind == "import_module":
            name = _literal(_argument(node, 0, "name"))
            if name is not None and name.startswith("."):
                package = self._package_argument(_argument(node, 1, "package"))
                level = len(name) - len(name.lstrip("."))
                name = _resolve(name[level:], level, package) if package else None
            self._add(node, name) if name else self._dynamic(node)
        elif kind == "__import__":
            name = _literal(_argument(node, 0, "name"))
            level_node = _argument(node, 4, "level")
            level = level_node.value if isinstance(level_node, ast.Constant) and isinstance(level_node.value, int) \
                else (0 if level_node is None else None)
            if name is None or level is None:
                self._dynamic(node)
            else:
                self._add(node, _resolve(name, level, self.package) if level else name)
        elif kind == "run_module":
            name = _literal(_argument(node, 0, "mod_name"))
            self._add(node, name) if name else self._dynamic(node)
        elif kind in _RUNNERS:
            code = _literal(_argument(node, 0, "source"))
            try:
                tree = ast.parse(code, mode="exec" if kind == "exec" else "eval") if code is not None else None
            except SyntaxError:
                tree = None
            if tree is None:
                self._dynamic(node)
            else:  # literal code: its imports are this module's, at the call's line
                inner = _Reader(self.module, self.package, self.rel)
                inner.aliases = dict(self.aliases)
                inner.visit(tree)
                self.found += [Import(self.module, self.rel, node.lineno, i.name) for i in inner.found]
                self.dynamic += [DynamicCall(self.module, self.rel, node.lineno, ".".join(self.scope), d.call)
                                 for d in inner.dynamic]
        elif kind == "run_path":  # runs a file: what it imports is not in this tree
            self._dynamic(node)
        self.generic_visit(node)


def _read(path: Path, text: str | None) -> _Reader:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    rel = str(path.relative_to(ROOT))
    reader = _Reader(module, package, rel)
    reader.visit(ast.parse(path.read_text(encoding="utf-8") if text is None else text, filename=rel))
    return reader


def imports_of(path: Path, text: str | None = None) -> list[Import]:
    """Every import in the file at ``path`` (or in ``text``, read as that file): import
    statements, relative ones made absolute, ``from pkg import mod`` read as ``pkg.mod`` when
    ``mod`` is a module of the repository; ``importlib.import_module``, ``__import__`` (also
    through an alias) and ``runpy.run_module`` with a literal name, a relative one resolved
    against a literal package argument (or ``__package__``); the imports inside ``exec``/``eval``
    of literal code."""
    return _read(path, text).found


def dynamic_calls_of(path: Path, text: str | None = None) -> list[DynamicCall]:
    """The calls in ``path`` (or ``text``) that import or run code the syntax tree cannot
    name: ``import_module``/``__import__``/``runpy.run_module`` with a computed name (a
    variable, an f-string with fields), ``exec``/``eval`` of computed code, ``runpy.run_path``."""
    return _read(path, text).dynamic


def _library_files() -> list[Path]:
    return [path for top in ("wscard", "hardware") for path in sorted((ROOT / top).rglob("*.py"))]


@cache
def all_imports() -> tuple[Import, ...]:
    return tuple(i for path in _library_files() for i in imports_of(path))


@cache
def all_dynamic_calls() -> tuple[DynamicCall, ...]:
    return tuple(d for path in _library_files() for d in dynamic_calls_of(path))


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


def test_nothing_imports_or_runs_code_by_a_computed_name():
    broken = [d for d in all_dynamic_calls() if (d.module, d.function) not in DYNAMIC_IMPORT_EXCEPTIONS]
    if broken:
        lines = [f"{d.path}:{d.line}: {d.call}(...) in {d.function or '<module>'} - rule: 7. wscard/ and hardware/ "
                 "import and run code only by names written in the source (a computed name needs its call "
                 "site listed in tests/unit/test_import_rules.py DYNAMIC_IMPORT_EXCEPTIONS with the reason)"
                 for d in broken]
        pytest.fail(f"{len(broken)} call(s) import or run code by a computed name ({DOC}):\n" + "\n".join(lines),
                    pytrace=False)


def test_every_dynamic_import_exception_is_still_needed():
    sites = {(d.module, d.function) for d in all_dynamic_calls()}
    stale = sorted(set(DYNAMIC_IMPORT_EXCEPTIONS) - sites)
    assert not stale, f"listed as an exception to rule 7 but imports nothing by a computed name: {stale} ({DOC})"


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


@pytest.mark.parametrize("source, expected", [
    ("from importlib import import_module as _im\n_im('pytest')\n", "pytest"),
    ("import importlib as il\nil.import_module('pytest')\n", "pytest"),
    ("import importlib\n_im = importlib.import_module\n_im('pytest_bdd')\n", "pytest_bdd"),
    ("_imp = __import__\n_imp('pytest')\n", "pytest"),
    ("import builtins\nbuiltins.__import__('_pytest.python')\n", "_pytest.python"),
    ("import importlib\nimportlib.import_module('.harness_plugin', 'steps')\n", "steps.harness_plugin"),
    ("import importlib\nimportlib.import_module('..harness_plugin', package='steps.x')\n",
     "steps.harness_plugin"),
    ("import importlib\nimportlib.import_module('..aws', __package__)\n", "wscard.aws"),
    ("__import__('profile', globals(), None, [], 2)\n", "wscard.profile"),
    ("import runpy\nrunpy.run_module('pytest')\n", "pytest"),
    ("exec('import pytest')\n", "pytest"),
    ("exec(f'from steps import glue')\n", "steps.glue"),
])
def test_the_reader_resolves_aliases_relative_names_and_literal_code(source, expected):
    path = ROOT / "wscard" / "sections" / "x.py"
    assert expected in [i.name for i in imports_of(path, source)]
    assert dynamic_calls_of(path, source) == []


@pytest.mark.parametrize("source, call", [
    ("import importlib\nname = 'pytest'\nimportlib.import_module(name)\n", "importlib.import_module"),
    ("from importlib import import_module as _im\ndef f(p):\n    _im(f'{p}.harness_plugin')\n", "_im"),
    ("def f(name):\n    return __import__(name)\n", "__import__"),
    ("import importlib\ndef f(pkg):\n    importlib.import_module('.glue', pkg)\n", "importlib.import_module"),
    ("__import__('x', level=n)\n", "__import__"),
    ("def f(code):\n    exec(code)\n", "exec"),
    ("import runpy\nrunpy.run_path('steps/harness_plugin.py')\n", "runpy.run_path"),
    ("from runpy import run_module\nrun_module(m)\n", "run_module"),
    ("exec('import importlib\\nimportlib.import_module(n)')\n", "importlib.import_module"),
])
def test_the_reader_flags_code_imported_or_run_by_a_computed_name(source, call):
    assert [d.call for d in dynamic_calls_of(ROOT / "wscard" / "sections" / "x.py", source)] == [call]


@pytest.mark.parametrize("source", [
    "import re\nre.compile('x')\n",  # not the builtin compile, and not exec/eval
    "def import_module(n):\n    return n\nimport_module(x)\n",  # a local function of that name
    "import importlib\nimportlib.import_module('wscard.errors')\n",
    "import ast\nast.literal_eval(s)\n",
])
def test_the_reader_lets_through_what_names_its_module(source):
    assert dynamic_calls_of(ROOT / "wscard" / "sections" / "x.py", source) == []
