"""``/metrics``: the broker's figures in Prometheus' text format, written by ``prometheus-client``.

The names are the ones the Prometheus JMX exporter's usual Kafka rules give Kafka's MBeans
(``kafka_server_brokertopicmetrics_messagesin_total``, ...) and, for consumer group lag, the ones
kafka-exporter uses, so that dashboards and alerts made for Kafka work unchanged; the README lists
them all. Each collector reads, at scrape time, either what the broker counts as it serves
(``server/stats``) or the state it keeps anyway (logs, replicas, committed offsets), gathered
by the endpoint itself (never through prometheus-client's global registry) in steps that leave
the event loop free (``pacing``), and encoded in a worker thread.
"""
