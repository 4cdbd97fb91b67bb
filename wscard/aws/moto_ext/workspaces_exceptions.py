"""Exceptions raised by the WorkSpaces operations of the extension.

DescribeWorkspaces (pagination), ModifyWorkspaceAccessProperties and
ModifyWorkspaceProperties: each class carries, as its ``__type``, the error code that the
WorkSpaces API reference documents for these operations (botocore's service model lists
the same shapes).  ``InvalidParameterValuesException``, ``ResourceNotFoundException`` and
``ValidationException`` are moto's own (``moto/workspaces/exceptions.py``); the others are
written in the same style so that they can be merged there.
"""

from moto.core.exceptions import JsonRESTError
from moto.workspaces.exceptions import (
    InvalidParameterValuesException,
    ResourceNotFoundException,
    ValidationException,
)

__all__ = [
    "InvalidParameterValuesException",
    "InvalidResourceStateException",
    "OperationInProgressException",
    "ResourceNotFoundException",
    "UnsupportedWorkspaceConfigurationException",
    "ValidationException",
    "WorkspacesValidationException",
]


class WorkspacesValidationException(ValidationException):
    """Report one or more parameter constraint violations in one message (the framework's
    ``ValidationException``, as for every AWS JSON service)."""

    def __init__(self, error_tuples: list[tuple[str, object, str]]):
        """``error_tuples``: (parameter path, value, constraint) for each violation."""
        leader = (
            f"{len(error_tuples)} validation error{'s' if len(error_tuples) > 1 else ''} "
            "detected: "
        )
        msgs = [
            f"Value '{value}' at '{name}' failed to satisfy constraint: Member must {constraint}"
            for name, value, constraint in error_tuples
        ]
        super().__init__(leader + "; ".join(msgs))


class InvalidResourceStateException(JsonRESTError):
    """The state of the resource is not valid for this operation."""

    code = 400

    def __init__(self, message: str):
        super().__init__("InvalidResourceStateException", message)


class OperationInProgressException(JsonRESTError):
    """The properties of this WorkSpace are currently being modified. Try again in a moment."""

    code = 400

    def __init__(self, message: str):
        super().__init__("OperationInProgressException", message)


class UnsupportedWorkspaceConfigurationException(JsonRESTError):
    """The configuration of this WorkSpace is not supported for this operation."""

    code = 400

    def __init__(self, message: str):
        super().__init__("UnsupportedWorkspaceConfigurationException", message)
