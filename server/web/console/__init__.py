"""The built-in web console, served at ``/`` on the HTTP port (``metrics.port``) beside ``/metrics``.

Server-rendered HTML (Jinja2, autoescaped: record keys and values are untrusted) with plain
forms and no JavaScript of ours beyond a page refresh. Pages read the broker's own objects
through small read-only views (``cluster_view``, ``topic_view``, ``group_view``,
``record_browser``) and change things only through the paths the Kafka APIs use
(``broker.topic_admin``, ``config_changes``), so cluster mode works the same. Every table is
paged, and reading a partition's messages reads a bounded number of batches through the log's
own read path, never the whole log.
"""
