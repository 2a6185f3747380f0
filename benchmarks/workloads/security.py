"""Produce and consume throughput over TLS and SASL_SSL, beside plaintext on the same broker."""

from __future__ import annotations

import functools
from pathlib import Path

from .. import confluent_load
from ..brokers.process import free_port
from ..measurement import Measurement
from ..rounds import Case, run_cases
from ..session import Session

TITLE = "Produce and consume over TLS and SASL_SSL"

RECORDS = 2_000_000  # of 100 B at full scale, per case
SIZE = 100
PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_SSL")
USER, PASSWORD = "bench", "bench-secret"
METRICS = {"records/s": True, "MB/s": True}

ABOUT = f"""\
One fresh broker per round with three listeners: PLAINTEXT, SSL and SASL_SSL (SASL PLAIN, one user
from the listener's JAAS config), TLS from PEM files made for the run (an EC P-256 broker key and
certificate for 127.0.0.1 signed by a CA of the run; no client certificates), every other TLS
setting each broker's default. Per listener, confluent-kafka ({confluent_load.CLIENT_VERSION})
produces {RECORDS:,} records of {SIZE} B at full scale into a new 1-partition topic (`acks=1`, the
produce workload's settings) and then reads them back (assigned, from the first offset; the consume
workload's settings), connected through that listener, with the client's default TLS settings
and `ssl.ca.location` set to the run's CA. The PLAINTEXT rows are the same broker and client,
so each broker's cost of TLS is the ratio of its rows. Tansu serves no TLS listener.
"""


def run(session: Session) -> list[Measurement]:
    material = _tls_material(session.scratch / "security-certificates")
    count = session.scaled(RECORDS, minimum=1000)
    ports: dict[str, int] = {}  # listener name -> port, for the round's broker

    def start(name: str):
        ports.clear()
        ports.update({protocol: free_port() for protocol in PROTOCOLS[1:]})
        return session.broker(name, _broker_overrides(material, ports))

    cases = []
    for protocol in PROTOCOLS:
        cases.append(Case(f"confluent-kafka produce 100 B over {protocol}", METRICS,
                          functools.partial(_produce, protocol=protocol, ports=ports, material=material, count=count)))
        cases.append(Case(f"confluent-kafka consume 100 B over {protocol}", METRICS,
                          functools.partial(_consume, protocol=protocol, ports=ports, material=material, count=count)))
    return run_cases(session, "security", cases, start=start)


def _tls_material(directory: Path):
    from compat_tests.certificates import make_certificates

    return make_certificates(directory)


def _broker_overrides(material, ports: dict[str, int]) -> dict[str, object]:
    from compat_tests.certificates import KEY_PASSWORD

    jaas = (f'org.apache.kafka.common.security.plain.PlainLoginModule required username="{USER}" '
            f'password="{PASSWORD}" user_{USER}="{PASSWORD}";')
    return {
        "listeners": ",".join(f"{protocol}://127.0.0.1:{port}" for protocol, port in ports.items()),
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": material.broker.keystore,
        "ssl.key.password": KEY_PASSWORD,
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl_ssl.plain.sasl.jaas.config": jaas,
    }


def _client(bootstrap: str, protocol: str, ports: dict[str, int], material) -> tuple[str, dict]:
    """The address and client settings of the round's listener for ``protocol``."""
    if protocol == "PLAINTEXT":
        return bootstrap, {}
    settings = {"security.protocol": protocol, "ssl.ca.location": str(material.ca)}
    if protocol == "SASL_SSL":
        settings.update({"sasl.mechanisms": "PLAIN", "sasl.username": USER, "sasl.password": PASSWORD})
    return f"127.0.0.1:{ports[protocol]}", settings


def _topic(protocol: str) -> str:
    return f"security-{protocol.lower()}"


def _produce(bootstrap: str, *, protocol: str, ports: dict[str, int], material, count: int) -> dict[str, float]:
    confluent_load.create_topic(bootstrap, _topic(protocol))
    address, settings = _client(bootstrap, protocol, ports, material)
    rate = confluent_load.produce(address, _topic(protocol), count, SIZE, security=settings)
    return {"records/s": rate, "MB/s": rate * SIZE / confluent_load.MEGABYTE}


def _consume(bootstrap: str, *, protocol: str, ports: dict[str, int], material, count: int) -> dict[str, float]:
    address, settings = _client(bootstrap, protocol, ports, material)
    rate = confluent_load.consume(address, _topic(protocol), count, security=settings)
    return {"records/s": rate, "MB/s": rate * SIZE / confluent_load.MEGABYTE}
