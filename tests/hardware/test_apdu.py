import pytest

from hardware.apdu import (Command, Response, iter_tlv, parse_stlv_headers, parse_stlv_inline, read_tlv, split_stlv,
                           stlv_header, stlv_inline, tlv, tlv_dict)
from hardware import piv


@pytest.mark.parametrize("cmd", [
    Command(0, 0xA4, 4, 0, bytes(range(9)), 256),
    Command(0, 0x20, 0, 0x80),
    Command(0, 0xC0, 0, 0, b"", 0x10),
    Command(0, 0xDB, 0x3F, 0xFF, b"x" * 300, None),
    Command(0, 0xCB, 0x3F, 0xFF, b"\x5c\x01\x7e", 4096),
])
def test_command_round_trip(cmd):
    assert Command.parse(cmd.encode()) == cmd


def test_short_and_extended_encodings():
    assert Command(0, 0xA4, 4, 0, b"\xa0", 0).encode() == bytes.fromhex("00A4040001A000")
    assert Command(0, 0xB0, 0, 0, b"", 256).encode() == bytes.fromhex("00B0000000")
    ext = Command(0, 0xCB, 0x3F, 0xFF, b"a" * 256).encode()
    assert ext[4:7] == b"\x00\x01\x00"


def test_bad_apdus_are_refused():
    for raw in (b"\x00\xa4", bytes.fromhex("00A4040005A000")):
        with pytest.raises(ValueError):
            Command.parse(raw)


def test_response():
    r = Response.parse(b"\x01\x02\x90\x00")
    assert r.ok and r.data == b"\x01\x02" and r.encode() == b"\x01\x02\x90\x00"
    assert Response.parse(b"\x63\xc2").sw2 == 0xC2


def test_ber_tlv_multibyte_tags_and_long_lengths():
    body = b"z" * 300
    enc = tlv(0x5FC102, body)
    assert enc[:3] == b"\x5f\xc1\x02" and enc[3:6] == b"\x82\x01\x2c"
    item = read_tlv(enc)
    assert item.tag == 0x5FC102 and item.value == body
    assert tlv_dict(tlv(0x30, b"a") + b"\x00\xff" + tlv(0x34, b"b")) == {0x30: b"a", 0x34: b"b"}
    with pytest.raises(ValueError):
        read_tlv(b"\x53\x05ab")


def test_simple_tlv():
    assert stlv_header(0x70, 10) == b"\x70\x0a"
    assert stlv_header(0x70, 1000) == b"\x70\xff\xe8\x03"
    tl = stlv_header(0x70, 1000) + stlv_header(0x71, 1)
    assert parse_stlv_headers(tl) == [(0x70, 1000), (0x71, 1)]
    assert split_stlv(tl, b"c" * 1000 + b"\x00") == [(0x70, b"c" * 1000), (0x71, b"\x00")]
    assert parse_stlv_inline(stlv_inline([(0x41, b"\x01\x00"), (0x43, b"x" * 300)])) == [
        (0x41, b"\x01\x00"), (0x43, b"x" * 300)]


def test_fascn_round_trip_and_parity():
    raw = piv.encode_fascn("9999", "9999", "999999", "0", "1", "1234567890", "1", "1223", "2")
    assert len(raw) == 25 and raw[0] == 0xD4  # SS then '9': the familiar D4 prefix
    d = piv.decode_fascn(raw)
    assert d["agency_code"] == "9999" and d["person_identifier"] == "1234567890"
    assert d["organizational_identifier"] == "1223"
    broken = bytes([raw[0] ^ 0x08]) + raw[1:]
    with pytest.raises(ValueError):
        piv.decode_fascn(broken)


def test_chuid_and_ccc_objects():
    fascn = piv.encode_fascn("1234", "5678", "000001")
    chuid = piv.parse_chuid(piv.build_chuid(fascn, bytes(range(16)), "20301231"))
    assert chuid.guid_hex == bytes(range(16)).hex().upper()
    assert chuid.fascn_fields["system_code"] == "5678" and chuid.expiry == "20301231"
    assert not piv.parse_ccc(piv.build_ccc(b"\xa0" * 21)).cac_pki_endpoint
    assert piv.parse_ccc(piv.build_ccc(b"\xa0" * 21, cac_pki_endpoint=True)).cac_pki_endpoint
    assert [t.tag for t in iter_tlv(piv.build_discovery())] == [0x7E]
