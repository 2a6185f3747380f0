"""Certificates made by the test run, as PEM files: a CA, a broker certificate for localhost and
127.0.0.1, client certificates, an expired one and one from a CA nobody trusts.

Kafka reads PEM stores in one shape (KIP-651): a keystore file holding the private key (PKCS#8,
encrypted with ``ssl.key.password`` or not) followed by the certificate chain, and a truststore
file of CA certificates. The same files serve kafka-python, librdkafka and the Java tools. EC keys
keep generation fast.
"""

from __future__ import annotations

import datetime
import ipaddress
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_PASSWORD = "broker-key-secret"
_ATTRIBUTES = {"CN": NameOID.COMMON_NAME, "OU": NameOID.ORGANIZATIONAL_UNIT_NAME, "O": NameOID.ORGANIZATION_NAME,
               "L": NameOID.LOCALITY_NAME, "ST": NameOID.STATE_OR_PROVINCE_NAME, "C": NameOID.COUNTRY_NAME,
               "EMAIL": NameOID.EMAIL_ADDRESS}


@dataclass(frozen=True)
class Identity:
    """One certificate: its key and certificate files, and both in one Kafka PEM keystore."""

    key: Path  # unencrypted PKCS#8 private key
    certificate: Path  # the certificate followed by its issuing CA
    keystore: Path  # the key (encrypted with ``password`` if given) then the chain, as Kafka reads it
    password: str | None = None


@dataclass(frozen=True)
class Certificates:
    ca: Path  # the trusted CA's certificate: the truststore
    broker: Identity  # localhost / 127.0.0.1, its key encrypted with KEY_PASSWORD
    alice: Identity  # CN=alice,OU=eng,O=acme
    bob: Identity  # CN=bob,OU=ops,O=acme
    expired: Identity  # CN=old,O=acme: valid until yesterday
    stranger: Identity  # CN=mallory,O=evil, issued by a CA nobody trusts
    stranger_ca: Path


def make_certificates(directory: Path) -> Certificates:
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, ca_cert = _authority("CN=odradek test CA,O=acme", now)
    rogue_key, rogue_cert = _authority("CN=rogue CA,O=evil", now)
    (directory / "ca.pem").write_bytes(_pem(ca_cert))
    (directory / "rogue-ca.pem").write_bytes(_pem(rogue_cert))

    def identity(name: str, subject: str, issuer=(ca_key, ca_cert), server: bool = False,
                 until: datetime.datetime | None = None, password: str | None = None) -> Identity:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = _builder(subject, issuer[1].subject, key, now - datetime.timedelta(days=2),
                           until or now + datetime.timedelta(days=30))
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage, ExtendedKeyUsageOID.CLIENT_AUTH]),
                                        critical=False)
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        certificate = builder.sign(issuer[0], hashes.SHA256())
        chain = _pem(certificate) + _pem(issuer[1])
        plain_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        stored_key = plain_key if password is None else _encrypted(plain_key, password)
        paths = Identity(directory / f"{name}.key", directory / f"{name}.crt", directory / f"{name}.keystore.pem",
                         password)
        paths.key.write_bytes(plain_key)
        paths.certificate.write_bytes(chain)
        paths.keystore.write_bytes(stored_key + chain)
        return paths

    return Certificates(
        ca=directory / "ca.pem",
        broker=identity("broker", "CN=localhost,O=acme", server=True, password=KEY_PASSWORD),
        alice=identity("alice", "CN=alice,OU=eng,O=acme"),
        bob=identity("bob", "CN=bob,OU=ops,O=acme"),
        expired=identity("expired", "CN=old,O=acme", until=now - datetime.timedelta(days=1)),
        stranger=identity("stranger", "CN=mallory,O=evil", issuer=(rogue_key, rogue_cert)),
        stranger_ca=directory / "rogue-ca.pem",
    )


def _encrypted(plain_key: bytes, password: str) -> bytes:
    """The key as encrypted PKCS#8 that both OpenSSL and Java 17 read: PBE with SHA-1 and 3DES
    (Java 17 has no PBES2 key factory, which is what ``cryptography`` would write), made with the
    ``openssl`` command."""
    done = subprocess.run(["openssl", "pkcs8", "-topk8", "-v1", "PBE-SHA1-3DES", "-passout", f"pass:{password}"],
                          input=plain_key, capture_output=True, check=True, timeout=30)
    return done.stdout


def name(text: str) -> x509.Name:
    """``CN=alice,OU=eng,O=acme`` (most specific first, as RFC 2253 writes it) as an x509 Name."""
    parts = [part.split("=", 1) for part in text.split(",")]
    return x509.Name([x509.NameAttribute(_ATTRIBUTES[key.strip().upper()], value) for key, value in reversed(parts)])


def _authority(subject: str, now: datetime.datetime):
    key = ec.generate_private_key(ec.SECP256R1())
    builder = _builder(subject, name(subject), key, now - datetime.timedelta(days=2), now + datetime.timedelta(days=60))
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    builder = builder.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                                  key_encipherment=False, data_encipherment=False,
                                                  key_agreement=False, key_cert_sign=True, crl_sign=True,
                                                  encipher_only=False, decipher_only=False), critical=True)
    return key, builder.sign(key, hashes.SHA256())


def _builder(subject: str, issuer: x509.Name, key, start, end) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end))


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)
