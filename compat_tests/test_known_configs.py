"""odradek's tables of Kafka's broker configs, checked against Kafka's own jars.

The table of names and types decides which ``server.properties`` names get Kafka's "isn't a known
config" warning and how each value is checked; the list of dynamic configs decides what
AlterConfigs may change, where, and what DescribeConfigs shows when nothing is set. Both must be
Kafka's: the tests ask Kafka 4.3's own classes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from odradek.server.dynamic_config_defs import BROKER_SETTINGS, LISTENER_ONLY, PER_BROKER_NAMES, TOPIC_DEFAULTS
from odradek.server.known_configs import KAFKA_BROKER_CONFIGS

from .java.jars import classpath
from .java.targets import require_kafka_jars

PROGRAM = Path(__file__).parent / "java" / "BrokerConfigTypes.java"
DYNAMIC_PROGRAM = Path(__file__).parent / "java" / "DynamicBrokerConfigs.java"


def test_the_table_is_kafkas_broker_config_def():
    require_kafka_jars()
    ran = subprocess.run(["java", "-cp", classpath(), str(PROGRAM)], capture_output=True, text=True,
                         timeout=120, check=True)
    kafka = dict(line.split("\t") for line in ran.stdout.splitlines())
    assert KAFKA_BROKER_CONFIGS == kafka


def test_the_dynamic_configs_are_kafkas():
    require_kafka_jars()
    ran = subprocess.run(["java", "-cp", classpath(), str(DYNAMIC_PROGRAM)], capture_output=True, text=True,
                         timeout=120, check=True)
    rows = [line.split("\t") for line in ran.stdout.splitlines()]
    kafka = {name: (mode, kind, None if default == "null" else default)
             for name, mode, kind, default in (row for row in rows if len(row) == 4)}
    ours = {name: ("per-broker" if name in PER_BROKER_NAMES else "cluster-wide", d.type, d.default)
            for name, d in BROKER_SETTINGS.items()}
    for name, topic_config in TOPIC_DEFAULTS.items():
        [synonym] = [s for s in topic_config.broker_synonyms if s.name == name]
        ours[name] = ("cluster-wide", KAFKA_BROKER_CONFIGS[name], synonym.default)
    assert ours == kafka
    assert LISTENER_ONLY == {row[1] for row in rows if row[0] == "listener-only"}
