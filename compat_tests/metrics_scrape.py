"""Scrape a broker's ``/metrics`` as Prometheus would, with plain urllib, and parse it with
prometheus-client's own parser: what a test compares is what a real scraper reads."""

from __future__ import annotations

import re
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

METRICS_URL = re.compile(r"odradek ready: .*, metrics on (?P<url>http://\S+/metrics)")
TIMEOUT = 10.0


def metrics_url(broker) -> str:
    """Where the broker serves /metrics, as its ready line says."""
    found = METRICS_URL.findall(broker.log_text())
    assert found, f"the ready line names no metrics URL:\n{broker.log_text()[-3000:]}"
    return found[-1]


class Scrape:
    """One scrape: every sample by name and labels."""

    def __init__(self, text: str):
        self.text = text
        self.families = {family.name: family for family in text_string_to_metric_families(text)}
        self.samples = {(sample.name, frozenset(sample.labels.items())): sample.value
                        for family in self.families.values() for sample in family.samples}

    def value(self, name: str, default: float | None = 0.0, **labels) -> float:
        """The sample with exactly these labels (``default`` when there is none yet)."""
        found = self.samples.get((name, frozenset((k, str(v)) for k, v in labels.items())))
        if found is None:
            assert default is not None, f"no sample {name}{labels} in the scrape"
            return default
        return found

    def total(self, name: str, **labels) -> float:
        """The sum of the samples whose labels include these (e.g. every version of one request)."""
        wanted = {(k, str(v)) for k, v in labels.items()}
        return sum(value for (sample, sample_labels), value in self.samples.items()
                   if sample == name and wanted <= sample_labels)

    def labelled(self, name: str, **labels) -> dict[frozenset, float]:
        wanted = {(k, str(v)) for k, v in labels.items()}
        return {sample_labels: value for (sample, sample_labels), value in self.samples.items()
                if sample == name and wanted <= sample_labels}


def scrape(url: str) -> Scrape:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return Scrape(response.read().decode())
