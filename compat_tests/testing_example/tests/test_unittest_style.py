"""unittest, with the plain context manager (no fixtures)."""

import unittest

from kafka import KafkaConsumer, KafkaProducer

import odradek.testing


class BrokerTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._broker = odradek.testing.broker()
        cls.bootstrap = cls._broker.__enter__()
        cls.addClassCleanup(cls._broker.__exit__, None, None, None)

    def test_round_trip(self):
        odradek.testing.create_topic(self.bootstrap, "unittest-topic")
        producer = KafkaProducer(bootstrap_servers=self.bootstrap)
        producer.send("unittest-topic", b"hello").get(timeout=10)
        producer.close()
        consumer = KafkaConsumer("unittest-topic", bootstrap_servers=self.bootstrap,
                                 auto_offset_reset="earliest")
        values = []
        for _ in range(30):
            values += [r.value for records in consumer.poll(timeout_ms=1000).values() for r in records]
            if values:
                break
        consumer.close()
        self.assertEqual(values, [b"hello"])
