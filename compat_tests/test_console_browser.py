"""The web console in a real headless Chromium (Debian's, driven by Selenium; see ``browser``)
against a real broker: a topic created from the page, records produced with confluent-kafka seen
in the message browser, a consumer group's lag falling to 0 as a kafka-python consumer commits,
and the topic deleted through the confirmation page. Screenshots are saved in the test's tmp
directory (``docs/console.png`` in the README is one of them)."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By

from .browser import ensure_chromium, start_chrome
from .clients import ck_produce, kp_read, wait_until
from .console_http import console_url

BROKER_OVERRIDES = {"metrics.port": 0}
RECORDS = 30
STEP = 10  # records a poll returns


@pytest.fixture(scope="module")
def chrome():
    ensure_chromium()
    driver = start_chrome()
    yield driver
    driver.quit()


def _replaced(error: WebDriverException) -> bool:
    """Whether the error says the page was replaced under the read. Selenium reports that as
    ``StaleElementReferenceException`` mostly, but Chromium sometimes answers a read of a node the
    new page dropped with an "unhandled inspector error" instead."""
    return isinstance(error, StaleElementReferenceException) or "does not belong to the document" in str(error)


def _rows(driver, table_id: str) -> list[list[str]]:
    """The table's cells as shown; read again if a page load (a click's, or the page's own
    refresh) replaced the table while it was being read."""

    def read():
        try:
            return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
                    for row in driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")] or None
        except WebDriverException as error:
            if _replaced(error):
                return None
            raise

    return wait_until(read, what=f"table #{table_id}")


def _find(driver, element_id: str):
    """The element, once the page that has it has loaded."""
    return wait_until(lambda: next(iter(driver.find_elements(By.ID, element_id)), None), what=f"#{element_id}")


def _text(driver, element_id: str) -> str:
    def read():
        try:
            return driver.find_element(By.ID, element_id).text
        except NoSuchElementException:
            return None
        except WebDriverException as error:
            if _replaced(error):
                return None
            raise

    return wait_until(read, what=f"#{element_id}")


def test_a_topic_made_browsed_consumed_and_deleted_from_the_console(module_broker, clients, chrome, tmp_path):
    topic = "orders"
    url = console_url(module_broker)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    driver = chrome

    driver.get(url)
    assert driver.title == "Brokers · odradek console"
    assert _rows(driver, "brokers")[0][3] == "yes"
    driver.save_screenshot(str(shots / "1-brokers.png"))

    # create the topic from the form
    driver.find_element(By.LINK_TEXT, "Topics").click()
    _find(driver, "create-topic").click()
    _find(driver, "name").send_keys(topic)
    _find(driver, "partitions").send_keys("3")
    _find(driver, "configs").send_keys("retention.ms=86400000")
    driver.save_screenshot(str(shots / "2-create.png"))
    _find(driver, "create").click()
    assert _text(driver, "notice") == "Created."
    assert _text(driver, "topic-name") == topic
    assert [row[0] for row in _rows(driver, "partitions")] == ["0", "1", "2"]
    metadata = clients.ck_admin(module_broker).list_topics(topic, timeout=10)
    assert len(metadata.topics[topic].partitions) == 3

    # produce with confluent-kafka; see the records in the message browser
    producer = clients.ck_producer(module_broker)
    values = [json.dumps({"order": i, "customer": f"c-{i % 4}", "items": ["tea", "cake"][:i % 2 + 1],
                          "note": "<b>not bold</b>"}).encode() for i in range(RECORDS)]
    ck_produce(producer, topic, [(b"order-%d" % i, value) for i, value in enumerate(values)], partition=0,
               headers=[("source", b"checkout")])
    driver.get(f"{url}topic/{topic}")
    assert _rows(driver, "partitions")[0][5] == str(RECORDS)  # the high watermark
    driver.find_element(By.CSS_SELECTOR, "#partitions tbody tr:first-child a").click()
    _find(driver, "offset").send_keys("0")
    _find(driver, "limit").send_keys("10")
    _find(driver, "browse").click()
    wait_until(lambda: len(_rows(driver, "messages")) == 10, what="the ten records asked for")
    rows = _rows(driver, "messages")
    assert [row[0] for row in rows] == [str(i) for i in range(10)]
    assert [row[2] for row in rows] == [f"order-{i}" for i in range(10)]
    assert json.loads(rows[3][3]) == json.loads(values[3])  # pretty-printed JSON, shown as text
    assert '"order": 3,\n  "customer"' in rows[3][3]
    assert rows[0][4] == "source: checkout"
    assert driver.find_elements(By.CSS_SELECTOR, "#messages td.value b") == []  # the value's <b> shown, not made bold
    driver.save_screenshot(str(shots / "3-messages.png"))
    _find(driver, "next").click()
    wait_until(lambda: _rows(driver, "messages")[0][0] == "10", what="the next page of records")
    assert [row[0] for row in _rows(driver, "messages")] == [str(i) for i in range(10, 20)]

    # a consumer group's lag falls to 0 as it consumes, committing after each poll
    group = "billing"
    consumer = clients.kp_consumer(module_broker, group_id=group, max_poll_records=STEP)
    partition = TopicPartition(topic, 0)
    consumer.assign([partition])
    consumer.commit({partition: OffsetAndMetadata(0, "", -1)})  # the group starts at the beginning
    lags = []
    while True:
        driver.get(f"{url}group/{group}")
        position = consumer.committed(partition)
        assert _text(driver, "total-lag") == str(RECORDS - position)
        assert _rows(driver, "offsets")[0][:5] == [topic, "0", str(position), str(RECORDS), str(RECORDS - position)]
        lags.append(RECORDS - position)
        if position == 10:
            driver.save_screenshot(str(shots / "4-group-lagging.png"))
        if position == RECORDS:
            break
        kp_read(consumer, STEP)
        consumer.commit()  # what it has consumed
    assert lags == list(range(RECORDS, -1, -STEP))  # 30, 20, 10, 0
    driver.save_screenshot(str(shots / "5-group-caught-up.png"))
    driver.get(f"{url}groups")
    assert [row[0] for row in _rows(driver, "groups") if row[0] == group] == [group]

    # throughput: the charts have drawn what was produced
    driver.get(f"{url}throughput")
    wait_until(lambda: driver.find_elements(By.TAG_NAME, "polyline"), timeout=15, interval=0.5,
               what="a chart")  # the page refreshes itself
    driver.save_screenshot(str(shots / "6-throughput.png"))

    # delete it, through the confirmation
    driver.get(f"{url}topic/{topic}")
    _find(driver, "delete-topic").click()
    _find(driver, "confirm").send_keys("order")  # not quite its name
    _find(driver, "confirm-delete").click()
    assert "to confirm" in _text(driver, "error")
    wait_until(lambda: driver.find_elements(By.ID, "confirm"), what="the form again")
    assert topic in clients.ck_admin(module_broker).list_topics(timeout=10).topics
    _find(driver, "confirm").send_keys(topic)
    driver.save_screenshot(str(shots / "7-delete.png"))
    _find(driver, "confirm-delete").click()
    assert _text(driver, "notice") == f"deleted {topic}"
    assert urllib.parse.urlsplit(driver.current_url).path == "/topics"
    wait_until(lambda: topic not in clients.ck_admin(module_broker).list_topics(timeout=10).topics,
               what="the topic deleted")
    assert all(row[0] != topic for row in _rows(driver, "topics"))
    print(f"screenshots in {shots}")
