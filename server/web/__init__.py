"""The broker's HTTP port: Prometheus metrics (``metrics/``), and later the web console.

With ``metrics.port`` set, the broker binds one more socket at start-up, beside its Kafka
listeners and checked the same way (a port in use stops start-up in one line), and serves an
ASGI app on it with hypercorn's trio worker, as a task of the broker's own nursery: the pages
read the broker's state in the same event loop, with no locks and no copies, and stop with it.

``web_settings`` reads the two properties, ``http_server`` binds and serves, ``app`` composes the
app from each part's routes.
"""
