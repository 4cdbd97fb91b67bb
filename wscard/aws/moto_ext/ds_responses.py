"""Directory Service certificates and client authentication: request parsing and responses.

``DirectoryServiceCertificatesResponseMixin`` holds one method per API operation, in the
style of ``moto/ds/responses.py``; ``wscard.aws.moto_ext.install()`` copies them onto
``moto.ds.responses.DirectoryServiceResponse`` (moto looks the method up by operation
name at each request).  Parameters are read with moto's automated parameter parsing and
results serialized by moto from botocore's service model (``ActionResult``), so the shapes
are the model's: timestamps, empty bodies and error ``__type`` included.  Error bodies
carry the request ID of the ``x-amzn-RequestId`` header (``enrich_response``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moto.core.exceptions import InvalidToken
from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.moto_api._internal import mock_random

from .ds_exceptions import (
    REQUEST_ID_PLACEHOLDER,
    InvalidNextTokenException,
    InvalidParameterException,
)

if TYPE_CHECKING:
    from moto.ds.models import DirectoryServiceBackend

    from .ds_models import Certificate, ClientAuthenticationSetting


def _certificate_info(certificate: Certificate) -> dict[str, Any]:
    """CertificateInfo (ListCertificates)."""
    return {
        "CertificateId": certificate.certificate_id,
        "CommonName": certificate.common_name,
        "State": certificate.state,
        "ExpiryDateTime": certificate.expiry_date_time,
        "Type": certificate.certificate_type,
    }


def _certificate_description(certificate: Certificate) -> dict[str, Any]:
    """Certificate (DescribeCertificate)."""
    description: dict[str, Any] = {
        "CertificateId": certificate.certificate_id,
        "State": certificate.state,
        "StateReason": certificate.state_reason,
        "CommonName": certificate.common_name,
        "RegisteredDateTime": certificate.registered_date_time,
        "ExpiryDateTime": certificate.expiry_date_time,
        "Type": certificate.certificate_type,
    }
    if certificate.ocsp_url is not None:
        description["ClientCertAuthSettings"] = {"OCSPUrl": certificate.ocsp_url}
    return description


def _client_authentication_setting_info(
    setting: ClientAuthenticationSetting,
) -> dict[str, Any]:
    """ClientAuthenticationSettingInfo (DescribeClientAuthenticationSettings)."""
    return {
        "Type": setting.auth_type,
        "Status": setting.status,
        "LastUpdatedDateTime": setting.last_updated_date_time,
    }


def enrich_response(headers: dict[str, Any], body: Any) -> tuple[dict[str, Any], Any]:
    """moto's ``BaseResponse._enrich_response``, with the ``x-amzn-RequestId`` header a
    UUID (the model's ``RequestId`` pattern) and the same ID in an error body's
    ``RequestId`` (the model's error shapes carry it).  ``install()`` puts this on ``DirectoryServiceResponse`` as a staticmethod."""
    headers, body = BaseResponse._enrich_response(headers, body)
    request_id = str(mock_random.uuid4())  # the model's RequestId is a UUID
    headers["x-amzn-requestid"] = request_id
    if isinstance(body, str) and REQUEST_ID_PLACEHOLDER in body:
        body = body.replace(REQUEST_ID_PLACEHOLDER, request_id)
    return headers, body


class DirectoryServiceCertificatesResponseMixin:
    """Methods added to ``moto.ds.responses.DirectoryServiceResponse``."""

    if TYPE_CHECKING:  # provided by DirectoryServiceResponse / BaseResponse

        @property
        def ds_backend(self) -> DirectoryServiceBackend: ...

        def _get_param(self, param_name: str, if_none: Any = None) -> Any: ...

    def register_certificate(self) -> ActionResult:
        """Register a CA certificate for client certificate authentication or LDAPS."""
        certificate_id = self.ds_backend.register_certificate(  # type: ignore[attr-defined]
            directory_id=self._get_param("DirectoryId"),
            certificate_data=self._get_param("CertificateData"),
            certificate_type=self._get_param("Type"),
            client_cert_auth_settings=self._get_param("ClientCertAuthSettings"),
        )
        return ActionResult({"CertificateId": certificate_id})

    def list_certificates(self) -> ActionResult:
        """List the certificates registered on a directory."""
        try:
            certificates, next_token = self.ds_backend.list_certificates(  # type: ignore[attr-defined]
                directory_id=self._get_param("DirectoryId"),
                next_token=self._get_param("NextToken"),
                limit=self._get_param("Limit"),
            )
        except InvalidToken as exc:
            raise InvalidNextTokenException() from exc
        return ActionResult(
            {
                "CertificatesInfo": [_certificate_info(c) for c in certificates],
                "NextToken": next_token,
            }
        )

    def describe_certificate(self) -> ActionResult:
        """Describe one registered certificate."""
        certificate = self.ds_backend.describe_certificate(  # type: ignore[attr-defined]
            directory_id=self._get_param("DirectoryId"),
            certificate_id=self._get_param("CertificateId"),
        )
        return ActionResult({"Certificate": _certificate_description(certificate)})

    def deregister_certificate(self) -> EmptyResult:
        """Delete a registered certificate from a directory."""
        self.ds_backend.deregister_certificate(  # type: ignore[attr-defined]
            directory_id=self._get_param("DirectoryId"),
            certificate_id=self._get_param("CertificateId"),
        )
        return EmptyResult()

    def enable_client_authentication(self) -> EmptyResult:
        """Enable smart card authentication on an AD Connector directory."""
        self.ds_backend.enable_client_authentication(  # type: ignore[attr-defined]
            directory_id=self._get_param("DirectoryId"),
            auth_type=self._get_param("Type"),
        )
        return EmptyResult()

    def disable_client_authentication(self) -> EmptyResult:
        """Disable smart card authentication on an AD Connector directory."""
        self.ds_backend.disable_client_authentication(  # type: ignore[attr-defined]
            directory_id=self._get_param("DirectoryId"),
            auth_type=self._get_param("Type"),
        )
        return EmptyResult()

    def describe_client_authentication_settings(self) -> ActionResult:
        """Report the status of each client authentication type of a directory."""
        try:
            settings, next_token = (
                self.ds_backend.describe_client_authentication_settings(  # type: ignore[attr-defined]
                    directory_id=self._get_param("DirectoryId"),
                    auth_type=self._get_param("Type"),
                    next_token=self._get_param("NextToken"),
                    limit=self._get_param("Limit"),
                )
            )
        except InvalidToken as exc:
            # The model lists InvalidNextTokenException for ListCertificates only; here a
            # bad token is an invalid parameter.
            raise InvalidParameterException("The NextToken value is not valid.") from exc
        return ActionResult(
            {
                "ClientAuthenticationSettingsInfo": [
                    _client_authentication_setting_info(s) for s in settings
                ],
                "NextToken": next_token,
            }
        )
