"""odradek's table of Kafka's broker config names and types, checked against Kafka's own jars.

The table decides which ``server.properties`` names get Kafka's "isn't a known config" warning and
how each value is checked, so it must be Kafka's: the test asks Kafka 4.3's ConfigDef itself.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from odradek.server.known_configs import KAFKA_BROKER_CONFIGS

from .java.jars import classpath
from .java.targets import require_kafka_jars

PROGRAM = Path(__file__).parent / "java" / "BrokerConfigTypes.java"


def test_the_table_is_kafkas_broker_config_def():
    require_kafka_jars()
    ran = subprocess.run(["java", "-cp", classpath(), str(PROGRAM)], capture_output=True, text=True,
                         timeout=120, check=True)
    kafka = dict(line.split("\t") for line in ran.stdout.splitlines())
    assert KAFKA_BROKER_CONFIGS == kafka
