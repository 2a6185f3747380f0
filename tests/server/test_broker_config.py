"""Broker configuration: Kafka's property syntax, names and defaults."""

import re
from pathlib import Path

import pytest

from odradek.server.security.acl.authorizer_config import authorizer_enabled

from odradek.server.broker_config import BrokerConfig
from odradek.server.listeners import Listener, parse_listener
from odradek.server.properties import parse_override, parse_properties
from odradek.server.startup_error import ConfigError


def test_properties_syntax_as_java_reads_it():
    text = (
        "# comment\n"
        "! also a comment\n"
        "node.id=3\n"
        "listeners : PLAINTEXT://:19092\n"
        "log.dirs /var/data\n"
        "long.value=a,\\\n"
        "    b\n"
        "escaped\\=key=tab\\there\n"
        "unicode=caf\\u00e9\n"
        "empty=\n"
    )
    assert parse_properties(text) == {
        "node.id": "3",
        "listeners": "PLAINTEXT://:19092",
        "log.dirs": "/var/data",
        "long.value": "a,b",
        "escaped=key": "tab\there",
        "unicode": "café",
        "empty": "",
    }


def test_override_needs_key_and_value():
    assert parse_override("num.partitions=3") == ("num.partitions", "3")
    with pytest.raises(ValueError):
        parse_override("num.partitions")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("PLAINTEXT://:9092", Listener("PLAINTEXT", "", 9092)),
        ("plaintext://0.0.0.0:9093", Listener("PLAINTEXT", "0.0.0.0", 9093)),
        ("PLAINTEXT://[::1]:9094", Listener("PLAINTEXT", "::1", 9094)),
        ("INTERNAL://broker.example:29092", Listener("INTERNAL", "broker.example", 29092)),
    ],
)
def test_listener_parsing(text, expected):
    assert parse_listener(text) == expected


def test_defaults_are_kafkas():
    config = BrokerConfig.load()
    assert config.listener == Listener("PLAINTEXT", "", 9092)
    assert config.advertised == Listener("PLAINTEXT", "localhost", 9092)
    assert config.data_dir == Path("./odradek-data")
    assert config.num_partitions == 1
    assert config.default_replication_factor == 1
    assert config.auto_create_topics is True
    assert config.socket_request_max_bytes == 104857600
    assert config.node_id == 1


def test_file_then_overrides_then_flags(tmp_path):
    props = tmp_path / "server.properties"
    props.write_text(
        "node.id=7\n"
        "listeners=PLAINTEXT://:9092,CONTROLLER://:9093\n"
        "controller.listener.names=CONTROLLER\n"
        "advertised.listeners=PLAINTEXT://kafka.example:9092\n"
        "log.dirs=/data/a,/data/b\n"
        "num.partitions=2\n"
    )
    config = BrokerConfig.load(str(props), ["num.partitions=6"], host="127.0.0.1", data_dir=str(tmp_path))
    assert config.node_id == 7
    assert config.listener == Listener("PLAINTEXT", "127.0.0.1", 9092)
    assert config.advertised == Listener("PLAINTEXT", "kafka.example", 9092)
    assert config.num_partitions == 6
    assert config.data_dir == tmp_path


def test_broker_id_is_a_synonym_for_node_id():
    assert BrokerConfig({"broker.id": "4"}).node_id == 4
    assert BrokerConfig({"broker.id": "4", "node.id": "5"}).node_id == 5


def test_bad_settings_fail_at_load_naming_the_property():
    with pytest.raises(ConfigError, match="configuration num.partitions: Not a number of type INT"):
        BrokerConfig.load(overrides=["num.partitions=many"])
    with pytest.raises(ConfigError, match="^listeners: "):
        BrokerConfig.load(overrides=["listeners=nonsense"])
    with pytest.raises(ConfigError, match="log.segment.bytes"):
        BrokerConfig.load(overrides=["log.segment.bytes=100"])
    with pytest.raises(ConfigError, match="auto.create.topics.enable: Expected value to be either true or false"):
        BrokerConfig.load(overrides=["auto.create.topics.enable=yes"])
    with pytest.raises(ConfigError, match="^--override: "):
        BrokerConfig.load(overrides=["num.partitions"])
    with pytest.raises(ConfigError, match="cannot read properties file /no/such/server.properties"):
        BrokerConfig.load("/no/such/server.properties")


def test_a_custom_listener_name_takes_its_protocol_from_the_map():
    with pytest.raises(ConfigError, match=r"listener SECURE \(SASL_SSL\) has no key and certificate"):
        BrokerConfig.load(overrides=["listeners=INSIDE://:9092,SECURE://:9093",
                                     "listener.security.protocol.map=INSIDE:PLAINTEXT,SECURE:SASL_SSL"])
    with pytest.raises(ConfigError, match="no security protocol is defined for listener INSIDE"):
        BrokerConfig.load(overrides=["listeners=INSIDE://:9092"])
    config = BrokerConfig.load(overrides=["listeners=INSIDE://:9092,OUTSIDE://:9093",
                                          "advertised.listeners=OUTSIDE://broker.example:19093",
                                          "listener.security.protocol.map=INSIDE:PLAINTEXT,OUTSIDE:PLAINTEXT"])
    listeners = config.listener_config
    assert [str(listener) for listener in listeners.listeners] == ["INSIDE://:9092", "OUTSIDE://:9093"]
    assert listeners.advertised == {"INSIDE": Listener("INSIDE", "localhost", 9092),
                                    "OUTSIDE": Listener("OUTSIDE", "broker.example", 19093)}
    assert listeners.inter_broker == "INSIDE"


@pytest.mark.parametrize("setting", [
    "sasl.kerberos.service.name=kafka", "listener.name.sasl_plaintext.gssapi.sasl.jaas.config=x",
    "sasl.server.callback.handler.class=com.example.Handler", "sasl.oauthbearer.jwks.endpoint.url=https://x",
])
def test_security_settings_are_refused_not_ignored(setting):
    with pytest.raises(ConfigError, match=f"^{setting.partition('=')[0]}: odradek does not serve this security setting"):
        BrokerConfig.load(overrides=[setting])


@pytest.mark.parametrize("setting, message", [
    ("ssl.keystore.type=JKS", "ssl.keystore.type=JKS: odradek reads PEM keystores only; convert it to PEM"),
    ("listener.name.ssl.ssl.truststore.type=PKCS12", "listener.name.ssl.ssl.truststore.type=PKCS12: odradek "
                                                      "reads PEM truststores only"),
    ("ssl.provider=SunJSSE", "ssl.provider=SunJSSE: odradek uses Python's ssl"),
    ("ssl.engine.factory.class=x.Factory", "ssl.engine.factory.class=x.Factory: odradek builds its TLS"),
])
def test_tls_settings_odradek_cannot_honour_are_refused(setting, message):
    with pytest.raises(ConfigError, match="^" + re.escape(message)):
        BrokerConfig.load(overrides=[setting])


@pytest.mark.parametrize("name", ["org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                                  "kafka.security.authorizer.AclAuthorizer"])
def test_kafkas_authorizers_turn_authorization_on(name):
    config = BrokerConfig.load(overrides=[f"authorizer.class.name={name}", "super.users=User:admin;User:ops",
                                          "allow.everyone.if.no.acl.found=true"])
    assert authorizer_enabled(config.props)
    assert not authorizer_enabled(BrokerConfig.load(overrides=["authorizer.class.name="]).props)


@pytest.mark.parametrize("name, message", [
    ("com.example.MyAuthorizer", "^authorizer.class.name=com.example.MyAuthorizer: odradek cannot load a custom"),
    ("kafka.security.auth.SimpleAclAuthorizer", "Kafka removed SimpleAclAuthorizer in 3.0"),
])
def test_other_authorizers_are_refused(name, message):
    with pytest.raises(ConfigError, match=message):
        BrokerConfig.load(overrides=[f"authorizer.class.name={name}"])


PLAIN_JAAS = ("org.apache.kafka.common.security.plain.PlainLoginModule required "
              'username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";')


def test_a_sasl_plaintext_listener_with_plain_users():
    config = BrokerConfig.load(overrides=[
        "listeners=PLAINTEXT://:9092,SASL_PLAINTEXT://:9095", "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512",
        f"listener.name.sasl_plaintext.plain.sasl.jaas.config={PLAIN_JAAS}", "connections.max.reauth.ms=60000",
        "listener.name.sasl_plaintext.scram-sha-512.connections.max.reauth.ms=5000"])
    [sasl] = config.sasl_listeners.values()
    assert sasl.listener == "SASL_PLAINTEXT"
    assert sasl.mechanisms == ("PLAIN", "SCRAM-SHA-512")
    assert sasl.plain_passwords == {"admin": "admin-secret", "alice": "alice-secret"}
    assert sasl.reauth_ms == {"PLAIN": 60000, "SCRAM-SHA-512": 5000}
    assert sasl.max_receive_size == 524288


def test_the_listeners_own_settings_come_before_the_brokers():
    config = BrokerConfig.load(overrides=[
        "listeners=SASL_PLAINTEXT://:9095", "sasl.enabled.mechanisms=GSSAPI",
        "listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-256",
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"])
    assert config.sasl_listeners["SASL_PLAINTEXT"].mechanisms == ("SCRAM-SHA-256",)


@pytest.mark.parametrize("overrides, message", [
    ([], "listener SASL_PLAINTEXT: sasl.enabled.mechanisms is unset, and Kafka's default is GSSAPI; odradek does "
         "not serve GSSAPI: set sasl.enabled.mechanisms (or listener.name.sasl_plaintext.sasl.enabled.mechanisms)"),
    (["sasl.enabled.mechanisms=PLAIN,GSSAPI"], "listener SASL_PLAINTEXT: sasl.enabled.mechanisms=PLAIN,GSSAPI; "
                                               "odradek does not serve GSSAPI"),
    (["sasl.enabled.mechanisms=PLAIN"], "listener.name.sasl_plaintext.plain.sasl.jaas.config is not set: PLAIN on "
                                        "listener SASL_PLAINTEXT needs a PlainLoginModule JAAS entry"),
    (["sasl.enabled.mechanisms=PLAIN", "sasl.jaas.config=PlainLoginModule required user_a=\"x\""],
     "sasl.jaas.config: JAAS config entry not terminated by semi-colon"),
])
def test_sasl_listener_mistakes_stop_start_up(overrides, message):
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}"):
        BrokerConfig.load(overrides=["listeners=SASL_PLAINTEXT://:9095", *overrides])


def test_the_sasl_settings_odradek_serves_are_let_through():
    BrokerConfig.load(overrides=[
        "listeners=SASL_PLAINTEXT://:9095", "listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-256,OAUTHBEARER",
        "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config="
        "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config="
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
        "listener.name.sasl_plaintext.oauthbearer.connections.max.reauth.ms=1000", "sasl.server.max.receive.size=4096",
        "sasl.mechanism.inter.broker.protocol=PLAIN", "connection.failed.authentication.delay.ms=0"])


CLUSTER_SASL = ["listeners=INTERNAL://:9095", "listener.security.protocol.map=INTERNAL:SASL_PLAINTEXT",
                "inter.broker.listener.name=INTERNAL", "zookeeper.connect=127.0.0.1:2181", "broker.id=1"]
SCRAM_LOGIN = ("org.apache.kafka.common.security.scram.ScramLoginModule required "
               'username="broker" password="broker-secret";')


def test_brokers_of_a_cluster_log_in_to_each_other_as_the_jaas_config_says():
    config = BrokerConfig.load(overrides=[
        *CLUSTER_SASL, "sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN",
        "listener.name.internal.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule "
        'required user_alice="a";',
        "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
        f"listener.name.internal.scram-sha-512.sasl.jaas.config={SCRAM_LOGIN}"])
    login = config.inter_broker_security.sasl
    assert (login.mechanism, login.username, login.password) == ("SCRAM-SHA-512", "broker", "broker-secret")
    assert config.inter_broker_security.tls is None and "broker-secret" not in repr(login)


def test_a_single_broker_needs_no_login_of_its_own():
    config = BrokerConfig.load(overrides=["listeners=SASL_PLAINTEXT://:9095", "sasl.enabled.mechanisms=SCRAM-SHA-256"])
    assert config.inter_broker_security is None


@pytest.mark.parametrize("overrides, message", [
    (["sasl.enabled.mechanisms=SCRAM-SHA-256"], "sasl.mechanism.inter.broker.protocol is unset (Kafka's default is GSSAPI"),
    (["sasl.enabled.mechanisms=SCRAM-SHA-256", "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512"],
     "sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms"),
    (["sasl.enabled.mechanisms=OAUTHBEARER", "sasl.mechanism.inter.broker.protocol=OAUTHBEARER"],
     "sasl.mechanism.inter.broker.protocol=OAUTHBEARER: brokers log in to each other with PLAIN, SCRAM-SHA-256"),
    (["sasl.enabled.mechanisms=SCRAM-SHA-256", "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256"],
     "listener.name.internal.scram-sha-256.sasl.jaas.config: the inter-broker listener INTERNAL uses SCRAM-SHA-256"),
    (["sasl.enabled.mechanisms=SCRAM-SHA-256", "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256",
      "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"b\";"],
     "sasl.jaas.config: the ScramLoginModule entry has no username and password"),
])
def test_inter_broker_sasl_mistakes_stop_start_up(overrides, message):
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}"):
        BrokerConfig.load(overrides=[*CLUSTER_SASL, *overrides])


def test_security_switches_turned_off_are_let_through():
    BrokerConfig.load(overrides=["zookeeper.set.acl=false", "sasl.enabled.mechanisms="])


def test_listener_mistakes_kafka_refuses():
    with pytest.raises(ConfigError, match="different port; 9092 appears twice"):
        BrokerConfig.load(overrides=["listeners=PLAINTEXT://:9092,OTHER://:9092",
                                     "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT"])
    with pytest.raises(ConfigError, match="nonroutable meta-address 0.0.0.0"):
        BrokerConfig.load(overrides=["advertised.listeners=PLAINTEXT://0.0.0.0:9092"])
    with pytest.raises(ConfigError, match="advertised.listeners: OTHER://h:1 names no listener"):
        BrokerConfig.load(overrides=["advertised.listeners=OTHER://h:1"])
    with pytest.raises(ConfigError, match="inter.broker.listener.name: NOPE is not a listener"):
        BrokerConfig.load(overrides=["inter.broker.listener.name=NOPE"])


def test_kraft_settings_are_read_with_a_warning(caplog):
    config = BrokerConfig.load(overrides=["process.roles=broker,controller", "controller.quorum.voters=1@h:9093",
                                          "listeners=PLAINTEXT://:9092,CONTROLLER://:9093",
                                          "controller.listener.names=CONTROLLER"])
    assert [listener.name for listener in config.listener_config.listeners] == ["PLAINTEXT"]
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any("not opening the KRaft controller listener CONTROLLER://:9093" in w for w in warnings)
    assert any(w.startswith("process.roles, controller.quorum.voters: KRaft settings are ignored") for w in warnings)
    with pytest.raises(ConfigError, match="process.roles=controller: odradek is a broker"):
        BrokerConfig.load(overrides=["process.roles=controller"])


def test_unknown_names_get_kafkas_warning(caplog):
    BrokerConfig.load(overrides=["num.partition=3", "num.network.threads=3",
                                 "listener.name.plaintext.max.connections=10"])
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert warnings == ["The configuration 'num.partition' was supplied but isn't a known config."]
