"""Kafka's JAAS syntax (``sasl.jaas.config``), read as Kafka's StreamTokenizer-based parser reads it."""

import pytest

from odradek.server.security.sasl.jaas import JaasError, parse_jaas_config
from odradek.server.security.sasl.plain import plain_passwords

PLAIN = "org.apache.kafka.common.security.plain.PlainLoginModule"


def test_kafkas_documented_plain_entry():
    [entry] = parse_jaas_config(
        f'{PLAIN} required username="admin" password="admin-secret" '
        f'user_admin="admin-secret" user_alice="alice-secret";')
    assert entry.login_module == PLAIN
    assert entry.control_flag == "required"
    assert entry.options == {"username": "admin", "password": "admin-secret", "user_admin": "admin-secret",
                             "user_alice": "alice-secret"}
    assert plain_passwords(entry.options) == {"admin": "admin-secret", "alice": "alice-secret"}


def test_quoted_values_keep_spaces_semicolons_and_escapes():
    [entry] = parse_jaas_config(
        f"{PLAIN} REQUIRED user_bob=\"a b;c=d\" user_eve='single \"quoted\"' user_tab=\"x\\ty\\\\z\\\"q\";")
    assert entry.control_flag == "required"
    assert plain_passwords(entry.options) == {"bob": "a b;c=d", "eve": 'single "quoted"', "tab": 'x\ty\\z"q'}


def test_unquoted_words_comments_and_several_entries():
    entries = parse_jaas_config(
        "// the users\n"
        f"{PLAIN} sufficient user_alice=alice-secret.v2 /* a comment */ user_$x=pass_word;\n"
        "org.apache.kafka.common.security.scram.ScramLoginModule optional;")
    assert [e.login_module.rsplit(".", 1)[1] for e in entries] == ["PlainLoginModule", "ScramLoginModule"]
    assert entries[0].options == {"user_alice": "alice-secret.v2", "user_$x": "pass_word"}
    assert entries[1].options == {}


@pytest.mark.parametrize("text, message", [
    ("", "Login module not specified in JAAS config"),
    (f"{PLAIN}", "Login module control flag not specified in JAAS config"),
    (f"{PLAIN} mandatory;", "Invalid login module control flag 'mandatory' in JAAS config"),
    (f'{PLAIN} required user_alice="x"', "JAAS config entry not terminated by semi-colon"),
    (f"{PLAIN} required user_alice;", "Value not specified for key 'user_alice' in JAAS config"),
    (f"{PLAIN} required user_alice=;", "Value not specified for key 'user_alice' in JAAS config"),
    (f"{PLAIN} required user_alice=123;", "Value not specified for key 'user_alice' in JAAS config"),
])
def test_what_kafka_refuses_is_refused_with_its_message(text, message):
    with pytest.raises(JaasError, match=f"^{message}"):
        parse_jaas_config(text)
