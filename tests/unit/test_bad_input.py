"""Bad input gets a clear error naming the file, key or port and the fix, never a
traceback or a hang (issue 11; the list with what the user gets: docs/bad-input.md).

Process-level faults (busy ports, SIGTERM/SIGINT, SIGKILL clean-up, a profile path with
a space) are in tests/unit/test_processes.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wscard.errors import ProfileError
from wscard.profile import load_profile

LIVE = '[aws]\nmode = "live"\nregion = "{region}"\n{extra}\n[aws.directory]\nid = "d-1234567890"\n'


def write(tmp_path: Path, data: bytes | str, name: str = "p.toml") -> Path:
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return p


# --- 6: the profile file ------------------------------------------------------------------

def test_profile_not_utf8_names_file_line_and_fix(tmp_path):
    p = write(tmp_path, 'extends = "embedded"\n[aws.directory]\nname = "caf\xe9.example.com"\n'.encode("latin-1"))
    with pytest.raises(ProfileError) as exc:
        load_profile(p)
    msg = str(exc.value)
    assert str(p) in msg and "not UTF-8" in msg and "line 3" in msg and "save it as UTF-8" in msg


def test_profile_utf16_is_named_as_such(tmp_path):
    p = write(tmp_path, 'extends = "embedded"\n'.encode("utf-16"))  # Python writes a BOM, as PowerShell 5 does
    with pytest.raises(ProfileError, match="UTF-16.*save it as UTF-8"):
        load_profile(p)


def test_profile_utf8_with_byte_order_mark_is_accepted(tmp_path):
    # trap: Windows Notepad saves UTF-8 with a byte order mark; that is still UTF-8
    p = write(tmp_path, b'\xef\xbb\xbfextends = "embedded"\n[aws]\nregion = "us-east-1"\n')
    assert load_profile(p).aws.region == "us-east-1"


def test_profile_not_toml_names_line_and_column(tmp_path):
    p = write(tmp_path, "[aws]\nregion = us-east-1\n")
    with pytest.raises(ProfileError, match=r"p\.toml: not valid TOML: .*line 2"):
        load_profile(p)


def test_profile_that_is_a_folder(tmp_path):
    with pytest.raises(ProfileError, match="is a folder, not a profile file"):
        load_profile(tmp_path)


def test_profile_missing_file_and_builtin_hint(tmp_path):
    with pytest.raises(ProfileError, match="no such profile file$"):
        load_profile(tmp_path / "nope.toml")
    with pytest.raises(ProfileError, match="built-in profile is named without a path: embedded"):
        load_profile(tmp_path / "embeded")


# --- 7: the Region ------------------------------------------------------------------------

def test_unknown_region_refused_in_the_simulated_world_with_closest(tmp_path):
    p = write(tmp_path, '[aws]\nregion = "mars-north-7"\n')
    with pytest.raises(ProfileError) as exc:
        load_profile(p)
    msg = str(exc.value)
    assert "[aws].region" in msg and "mars-north-7" in msg and "did you mean" in msg


def test_misspelt_region_suggests_the_right_one(tmp_path):
    p = write(tmp_path, '[aws]\nregion = "us-gov-wset-1"\n')
    with pytest.raises(ProfileError, match="did you mean 'us-gov-west-1'"):
        load_profile(p)


def test_unknown_procedure_region_refused(tmp_path):
    p = write(tmp_path, '[aws]\nprocedure_region = "mars-north-7"\n')
    with pytest.raises(ProfileError, match=r"\[aws\]\.procedure_region"):
        load_profile(p)


def test_region_without_directory_service_cannot_be_simulated(tmp_path):
    from wscard.regions import all_regions, known_regions

    no_ds = sorted(set(all_regions()) - set(known_regions("ds")))
    if not no_ds:
        pytest.skip("this botocore lists Directory Service in every Region")
    p = write(tmp_path, f'[aws]\nregion = "{no_ds[0]}"\n')
    with pytest.raises(ProfileError, match="Directory Service is not offered"):
        load_profile(p)


def test_region_without_workspaces_cannot_be_simulated(tmp_path):
    # Directory Service but no WorkSpaces (eu-north-1 in botocore 1.44): moto's WorkSpaces
    # backend has no such Region, and the world's WorkSpaces scenarios crashed with KeyError
    from wscard.regions import known_regions

    ds_only = sorted(set(known_regions("ds")) - set(known_regions("workspaces")))
    if not ds_only:
        pytest.skip("this botocore lists WorkSpaces wherever it lists Directory Service")
    with pytest.raises(ProfileError, match="WorkSpaces is not offered"):
        load_profile(write(tmp_path, f'[aws]\nregion = "{ds_only[0]}"\n'))
    # trap: on live AWS the Region is fine (the REGION checks judge WorkSpaces there)
    assert load_profile(write(tmp_path, LIVE.format(region=ds_only[0], extra=""))).warnings == []


def test_live_region_fitting_no_partition_refused_unless_allowed(tmp_path):
    p = write(tmp_path, LIVE.format(region="mars-north-7", extra=""))
    with pytest.raises(ProfileError, match="allow_unknown_region = true"):
        load_profile(p)
    p = write(tmp_path, LIVE.format(region="mars-north-7", extra="allow_unknown_region = true"))
    prof = load_profile(p)
    assert prof.aws.region == "mars-north-7"
    assert any("[aws].region" in w and "mars-north-7" in w for w in prof.warnings)


def test_live_region_newer_than_botocore_is_a_warning_not_an_error(tmp_path):
    # a real Region added after the installed botocore fits its partition's pattern:
    # live mode must not refuse it; the warning says how to silence it
    p = write(tmp_path, LIVE.format(region="us-gov-north-9", extra=""))
    prof = load_profile(p)
    assert prof.warnings and "update boto3" in prof.warnings[0]


def test_known_regions_give_no_warning(tmp_path):
    # trap: GovCloud, China and the commercial partition are all known
    for region in ("us-gov-west-1", "us-gov-east-1", "cn-northwest-1", "eu-west-1"):
        assert load_profile(write(tmp_path, f'[aws]\nregion = "{region}"\n')).warnings == []
        assert load_profile(write(tmp_path, LIVE.format(region=region, extra=""))).warnings == []


# --- 12: the endpoint guard's escape ---------------------------------------------------------

def test_simulated_endpoint_flag_needs_an_endpoint(tmp_path):
    with pytest.raises(ProfileError, match=r"\[aws\]\.endpoint_simulated: applies to mode 'endpoint' only"):
        load_profile(write(tmp_path, '[aws]\nendpoint_simulated = true\n'))
    p = write(tmp_path, '[aws]\nmode = "endpoint"\nendpoint_url = "http://127.0.0.1:5000"\nendpoint_simulated = true\n'
                        '[aws.directory]\nid = "d-1234567890"\n')
    assert load_profile(p).aws.endpoint_simulated is True
