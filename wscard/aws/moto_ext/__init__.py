"""moto extension: the Directory Service and WorkSpaces operations that moto (5.2) lacks.

Directory Service: RegisterCertificate, ListCertificates, DescribeCertificate,
DeregisterCertificate, EnableClientAuthentication, DisableClientAuthentication and
DescribeClientAuthenticationSettings, written in moto's own layout (rules and state in
``ds_models``, parsing and formatting in ``ds_responses``, errors in ``ds_exceptions``)
so that they can be offered upstream.

WorkSpaces (``workspaces_models``, ``workspaces_responses``, ``workspaces_exceptions``):
ModifyWorkspaceAccessProperties, ModifyWorkspaceProperties, and DescribeWorkspaces with
``Limit``/``NextToken`` pagination, which replaces moto's own DescribeWorkspaces for as
long as moto's takes no ``limit`` (``install_workspaces()``; ``install()`` calls it).

Call ``install()`` once before using ``moto.mock_aws()`` or starting a moto server in this
process (``server.start_server()`` does it).  Operations that the installed moto already
implements are left to moto.

Settings (``config``): ``registration_delay_seconds`` (0 by default) keeps a new
registration ``Registering`` for that long, ``deregistration_delay_seconds`` (0) keeps a
deregistered certificate ``Deregistering`` before ``Deregistered``, and
``deregistered_retention_seconds`` (0) keeps it visible as ``Deregistered`` before it is
gone; ``backend.certificate_registration_delay_seconds`` and
``backend.certificate_deregistration_delay_seconds`` override the delays for one backend.
``assume_role_needs_role`` (True) makes AssumeRole refuse a missing role (``sts_models``);
``latency_ms`` and ``disabled_regions`` are served by the moto server's request hook
(``server.RequestHooks``). ``constraint_violations`` (``"framework"``) answers a constraint violation with the
framework's ValidationException, or (``"modeled"``) with the code the operation models.  Seed hooks for simulated worlds live on the backend:
``restore_certificate(...)`` and ``restore_client_authentication(...)``.
"""

from __future__ import annotations

import threading
from typing import Any

from ..botocore_data import share_across_sessions

# before moto is imported: moto's EC2 module makes botocore sessions at import, each of
# which would read botocore's data again (wscard.aws.botocore_data)
share_across_sessions()

from .ds_models import (  # noqa: E402
    SMART_CARD_API_REGIONS,
    DirectoryServiceCertificatesMixin,
    config,
)
from .ds_responses import DirectoryServiceCertificatesResponseMixin, enrich_response  # noqa: E402
from .workspaces_models import WorkSpacesPropertiesMixin, refine_registration  # noqa: E402
from .workspaces_responses import WorkSpacesPropertiesResponseMixin  # noqa: E402

__all__ = [
    "OPERATIONS",
    "SMART_CARD_API_REGIONS",
    "WORKSPACES_OPERATIONS",
    "config",
    "install",
    "install_workspaces",
]

#: API operation name -> method name (the same on the backend and the response class).
OPERATIONS: dict[str, str] = {
    "RegisterCertificate": "register_certificate",
    "ListCertificates": "list_certificates",
    "DescribeCertificate": "describe_certificate",
    "DeregisterCertificate": "deregister_certificate",
    "EnableClientAuthentication": "enable_client_authentication",
    "DisableClientAuthentication": "disable_client_authentication",
    "DescribeClientAuthenticationSettings": "describe_client_authentication_settings",
}

#: WorkSpaces API operation name -> method name (the same on the backend and the response class).
WORKSPACES_OPERATIONS: dict[str, str] = {
    "DescribeWorkspaces": "describe_workspaces",
    "ModifyWorkspaceAccessProperties": "modify_workspace_access_properties",
    "ModifyWorkspaceProperties": "modify_workspace_properties",
}

#: Results reported by install() for each operation.
INSTALLED = "installed"
ALREADY_INSTALLED = "already installed"
PROVIDED_BY_MOTO = "provided by moto"
#: moto has the operation but not what the harness needs (DescribeWorkspaces without
#: pagination): the extension's version is installed in its place.
REPLACED = "replaces moto's"

_lock = threading.Lock()


def _support_names(mixin: type, operations: dict[str, str]) -> list[str]:
    """A mixin's attributes that are not operations: state, helpers, seed hooks."""
    methods = set(operations.values())
    return [
        name
        for name in vars(mixin)
        if name not in methods and not (name.startswith("__") and name.endswith("__"))
    ]


def install(backend_cls: Any = None, response_cls: Any = None) -> dict[str, str]:
    """Add the missing operations to moto's Directory Service classes; idempotent.

    ``backend_cls``/``response_cls`` default to ``moto.ds.models.DirectoryServiceBackend``
    and ``moto.ds.responses.DirectoryServiceResponse`` (other classes are for tests).
    An operation whose method already exists on either class, and is not ours, is moto's
    own and is skipped.  Returns ``{operation name: INSTALLED | ALREADY_INSTALLED |
    PROVIDED_BY_MOTO}``.
    """
    defaults = backend_cls is None and response_cls is None
    if backend_cls is None:
        from moto.ds.models import DirectoryServiceBackend as backend_cls
    if response_cls is None:
        from moto.ds.responses import DirectoryServiceResponse as response_cls
    if defaults:
        install_workspaces()
        from .sts_models import install_sts

        install_sts()

    report: dict[str, str] = {}
    with _lock:
        to_install: list[str] = []
        for operation, method in OPERATIONS.items():
            ours_backend = vars(DirectoryServiceCertificatesMixin)[method]
            ours_response = vars(DirectoryServiceCertificatesResponseMixin)[method]
            if (
                vars(response_cls).get(method) is ours_response
                and vars(backend_cls).get(method) is ours_backend
            ):
                report[operation] = ALREADY_INSTALLED
            elif hasattr(response_cls, method) or hasattr(backend_cls, method):
                report[operation] = PROVIDED_BY_MOTO
            else:
                to_install.append(operation)
        if to_install:
            _install_backend_support(backend_cls)
            _install_error_request_ids(response_cls)
        for operation in to_install:
            method = OPERATIONS[operation]
            setattr(backend_cls, method, vars(DirectoryServiceCertificatesMixin)[method])
            setattr(
                response_cls,
                method,
                vars(DirectoryServiceCertificatesResponseMixin)[method],
            )
            report[operation] = INSTALLED
    return report


def _install_backend_support(backend_cls: Any) -> None:
    """Add the state properties, helpers and seed hooks that the operations need."""
    _add_support(backend_cls, DirectoryServiceCertificatesMixin, _support_names(DirectoryServiceCertificatesMixin, OPERATIONS))


def _install_error_request_ids(response_cls: Any) -> None:
    """Error bodies carry the request ID (``ds_responses.enrich_response``): replaces the
    ``_enrich_response`` that ``response_cls`` inherits from moto's BaseResponse, never one
    it defines itself (a newer moto needs a review then)."""
    current = vars(response_cls).get("_enrich_response")
    if isinstance(current, staticmethod) and current.__func__ is enrich_response:
        return
    if current is not None:
        raise RuntimeError(
            f"{response_cls.__name__}._enrich_response already exists in moto: this moto "
            f"version needs a review of wscard.aws.moto_ext"
        )
    response_cls._enrich_response = staticmethod(enrich_response)


def _add_support(backend_cls: Any, mixin: type, names: list[str]) -> None:
    """Copy ``names`` from ``mixin`` onto moto's backend class, refusing to shadow
    anything moto itself defines (a newer moto needs a review then)."""
    for name in names:
        ours = vars(mixin)[name]
        if name in vars(backend_cls) and vars(backend_cls)[name] is ours:
            continue
        if hasattr(backend_cls, name):
            raise RuntimeError(
                f"{backend_cls.__name__}.{name} already exists in moto: this moto "
                f"version needs a review of wscard.aws.moto_ext"
            )
        setattr(backend_cls, name, ours)


# --------------------------------------------------------------------------- WorkSpaces

def _paginates(method: Any) -> bool:
    """Whether moto's backend method takes pagination arguments (``limit``/``next_token``)."""
    import inspect

    code = getattr(method, "__code__", None)
    if code is not None and code.co_name == "pagination_wrapper":  # moto's @paginate
        return True
    try:
        params = inspect.signature(inspect.unwrap(method)).parameters
    except (TypeError, ValueError):
        return False
    return "limit" in params or "next_token" in params


#: Operations moto may implement without what the harness needs, with the test of
#: whether moto's method is enough.
_WORKSPACES_SUFFICIENT = {"DescribeWorkspaces": _paginates}


def install_workspaces(backend_cls: Any = None, response_cls: Any = None) -> dict[str, str]:
    """Add the WorkSpaces operations the harness needs to moto's classes; idempotent.

    ``backend_cls``/``response_cls`` default to ``moto.workspaces.models.WorkSpacesBackend``
    and ``moto.workspaces.responses.WorkSpacesResponse``.  An operation moto implements is
    left to moto unless moto's version lacks what the harness needs (DescribeWorkspaces
    without pagination), in which case ours replaces it (REPLACED).  Returns
    ``{operation name: INSTALLED | REPLACED | ALREADY_INSTALLED | PROVIDED_BY_MOTO}``.
    """
    if backend_cls is None:
        from moto.workspaces.models import WorkSpacesBackend as backend_cls
    if response_cls is None:
        from moto.workspaces.responses import WorkSpacesResponse as response_cls

    report: dict[str, str] = {}
    with _lock:
        to_install: dict[str, str] = {}
        for operation, method in WORKSPACES_OPERATIONS.items():
            ours_backend = vars(WorkSpacesPropertiesMixin)[method]
            ours_response = vars(WorkSpacesPropertiesResponseMixin)[method]
            if (
                vars(response_cls).get(method) is ours_response
                and vars(backend_cls).get(method) is ours_backend
            ):
                report[operation] = ALREADY_INSTALLED
            elif hasattr(response_cls, method) or hasattr(backend_cls, method):
                sufficient = _WORKSPACES_SUFFICIENT.get(operation)
                moto_backend = getattr(backend_cls, method, None)
                if sufficient is not None and moto_backend is not None and not sufficient(moto_backend):
                    to_install[operation] = REPLACED
                else:
                    report[operation] = PROVIDED_BY_MOTO
            else:
                to_install[operation] = INSTALLED
        if to_install:
            _install_workspaces_support(backend_cls)
        for operation, status in to_install.items():
            method = WORKSPACES_OPERATIONS[operation]
            setattr(backend_cls, method, vars(WorkSpacesPropertiesMixin)[method])
            setattr(response_cls, method, vars(WorkSpacesPropertiesResponseMixin)[method])
            report[operation] = status
        _refine_workspaces_registration(backend_cls)
    return report


def _refine_workspaces_registration(backend_cls: Any) -> None:
    """moto's RegisterWorkspaceDirectory stays moto's; the directory it registers gets
    the model's full set of device types and no empty patterned strings
    (``workspaces_models.complete_registered_directory``). Idempotent; nothing to do on a
    class without the operation."""
    register = vars(backend_cls).get("register_workspace_directory")
    if register is None or getattr(register, "wscard_refined", False):
        return
    backend_cls.register_workspace_directory = refine_registration(register)


def _install_workspaces_support(backend_cls: Any) -> None:
    """Add the state properties, helpers and seed hooks that the operations need."""
    _add_support(backend_cls, WorkSpacesPropertiesMixin, _support_names(WorkSpacesPropertiesMixin, WORKSPACES_OPERATIONS))
