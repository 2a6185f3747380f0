"""TLS, SASL and ACLs together, as the README's worked example sets them up: one SASL_SSL listener,
a PLAIN super user from the JAAS config, SCRAM users added by that admin over the wire
(AlterUserScramCredentials), and ACLs (CreateAcls) that let one of them produce to a topic.

confluent-kafka (librdkafka) is the client throughout: it logs in with SCRAM-SHA-512 through TLS,
verifying the broker's certificate against the run's CA.

These run against Apache Kafka 4.3 too (``ODRADEK_COMPAT_TARGET=kafka``), with the same settings
(``java.targets.start_sasl_broker``): every outcome here is Kafka's.
"""

from __future__ import annotations

import confluent_kafka
import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from odradek.wire import ApiKey, ErrorCode

from .certificates import KEY_PASSWORD, make_certificates
from .clients import ck_produce, ck_read, wait_until
from .java.targets import start_sasl_broker, stop_broker
from .sasl_helpers import SaslWire

ADMIN_JAAS = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" '
              'password="admin-secret" user_admin="admin-secret";')
TIMEOUT = 30


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def broker(certs, tmp_path_factory):
    overrides = {
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": certs.broker.keystore,
        "ssl.key.password": KEY_PASSWORD,
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-512",
        "listener.name.sasl_ssl.plain.sasl.jaas.config": ADMIN_JAAS,
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users": "User:admin",
    }
    process = start_sasl_broker(tmp_path_factory.mktemp("data"), overrides, protocol="SASL_SSL")
    yield process
    stop_broker(process)


def settings(broker, certs, mechanism: str, user: str, password: str) -> dict:
    return {"bootstrap.servers": broker.bootstrap, "security.protocol": "SASL_SSL",
            "ssl.ca.location": str(certs.ca), "sasl.mechanisms": mechanism, "sasl.username": user,
            "sasl.password": password}


@pytest.fixture(scope="module")
def admin(broker, certs):
    client = confluent_kafka.admin.AdminClient(settings(broker, certs, "PLAIN", "admin", "admin-secret"))
    for user in ("alice", "bob"):
        upsert = UserScramCredentialUpsertion(user, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                                              f"{user}-secret".encode())
        client.alter_user_scram_credentials([upsert])[user].result(TIMEOUT)
    client.create_topics([NewTopic("orders", 1, 1)])["orders"].result(TIMEOUT)
    return client


def producer(broker, certs, user: str, password: str) -> confluent_kafka.Producer:
    return confluent_kafka.Producer({**settings(broker, certs, "SCRAM-SHA-512", user, password),
                                     "message.timeout.ms": 10_000, "linger.ms": 5})


def delivery_error(broker, certs, user: str, password: str) -> KafkaError | None:
    """Produce one record as ``user``: None if it was acknowledged, else the client's error."""
    errors: list = []
    client = producer(broker, certs, user, password)
    client.produce("orders", b"one", on_delivery=lambda error, _message: errors.append(error))
    client.flush(15)
    return errors[0] if errors else KafkaError(KafkaError._MSG_TIMED_OUT)


def test_a_scram_user_produces_once_an_acl_allows_it(broker, certs, admin):
    denied = delivery_error(broker, certs, "alice", "alice-secret")
    assert denied is not None and denied.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED

    allow = AclBinding(ResourceType.TOPIC, "orders", ResourcePatternType.LITERAL, "User:alice", "*",
                       AclOperation.WRITE, AclPermissionType.ALLOW)
    admin.create_acls([allow])[allow].result(TIMEOUT)
    client = producer(broker, certs, "alice", "alice-secret")
    ck_produce(client, "orders", [(None, b"order-%d" % i) for i in range(5)])

    # the admin (a super user) reads them back; bob, with no ACL, sees no topic at all
    reader = confluent_kafka.Consumer({**settings(broker, certs, "PLAIN", "admin", "admin-secret"),
                                       "group.id": "audit", "enable.auto.commit": False})
    try:
        reader.assign([confluent_kafka.TopicPartition("orders", 0, 0)])
        assert [m.value() for m in ck_read(reader, 5)] == [b"order-%d" % i for i in range(5)]
    finally:
        reader.close()
    bob = confluent_kafka.admin.AdminClient(settings(broker, certs, "SCRAM-SHA-512", "bob", "bob-secret"))
    assert "orders" not in bob.list_topics(timeout=TIMEOUT).topics


def test_a_wrong_password_is_refused_over_tls(broker, certs, admin):
    """librdkafka reports Kafka's SASL_AUTHENTICATION_FAILED for SCRAM as its _AUTHENTICATION error."""
    errors: list[KafkaError] = []
    client = confluent_kafka.admin.AdminClient({**settings(broker, certs, "SCRAM-SHA-512", "alice", "wrong"),
                                                "error_cb": errors.append})
    with pytest.raises(KafkaException):
        client.list_topics(timeout=10)

    def refused():
        client.poll(0.2)
        return next((e for e in errors if e.code() == KafkaError._AUTHENTICATION), None)
    error = wait_until(refused, timeout=TIMEOUT, what="librdkafka's authentication error")
    assert "invalid credentials with SASL mechanism SCRAM-SHA-512" in error.str()


def test_the_admin_describes_scram_users_and_others_may_not(broker, certs, admin):
    described = admin.describe_user_scram_credentials(["alice", "bob"])
    for user in ("alice", "bob"):
        [info] = described[user].result(TIMEOUT).scram_credential_infos
        assert (info.mechanism, info.iterations) == (ScramMechanism.SCRAM_SHA_512, 4096)
    # bob's refusal, on the wire: confluent-kafka 2.16 frees a bad pointer handling it (on Kafka too)
    with SaslWire(broker).over_tls(certs.ca) as bob:
        assert bob.login_scram("SCRAM-SHA-512", "bob", "bob-secret") == ErrorCode.NONE
        refused = bob.send(ApiKey.DESCRIBE_USER_SCRAM_CREDENTIALS, 0, {"users": [{"name": "alice"}]})
    assert (refused.error_code, refused.error_message) == (ErrorCode.CLUSTER_AUTHORIZATION_FAILED, None)
    assert [(r.user, r.error_code, r.error_message) for r in refused.results] == [
        ("", ErrorCode.CLUSTER_AUTHORIZATION_FAILED, None)]
