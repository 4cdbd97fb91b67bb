"""Directory Service certificates and client (smart card) authentication: backend model.

State and rules for RegisterCertificate, ListCertificates, DescribeCertificate,
DeregisterCertificate, EnableClientAuthentication, DisableClientAuthentication and
DescribeClientAuthenticationSettings, written in moto's style so that they can be merged
into ``moto/ds/models.py``.  ``DirectoryServiceCertificatesMixin`` holds the methods;
``wscard.aws.moto_ext.install()`` copies them onto ``moto.ds.models.DirectoryServiceBackend``.

Sources (botocore's ``ds/2015-04-16/service-2.json`` for the shapes):

- API reference: CertificateData is a PEM string of 1..8192 characters, OCSPUrl 1..1024
  characters with a pattern, Type defaults to ``ClientLDAPS``, Limit is 1..50, IDs have
  the patterns ``^d-[0-9a-f]{10}$`` and ``^c-[0-9a-f]{10}$``; DeregisterCertificate
  "deletes from the system the certificate" (CertificateState has ``Deregistering`` and
  ``Deregistered``: the record passes through them, each for a settable time, 0 s by
  default); each client authentication operation models AccessDeniedException; EnableClientAuthentication's
  AccessDeniedException reads "Client authentication is not available in this region at
  this time."; enable/disable/deregister answer HTTP 200 with an empty body.
- Admin guide, smart card prerequisites: a CA certificate must be more than 90 days from
  expiry when it is registered, PEM only, at most 100 per AD Connector directory,
  RSASSA-PSS signed CA certificates are not supported; only the Regions in
  ``SMART_CARD_API_REGIONS`` offer smart card authentication in AD Connector.
- Admin guide, client-side LDAPS: the same certificate rules, at most 5 CA certificates.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID
from moto.core.common_models import BaseModel
from moto.core.utils import utcnow
from moto.ds.exceptions import DsValidationException
from moto.moto_api._internal import mock_random
from moto.utilities.paginator import paginate

from .ds_exceptions import (
    AccessDeniedException,
    CertificateAlreadyExistsException,
    CertificateDoesNotExistException,
    CertificateInUseException,
    CertificateLimitExceededException,
    DirectoryDoesNotExistException,
    InvalidCertificateException,
    InvalidClientAuthStatusException,
    InvalidParameterException,
    NoAvailableCertificateException,
    UnsupportedOperationException,
)
from .validation import Violation, check_enum, check_pattern, check_range, raise_violations

if TYPE_CHECKING:
    from moto.ds.models import Directory

#: Regions where AD Connector offers smart card (client certificate) authentication
#: (admin guide, "Enable mTLS authentication in AD Connector for use with smart cards").
#: Elsewhere EnableClientAuthentication, DisableClientAuthentication and
#: DescribeClientAuthenticationSettings answer AccessDeniedException (each models it).
SMART_CARD_API_REGIONS: tuple[str, ...] = (
    "us-east-1",
    "us-west-2",
    "ap-southeast-2",
    "ap-northeast-1",
    "eu-west-1",
    "us-gov-west-1",
    "us-gov-east-1",
)
ACCESS_DENIED_REGION_MESSAGE = (
    "Client authentication is not available in this region at this time."
)

CERTIFICATE_TYPES = ("ClientCertAuth", "ClientLDAPS")
DEFAULT_CERTIFICATE_TYPE = "ClientLDAPS"  # API reference, RegisterCertificate.Type
CERTIFICATE_STATES = (
    "Registering",
    "Registered",
    "RegisterFailed",
    "Deregistering",
    "Deregistered",
    "DeregisterFailed",
)
#: States of a record that no longer (or never did) hold a registration.
INACTIVE_CERTIFICATE_STATES = ("RegisterFailed", "Deregistered")
CLIENT_AUTHENTICATION_TYPES = ("SmartCard", "SmartCardOrPassword")
CLIENT_AUTHENTICATION_STATUSES = ("Enabled", "Disabled")

#: Per directory and certificate type (admin guide: 100 smart card CA certificates per
#: AD Connector, 5 client-side LDAPS CA certificates).
CERTIFICATE_LIMITS = {"ClientCertAuth": 100, "ClientLDAPS": 5}
#: Directory types on which each certificate type can be registered.
CERTIFICATE_DIRECTORY_TYPES = {
    "ClientCertAuth": ("ADConnector",),
    "ClientLDAPS": ("ADConnector", "MicrosoftAD"),
}
CLIENT_AUTHENTICATION_DIRECTORY_TYPES = ("ADConnector",)
MIN_DAYS_TO_EXPIRY_AT_REGISTRATION = 90
CERTIFICATE_DATA_MAX_LENGTH = 8192
OCSP_URL_MAX_LENGTH = 1024
OCSP_URL_PATTERN = (
    r"^(https?|ftp|file|ldaps?)://[-a-zA-Z0-9+&@#/%?=~_|!:,.;()]*"
    r"[-a-zA-Z0-9+&@#/%=~_|()]"
)
DIRECTORY_ID_PATTERN = r"^d-[0-9a-f]{10}$"
CERTIFICATE_ID_PATTERN = r"^c-[0-9a-f]{10}$"
PAGE_LIMIT_MIN, PAGE_LIMIT_MAX = 1, 50

PAGINATION_MODEL = {
    "list_certificates": {
        "input_token": "next_token",
        "limit_key": "limit",
        "limit_default": PAGE_LIMIT_MAX,
        "unique_attribute": "certificate_id",
    },
    "describe_client_authentication_settings": {
        "input_token": "next_token",
        "limit_key": "limit",
        "limit_default": PAGE_LIMIT_MAX,
        "unique_attribute": "auth_type",
    },
}

_PEM_BLOCK = re.compile(
    r"-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----"
)


class ExtensionConfig:
    """Module-wide settings of the extension (tests and simulated worlds change them)."""

    def __init__(self) -> None:
        #: Seconds a new registration stays ``Registering`` before it reads
        #: ``Registered``. A backend's ``certificate_registration_delay_seconds``
        #: (None by default) overrides it.
        self.registration_delay_seconds: float = 0.0
        #: Seconds a deregistered certificate reads ``Deregistering`` before
        #: ``Deregistered``. A backend's ``certificate_deregistration_delay_seconds``
        #: (None by default) overrides it.
        self.deregistration_delay_seconds: float = 0.0
        #: Seconds a ``Deregistered`` certificate stays visible (ListCertificates,
        #: DescribeCertificate) before it is gone from the system ("DeregisterCertificate
        #: deletes from the system the certificate"); 0 by default.
        self.deregistered_retention_seconds: float = 0.0
        #: The code a constraint violation (pattern, enum, length, range) is answered
        #: with: ``"framework"`` (AWS's service framework: ``ValidationException``, the
        #: default) or ``"modeled"`` (the code the operation models:
        #: ``InvalidParameterException`` in Directory Service,
        #: ``InvalidParameterValuesException`` in WorkSpaces). The API reference does not
        #: say which one AWS answers; the harness accepts both.
        self.constraint_violations: str = "framework"
        #: AssumeRole refuses a role that does not exist in the target account
        #: (``AccessDenied``, as AWS answers; ``sts_models``). moto alone accepts any ARN.
        self.assume_role_needs_role: bool = True
        #: Milliseconds the moto server (``server.start_server``) waits before answering
        #: each request: AWS's per-call latency, so the gain of parallel reads shows.
        self.latency_ms: float = 0.0
        #: Account ID -> Regions not enabled for it (opt-in Regions left disabled): the
        #: moto server answers every request signed for one of them as AWS does,
        #: ``UnrecognizedClientException`` (HTTP 403, "The security token included in the
        #: request is invalid"); ``InvalidClientTokenId`` for query-protocol services.
        self.disabled_regions: dict[str, set[str]] = {}
        #: Every N-th request the moto server receives is answered ``ThrottlingException``
        #: (HTTP 400, "Rate exceeded"), as AWS throttles a caller over its rate (0: never);
        #: ``throttled`` counts those answers.
        self.throttle_every: int = 0
        self.throttled: int = 0


config = ExtensionConfig()


def _now() -> datetime:
    """The clock every state is computed from (naive UTC, as moto stores datetimes)."""
    return utcnow()


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


class Certificate(BaseModel):
    """A certificate registered on a directory (ClientCertAuth or ClientLDAPS).

    ``state`` is computed when read: a registration reads ``Registering`` until
    ``ready_at`` and its stored state afterwards, so no thread is involved.
    """

    def __init__(
        self,
        directory_id: str,
        certificate: x509.Certificate,
        certificate_type: str,
        ocsp_url: str | None,
        registered_date_time: datetime,
        state: str = "Registered",
        state_reason: str = "",
        ready_at: datetime | None = None,
    ) -> None:
        self.certificate_id = f"c-{mock_random.get_random_hex(10)}"
        self.directory_id = directory_id
        self.certificate = certificate
        self.certificate_type = certificate_type
        self.ocsp_url = ocsp_url
        self.registered_date_time = _naive_utc(registered_date_time)
        self.final_state = state
        self.state_reason = state_reason
        self.ready_at = ready_at
        #: Set by DeregisterCertificate: Deregistering until ``deregistered_at``,
        #: Deregistered until ``gone_at``, then no longer in the system.
        self.deregistered_at: datetime | None = None
        self.gone_at: datetime | None = None
        self.fingerprint = self.fingerprint_of(certificate)
        names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        self.common_name = str(names[0].value) if names else ""
        self.expiry_date_time = _naive_utc(certificate.not_valid_after_utc)

    @staticmethod
    def fingerprint_of(certificate: x509.Certificate) -> str:
        return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()

    @property
    def state(self) -> str:
        if self.deregistered_at is not None:
            return "Deregistering" if _now() < self.deregistered_at else "Deregistered"
        if self.ready_at is not None and _now() < self.ready_at:
            return "Registering"
        return self.final_state

    @property
    def is_active(self) -> bool:
        """Holds (or is on its way to) a registration: counts for limits and duplicates."""
        return self.final_state not in INACTIVE_CERTIFICATE_STATES and self.deregistered_at is None

    def is_gone(self, now: datetime) -> bool:
        """Deregistered and past its retention: no longer in the system."""
        return self.gone_at is not None and now >= self.gone_at

    def is_usable(self, now: datetime) -> bool:
        """Registered and not expired: what "a valid certificate" means to enable."""
        return self.state == "Registered" and self.expiry_date_time > now


class ClientAuthenticationSetting(BaseModel):
    """Status of one client authentication type on one directory."""

    def __init__(self, auth_type: str, status: str, last_updated: datetime) -> None:
        self.auth_type = auth_type
        self.status = status
        self.last_updated_date_time = _naive_utc(last_updated)


def _validate(errors: list[Violation]) -> None:
    """Raise one error for all failed constraints: moto's accumulated ValidationException
    (the framework's code), or InvalidParameterException with the same message when
    ``config.constraint_violations`` is ``"modeled"``."""
    modeled = InvalidParameterException if config.constraint_violations == "modeled" else None
    raise_violations(errors, DsValidationException, modeled)


def _check_id(name: str, value: Any, pattern: str) -> list[Violation]:
    """A directory or certificate ID: required here, and a string matching ``pattern``."""
    return check_pattern(name, value, pattern, required=True)


def _check_limit(limit: int | None) -> list[Violation]:
    return check_range("limit", limit, PAGE_LIMIT_MIN, PAGE_LIMIT_MAX)


def load_ca_certificate(certificate_data: str) -> x509.Certificate:
    """Parse CertificateData as exactly one PEM certificate, or raise InvalidCertificateException.

    DER (raw or base64 without the PEM armour), garbage and truncated PEM are refused.
    """
    blocks = _PEM_BLOCK.findall(certificate_data or "")
    if not blocks:
        raise InvalidCertificateException(
            "The certificate is not a valid PEM encoded X.509 certificate."
        )
    if len(blocks) > 1:
        raise InvalidCertificateException(
            "The certificate data must contain exactly one PEM encoded certificate."
        )
    try:
        return x509.load_pem_x509_certificate(certificate_data.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise InvalidCertificateException(
            "The certificate is not a valid PEM encoded X.509 certificate."
        ) from exc


def check_ca_certificate_rules(certificate: x509.Certificate, now: datetime) -> None:
    """The registration-time rules for a CA certificate (CA-3, CA-4, CA-7)."""
    if certificate.signature_algorithm_oid == SignatureAlgorithmOID.RSASSA_PSS:
        raise InvalidCertificateException(
            "Certificates signed with the RSASSA-PSS signature algorithm are not supported."
        )
    try:
        basic_constraints = certificate.extensions.get_extension_for_class(
            x509.BasicConstraints
        ).value
    except x509.ExtensionNotFound:
        basic_constraints = None
    except ValueError as exc:  # malformed extensions
        raise InvalidCertificateException(
            "The certificate extensions could not be parsed."
        ) from exc
    if basic_constraints is None or not basic_constraints.ca:
        raise InvalidCertificateException(
            "The certificate is not a CA certificate (basicConstraints CA=true is required)."
        )
    expiry = _naive_utc(certificate.not_valid_after_utc)
    if expiry - _naive_utc(now) <= timedelta(days=MIN_DAYS_TO_EXPIRY_AT_REGISTRATION):
        raise InvalidCertificateException(
            f"The certificate must be more than {MIN_DAYS_TO_EXPIRY_AT_REGISTRATION} days "
            f"away from expiration to be registered; it expires on "
            f"{expiry.strftime('%Y-%m-%d %H:%M:%S')} UTC."
        )


class DirectoryServiceCertificatesMixin:
    """Methods added to ``moto.ds.models.DirectoryServiceBackend``.

    API operations: ``register_certificate``, ``list_certificates``,
    ``describe_certificate``, ``deregister_certificate``,
    ``enable_client_authentication``, ``disable_client_authentication``,
    ``describe_client_authentication_settings``.

    Seed hooks (plain Python methods, not API operations) for simulated worlds:
    ``restore_certificate`` and ``restore_client_authentication``.
    """

    if TYPE_CHECKING:  # provided by DirectoryServiceBackend
        directories: dict[str, Directory]
        region_name: str

    #: Overrides ``config.registration_delay_seconds`` for this backend when not None.
    certificate_registration_delay_seconds: float | None = None
    #: Overrides ``config.deregistration_delay_seconds`` for this backend when not None.
    certificate_deregistration_delay_seconds: float | None = None

    # State is created lazily: BaseBackend.reset() clears the instance __dict__ and
    # reruns moto's own __init__, which knows nothing about these attributes.
    @property
    def certificates(self) -> dict[str, dict[str, Certificate]]:
        """Certificates by directory ID, then by certificate ID (insertion ordered)."""
        return self.__dict__.setdefault("_ds_ext_certificates", {})

    @property
    def client_authentication_settings(
        self,
    ) -> dict[str, dict[str, ClientAuthenticationSetting]]:
        """Client authentication settings by directory ID, then by type."""
        return self.__dict__.setdefault("_ds_ext_client_authentication_settings", {})

    # ---------------------------------------------------------------- helpers
    def _get_certificate_directory(self, directory_id: str) -> Directory:
        _validate(_check_id("directoryId", directory_id, DIRECTORY_ID_PATTERN))
        if directory_id not in self.directories:
            raise DirectoryDoesNotExistException(
                f"Directory {directory_id} does not exist."
            )
        return self.directories[directory_id]

    @staticmethod
    def _check_certificates_supported(directory: Directory) -> None:
        supported = {t for types in CERTIFICATE_DIRECTORY_TYPES.values() for t in types}
        if directory.directory_type not in supported:
            raise UnsupportedOperationException(
                f"Certificates are not supported for directory type "
                f"{directory.directory_type}."
            )

    @staticmethod
    def _check_client_authentication_supported(directory: Directory) -> None:
        if directory.directory_type not in CLIENT_AUTHENTICATION_DIRECTORY_TYPES:
            raise UnsupportedOperationException(
                "Client authentication is only supported for AD Connector directories."
            )

    def _directory_certificates(self, directory_id: str) -> dict[str, Certificate]:
        """The directory's certificates still in the system (deregistered ones whose
        retention has passed are dropped here, when next read)."""
        records = self.certificates.setdefault(directory_id, {})
        now = _now()
        for certificate_id in [i for i, c in records.items() if c.is_gone(now)]:
            del records[certificate_id]
        return records

    def _get_certificate(self, directory_id: str, certificate_id: str) -> Certificate:
        certificate = self._directory_certificates(directory_id).get(certificate_id)
        if certificate is None:
            raise CertificateDoesNotExistException(
                f"Certificate {certificate_id} does not exist in directory {directory_id}."
            )
        return certificate

    def _client_authentication_setting(
        self, directory: Directory, auth_type: str
    ) -> ClientAuthenticationSetting:
        settings = self.client_authentication_settings.setdefault(
            directory.directory_id, {}
        )
        if auth_type not in settings:
            settings[auth_type] = ClientAuthenticationSetting(
                auth_type, "Disabled", directory.launch_time
            )
        return settings[auth_type]

    def _client_authentication_enabled(self, directory_id: str) -> bool:
        settings = self.client_authentication_settings.get(directory_id, {})
        return any(s.status == "Enabled" for s in settings.values())

    def _deregistration_delay(self) -> float:
        if self.certificate_deregistration_delay_seconds is not None:
            return float(self.certificate_deregistration_delay_seconds)
        return float(config.deregistration_delay_seconds)

    def _check_client_authentication_region(self) -> None:
        """AccessDeniedException outside the smart card Regions (each client
        authentication operation models it)."""
        if self.region_name not in SMART_CARD_API_REGIONS:
            raise AccessDeniedException(ACCESS_DENIED_REGION_MESSAGE)

    def _registration_delay(self) -> float:
        if self.certificate_registration_delay_seconds is not None:
            return float(self.certificate_registration_delay_seconds)
        return float(config.registration_delay_seconds)

    # ------------------------------------------------------------- operations
    def register_certificate(
        self,
        directory_id: str,
        certificate_data: str,
        certificate_type: str | None = None,
        client_cert_auth_settings: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> str:
        """Register a certificate; return its ID.

        ``now`` (not an API parameter) judges the 90-day rule, and is recorded as the
        registration time, at a given date instead of the clock.
        """
        certificate_type = certificate_type or DEFAULT_CERTIFICATE_TYPE
        ocsp_url = (client_cert_auth_settings or {}).get("OCSPUrl")
        errors = _check_id("directoryId", directory_id, DIRECTORY_ID_PATTERN)
        if certificate_data is None or not 1 <= len(certificate_data) <= CERTIFICATE_DATA_MAX_LENGTH:
            length = 0 if certificate_data is None else len(certificate_data)
            errors.append(
                (
                    "certificateData",
                    f"<{length} characters>",
                    f"have length between 1 and {CERTIFICATE_DATA_MAX_LENGTH}",
                )
            )
        errors += check_enum("type", certificate_type, CERTIFICATE_TYPES)
        if ocsp_url is not None:
            if not 1 <= len(ocsp_url) <= OCSP_URL_MAX_LENGTH:
                errors.append(
                    (
                        "clientCertAuthSettings.oCSPUrl",
                        ocsp_url[:64],
                        f"have length between 1 and {OCSP_URL_MAX_LENGTH}",
                    )
                )
            else:
                errors += check_pattern(
                    "clientCertAuthSettings.oCSPUrl", ocsp_url, OCSP_URL_PATTERN
                )
        _validate(errors)

        directory = self._get_certificate_directory(directory_id)
        if directory.directory_type not in CERTIFICATE_DIRECTORY_TYPES[certificate_type]:
            raise UnsupportedOperationException(
                f"Certificates of type {certificate_type} are not supported for "
                f"directory type {directory.directory_type}."
            )

        clock = _now()
        registered_at = _naive_utc(now) if now is not None else clock
        certificate = load_ca_certificate(certificate_data)
        check_ca_certificate_rules(certificate, registered_at)

        existing = [
            c
            for c in self._directory_certificates(directory_id).values()
            if c.certificate_type == certificate_type and c.is_active
        ]
        fingerprint = Certificate.fingerprint_of(certificate)
        if any(c.fingerprint == fingerprint for c in existing):
            raise CertificateAlreadyExistsException(
                f"The certificate has already been registered in directory {directory_id}."
            )
        limit = CERTIFICATE_LIMITS[certificate_type]
        if len(existing) >= limit:
            raise CertificateLimitExceededException(
                f"Certificate limit exceeded. A maximum of {limit} {certificate_type} "
                f"certificates can be registered per directory."
            )

        record = Certificate(
            directory_id=directory_id,
            certificate=certificate,
            certificate_type=certificate_type,
            ocsp_url=ocsp_url,
            registered_date_time=registered_at,
            ready_at=clock + timedelta(seconds=self._registration_delay()),
        )
        self._directory_certificates(directory_id)[record.certificate_id] = record
        return record.certificate_id

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_certificates(
        self, directory_id: str, limit: int | None = None
    ) -> list[Certificate]:
        """List the certificates of a directory, oldest registration first."""
        _validate(
            _check_id("directoryId", directory_id, DIRECTORY_ID_PATTERN)
            + _check_limit(limit)
        )
        directory = self._get_certificate_directory(directory_id)
        self._check_certificates_supported(directory)
        return list(self._directory_certificates(directory_id).values())

    def describe_certificate(self, directory_id: str, certificate_id: str) -> Certificate:
        _validate(
            _check_id("directoryId", directory_id, DIRECTORY_ID_PATTERN)
            + _check_id("certificateId", certificate_id, CERTIFICATE_ID_PATTERN)
        )
        directory = self._get_certificate_directory(directory_id)
        self._check_certificates_supported(directory)
        return self._get_certificate(directory_id, certificate_id)

    def deregister_certificate(self, directory_id: str, certificate_id: str) -> None:
        """Deregister the certificate: it reads ``Deregistering`` for the deregistration
        delay (0 s by default), then ``Deregistered`` for the retention (0 s by default),
        then it is gone from the system ("deletes from the system the certificate").

        The last usable ClientCertAuth certificate cannot go while client (smart card)
        authentication is enabled, nor the last ClientLDAPS certificate while LDAPS is
        enabled: CertificateInUseException.  A certificate already being deregistered
        answers CertificateDoesNotExistException (a choice: the reference is silent).
        """
        _validate(
            _check_id("directoryId", directory_id, DIRECTORY_ID_PATTERN)
            + _check_id("certificateId", certificate_id, CERTIFICATE_ID_PATTERN)
        )
        directory = self._get_certificate_directory(directory_id)
        self._check_certificates_supported(directory)
        certificate = self._get_certificate(directory_id, certificate_id)
        if certificate.deregistered_at is not None:
            raise CertificateDoesNotExistException(
                f"Certificate {certificate_id} is already being deregistered from directory "
                f"{directory_id}."
            )
        now = _now()
        others = [
            c
            for c in self._directory_certificates(directory_id).values()
            if c is not certificate and c.certificate_type == certificate.certificate_type
        ]
        if certificate.certificate_type == "ClientCertAuth":
            in_use = self._client_authentication_enabled(directory_id)
            still_usable = any(c.is_usable(now) for c in others)
            feature = "client authentication"
        else:
            in_use = any(
                s.ldaps_status == "Enabled" for s in directory.ldaps_settings_info
            )
            still_usable = any(c.state == "Registered" for c in others)
            feature = "LDAPS"
        if in_use and not still_usable:
            raise CertificateInUseException(
                f"Certificate {certificate_id} is the only registered "
                f"{certificate.certificate_type} certificate and is in use: disable "
                f"{feature} before deregistering it."
            )
        certificate.deregistered_at = now + timedelta(seconds=self._deregistration_delay())
        certificate.gone_at = certificate.deregistered_at + timedelta(
            seconds=float(config.deregistered_retention_seconds)
        )
        if certificate.is_gone(now):
            self._directory_certificates(directory_id).pop(certificate_id, None)

    def enable_client_authentication(self, directory_id: str, auth_type: str) -> None:
        _validate(
            _check_id("directoryId", directory_id, DIRECTORY_ID_PATTERN)
            + check_enum("type", auth_type, CLIENT_AUTHENTICATION_TYPES)
        )
        self._check_client_authentication_region()
        directory = self._get_certificate_directory(directory_id)
        self._check_client_authentication_supported(directory)
        if self._client_authentication_enabled(directory_id):
            raise InvalidClientAuthStatusException(
                "Client authentication is already enabled."
            )
        now = _now()
        if not any(
            c.certificate_type == "ClientCertAuth" and c.is_usable(now)
            for c in self._directory_certificates(directory_id).values()
        ):
            raise NoAvailableCertificateException(
                "Client authentication setup could not be completed because at least "
                "one valid certificate must be registered in the system."
            )
        setting = self._client_authentication_setting(directory, auth_type)
        setting.status = "Enabled"
        setting.last_updated_date_time = now

    def disable_client_authentication(self, directory_id: str, auth_type: str) -> None:
        _validate(
            _check_id("directoryId", directory_id, DIRECTORY_ID_PATTERN)
            + check_enum("type", auth_type, CLIENT_AUTHENTICATION_TYPES)
        )
        self._check_client_authentication_region()
        directory = self._get_certificate_directory(directory_id)
        self._check_client_authentication_supported(directory)
        setting = self._client_authentication_setting(directory, auth_type)
        if setting.status != "Enabled":
            raise InvalidClientAuthStatusException(
                f"Client authentication {auth_type} is already disabled."
            )
        setting.status = "Disabled"
        setting.last_updated_date_time = _now()

    @paginate(pagination_model=PAGINATION_MODEL)
    def describe_client_authentication_settings(
        self,
        directory_id: str,
        auth_type: str | None = None,
        limit: int | None = None,
    ) -> list[ClientAuthenticationSetting]:
        """One entry per client authentication type (or only ``auth_type``)."""
        _validate(
            _check_id("directoryId", directory_id, DIRECTORY_ID_PATTERN)
            + check_enum("type", auth_type, CLIENT_AUTHENTICATION_TYPES)
            + _check_limit(limit)
        )
        self._check_client_authentication_region()
        directory = self._get_certificate_directory(directory_id)
        self._check_client_authentication_supported(directory)
        types = [auth_type] if auth_type else list(CLIENT_AUTHENTICATION_TYPES)
        return [self._client_authentication_setting(directory, t) for t in types]

    # -------------------------------------------------------------- seed hooks
    def restore_certificate(
        self,
        directory_id: str,
        certificate_pem: str,
        cert_type: str = "ClientCertAuth",
        ocsp_url: str | None = None,
        *,
        registered_at: datetime | None = None,
        state: str = "Registered",
        state_reason: str = "",
    ) -> str:
        """Seed hook, not an API operation: record a registration made in the past.

        The record is stored as the live service may hold it, without the
        registration-time rules (CA flag, 90 days, RSASSA-PSS, limits, duplicates): a
        simulated world can hold a certificate that has since come close to expiry, or a
        ``RegisterFailed`` record with its reason. ``registered_at`` defaults to now.
        Returns the certificate ID.  The directory must exist
        (DirectoryDoesNotExistException); a wrong ``cert_type``, ``state`` or PEM raises
        ValueError.
        """
        if cert_type not in CERTIFICATE_TYPES:
            raise ValueError(f"cert_type must be one of {CERTIFICATE_TYPES}")
        if state not in CERTIFICATE_STATES:
            raise ValueError(f"state must be one of {CERTIFICATE_STATES}")
        directory = self._get_certificate_directory(directory_id)
        try:
            certificate = x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))
        except ValueError as exc:
            raise ValueError("certificate_pem is not a PEM certificate") from exc
        record = Certificate(
            directory_id=directory.directory_id,
            certificate=certificate,
            certificate_type=cert_type,
            ocsp_url=ocsp_url,
            registered_date_time=registered_at if registered_at is not None else _now(),
            state=state,
            state_reason=state_reason,
        )
        self._directory_certificates(directory_id)[record.certificate_id] = record
        return record.certificate_id

    def restore_client_authentication(
        self,
        directory_id: str,
        auth_type: str,
        status: str,
        *,
        last_updated: datetime | None = None,
    ) -> None:
        """Seed hook, not an API operation: set a client authentication status as is.

        No rule is applied (no Region, certificate or current-status check), so a
        simulated world can hold, e.g., ``SmartCardOrPassword`` enabled.  ``status`` is
        ``Enabled`` or ``Disabled``; ``last_updated`` defaults to now.
        """
        if auth_type not in CLIENT_AUTHENTICATION_TYPES:
            raise ValueError(f"auth_type must be one of {CLIENT_AUTHENTICATION_TYPES}")
        if status not in CLIENT_AUTHENTICATION_STATUSES:
            raise ValueError(f"status must be one of {CLIENT_AUTHENTICATION_STATUSES}")
        directory = self._get_certificate_directory(directory_id)
        setting = self._client_authentication_setting(directory, auth_type)
        setting.status = status
        setting.last_updated_date_time = _naive_utc(last_updated or _now())

