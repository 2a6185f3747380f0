"""Apache Kafka's own JVM tools and a reference Kafka broker, fetched from Maven Central for the tests.

``pom.xml`` names the jars; ``jars`` copies them (once) into ``compat_tests/.cache``; ``kafka_tool``
runs a tool's main class as its ``bin/kafka-*.sh`` script would; ``kafka_broker`` starts a real
single-node KRaft Kafka, the yardstick that proves the tool tests themselves right.
"""
