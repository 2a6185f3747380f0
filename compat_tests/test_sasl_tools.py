"""Kafka's own tools against a SASL_PLAINTEXT listener, with ``--command-config`` files as their
manuals show: ``kafka-configs`` adds, describes and deletes SCRAM users (as the PLAIN user admin),
then the console producer and consumer log in as the new user with ScramLoginModule.

``ODRADEK_COMPAT_TARGET=kafka`` runs the same against Apache Kafka 4.3 (where the expected
outputs come from).
"""

from __future__ import annotations

import pytest

from .java.kafka_tool import CONFIGS, CONSOLE_CONSUMER, CONSOLE_PRODUCER, run_tool
from .java.targets import start_sasl_broker, stop_broker
from .sasl_helpers import BROKER

pytestmark = pytest.mark.usefixtures("kafka_jars")
SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory, kafka_jars):
    process = start_sasl_broker(tmp_path_factory.mktemp("data"), BROKER)
    yield process
    stop_broker(process)


def command_config(path, mechanism: str, module: str, user: str, password: str):
    path.write_text(f"security.protocol=SASL_PLAINTEXT\nsasl.mechanism={mechanism}\n"
                    f'sasl.jaas.config={module} required username="{user}" password="{password}";\n')
    return str(path)


@pytest.fixture
def configs(sasl_broker, tmp_path):
    admin = command_config(tmp_path / "admin.properties", "PLAIN", PLAIN_MODULE, "admin", "admin-secret")

    def run(*args: str, check: bool = True):
        return run_tool(CONFIGS, "--bootstrap-server", sasl_broker.bootstrap, "--command-config", admin, *args,
                        check=check)
    return run


def users(name: str) -> tuple[str, ...]:
    return ("--entity-type", "users", "--entity-name", name)


def described(run) -> dict[str, set[str]]:
    """user -> its 'SCRAM-SHA-256=iterations=8192' items (Kafka lists the mechanisms in no set order)."""
    prefix = "SCRAM credential configs for user-principal '"
    found = {}
    for line in run.lines():
        if line.startswith(prefix):
            user, _, items = line[len(prefix):].partition("' are ")
            found[user] = set(items.split(", "))
    return found


def test_kafka_configs_manages_scram_users_that_then_log_in(sasl_broker, configs, tmp_path, topic):
    added = configs("--alter", "--add-config", "SCRAM-SHA-256=[iterations=8192,password=dora-secret]", *users("dora"))
    assert added.lines() == ["Completed updating config for user dora."]
    configs("--alter", "--add-config", "SCRAM-SHA-512=[password=dora-secret]", *users("dora"))
    expected = {"dora": {"SCRAM-SHA-256=iterations=8192", "SCRAM-SHA-512=iterations=4096"}}
    assert described(configs("--describe", *users("dora"))) == expected
    assert described(configs("--describe", "--entity-type", "users")) == expected
    assert configs("--describe", *users("nobody")).lines() == []

    scram = command_config(tmp_path / "dora.properties", "SCRAM-SHA-256", SCRAM_MODULE, "dora", "dora-secret")
    run_tool(CONSOLE_PRODUCER, "--bootstrap-server", sasl_broker.bootstrap, "--topic", topic,
             "--command-config", scram, stdin="one\ntwo\n")
    consumed = run_tool(CONSOLE_CONSUMER, "--bootstrap-server", sasl_broker.bootstrap, "--topic", topic,
                        "--from-beginning", "--max-messages", "2", "--timeout-ms", "30000", "--command-config", scram)
    assert consumed.lines() == ["one", "two"]

    deleted = configs("--alter", "--delete-config", "SCRAM-SHA-512", *users("dora"))
    assert deleted.lines() == ["Completed updating config for user dora."]
    assert described(configs("--describe", *users("dora"))) == {"dora": {"SCRAM-SHA-256=iterations=8192"}}


def test_a_wrong_scram_password_stops_the_console_consumer(sasl_broker, configs, tmp_path, topic):
    configs("--alter", "--add-config", "SCRAM-SHA-512=[password=erin-secret]", *users("erin"))
    wrong = command_config(tmp_path / "wrong.properties", "SCRAM-SHA-512", SCRAM_MODULE, "erin", "nope")
    run = run_tool(CONSOLE_CONSUMER, "--bootstrap-server", sasl_broker.bootstrap, "--topic", topic,
                   "--from-beginning", "--max-messages", "1", "--timeout-ms", "20000", "--command-config", wrong,
                   check=False)
    assert ("org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed during "
            "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512") in run.stderr
    assert "Processed a total of 0 messages" in run.stderr


@pytest.mark.parametrize("alteration, error", [
    (["--add-config", "SCRAM-SHA-256=[iterations=8192,password=a],SCRAM-SHA-512=[password=a]"],
     "DuplicateResourceException: A user credential cannot be altered twice in the same request"),
    (["--add-config", "SCRAM-SHA-256=[iterations=20000,password=a]"],
     "UnacceptableCredentialException: Too many iterations"),
    (["--delete-config", "SCRAM-SHA-512"],
     "ResourceNotFoundException: Attempt to delete a user credential that does not exist"),
])
def test_kafka_configs_refusals_are_kafkas(configs, alteration, error):
    run = configs("--alter", *alteration, *users("frank"), check=False)
    assert run.returncode == 1
    assert f"org.apache.kafka.common.errors.{error}" in run.stdout + run.stderr
