"""Argument parsing of the client tools, and the pieces of output they share."""

from __future__ import annotations

import argparse
import io

import pytest

from odradek.tools.cli import build_parser
from odradek.tools.client.fetcher import ConsumedRecord
from odradek.tools.consume import Printer
from odradek.tools.options import Fit, columns, key_values
from odradek.tools.perf_plot import throughput_series
from odradek.tools.perf_stats import ProgressBar, Stats, percentile

BOOT = ["--bootstrap-server", "h:1"]


def parse(*argv):
    return build_parser().parse_args(list(argv))


def test_topics_create_takes_kafkas_flags():
    args = parse("topics", *BOOT, "--create", "--topic", "t", "--partitions", "3", "--replication-factor", "1",
                 "--config", "retention.ms=5", "--config", "cleanup.policy=compact")
    assert (args.create, args.topic, args.partitions, args.replication_factor) == (True, "t", 3, 1)
    assert key_values(args.config, "--config") == {"retention.ms": "5", "cleanup.policy": "compact"}


@pytest.mark.parametrize("argv", [
    ["topics", *BOOT],  # no action
    ["topics", *BOOT, "--list", "--delete"],  # two actions
    ["topics", "--list"],  # no bootstrap server
    ["groups", *BOOT, "--reset-offsets", "--to-earliest", "--to-latest"],
    ["groups", *BOOT, "--reset-offsets", "--execute", "--dry-run"],
    ["groups", *BOOT, "--describe", "--members", "--state"],  # Kafka: at most one of --members, --offsets, --state
    ["dump-log", "f.log", "--offsets-decoder", "--transaction-log-decoder"],
    ["configs", *BOOT, "--describe", "--entity-type", "groups"],
    ["configs", *BOOT, "--zookeeper", "127.0.0.1:2181", "--describe", "--entity-type", "users"],  # both
    ["produce", *BOOT, "--topic", "t", "--compression-codec", "brotli"],
])
def test_invalid_command_lines_are_refused(argv):
    with pytest.raises(SystemExit) as exited:
        parse(*argv)
    assert exited.value.code == 2


def test_groups_reset_and_consume_and_offsets_flags():
    args = parse("groups", *BOOT, "--reset-offsets", "--group", "g", "--topic", "t", "--to-offset", "4",
                 "--execute")
    assert (args.group, args.topic, args.to_offset, args.execute, args.dry_run) == (["g"], ["t"], 4, True, False)
    args = parse("consume", *BOOT, "--topic", "t", "--from-beginning", "--group", "g", "--max-messages", "5",
                 "--property", "print.key=true")
    assert (args.from_beginning, args.group, args.max_messages) == (True, "g", 5)
    assert parse("offsets", *BOOT, "--topic", "t", "--time", "-2").time == -2
    assert parse("offsets", *BOOT, "--topic", "t").time == -1
    args = parse("configs", *BOOT, "--alter", "--entity-type", "brokers", "--entity-name", "1",
                 "--add-config", "a=1,b=2")
    assert key_values(args.add_config, "--add-config") == {"a": "1", "b": "2"}


def test_key_values_refuse_items_without_equals():
    with pytest.raises(argparse.ArgumentTypeError, match="--config expects key=value"):
        key_values(["retention.ms"], "--config")


def test_columns_are_padded_as_kafkas_printf_formats_pad_them():
    lines = columns(["GROUP", "TOPIC", "PARTITION", "CLIENT-ID"],
                    [["g", "a-topic-longer-than-15", 0, "c"], ["g", "t", 1, "c"]], [Fit(15), Fit(15), 10, None])
    assert lines == ["GROUP           TOPIC                  PARTITION  CLIENT-ID",
                     "g               a-topic-longer-than-15 0          c",
                     "g               t                      1          c"]


def test_printer_follows_the_console_consumers_properties():
    record = ConsumedRecord("t", 2, 9, 1234, b"k", None, [])
    assert Printer({})(record) == "null"
    shown = Printer({"print.timestamp": "true", "print.partition": "true", "print.offset": "true",
                     "print.key": "true", "key.separator": "|"})(record)
    assert shown == "CreateTime:1234|Partition:2|Offset:9|k|null"


def test_percentiles_are_nearest_rank_over_records():
    samples = [(float(v), 1) for v in range(1, 101)]
    assert [percentile(samples, p) for p in (50, 95, 99, 99.9)] == [50.0, 95.0, 99.0, 100.0]
    assert percentile([], 50) == 0.0
    # a batch's latency counts once per record it carried: 90 records at 1 ms, 10 at 9 ms
    weighted = [(1.0, 90), (9.0, 10)]
    assert [percentile(weighted, p) for p in (50, 90, 91, 99.9)] == [1.0, 1.0, 9.0, 9.0]


def test_producer_summary_has_kafkas_shape():
    stats = Stats(total=4)
    stats.add(2, 200, latency_ms=3.0)
    stats.add(2, 200, latency_ms=5.0)
    summary = stats.producer_summary()
    assert summary.startswith("4 records sent, ")
    assert "4.00 ms avg latency, 5.00 ms max latency, 3 ms 50th, 5 ms 95th, 5 ms 99th, 5 ms 99.9th." in summary


def test_producer_latency_averages_over_records_not_batches():
    stats = Stats(total=4)
    stats.add(3, 300, latency_ms=2.0)
    stats.add(1, 100, latency_ms=6.0)
    assert "3.00 ms avg latency, 6.00 ms max latency, 2 ms 50th, 6 ms 95th" in stats.producer_summary()


def test_plotted_phases_share_one_clock():
    produced = Stats(total=10, started=100.0)
    produced.timeline += [(1.0, 5), (2.0, 10)]
    consumed = Stats(total=10, started=103.0)
    consumed.timeline += [(0.5, 10)]
    series = dict((label, times) for label, times, _ in throughput_series(produced, consumed))
    assert series["produce"] == [0.5, 1.5]
    assert series["consume"] == [3.25]  # where it ran: after the produce phase, not from zero


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_one_line_on_a_terminal_only():
    stats = Stats(total=4)
    stats.add(1, 10)
    terminal = FakeTerminal()
    bar = ProgressBar("produce", terminal, width=8)
    bar.update(stats)
    bar.close()
    assert terminal.getvalue().startswith("\rproduce [##      ]  25.0% 1/4 records, ")
    assert terminal.getvalue().endswith(" records/sec\n")
    piped = io.StringIO()
    ProgressBar("produce", piped).update(stats)
    assert piped.getvalue() == ""


def test_configs_zookeeper_takes_scram_credentials_as_kafka_configs_does():
    from odradek.tools.configs_zookeeper import scram_configs

    args = parse("configs", "--zookeeper", "127.0.0.1:2181/kafka", "--alter", "--entity-type", "users",
                 "--entity-name", "admin", "--add-config",
                 "SCRAM-SHA-256=[iterations=8192,password=a],SCRAM-SHA-512=[password=c]")
    assert args.zookeeper == "127.0.0.1:2181/kafka" and args.bootstrap_server is None
    assert scram_configs(args.add_config) == {"SCRAM-SHA-256": ("a", 8192), "SCRAM-SHA-512": ("c", 4096)}
    for wrong in ("SCRAM-SHA-256=[iterations=8192]", "SCRAM-SHA-1=[password=x]", "SCRAM-SHA-256=[password=x,iterations=9]",
                  "SCRAM-SHA-256=secret"):
        with pytest.raises(SystemExit):
            scram_configs([wrong])
