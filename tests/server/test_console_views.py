"""The web console's pure pieces: how record bytes are shown, paging, rates from the traffic
counters, the charts' points, and the forms' parsing (the pages themselves are tested against a
real broker in ``compat_tests/test_console*.py``)."""

from __future__ import annotations

import datetime

import pytest

from odradek.server.stats import BrokerStats
from odradek.server.web.console.forms import FormError, integer, timestamp_ms
from odradek.server.web.console.paging import page_of
from odradek.server.web.console.record_format import MAX_SHOWN, show
from odradek.server.web.console.rendering import make_environment
from odradek.server.web.console.throughput import TOPICS_CHARTED, Throughput
from odradek.server.web.console.charts import HEIGHT, WIDTH, chart
from odradek.server.web.console.topics_page import _configs


def test_auto_shows_json_pretty_then_text_then_hex():
    assert show(b'{"a":[1,2]}').text == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert show(b'{"a":1}').format == "json"
    assert (show(b"plain").text, show(b"plain").format) == ("plain", "text")
    assert show(b"\xff\x00abc").format == "hex"
    assert show(b"\xff\x00abc").text == "00000000  ff00 6162 63"
    assert show(None).format == "null"
    assert show("é".encode()).text == "é"


def test_asked_formats_are_kept_and_text_of_binary_replaces_bad_bytes():
    assert show(b'{"a":1}', "text").text == '{"a":1}'
    assert show(b"ab", "hex").text == "00000000  6162"
    assert show(b"not json", "json").format == "text"
    assert show(b"\xffx", "text").text == "\ufffdx"
    lines = show(bytes(range(40)), "hex").text.splitlines()
    assert lines[1].startswith("00000010  1011 1213")


def test_large_values_are_cut():
    shown = show(b"x" * (MAX_SHOWN + 10))
    assert shown.cut and shown.size == MAX_SHOWN + 10 and len(shown.text) == MAX_SHOWN


def test_pages_clamp_to_their_range():
    page = page_of("3", 250, 100)
    assert (page.number, page.pages, page.start, page.stop) == (3, 3, 200, 250)
    assert page_of("99", 250, 100).number == 3
    assert page_of("-1", 250, 100).number == 1
    assert page_of("junk", 250, 100).number == 1
    empty = page_of(None, 0, 100)
    assert (empty.pages, empty.start, empty.stop) == (1, 0, 0)
    assert page_of("2", 10, 4).of(list(range(10))) == [4, 5, 6, 7]


def test_rates_are_the_difference_between_the_last_two_samples():
    stats = BrokerStats()
    throughput = Throughput(stats)
    assert throughput.total().records_in == 0
    throughput.sample(now=100.0)
    stats.topics.produced("a", 50, 5000)
    stats.topics.produced("b", 10, 100)
    throughput.sample(now=102.0)
    assert throughput.of_topic("a").records_in == 25
    assert throughput.of_topic("a").bytes_in == 2500
    assert throughput.of_topic("b").records_in == 5
    assert throughput.of_topic("nope").records_in == 0
    assert throughput.total().records_in == 30
    assert [rates.records_in for _, rates in throughput.history] == [30]
    throughput.sample(now=104.0)
    assert throughput.total().records_in == 0


def test_a_chart_spans_its_box():
    drawn = chart("Records in", "records/s", [(10.0, 0.0), (12.0, 50.0), (14.0, 100.0)])
    points = [tuple(map(float, p.split(","))) for p in drawn.points.split()]
    assert points[0] == (0.0, HEIGHT) and points[-1][0] == WIDTH and points[-1][1] == 10.0
    assert (drawn.peak, drawn.last) == (100.0, 100.0)
    assert chart("x", "y", []).points == ""


def test_times_are_milliseconds_or_iso_in_utc():
    assert timestamp_ms("1700000000000") == 1_700_000_000_000
    expected = int(datetime.datetime(2026, 1, 31, 12, tzinfo=datetime.UTC).timestamp() * 1000)
    assert timestamp_ms("2026-01-31T12:00:00") == expected
    assert timestamp_ms("2026-01-31T13:00:00+01:00") == expected
    with pytest.raises(FormError, match="neither a time"):
        timestamp_ms("yesterday")


def test_form_numbers_and_configs():
    assert integer("12", "Partitions", 1) == 12
    with pytest.raises(FormError, match="Partitions must be a whole number, not 'x'"):
        integer("x", "Partitions")
    with pytest.raises(FormError, match="at least 1"):
        integer("0", "Partitions", 1)
    assert _configs("a=1\n\n b = two=2 \n") == {"a": "1", "b": "two=2"}
    with pytest.raises(FormError, match="name=value"):
        _configs("nothing")


def test_templates_escape_what_they_show():
    env = make_environment()
    html = env.get_template("error.html").render(nav="", node_id=1, cluster_id="<c>",
                                                 message="<script>alert(1)</script>")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;c&gt;" in html


def test_active_topics_keep_a_history_of_their_own_and_idle_ones_leave_it():
    stats = BrokerStats()
    throughput = Throughput(stats, interval_s=1.0)
    throughput.sample(now=0.0)
    stats.topics.produced("busy", 10, 100)
    throughput.sample(now=1.0)
    stats.topics.produced("busy", 20, 200)
    throughput.sample(now=2.0)
    assert [(at, rates.records_in) for at, rates in throughput.history_of("busy")] == [(1.0, 10.0), (2.0, 20.0)]
    assert throughput.history_of("idle") == []
    for second in range(3, 3 + 151):
        throughput.sample(now=float(second))
    assert throughput.history_of("busy") == []  # idle for the whole window


def test_only_the_most_recently_active_topics_are_charted():
    stats = BrokerStats()
    throughput = Throughput(stats, interval_s=1.0)
    throughput.sample(now=0.0)
    for i in range(TOPICS_CHARTED + 5):
        stats.topics.produced(f"t{i}", 1, 1)
    throughput.sample(now=1.0)
    stats.topics.produced("t0", 1, 1)  # active again: kept
    throughput.sample(now=2.0)
    charted = [f"t{i}" for i in range(TOPICS_CHARTED + 5) if throughput.history_of(f"t{i}")]
    assert len(charted) == TOPICS_CHARTED and "t0" in charted


def test_lag_is_charted_for_the_groups_watched_lately_and_at_most_a_few():
    from types import SimpleNamespace

    from odradek.server.groups.offset_store import OffsetStore
    from odradek.server.web.console.lag_history import WATCHED, LagHistory

    broker = SimpleNamespace(groups=SimpleNamespace(offsets=OffsetStore(lambda group: 0)), replicas=None)
    history = LagHistory(broker, window_s=60.0)
    for i in range(WATCHED + 3):
        history.watch(f"g{i}", now=float(i))
    history.watch("g0", now=100.0)  # opened again: kept, the oldest others leave
    watched = history.watched()
    assert watched[-1] == "g0" and "g1" not in watched and len(watched) == WATCHED
    history.sample(now=150.0)  # g0 was opened 50 s ago; the rest over 60 s ago
    assert history.watched() == ["g0"]
    assert history.of_group("g0") == []  # no offsets: nothing to chart


def test_after_login_the_console_goes_only_to_its_own_pages():
    from odradek.server.web.console.login import _local

    assert _local("/topics?page=2") == "/topics?page=2"
    for elsewhere in ("https://evil.example/", "//evil.example/x", "evil", "", "javascript:alert(1)"):
        assert _local(elsewhere) == "/"


async def test_passwords_are_checked_against_plain_users_and_scram_credentials(tmp_path):
    from odradek.server.broker import Broker
    from odradek.server.broker_config import BrokerConfig
    from odradek.server.security.sasl.scram_credential import ScramCredential
    from odradek.server.web.console.login import login_required, password_matches

    jaas = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" '
            'password="admin-secret" user_admin="admin-secret";')
    broker = Broker(BrokerConfig.load(data_dir=str(tmp_path), overrides=[
        "listeners=SASL_PLAINTEXT://127.0.0.1:0", "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512",
        f"listener.name.sasl_plaintext.plain.sasl.jaas.config={jaas}"]))
    assert login_required(broker)
    credential = ScramCredential.from_password("SCRAM-SHA-512", "bob-secret", b"salt-of-bob", 4096)
    broker.scram_credentials.reloaded("bob", {"SCRAM-SHA-512": credential.to_string()})
    assert await password_matches(broker, "admin", "admin-secret")
    assert await password_matches(broker, "bob", "bob-secret")
    assert not await password_matches(broker, "bob", "admin-secret")
    assert not await password_matches(broker, "admin", "")
    assert not await password_matches(broker, "nobody", "admin-secret")
    assert not login_required(Broker(BrokerConfig.load(data_dir=str(tmp_path / "plain"))))
