"""The console of a broker with authentication (a SASL_PLAINTEXT listener and an authorizer):
every page asks for a login checked against the broker's own SASL users (PLAIN from the JAAS
config, SCRAM as AlterUserScramCredentials stored it), and shows what that principal may
describe, as Metadata and ListGroups answer it; ``/metrics`` stays open for Prometheus.

The users and ACLs are made as a Kafka operator makes them, through the admin API as the super
user ``admin``, with confluent-kafka.
"""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request

import pytest
from confluent_kafka.admin import (AclBinding, AclOperation, AclPermissionType, AdminClient, NewTopic,
                                   ResourcePatternType, ResourceType, ScramCredentialInfo, ScramMechanism,
                                   UserScramCredentialUpsertion)

from .broker_process import BrokerProcess
from .clients import ck_wait
from .console_http import console_url, table
from .metrics_scrape import scrape
from .sasl_helpers import ADMIN, BROKER, ck_sasl

AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
ALICE_TOPIC, OTHER_TOPIC = "alice-orders", "payroll"
TIMEOUT = 10.0


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    broker = BrokerProcess(tmp_path_factory.mktemp("data"), {
        "listeners": "SASL_PLAINTEXT://127.0.0.1:0", **BROKER, "metrics.port": 0,
        "authorizer.class.name": AUTHORIZER, "super.users": "User:admin"}).start()
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap, **ck_sasl(*ADMIN)})
        ck_wait(admin.create_topics([NewTopic(ALICE_TOPIC, 1, 1), NewTopic(OTHER_TOPIC, 1, 1)]))
        ck_wait(admin.create_acls([AclBinding(ResourceType.TOPIC, ALICE_TOPIC, ResourcePatternType.LITERAL,
                                              "User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW)]))
        ck_wait(admin.alter_user_scram_credentials([UserScramCredentialUpsertion(
            "bob", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), b"bob-secret")]))
        yield broker
    finally:
        assert broker.stop() == 0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Visitor:
    """A browser's part that matters here: a cookie jar, and forms posted without following redirects."""

    def __init__(self, broker):
        self.url = console_url(broker).rstrip("/")
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect)

    def open(self, path: str, fields: dict | None = None) -> tuple[int, str, str]:
        data = None if fields is None else urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(self.url + path, data=data)
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return response.status, response.read().decode(), response.headers.get("location", "")
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read().decode(), exc.headers.get("location", "")

    def log_in(self, user: str, password: str, wanted: str = "/") -> tuple[int, str, str]:
        return self.open("/login", {"username": user, "password": password, "next": wanted})


def _topic_names(visitor) -> set[str]:
    status, html, _ = visitor.open("/topics")
    assert status == 200, html[:500]
    return {row[0] for row in table(html, "topics") if len(row) > 1}  # not the "No topics." row


def test_pages_redirect_to_the_login_until_logged_in(secured):
    visitor = Visitor(secured)
    for path in ("/", "/topics", f"/topic/{OTHER_TOPIC}", "/groups", "/transactions", "/throughput"):
        status, _, location = visitor.open(path)
        assert (status, location) == (303, f"/login?next={urllib.parse.quote(path, safe='')}"), path
    status, html, _ = visitor.open("/login?next=%2Ftopics")
    assert status == 200 and 'id="login"' in html


def test_a_wrong_password_or_an_unknown_user_is_refused(secured):
    visitor = Visitor(secured)
    for user, password in (("alice", "wrong"), ("mallory", "alice-secret"), ("bob", "alice-secret"), ("alice", "")):
        status, html, _ = visitor.log_in(user, password)
        assert status == 401 and "Invalid username or password" in html, (user, password)
    assert visitor.open("/topics")[0] == 303  # still not logged in


def test_alice_sees_only_the_topic_she_may_describe(secured):
    visitor = Visitor(secured)
    assert visitor.log_in("alice", "alice-secret", "/topics")[::2] == (303, "/topics")
    assert _topic_names(visitor) == {ALICE_TOPIC}
    assert visitor.open(f"/topic/{ALICE_TOPIC}")[0] == 200
    status, html, _ = visitor.open(f"/topic/{OTHER_TOPIC}")
    assert status == 403 and "TOPIC_AUTHORIZATION_FAILED" in html
    assert visitor.open(f"/topic/{OTHER_TOPIC}/0/messages")[0] == 403
    # deleting needs DELETE on the topic, as DeleteTopics does: READ is not enough
    status, html, _ = visitor.open(f"/topic/{ALICE_TOPIC}/delete", {"confirm": ALICE_TOPIC})
    assert status == 403 and "TOPIC_AUTHORIZATION_FAILED" in html
    status, html, _ = visitor.open("/create-topic", {"name": "alice-new", "partitions": "1"})
    assert status == 400 and "TOPIC_AUTHORIZATION_FAILED" in html
    assert _topic_names(visitor) == {ALICE_TOPIC}
    # a group she may not describe is refused whether it exists or not, as DescribeGroups does
    status, html, _ = visitor.open("/group/payroll-readers")
    assert status == 403 and "GROUP_AUTHORIZATION_FAILED" in html
    # logging out ends the session
    assert visitor.open("/logout", {})[0] == 303
    assert visitor.open("/topics")[0] == 303


def test_a_scram_user_logs_in_and_without_acls_sees_nothing(secured):
    visitor = Visitor(secured)
    assert visitor.log_in("bob", "bob-secret")[0] == 303
    assert _topic_names(visitor) == set()


def test_a_super_user_sees_every_topic(secured):
    visitor = Visitor(secured)
    assert visitor.log_in("admin", "admin-secret")[0] == 303
    assert {ALICE_TOPIC, OTHER_TOPIC} <= _topic_names(visitor)
    assert visitor.open(f"/topic/{OTHER_TOPIC}")[0] == 200
    assert visitor.open("/group/payroll-readers")[0] == 404  # allowed to look: there is no such group


def test_metrics_stay_open_for_prometheus(secured):
    from .metrics_scrape import metrics_url

    found = scrape(metrics_url(secured))
    assert found.value("kafka_log_log_logendoffset", topic=OTHER_TOPIC, partition=0) == 0


def test_a_login_form_posted_from_another_site_is_refused(secured):
    visitor = Visitor(secured)
    request = urllib.request.Request(visitor.url + "/login", headers={"Origin": "http://evil.example"},
                                     data=urllib.parse.urlencode({"username": "admin", "password": "admin-secret"}).encode())
    try:
        visitor.opener.open(request, timeout=TIMEOUT)
        status = 200
    except urllib.error.HTTPError as exc:
        status = exc.code
    assert status == 403
    assert visitor.open("/topics")[0] == 303
