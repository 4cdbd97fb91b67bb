"""Exceptions raised by the Directory Service certificate and client authentication APIs.

Each class carries, as its ``__type``, the error code that the Directory Service API
reference documents for the operations RegisterCertificate, ListCertificates,
DescribeCertificate, DeregisterCertificate, EnableClientAuthentication,
DisableClientAuthentication and DescribeClientAuthenticationSettings (botocore's
service model lists the same shapes).  Written in the style of ``moto/ds/exceptions.py``
so that they can be merged there.

Bodies are shaped as the model's error shapes: Directory Service errors carry
``Message`` (capitalised) and ``RequestId`` (the same ID as the ``x-amzn-RequestId``
header: the body holds :data:`REQUEST_ID_PLACEHOLDER` until the response class's
``_enrich_response`` puts the ID in, see ``ds_responses``).  The framework's
``ValidationException`` keeps moto's ``message`` body (``DsValidationException``).
"""

import json

from moto.core.exceptions import JsonRESTError

#: Stands for the request ID in an error body until the response is sent.
REQUEST_ID_PLACEHOLDER = "@@wscard-request-id@@"


class DsError(JsonRESTError):
    """A modeled Directory Service error: ``{"__type", "Message", "RequestId"}``."""

    code = 400

    def __init__(self, error_type: str, message: str):
        super().__init__(error_type, message)
        self.description = json.dumps(
            {"__type": error_type, "Message": message, "RequestId": REQUEST_ID_PLACEHOLDER}
        )


class AccessDeniedException(DsError):
    """Client authentication is not available in this region at this time."""

    def __init__(self, message: str):
        super().__init__("AccessDeniedException", message)


class CertificateAlreadyExistsException(DsError):
    """The certificate has already been registered into the system."""

    def __init__(self, message: str):
        super().__init__("CertificateAlreadyExistsException", message)


class CertificateDoesNotExistException(DsError):
    """The certificate is not present in the system for describe or deregister."""

    def __init__(self, message: str):
        super().__init__("CertificateDoesNotExistException", message)


class CertificateInUseException(DsError):
    """The certificate is in use and cannot be removed before its feature is disabled."""

    def __init__(self, message: str):
        super().__init__("CertificateInUseException", message)


class CertificateLimitExceededException(DsError):
    """The certificate could not be added because the certificate limit was reached."""

    def __init__(self, message: str):
        super().__init__("CertificateLimitExceededException", message)


class DirectoryDoesNotExistException(DsError):
    """The specified directory does not exist in the system."""

    def __init__(self, message: str):
        super().__init__("DirectoryDoesNotExistException", message)


class InvalidCertificateException(DsError):
    """The certificate PEM that was provided has incorrect encoding (or is refused)."""

    def __init__(self, message: str):
        super().__init__("InvalidCertificateException", message)


class InvalidClientAuthStatusException(DsError):
    """Client authentication is already enabled (or, on disable, not enabled)."""

    def __init__(self, message: str):
        super().__init__("InvalidClientAuthStatusException", message)


class NoAvailableCertificateException(DsError):
    """At least one valid certificate must be registered to enable client authentication."""

    def __init__(self, message: str):
        super().__init__("NoAvailableCertificateException", message)


class InvalidNextTokenException(DsError):
    """The NextToken value is not valid (ListCertificates; moto's own has a lower-case body)."""

    def __init__(self, message: str = "The NextToken value is not valid."):
        super().__init__("InvalidNextTokenException", message)


class InvalidParameterException(DsError):
    """One or more parameters are not valid (the modeled code for a constraint violation)."""

    def __init__(self, message: str):
        super().__init__("InvalidParameterException", message)


class UnsupportedOperationException(DsError):
    """The operation is not supported (moto's own has a lower-case body)."""

    def __init__(self, message: str):
        super().__init__("UnsupportedOperationException", message)
