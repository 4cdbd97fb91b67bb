"""Exceptions raised by the Directory Service certificate and client authentication APIs.

Each class carries, as its ``__type``, the error code that the Directory Service API
reference documents for the operations RegisterCertificate, ListCertificates,
DescribeCertificate, DeregisterCertificate, EnableClientAuthentication,
DisableClientAuthentication and DescribeClientAuthenticationSettings (botocore's
service model lists the same shapes).  Written in the style of ``moto/ds/exceptions.py``
so that they can be merged there.
"""

from moto.core.exceptions import JsonRESTError


class AccessDeniedException(JsonRESTError):
    """Client authentication is not available in this region at this time."""

    code = 400

    def __init__(self, message: str):
        super().__init__("AccessDeniedException", message)


class CertificateAlreadyExistsException(JsonRESTError):
    """The certificate has already been registered into the system."""

    code = 400

    def __init__(self, message: str):
        super().__init__("CertificateAlreadyExistsException", message)


class CertificateDoesNotExistException(JsonRESTError):
    """The certificate is not present in the system for describe or deregister."""

    code = 400

    def __init__(self, message: str):
        super().__init__("CertificateDoesNotExistException", message)


class CertificateInUseException(JsonRESTError):
    """The certificate is in use and cannot be removed before its feature is disabled."""

    code = 400

    def __init__(self, message: str):
        super().__init__("CertificateInUseException", message)


class CertificateLimitExceededException(JsonRESTError):
    """The certificate could not be added because the certificate limit was reached."""

    code = 400

    def __init__(self, message: str):
        super().__init__("CertificateLimitExceededException", message)


class DirectoryDoesNotExistException(JsonRESTError):
    """The specified directory does not exist in the system."""

    code = 400

    def __init__(self, message: str):
        super().__init__("DirectoryDoesNotExistException", message)


class InvalidCertificateException(JsonRESTError):
    """The certificate PEM that was provided has incorrect encoding (or is refused)."""

    code = 400

    def __init__(self, message: str):
        super().__init__("InvalidCertificateException", message)


class InvalidClientAuthStatusException(JsonRESTError):
    """Client authentication is already enabled (or, on disable, not enabled)."""

    code = 400

    def __init__(self, message: str):
        super().__init__("InvalidClientAuthStatusException", message)


class NoAvailableCertificateException(JsonRESTError):
    """At least one valid certificate must be registered to enable client authentication."""

    code = 400

    def __init__(self, message: str):
        super().__init__("NoAvailableCertificateException", message)
