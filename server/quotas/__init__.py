"""Client quotas (KIP-13, KIP-55, KIP-124, KIP-219): byte rates and request time per user and client id.

``entities`` holds what a quota applies to and Kafka's rules for configuring one;
``client_quotas`` keeps the configured quotas and finds the one a request falls under;
``rate`` measures as Kafka's sampled ``Rate`` does and turns a violation into a throttle time;
``stores`` keeps them in the data directory (single node); ``throttled_routes`` puts the
produce/fetch accounting in front of their handlers only while some quota is configured.
"""
