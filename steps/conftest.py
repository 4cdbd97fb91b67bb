"""Steps and step fixtures shared by several areas.

pytest-bdd finds the step definitions of a ``conftest.py`` for every test module below it
(pytest-bdd README, "Reusing steps"), so a step written here serves every feature that
uses its words; a test module that defines the same words keeps its own (pytest's
overriding rules). One place per step, as qutebrowser keeps its shared steps in
``tests/end2end/features/conftest.py``. The area plug-ins (``steps/<area>_plugin.py``,
listed in the root ``conftest.py``) hold options and session fixtures; this file holds
what the steps share. Each step calls one library function and hands its
:class:`~wscard.checks.CheckResult` to ``evidence.check``.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from pytest_bdd import given, parsers, then

from wscard.aws import procedure as proc

from .glue import shown

# --- fixtures for the procedure scenarios --------------------------------------------------


@pytest.fixture
def open_scratch(request: pytest.FixtureRequest, aws_env, profile) -> Callable[..., Any]:
    """``open_scratch(opener, **kwargs)``: the scratch directory ``opener`` makes
    (:func:`wscard.aws.procedure.open_sandbox`, :func:`wscard.aws.workspaces.open_workspaces_sandbox`)
    in the profile's procedure Region, or on real AWS the sandbox named with
    ``--allow-aws-changes``; closed when the scenario ends. Where it cannot be had
    (:class:`~wscard.aws.procedure.SandboxUnavailable`) the scenario is skipped with the reason."""

    def open_(opener: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            sb = opener(aws_env, procedure_region=profile.aws.procedure_region,
                        allow_changes_for=request.config.getoption("--allow-aws-changes"), **kwargs)
        except proc.SandboxUnavailable as exc:
            pytest.skip(str(exc))
        request.addfinalizer(sb.close)
        return sb

    return open_


@pytest.fixture
def aws_api_calls(aws_env, evidence):
    """Attaches the AWS API calls a step made (ask for it in a "When" that calls AWS)."""
    mark = aws_env.recorder.mark()
    yield
    evidence.attach_json("AWS API calls", aws_env.calls_since(mark))


# --- Given -------------------------------------------------------------------------------

def _read_once(evidence, under_test):
    return shown(evidence, "AWS API calls (made once per run, shared by the read-only scenarios)",
                 under_test.api_calls, under_test)


@given("the directory under test", target_fixture="directory")
def _directory(directory_under_test, evidence):
    """The AD Connector of the profile, read once per run (aws_plugin)."""
    return _read_once(evidence, directory_under_test)


@given("the WorkSpaces of the directory under test", target_fixture="workspaces")
def _workspaces(workspaces_under_test, evidence):
    """The directory's WorkSpaces, read once per run (workspaces_plugin)."""
    return _read_once(evidence, workspaces_under_test)


@given("the user certificates of the environment", target_fixture="users")
@given("the users' logon certificates", target_fixture="users")
def _users(pki_env, evidence):
    """The profile's user certificates, each attached as PEM. (The AD area keeps its own
    "the users' logon certificates": its checks take labelled certificates.)"""
    for u in pki_env.users:
        evidence.attach_pem(f"user certificate {u.name}", u.pem)
    return pki_env.users


# --- Then (procedure scenarios) -------------------------------------------------------------

@then("the request succeeds")
def _succeeds(sandbox, evidence):
    """The scratch directory's last request succeeded."""
    evidence.check(proc.expect_ok(sandbox.last))


@then(parsers.parse("the request is refused with {code}"))
def _refused(sandbox, code, evidence):
    """The last request was refused with the code; "A or B": either passes (where the
    documents do not pin it), and the evidence names which came."""
    evidence.check(proc.expect_refused(sandbox.last, [c.strip() for c in code.split(" or ")]))
