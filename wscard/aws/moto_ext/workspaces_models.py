"""WorkSpaces: DescribeWorkspaces pagination, device access and WorkSpace properties.

State and rules for DescribeWorkspaces (with ``Limit`` and ``NextToken``),
ModifyWorkspaceAccessProperties and ModifyWorkspaceProperties, written in moto's style so
that they can be merged into ``moto/workspaces/models.py``.  ``WorkSpacesPropertiesMixin``
holds the methods; ``wscard.aws.moto_ext.install()`` copies them onto
``moto.workspaces.models.WorkSpacesBackend`` (moto 5.2 implements DescribeWorkspaces
without pagination: ours replaces it only while moto's takes no ``limit``).

Sources (botocore's ``workspaces/2015-04-08/service-2.json`` for the shapes):

- API reference, DescribeWorkspaces: ``Limit`` 1..25, ``NextToken`` 1..2048 characters,
  ``WorkspaceIds`` 1..25 IDs (``^ws-[0-9a-z]{8,63}$``), ``DirectoryId``
  (``^(d-[0-9a-f]{8,63}$)|(wsd-[0-9a-z]{8,63}$)``), ``BundleId`` (``^wsb-[0-9a-z]{8,63}$``),
  ``UserName`` 1..63 characters; "you can specify only one filter at a time"; errors
  InvalidParameterValuesException, ResourceUnavailableException.
- API reference, ModifyWorkspaceAccessProperties: ``ResourceId`` is the directory ID, each
  ``DeviceType*`` is ``ALLOW`` or ``DENY``; errors ResourceNotFoundException,
  InvalidParameterValuesException, InvalidParameterCombinationException,
  OperationNotSupportedException, AccessDeniedException; empty answer.
- API reference, ModifyWorkspaceProperties: ``WorkspaceId`` pattern, enums of
  ``RunningMode``, ``ComputeTypeName``, ``Protocols`` (``PCOIP`` | ``WSP``, case
  sensitive) and ``OperatingSystemName``; "Protocols: only available for WorkSpaces
  created with PCoIP bundles; unavailable for Windows 7 WorkSpaces and WorkSpaces using
  GPU-based bundles"; ``RunningModeAutoStopTimeoutInMinutes`` "configured in 60-minute
  intervals"; errors InvalidParameterValuesException, InvalidResourceStateException,
  OperationInProgressException, UnsupportedWorkspaceConfigurationException,
  ResourceNotFoundException; empty answer.
- AWS blog "Convert existing Amazon WorkSpaces to the WorkSpaces Streaming Protocol
  without a rebuild": the WorkSpace must be AVAILABLE to change its protocol, and a
  WorkSpace launched with WSP cannot be converted.

Pagination: a page of DescribeWorkspaces costs O(log n + Limit) (``WorkspaceIndex``, a
creation-ordered index rebuilt only when WorkSpaces come or go; a NextToken carries the
sequence number of the next WorkSpace and the checksum of the filters).  moto's own
``@paginate`` rebuilt the whole list for every page (issue 16: 18 s for 30,000 WorkSpaces).

Choices where the documentation is silent (kept visible here): a WorkSpace in state
``UPDATING`` answers OperationInProgressException; other properties than the protocol can
be changed in state ``AVAILABLE`` or ``STOPPED``; an empty ``WorkspaceAccessProperties``
changes nothing.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
from typing import TYPE_CHECKING, Any

from moto.core.exceptions import InvalidToken
from moto.moto_api._internal import mock_random

from .workspaces_exceptions import (
    InvalidParameterValuesException,
    InvalidResourceStateException,
    OperationInProgressException,
    ResourceNotFoundException,
    UnsupportedWorkspaceConfigurationException,
    WorkspacesValidationException,
)
from .validation import Violation, check_enum, check_length, check_pattern, check_range, raise_violations

if TYPE_CHECKING:
    from moto.workspaces.models import Workspace, WorkSpaceDirectory

DIRECTORY_ID_PATTERN = r"^(d-[0-9a-f]{8,63}$)|(wsd-[0-9a-z]{8,63}$)"
WORKSPACE_ID_PATTERN = r"^ws-[0-9a-z]{8,63}$"
BUNDLE_ID_PATTERN = r"^wsb-[0-9a-z]{8,63}$"
DESCRIBE_LIMIT_MIN, DESCRIBE_LIMIT_MAX = 1, 25
WORKSPACE_IDS_MIN, WORKSPACE_IDS_MAX = 1, 25
USER_NAME_MIN, USER_NAME_MAX = 1, 63
NEXT_TOKEN_MIN, NEXT_TOKEN_MAX = 1, 2048

ACCESS_VALUES = ("ALLOW", "DENY")
#: WorkspaceAccessProperties members that take ALLOW or DENY.
DEVICE_TYPES = (
    "DeviceTypeWindows",
    "DeviceTypeOsx",
    "DeviceTypeWeb",
    "DeviceTypeIos",
    "DeviceTypeAndroid",
    "DeviceTypeChromeOs",
    "DeviceTypeZeroClient",
    "DeviceTypeLinux",
    "DeviceTypeWorkSpacesThinClient",
)
PROTOCOLS = ("PCOIP", "WSP")
RUNNING_MODES = ("AUTO_STOP", "ALWAYS_ON", "MANUAL")
COMPUTE_TYPES = (
    "VALUE", "STANDARD", "PERFORMANCE", "POWER", "GRAPHICS", "POWERPRO",
    "GENERALPURPOSE_4XLARGE", "GENERALPURPOSE_8XLARGE", "GRAPHICSPRO", "GRAPHICS_G4DN",
    "GRAPHICSPRO_G4DN", "GRAPHICS_G6_XLARGE", "GRAPHICS_G6_2XLARGE", "GRAPHICS_G6_4XLARGE",
    "GRAPHICS_G6_8XLARGE", "GRAPHICS_G6_16XLARGE", "GRAPHICS_GR6_4XLARGE", "GRAPHICS_GR6_8XLARGE",
    "GRAPHICS_G6F_LARGE", "GRAPHICS_G6F_XLARGE", "GRAPHICS_G6F_2XLARGE", "GRAPHICS_G6F_4XLARGE",
    "GRAPHICS_GR6F_4XLARGE", "GRAPHICS_G7_2XLARGE", "GRAPHICS_G7_4XLARGE", "GRAPHICS_G7_8XLARGE",
    "GRAPHICS_G7_12XLARGE",
)
OPERATING_SYSTEMS = (
    "AMAZON_LINUX_2", "UBUNTU_18_04", "UBUNTU_20_04", "UBUNTU_22_04", "UNKNOWN", "WINDOWS_10",
    "WINDOWS_11", "WINDOWS_7", "WINDOWS_SERVER_2016", "WINDOWS_SERVER_2019", "WINDOWS_SERVER_2022",
    "WINDOWS_SERVER_2025", "RHEL_8", "ROCKY_8", "UBUNTU_24_04", "RHEL_9", "ROCKY_9", "UBUNTU_26_04",
    "RHEL_10", "ROCKY_10",
)
DATA_REPLICATION = ("NO_REPLICATION", "PRIMARY_AS_SOURCE")
WORKSPACE_STATES = (
    "PENDING", "AVAILABLE", "IMPAIRED", "UNHEALTHY", "REBOOTING", "STARTING", "REBUILDING",
    "RESTORING", "MAINTENANCE", "ADMIN_MAINTENANCE", "TERMINATING", "TERMINATED", "SUSPENDED",
    "UPDATING", "STOPPING", "STOPPED", "ERROR",
)
#: States in which properties other than the protocol can be changed.
MODIFIABLE_STATES = ("AVAILABLE", "STOPPED")
#: The only state in which the protocol can be changed.
PROTOCOL_CHANGE_STATES = ("AVAILABLE",)
AUTO_STOP_INTERVAL_MINUTES = 60


FILTER_COMBINATION_MESSAGE = (
    "An invalid number of parameters provided with DescribeWorkspaces. Only one of the "
    "following are allowed to be specified: BundleId, DirectoryId, WorkSpaceIds, Filters."
)
WORKSPACE_NOT_FOUND_MESSAGE = (
    "The specified WorkSpace cannot be found. Confirm that the workspace exists in your "
    "AWS account, and try again."
)


def _validate(errors: list[Violation]) -> None:
    """Raise one error for all failed constraints: the framework's ValidationException,
    or InvalidParameterValuesException with the same message when
    ``config.constraint_violations`` is ``"modeled"`` (``ds_models.ExtensionConfig``)."""
    from .ds_models import config

    modeled = InvalidParameterValuesException if config.constraint_violations == "modeled" else None
    raise_violations(errors, WorkspacesValidationException, modeled)


#: Device access of a newly registered directory for the members moto's
#: WorkSpaceDirectory leaves out (the model's WorkspaceAccessProperties has them).
#: WorkSpaces Thin Client is allowed by default, as in the console.
REGISTRATION_DEFAULT_ACCESS = {"DeviceTypeWorkSpacesThinClient": "ALLOW"}


def complete_registered_directory(directory: Any) -> None:
    """Make a directory moto just registered look as DescribeWorkspaceDirectories shows
    it in the model: every ``DeviceType*`` member of WorkspaceAccessProperties present,
    and no empty string where the model has a pattern (moto writes ``""`` for an unset
    ``CustomSecurityGroupId`` and ``UserAccessUrl``; AWS leaves them out)."""
    access = dict(directory.workspace_access_properties or {})
    for key, value in REGISTRATION_DEFAULT_ACCESS.items():
        access.setdefault(key, value)
    directory.workspace_access_properties = access
    for attribute, member in (("workspace_creation_properties", "CustomSecurityGroupId"),
                              ("saml_properties", "UserAccessUrl")):
        properties = getattr(directory, attribute, None)
        if isinstance(properties, dict) and properties.get(member) == "":
            properties.pop(member)


def refine_registration(register: Any) -> Any:
    """Wrap moto's ``register_workspace_directory`` so that the directory it registers is
    completed (:func:`complete_registered_directory`)."""
    import functools

    @functools.wraps(register)
    def register_workspace_directory(self: Any, directory_id: str, *args: Any, **kwargs: Any) -> Any:
        result = register(self, directory_id, *args, **kwargs)
        directory = self.workspace_directories.get(directory_id)
        if directory is not None:
            complete_registered_directory(directory)
        return result

    register_workspace_directory.wscard_refined = True  # type: ignore[attr-defined]
    return register_workspace_directory


def _check_workspace_properties(properties: dict[str, Any]) -> list[Violation]:
    errors = check_enum("workspaceProperties.runningMode", properties.get("RunningMode"), RUNNING_MODES)
    errors += check_enum(
        "workspaceProperties.computeTypeName", properties.get("ComputeTypeName"), COMPUTE_TYPES
    )
    errors += check_enum(
        "workspaceProperties.operatingSystemName",
        properties.get("OperatingSystemName"),
        OPERATING_SYSTEMS,
    )
    for i, protocol in enumerate(properties.get("Protocols") or []):
        errors += check_enum(f"workspaceProperties.protocols.{i + 1}.member", protocol, PROTOCOLS)
    return errors


class TrackedWorkspaces(dict):  # type: ignore[type-arg]
    """moto's ``backend.workspaces`` (WorkSpace ID -> Workspace, in creation order) with a
    ``version`` that every change of its keys bumps, so that :class:`WorkspaceIndex` is
    rebuilt only when WorkSpaces come or go, not for every page."""

    version = 0

    def _changed(self) -> None:
        self.version += 1

    def __setitem__(self, key: Any, value: Any) -> None:
        if key not in self:
            self._changed()
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._changed()

    def pop(self, *args: Any) -> Any:
        self._changed()
        return super().pop(*args)

    def popitem(self) -> Any:
        self._changed()
        return super().popitem()

    def clear(self) -> None:
        self._changed()
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._changed()
        super().update(*args, **kwargs)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self._changed()
        return super().setdefault(key, default)


class WorkspaceIndex:
    """The WorkSpaces in creation order, whole and by filter, as parallel lists of
    sequence numbers and IDs: a page starts with a binary search for the token's
    sequence number and costs O(log n + Limit), so paging through n WorkSpaces is linear
    in n.  Sequence numbers are given once per WorkSpace (``sequence``) and never reused,
    so a token stays valid while WorkSpaces come and go between pages."""

    def __init__(self, workspaces: TrackedWorkspaces, sequence: dict[str, int]) -> None:
        self.source = workspaces
        self.version = workspaces.version
        self.all: tuple[list[int], list[str]] = ([], [])
        self.by_directory: dict[str, tuple[list[int], list[str]]] = {}
        self.by_directory_user: dict[tuple[str, str], tuple[list[int], list[str]]] = {}
        self.by_bundle: dict[str, tuple[list[int], list[str]]] = {}
        next_number = max(sequence.values(), default=-1) + 1
        for workspace_id, workspace in workspaces.items():
            number = sequence.get(workspace_id)
            if number is None:
                number = sequence[workspace_id] = next_number
                next_number += 1
            for seqs, ids in (
                self.all,
                self.by_directory.setdefault(workspace.directory_id, ([], [])),
                self.by_directory_user.setdefault((workspace.directory_id, workspace.user_name), ([], [])),
                self.by_bundle.setdefault(workspace.bundle_id, ([], [])),
            ):
                seqs.append(number)
                ids.append(workspace_id)


def _query_checksum(**query: Any) -> str:
    """What a NextToken is bound to: the filters of the request that produced it."""
    return hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_next_token(sequence_number: int, checksum: str) -> str:
    """A NextToken: where the next page starts (a sequence number) and the query's checksum."""
    return base64.urlsafe_b64encode(json.dumps({"s": sequence_number, "q": checksum}).encode()).decode()


def decode_next_token(token: str, checksum: str) -> int:
    """The sequence number a NextToken resumes at; InvalidToken if it is not ours or was
    made for other filters."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        number, made_for = int(data["s"]), data["q"]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise InvalidToken("The NextToken is not valid.") from None
    if made_for != checksum:
        raise InvalidToken("The NextToken was issued for other filters.")
    return number


class WorkSpacesPropertiesMixin:
    """Methods added to ``moto.workspaces.models.WorkSpacesBackend``.

    API operations: ``describe_workspaces`` (paginated), ``modify_workspace_access_properties``,
    ``modify_workspace_properties``.

    Seed hooks (plain Python methods, not API operations) for simulated worlds and
    benchmarks: ``restore_workspace`` and ``set_workspace_state``.
    """

    if TYPE_CHECKING:  # provided by WorkSpacesBackend
        workspaces: dict[str, Workspace]
        workspace_directories: dict[str, WorkSpaceDirectory]
        account_id: str
        region_name: str

    # State is created lazily: BaseBackend.reset() clears the instance __dict__ and
    # reruns moto's own __init__, which knows nothing about these attributes.
    @property
    def workspace_sequence(self) -> dict[str, int]:
        """WorkSpace ID -> its sequence number in creation order (never reused)."""
        return self.__dict__.setdefault("_ws_ext_sequence", {})

    def workspace_index(self) -> WorkspaceIndex:
        """The creation-ordered index of the WorkSpaces, rebuilt only after a change.

        moto's ``workspaces`` dict is swapped, once, for a :class:`TrackedWorkspaces` with
        the same contents and order (moto's own code keeps using it as a dict)."""
        workspaces = self.workspaces
        if not isinstance(workspaces, TrackedWorkspaces):
            workspaces = TrackedWorkspaces(workspaces)
            workspaces.version = 1
            self.workspaces = workspaces
        index = self.__dict__.get("_ws_ext_index")
        if index is None or index.source is not workspaces or index.version != workspaces.version:
            index = WorkspaceIndex(workspaces, self.workspace_sequence)
            self.__dict__["_ws_ext_index"] = index
        return index

    @property
    def workspace_created_protocols(self) -> dict[str, list[str]]:
        """Protocols each WorkSpace was created with, recorded before its first change."""
        return self.__dict__.setdefault("_ws_ext_created_protocols", {})

    # ---------------------------------------------------------------- helpers
    def _get_workspace(self, workspace_id: str) -> Workspace:
        workspace = self.workspaces.get(workspace_id)
        if workspace is None:
            raise ResourceNotFoundException(WORKSPACE_NOT_FOUND_MESSAGE)
        return workspace

    def _get_registered_directory(self, directory_id: str) -> WorkSpaceDirectory:
        directory = self.workspace_directories.get(directory_id)
        if directory is None:
            raise ResourceNotFoundException(
                f"The directory {directory_id} is not registered with Amazon WorkSpaces in "
                f"{self.region_name}."
            )
        return directory

    def created_protocols(self, workspace: Workspace) -> list[str]:
        """The protocols the WorkSpace was created with (its bundle's protocol)."""
        recorded = self.workspace_created_protocols.get(workspace.workspace_id)
        if recorded is not None:
            return list(recorded)
        return list((workspace.workspace_properties or {}).get("Protocols") or [])

    # ------------------------------------------------------------- operations
    def describe_workspaces(
        self,
        workspace_ids: list[str] | None = None,
        directory_id: str | None = None,
        user_name: str | None = None,
        bundle_id: str | None = None,
        workspace_name: str | None = None,
        limit: int | None = None,
        next_token: str | None = None,
    ) -> tuple[list[Workspace], str | None]:
        """One page of the WorkSpaces matching one filter, in creation order, and the
        NextToken of the next page (None on the last).

        Pages come from :meth:`workspace_index` (a binary search, then at most ``limit``
        items), so a page costs the same for 1,000 WorkSpaces as for 30,000.  A token made
        for other filters, or not made here, raises moto's ``InvalidToken``."""
        errors = check_range("limit", limit, DESCRIBE_LIMIT_MIN, DESCRIBE_LIMIT_MAX)
        errors += check_length("workspaceIds", workspace_ids, WORKSPACE_IDS_MIN, WORKSPACE_IDS_MAX)
        for i, workspace_id in enumerate(workspace_ids or []):
            errors += check_pattern(f"workspaceIds.{i + 1}.member", workspace_id, WORKSPACE_ID_PATTERN)
        errors += check_pattern("directoryId", directory_id, DIRECTORY_ID_PATTERN)
        errors += check_pattern("bundleId", bundle_id, BUNDLE_ID_PATTERN)
        errors += check_length("userName", user_name, USER_NAME_MIN, USER_NAME_MAX)
        _validate(errors)
        filters = [f for f in (workspace_ids, directory_id, bundle_id) if f]
        if len(filters) > 1:
            raise InvalidParameterValuesException(FILTER_COMBINATION_MESSAGE)
        if user_name and not directory_id:
            raise InvalidParameterValuesException(
                "The DirectoryId parameter is required when UserName is used."
            )
        index = self.workspace_index()
        empty: tuple[list[int], list[str]] = ([], [])
        if workspace_ids:
            wanted = sorted(
                (self.workspace_sequence[w], w) for w in set(workspace_ids) if w in self.workspaces
            )
            selected = ([n for n, _ in wanted], [w for _, w in wanted])
        elif directory_id and user_name:
            selected = index.by_directory_user.get((directory_id, user_name), empty)
        elif directory_id:
            selected = index.by_directory.get(directory_id, empty)
        elif bundle_id:
            selected = index.by_bundle.get(bundle_id, empty)
        elif workspace_name:  # not indexed: a filter the harness does not use
            seqs, ids = index.all
            kept = [(n, w) for n, w in zip(seqs, ids)
                    if getattr(self.workspaces[w], "workspace_name", None) == workspace_name]
            selected = ([n for n, _ in kept], [w for _, w in kept])
        else:
            selected = index.all
        checksum = _query_checksum(workspace_ids=sorted(workspace_ids or []), directory_id=directory_id,
                                   user_name=user_name, bundle_id=bundle_id, workspace_name=workspace_name)
        seqs, ids = selected
        start = bisect.bisect_left(seqs, decode_next_token(next_token, checksum)) if next_token else 0
        size = limit or DESCRIBE_LIMIT_MAX
        page = [self.workspaces[w] for w in ids[start:start + size]]
        following = start + size
        token = encode_next_token(seqs[following], checksum) if following < len(ids) else None
        return page, token

    def modify_workspace_access_properties(
        self, resource_id: str, workspace_access_properties: dict[str, Any] | None
    ) -> None:
        """Allow or deny device types for the WorkSpaces of a registered directory."""
        properties = workspace_access_properties or {}
        errors = check_pattern("resourceId", resource_id, DIRECTORY_ID_PATTERN)
        for key in DEVICE_TYPES:
            name = "workspaceAccessProperties." + key[0].lower() + key[1:]
            errors += check_enum(name, properties.get(key), ACCESS_VALUES)
        _validate(errors)
        directory = self._get_registered_directory(resource_id)
        current = dict(directory.workspace_access_properties)
        for key, value in properties.items():
            if value is not None:
                current[key] = value
        directory.workspace_access_properties = current

    def modify_workspace_properties(
        self,
        workspace_id: str,
        workspace_properties: dict[str, Any] | None = None,
        data_replication: str | None = None,
    ) -> None:
        """Change a WorkSpace's properties: running mode, volumes, compute type, protocol."""
        properties = dict(workspace_properties or {})
        errors = check_pattern("workspaceId", workspace_id, WORKSPACE_ID_PATTERN)
        if workspace_id is None:
            errors.append(("workspaceId", None, "not be null"))
        errors += _check_workspace_properties(properties)
        errors += check_enum("dataReplication", data_replication, DATA_REPLICATION)
        _validate(errors)

        workspace = self._get_workspace(workspace_id)
        current = dict(workspace.workspace_properties or {})
        protocols = properties.get("Protocols")
        if protocols is not None and len(protocols) != 1:
            raise InvalidParameterValuesException(
                "Exactly one protocol must be specified: PCOIP or WSP."
            )
        running_mode = properties.get("RunningMode", current.get("RunningMode"))
        timeout = properties.get("RunningModeAutoStopTimeoutInMinutes")
        if timeout is not None:
            if running_mode == "ALWAYS_ON":
                raise InvalidParameterValuesException(
                    "RunningModeAutoStopTimeoutInMinutes is not applicable for WorkSpace "
                    "with running mode set to ALWAYS_ON."
                )
            if timeout <= 0 or timeout % AUTO_STOP_INTERVAL_MINUTES:
                raise InvalidParameterValuesException(
                    "RunningModeAutoStopTimeoutInMinutes must be configured in "
                    f"{AUTO_STOP_INTERVAL_MINUTES}-minute intervals."
                )
        if workspace.state == "UPDATING":
            raise OperationInProgressException(
                "The properties of this WorkSpace are currently being modified. Try again "
                "in a moment."
            )
        changes_protocol = protocols is not None and list(protocols) != list(
            current.get("Protocols") or []
        )
        allowed_states = PROTOCOL_CHANGE_STATES if changes_protocol else MODIFIABLE_STATES
        if workspace.state not in allowed_states:
            raise InvalidResourceStateException(
                f"The WorkSpace {workspace_id} is in state {workspace.state}; it must be "
                f"{' or '.join(allowed_states)} for this modification."
            )
        if changes_protocol:
            self._check_protocol_change(workspace, current)
            self.workspace_created_protocols.setdefault(
                workspace.workspace_id, list(current.get("Protocols") or [])
            )
        current.update({k: v for k, v in properties.items() if v is not None})
        workspace.workspace_properties = current

    def _check_protocol_change(self, workspace: Workspace, current: dict[str, Any]) -> None:
        created = self.created_protocols(workspace)
        if created != ["PCOIP"]:
            raise UnsupportedWorkspaceConfigurationException(
                f"The protocol of WorkSpace {workspace.workspace_id} cannot be modified: "
                "protocols can be modified only for WorkSpaces created with PCoIP bundles."
            )
        if current.get("OperatingSystemName") == "WINDOWS_7":
            raise UnsupportedWorkspaceConfigurationException(
                "The protocol cannot be modified for Windows 7 WorkSpaces."
            )
        if str(current.get("ComputeTypeName", "")).startswith("GRAPHICS"):
            raise UnsupportedWorkspaceConfigurationException(
                "The protocol cannot be modified for WorkSpaces using GPU-based bundles."
            )

    # -------------------------------------------------------------- seed hooks
    def restore_workspace(
        self,
        directory_id: str,
        user_name: str,
        *,
        bundle_id: str = "wsb-00000000",
        workspace_properties: dict[str, Any] | None = None,
        state: str = "AVAILABLE",
    ) -> str:
        """Seed hook, not an API operation: add a WorkSpace as the service may hold it.

        Skips CreateWorkspaces' batching (25 per request) so that benchmarks can build
        large fleets quickly; the directory must be registered with WorkSpaces
        (ResourceNotFoundException).  ``state`` is any documented WorkSpace state.
        Returns the WorkSpace ID.
        """
        from moto.workspaces.models import Workspace

        if state not in WORKSPACE_STATES:
            raise ValueError(f"state must be one of {WORKSPACE_STATES}")
        self._get_registered_directory(directory_id)
        properties = dict(workspace_properties or {})
        running_mode = properties.get("RunningMode", "ALWAYS_ON")
        workspace = Workspace(
            workspace={
                "DirectoryId": directory_id,
                "UserName": user_name,
                "BundleId": bundle_id,
                "WorkspaceProperties": properties,
            },
            running_mode=running_mode,
            error_code="",
            error_msg="",
        )
        workspace.state = state
        # moto's IDs are 9 random hex digits: among 30,000 WorkSpaces two collide about once
        # in 150 fleets, and the second would silently replace the first.
        while workspace.workspace_id in self.workspaces:
            workspace.workspace_id = f"ws-{mock_random.get_random_hex(9)}"
        self.workspaces[workspace.workspace_id] = workspace
        return workspace.workspace_id

    def set_workspace_state(self, workspace_id: str, state: str) -> None:
        """Seed hook, not an API operation: put a WorkSpace in a documented state."""
        if state not in WORKSPACE_STATES:
            raise ValueError(f"state must be one of {WORKSPACE_STATES}")
        self._get_workspace(workspace_id).state = state
