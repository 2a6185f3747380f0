"""A certificate's subject as Java prints it (``X500Principal.getName()``, RFC 2253 form), the
text Kafka's principal mapping rules and ACLs see: ``CN=alice,OU=eng,O=acme``.

Python's ``ssl`` gives the subject only as a parsed dictionary that loses how each value was
encoded, and Java's form depends on it, so the subject is read from the certificate's DER here:

- RDNs in reverse order of the certificate (most specific first), joined by ``,``; the values of
  a multi-valued RDN joined by ``+``;
- the attribute types RFC 2253 names by keyword (CN, C, L, ST, O, OU, STREET, DC, UID) by that
  keyword, any other (emailAddress, serialNumber, ...) by its dotted OID with the value as ``#``
  and the hex of its DER encoding, as Java does;
- in string values, ``, = + < > # ; " \\`` are escaped with a backslash, NUL as ``\\00``, and
  leading and trailing spaces with a backslash.

Only the few DER forms a certificate's subject uses are read; anything else is ValueError.
"""

from __future__ import annotations

_KEYWORDS = {
    "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
    "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
}
_STRING_TAGS = {0x0C: "utf-8", 0x13: "latin-1", 0x14: "latin-1", 0x16: "latin-1", 0x1B: "latin-1",
                0x1E: "utf-16-be"}  # UTF8, Printable, T61, IA5, General, BMP: the ones Java prints as text
_ESCAPED = ',=+<>#;"\\'
_SEQUENCE, _SET, _OID = 0x30, 0x31, 0x06


def subject_name(certificate_der: bytes) -> str:
    """The subject of a DER certificate in Java's RFC 2253 form."""
    certificate, _ = _read(certificate_der, 0, _SEQUENCE)
    tbs, _ = _read(certificate, 0, _SEQUENCE)
    position = 0
    if tbs[0] == 0xA0:  # [0] version
        position = _skip(tbs, position)
    for _ in range(4):  # serial number, signature algorithm, issuer, validity
        position = _skip(tbs, position)
    subject, _ = _read(tbs, position, _SEQUENCE)
    return name_text(subject)


def name_text(name: bytes) -> str:
    """A DER Name's content (the RDN SETs) in RFC 2253 form."""
    rdns, position = [], 0
    while position < len(name):
        rdn, position = _read(name, position, _SET)
        values, at = [], 0
        while at < len(rdn):
            pair, at = _read(rdn, at, _SEQUENCE)
            oid, after = _read(pair, 0, _OID)
            values.append(_attribute(_oid_text(oid), pair[after:]))
        rdns.append("+".join(values))
    return ",".join(reversed(rdns))


def _attribute(oid: str, value_der: bytes) -> str:
    keyword = _KEYWORDS.get(oid)
    tag = value_der[0]
    if keyword is None or tag not in _STRING_TAGS:
        return f"{keyword or oid}=#{value_der.hex()}"
    content, _ = _read(value_der, 0, tag)
    return f"{keyword}={escape_value(content.decode(_STRING_TAGS[tag], errors='replace'))}"


def escape_value(text: str) -> str:
    escaped = "".join("\\" + char if char in _ESCAPED else "\\00" if char == "\0" else char for char in text)
    lead = len(escaped) - len(escaped.lstrip(" \r"))
    trail = len(escaped.rstrip(" \r"))
    if lead == len(escaped):
        return "".join("\\" + char for char in escaped)
    return "".join("\\" + char for char in escaped[:lead]) + escaped[lead:trail] + \
        "".join("\\" + char for char in escaped[trail:])


def _oid_text(oid: bytes) -> str:
    numbers, value = [], 0
    for byte in oid:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(value)
            value = 0
    first = min(numbers[0] // 40, 2)
    return ".".join(map(str, [first, numbers[0] - 40 * first, *numbers[1:]]))


def _header(data: bytes, position: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the TLV at ``position``."""
    if position + 2 > len(data):
        raise ValueError("DER value runs past its end")
    tag, length = data[position], data[position + 1]
    start = position + 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4:
            raise ValueError("unsupported DER length")
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    if start + length > len(data):
        raise ValueError("DER value runs past its end")
    return tag, start, start + length


def _read(data: bytes, position: int, tag: int) -> tuple[bytes, int]:
    found, start, end = _header(data, position)
    if found != tag:
        raise ValueError(f"expected DER tag {tag:#x}, found {found:#x}")
    return data[start:end], end


def _skip(data: bytes, position: int) -> int:
    return _header(data, position)[2]
