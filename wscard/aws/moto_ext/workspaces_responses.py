"""WorkSpaces: request parsing and responses for the extension's operations.

``WorkSpacesPropertiesResponseMixin`` holds one method per API operation, in the style of
``moto/workspaces/responses.py``; ``wscard.aws.moto_ext.install()`` copies them onto
``moto.workspaces.responses.WorkSpacesResponse`` (moto looks the method up by operation
name at each request).  Parameters are read with ``_get_param``; results are serialized
by moto from botocore's service model (``ActionResult``), so the shapes, the empty
answers and the error ``__type`` are the model's. DescribeWorkspaces is the exception: its
pages are written as JSON directly (:func:`plain`), because moto's model-driven serializer
spends about 15 ms on a page of 25 WorkSpaces, which made a fleet audit of the simulated
service CPU-bound (issue 16); ``tests/unit/test_moto_workspaces_ext.py`` shows both give
the same answer, and the fidelity fixture judges every page against the model.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from moto.core.exceptions import InvalidToken
from moto.core.responses import EmptyResult

from .workspaces_exceptions import InvalidParameterValuesException, WorkspacesValidationException

if TYPE_CHECKING:
    from moto.workspaces.models import WorkSpacesBackend


def plain(value: Any) -> Any:
    """A value as the JSON protocol writes it: members without a value left out,
    timestamps as epoch seconds."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.timestamp()
    return value


class WorkSpacesPropertiesResponseMixin:
    """Methods added to ``moto.workspaces.responses.WorkSpacesResponse``."""

    if TYPE_CHECKING:  # provided by WorkSpacesResponse / BaseResponse

        @property
        def workspaces_backend(self) -> WorkSpacesBackend: ...

        def _get_param(self, param_name: str, if_none: Any = None) -> Any: ...

    def describe_workspaces(self) -> str:
        """Describe WorkSpaces, one page of at most ``Limit`` (1..25) at a time."""
        next_token = self._get_param("NextToken")
        if next_token is not None and not 1 <= len(next_token) <= 2048:
            raise WorkspacesValidationException(
                [("nextToken", "<token>", "have length between 1 and 2048")]
            )
        try:
            workspaces, next_token = self.workspaces_backend.describe_workspaces(  # type: ignore[call-arg,misc]
                workspace_ids=self._get_param("WorkspaceIds"),
                directory_id=self._get_param("DirectoryId"),
                user_name=self._get_param("UserName"),
                bundle_id=self._get_param("BundleId"),
                workspace_name=self._get_param("WorkspaceName"),
                limit=self._get_param("Limit"),
                next_token=next_token,
            )
        except InvalidToken as exc:
            raise InvalidParameterValuesException(
                "The NextToken is not valid for this request."
            ) from exc
        body: dict[str, Any] = {"Workspaces": [plain(w.to_dict_pending()) for w in workspaces]}
        if next_token:
            body["NextToken"] = next_token
        return json.dumps(body)

    def modify_workspace_access_properties(self) -> EmptyResult:
        """Allow or deny device types for a directory's WorkSpaces."""
        self.workspaces_backend.modify_workspace_access_properties(  # type: ignore[attr-defined]
            resource_id=self._get_param("ResourceId"),
            workspace_access_properties=self._get_param("WorkspaceAccessProperties"),
        )
        return EmptyResult()

    def modify_workspace_properties(self) -> EmptyResult:
        """Change a WorkSpace's properties (running mode, volumes, compute type, protocol)."""
        self.workspaces_backend.modify_workspace_properties(  # type: ignore[attr-defined]
            workspace_id=self._get_param("WorkspaceId"),
            workspace_properties=self._get_param("WorkspaceProperties"),
            data_replication=self._get_param("DataReplication"),
        )
        return EmptyResult()
