"""The built-in web console, served at ``/`` on the HTTP port (``metrics.port``) beside ``/metrics``.

Server-rendered HTML (Jinja2, autoescaped: record keys and values, group ids and header names are
untrusted) with plain forms and no JavaScript of ours beyond a page refresh and a partition
picker. ``part.Console`` is the web app's part: one module per page (``*_page.py``) holds its
routes, reading the broker's own objects through small read-only views (``cluster_view``,
``topic_view``, ``group_view``, ``record_browser``, ``throughput``, ``lag_history``) and changing
things only through the paths the Kafka APIs use (``broker.topic_admin``, ``config_changes``, the
group coordinator's commits in ``offset_reset``), so cluster mode works the same. Every table is
paged, and reading a partition's messages reads a bounded number of batches through the log's
own read path, never the whole log.
"""
