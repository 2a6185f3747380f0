"""A group's configs as DescribeConfigs reports them for a GROUP resource (type 32).

Every per-group config is listed, whether or not the group exists or sets it, as Kafka lists them.
A config the group sets has that value, source GROUP_CONFIG (8), and for synonyms the group's
value followed by the broker setting's; one it does not set has the broker setting's value and
source, its synonyms being that setting in each broker layer that has it (this broker's dynamic
configs, the cluster-wide ones, the static properties, Kafka's default), highest first. The three
share configs without a broker setting fall back to Kafka's default, under their own name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from odradek.storage.errors import InvalidConfigError
from odradek.storage.log_config import DEFAULT_CONFIG, STATIC_BROKER_CONFIG, ConfigEntry, ConfigSynonym

from .group_config_defs import BROKER_DEFAULTS, GROUP_CONFIG, GROUP_CONFIG_DEFS, GroupConfigDef


def describe_group_config(
    configs: Mapping[str, str], props: Mapping[str, str], dynamic: Sequence[tuple[int, Mapping[str, str]]] = ()
) -> list[ConfigEntry]:
    """Every group config of a group that sets ``configs``. ``props`` are the broker's static
    properties, ``dynamic`` its (source, configs) layers set at runtime, highest priority first."""
    layers = [*dynamic, (STATIC_BROKER_CONFIG, props)]
    return [_entry(d, configs, layers) for d in GROUP_CONFIG_DEFS]


def _entry(d: GroupConfigDef, configs: Mapping[str, str], layers) -> ConfigEntry:
    if d.synonym is None:
        synonyms = [ConfigSynonym(d.name, d.config.default, DEFAULT_CONFIG)]
    else:
        synonyms = [ConfigSynonym(d.synonym, values[d.synonym], source)
                    for source, values in layers if d.synonym in values]
        synonyms.append(ConfigSynonym(d.synonym, BROKER_DEFAULTS[d.synonym], DEFAULT_CONFIG))
    if d.name in configs:
        synonyms.insert(0, ConfigSynonym(d.name, _shown(d, configs[d.name]), GROUP_CONFIG))
    source = synonyms[0].source
    return ConfigEntry(name=d.name, value=_shown(d, synonyms[0].value), source=source,
                       is_default=source == DEFAULT_CONFIG, read_only=False, sensitive=False, type=d.config.type,
                       synonyms=synonyms, documentation=d.doc)


def _shown(d: GroupConfigDef, text: str) -> str:
    """A value as Kafka prints it once parsed (``" 50000"`` is ``50000``)."""
    try:
        return d.config.to_string(d.config.parse(text))
    except InvalidConfigError:
        return text
