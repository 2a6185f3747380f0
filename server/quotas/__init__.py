"""Client quotas (KIP-13, KIP-55, KIP-124, KIP-219, KIP-599): byte rates, request time and
controller mutations per user and client id.

``entities`` holds what a quota applies to and Kafka's rules for configuring one;
``client_quotas`` keeps the configured quotas and finds the one a request falls under;
``rate`` measures as Kafka's sampled ``Rate`` does and turns a violation into a throttle time;
``stores`` keeps them in the data directory (single node); ``throttled_routes`` puts the
byte-rate and request-time accounting in front of the handlers only while such a quota is
configured, ``request_time`` measuring how long each request keeps the event loop busy;
``mutation_quota`` is the token bucket CreateTopics, CreatePartitions and DeleteTopics draw on.
"""
