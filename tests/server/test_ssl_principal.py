"""Mutual TLS principals: a certificate subject in Java's RFC 2253 form, and Kafka's
``ssl.principal.mapping.rules``. The expected subjects were printed by Java 17's
``X509Certificate.getSubjectX500Principal().getName()`` for the same certificates."""

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from odradek.server.security.distinguished_name import subject_name
from odradek.server.security.ssl_principal_mapper import NoMatchingRule, SslPrincipalMapper

A, RDN = x509.NameAttribute, x509.RelativeDistinguishedName


def _der(name: x509.Name) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                   .sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("name, java", [
    (x509.Name([A(NameOID.COUNTRY_NAME, "US"), A(NameOID.ORGANIZATION_NAME, "acme"),
                A(NameOID.ORGANIZATIONAL_UNIT_NAME, "eng"), A(NameOID.COMMON_NAME, "alice")]),
     "CN=alice,OU=eng,O=acme,C=US"),
    (x509.Name([A(NameOID.ORGANIZATION_NAME, "acme"), A(NameOID.COMMON_NAME, "alice"),
                A(NameOID.EMAIL_ADDRESS, "alice@acme.com")]),
     "1.2.840.113549.1.9.1=#160e616c6963654061636d652e636f6d,CN=alice,O=acme"),
    (x509.Name([A(NameOID.ORGANIZATION_NAME, "Sue, Grabbit and Runn"),
                A(NameOID.COMMON_NAME, ' #lead+a=b<c>;"q\\ trail ')]),
     'CN=\\ \\#lead\\+a\\=b\\<c\\>\\;\\"q\\\\ trail\\ ,O=Sue\\, Grabbit and Runn'),
    (x509.Name([RDN([A(NameOID.ORGANIZATION_NAME, "acme")]),
                RDN([A(NameOID.COMMON_NAME, "bob"), A(NameOID.USER_ID, "b42")])]),
     "CN=bob+UID=b42,O=acme"),
    (x509.Name([A(NameOID.COMMON_NAME, "Printable Name", _type=_ASN1Type.PrintableString),
                A(NameOID.SERIAL_NUMBER, "1234"), A(NameOID.DOMAIN_COMPONENT, "example"),
                A(NameOID.STREET_ADDRESS, "Main St"), A(NameOID.LOCALITY_NAME, "Zürich"),
                A(NameOID.STATE_OR_PROVINCE_NAME, "ZH")]),
     "ST=ZH,L=Zürich,STREET=Main St,DC=example,2.5.4.5=#130431323334,CN=Printable Name"),
    (x509.Name([A(NameOID.TITLE, "boss"), A(NameOID.GIVEN_NAME, "Al"), A(NameOID.COMMON_NAME, "star*_@x")]),
     "CN=star*_@x,2.5.4.42=#0c02416c,2.5.4.12=#0c04626f7373"),
])
def test_subject_as_java_prints_it(name, java):
    assert subject_name(_der(name)) == java


def test_a_truncated_certificate_is_a_value_error():
    with pytest.raises(ValueError):
        subject_name(_der(x509.Name([A(NameOID.COMMON_NAME, "x")]))[:40])


def test_rules_map_the_subject():
    mapper = SslPrincipalMapper(", ".join([
        "RULE:^CN=(.*?),OU=Services.*$/$1/L",
        "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L",
        "RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U",
        "DEFAULT",
    ]))
    assert mapper.name("CN=Kafka,OU=Services,O=Org,C=NL") == "kafka"
    assert mapper.name("CN=Ann,OU=Ops,O=acme,L=Utrecht,ST=UT,C=NL") == "ann@ops"
    assert mapper.name("cn=ann,ou=ops,dc=acme,dc=nl") == "ANN@OPS"
    assert mapper.name("OU=Ops,O=acme,C=NL") == "OU=Ops,O=acme,C=NL"


def test_default_keeps_the_subject_whole_and_no_rule_is_no_name():
    assert SslPrincipalMapper().name("CN=alice,O=acme") == "CN=alice,O=acme"
    with pytest.raises(NoMatchingRule, match="No rules apply to CN=alice,O=acme"):
        SslPrincipalMapper("RULE:^CN=(.*),OU=eng$/$1/").name("CN=alice,O=acme")


def test_replacement_references_as_java_reads_them():
    # $2 names no group of a one-group pattern: Kafka keeps it as text; "\," is a comma
    assert SslPrincipalMapper("RULE:^CN=([a-z]+),.*$/$1-$2/").name("CN=ann,O=x") == "ann-$2"
    assert SslPrincipalMapper(r"RULE:^CN=([a-z]+),O=(.*)$/$2\,$1/").name("CN=ann,O=x") == "x,ann"
    # $12 with two groups is group 1 followed by "2"
    assert SslPrincipalMapper("RULE:^CN=(a)(n+),.*$/$12/").name("CN=ann,O=x") == "a2"


def test_an_escaped_comma_inside_a_value():
    mapper = SslPrincipalMapper(r"RULE:^CN=((\\, *|\w)+)(,.*|$)/$1/,DEFAULT")
    assert mapper.name(r"CN=Doe\, Jane,OU=ops,DC=acme") == r"Doe\, Jane"


@pytest.mark.parametrize("rules, expected", [
    ("", []), ("DEFAULT", ["DEFAULT"]), ("  RULE:// ,  DEFAULT  ", ["RULE:/", "DEFAULT"]),
    (",,RULE://,,,DEFAULT,,", ["RULE:/", "DEFAULT"]),
    ("  RULE:([A-Z]*)/$1/U   ,RULE:([a-z]+)/$1/,   DEFAULT  ", ["RULE:([A-Z]*)/$1/U", "RULE:([a-z]+)/$1", "DEFAULT"]),
])
def test_rules_split_as_kafka_splits_them(rules, expected):
    assert [str(rule) for rule in SslPrincipalMapper(rules).rules] == expected


@pytest.mark.parametrize("rules", [
    "default", "DEFAUL", "DEFAULT/L", "RULE:^CN=(.*?)$/$1", "rule:^CN=(.*)$/$1/", "RULE:^CN=(.*)$/$1/L/U",
    "RULE:^CN=(.*)$/U", "RULE:^CN=(.*)$/$1/LU",
])
def test_invalid_rules_are_refused(rules):
    with pytest.raises(ValueError, match="Invalid rule"):
        SslPrincipalMapper(rules)
