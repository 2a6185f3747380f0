"""The identity a broker logs in with when its inter-broker listener is SASL, read as Kafka reads it.

``sasl.mechanism.inter.broker.protocol`` names the mechanism (Kafka's default is GSSAPI, which
odradek does not serve, so it must be set) and it must be one the listener enables. The user
name and password are the ``username``/``password`` options of the listener's JAAS entry for
that mechanism, the same entry that holds a PLAIN listener's users::

    listener.name.internal.scram-sha-512.sasl.jaas.config=\\
        org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="broker-secret";

looked up as the listener's other SASL settings are (mechanism, listener, then ``sasl.jaas.config``).
A SCRAM user must exist before the brokers start (``odradek configs --zookeeper ... --entity-type
users``, as ``kafka-configs --zookeeper`` did); a PLAIN one needs its ``user_<name>`` entry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ...startup_error import ConfigError
from .listener_sasl import PLAIN_LOGIN_MODULE, ListenerSasl, find_login_module
from .mechanism_names import PLAIN, SCRAM_MECHANISMS
from .sasl_client import SaslLogin

log = logging.getLogger("odradek.server")

MECHANISM_PROPERTY = "sasl.mechanism.inter.broker.protocol"
SCRAM_LOGIN_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
CLIENT_MECHANISMS = (PLAIN, *SCRAM_MECHANISMS)


def inter_broker_login(props: Mapping[str, str], settings: ListenerSasl) -> SaslLogin:
    """The broker's own SASL login on listener ``settings.listener``; ConfigError naming what to set."""
    listener = settings.listener
    mechanism = props.get(MECHANISM_PROPERTY, "").strip()
    if not mechanism:
        raise ConfigError(f"{MECHANISM_PROPERTY} is unset (Kafka's default is GSSAPI, which odradek does not "
                          f"serve): the inter-broker listener {listener} is SASL, so set it to one of "
                          f"{', '.join(CLIENT_MECHANISMS)}")
    if mechanism not in CLIENT_MECHANISMS:
        raise ConfigError(f"{MECHANISM_PROPERTY}={mechanism}: brokers log in to each other with "
                          f"{', '.join(CLIENT_MECHANISMS)}")
    if mechanism not in settings.mechanisms:
        raise ConfigError(f"{MECHANISM_PROPERTY} must be included in sasl.enabled.mechanisms when SASL is used "
                          f"for inter-broker communication ({mechanism} is not enabled on listener {listener}: "
                          f"{', '.join(settings.mechanisms)})")
    module = PLAIN_LOGIN_MODULE if mechanism == PLAIN else SCRAM_LOGIN_MODULE
    name, entry = find_login_module(props, listener, mechanism, module)
    where = name or f"listener.name.{listener.lower()}.{mechanism.lower()}.sasl.jaas.config"
    if entry is None:
        raise ConfigError(f"{where}: the inter-broker listener {listener} uses {mechanism}, so this broker needs a "
                          f"{module.rsplit('.', 1)[1]} entry with its own username=\"...\" password=\"...\"")
    username, password = entry.options.get("username"), entry.options.get("password")
    if not username or password is None:
        raise ConfigError(f"{where}: the {module.rsplit('.', 1)[1]} entry has no username and password for this "
                          f"broker to log in to the others with (username=\"...\" password=\"...\")")
    if mechanism == PLAIN and settings.plain_passwords.get(username) != password:
        log.warning("%s: username=\"%s\" has no matching user_%s entry here; brokers with the same JAAS "
                    "config will refuse this broker's PLAIN login", where, username, username)
    return SaslLogin(mechanism, username, password)
