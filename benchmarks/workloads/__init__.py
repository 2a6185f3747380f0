"""One module per workload; each exposes ``TITLE``, ``ABOUT`` and ``run(session) -> list[Measurement]``."""
