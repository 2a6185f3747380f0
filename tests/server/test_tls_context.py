"""TLS listener contexts from Kafka's ssl.* properties: what is read, what wins, and the one-line
start-up errors for stores that cannot be used."""

import ssl

import pytest

from compat_tests.certificates import KEY_PASSWORD, make_certificates
from odradek.server.broker_config import BrokerConfig
from odradek.server.security.cipher_suites import openssl_name
from odradek.server.security.tls_context import client_context, listener_tls
from odradek.server.startup_error import ConfigError


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


def _props(certs, **extra):
    return {"ssl.keystore.type": "PEM", "ssl.keystore.location": str(certs.broker.keystore),
            "ssl.key.password": KEY_PASSWORD, "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(certs.ca), **extra}


def test_a_pem_keystore_file_and_truststore(certs):
    tls = listener_tls(_props(certs, **{"ssl.client.auth": "required"}), "SSL", "SSL")
    assert tls.client_auth == "required"
    assert tls.context.verify_mode == ssl.CERT_REQUIRED
    assert tls.context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert tls.context.maximum_version == ssl.TLSVersion.TLSv1_3


def test_inline_pem_keystore_and_truststore(certs):
    key = certs.alice.key.read_text()
    chain = certs.alice.certificate.read_text()
    props = {"ssl.keystore.type": "PEM", "ssl.keystore.key": key.replace("\n", ""),  # as line continuations
             "ssl.keystore.certificate.chain": chain.replace("\n", "\\n"), "ssl.truststore.type": "PEM",
             "ssl.truststore.certificates": certs.ca.read_text(), "ssl.client.auth": "requested"}
    assert listener_tls(props, "SSL", "SSL").context.verify_mode == ssl.CERT_OPTIONAL


def test_the_listener_prefix_wins_and_sasl_ssl_takes_client_auth_only_from_it(certs):
    props = _props(certs, **{"ssl.client.auth": "required", "listener.name.inside.ssl.client.auth": "none",
                             "listener.name.inside.ssl.enabled.protocols": "TLSv1.3"})
    inside = listener_tls(props, "INSIDE", "SSL")
    assert inside.client_auth == "none"
    assert inside.context.minimum_version == ssl.TLSVersion.TLSv1_3
    assert listener_tls(props, "SECURE", "SASL_SSL").client_auth == "none"
    assert listener_tls(props, "OUTSIDE", "SSL").client_auth == "required"


@pytest.mark.parametrize("change, message", [
    ({"ssl.keystore.location": "/no/such.pem"}, "ssl.keystore.location=/no/such.pem: no such file"),
    ({"ssl.key.password": "wrong"}, "not a usable PEM private key and certificate chain (or the wrong ssl.key.password)"),
    ({"ssl.keystore.type": None}, "ssl.keystore.type=JKS: odradek reads PEM keys and certificates only"),
    ({"ssl.keystore.password": "x"}, "ssl.keystore.password: a PEM keystore has no store password"),
    ({"ssl.truststore.location": "/no/ca.pem", "ssl.client.auth": "required"},
     "ssl.truststore.location=/no/ca.pem: no such file"),
    ({"ssl.client.auth": "maybe"}, "ssl.client.auth=maybe: must be one of required, requested, none"),
    ({"ssl.enabled.protocols": "TLSv1.2,SSLv2"}, "ssl.enabled.protocols: SSLv2: the protocols odradek can enable"),
    ({"ssl.cipher.suites": "TLS_NOPE_WITH_NOTHING"}, "ssl.cipher.suites: cipher suite TLS_NOPE_WITH_NOTHING is not"),
    ({"ssl.principal.mapping.rules": "RULE:x/y"}, "ssl.principal.mapping.rules: Invalid rule"),
])
def test_unusable_settings_are_one_line_naming_the_property(certs, change, message):
    props = {key: value for key, value in {**_props(certs), **change}.items() if value is not None}
    with pytest.raises(ConfigError) as raised:
        listener_tls(props, "SSL", "SSL")
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_not_pem_keystore_file(certs, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key\n")
    with pytest.raises(ConfigError, match=f"ssl.keystore.location={bad}: not a usable PEM private key"):
        listener_tls(_props(certs, **{"ssl.keystore.location": str(bad)}), "SSL", "SSL")


def test_cipher_suites_by_their_java_names(certs):
    assert openssl_name("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256") == "ECDHE-ECDSA-AES128-GCM-SHA256"
    assert openssl_name("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256") == "ECDHE-RSA-CHACHA20-POLY1305"
    assert openssl_name("TLS_RSA_WITH_AES_256_CBC_SHA") == "AES256-SHA"
    tls12 = listener_tls(_props(certs, **{"ssl.cipher.suites": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}),
                         "SSL", "SSL")
    assert tls12.context.maximum_version == ssl.TLSVersion.TLSv1_2  # no TLS 1.3 suite listed
    with pytest.raises(ConfigError, match="cannot choose among TLS 1.3 cipher suites"):
        listener_tls(_props(certs, **{"ssl.cipher.suites": "TLS_AES_128_GCM_SHA256"}), "SSL", "SSL")


def test_the_broker_config_builds_each_tls_listener_and_the_inter_broker_client(certs):
    config = BrokerConfig.load(overrides=[f"{k}={v}" for k, v in _props(certs).items()] + [
        "listeners=PLAINTEXT://:9092,INTERNAL://:9093", "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:SSL",
        "inter.broker.listener.name=INTERNAL"])
    assert list(config.listener_tls) == ["INTERNAL"]
    assert config.inter_broker_tls.check_hostname and config.inter_broker_tls.verify_mode == ssl.CERT_REQUIRED
    assert client_context(_props(certs, **{"ssl.endpoint.identification.algorithm": ""}), "X", "SSL").check_hostname \
        is False
