"""The declarative schema form: Kafka-style version ranges and field properties."""

import pytest

from odradek.wire import API_BY_KEY, API_BY_NAME, ALL_APIS, ApiKey, Field, Versions
from odradek.wire.schema import NO_VERSIONS


@pytest.mark.parametrize(("text", "low", "high"), [("3+", 3, 0x7FFF), ("0-12", 0, 12), ("5", 5, 5)])
def test_version_ranges(text, low, high):
    versions = Versions.parse(text)
    assert (versions.low, versions.high) == (low, high)
    assert str(versions) == text
    assert low in versions and high in versions and low - 1 not in versions


def test_none_is_the_empty_range():
    assert Versions.parse("none") == NO_VERSIONS
    assert not NO_VERSIONS and 0 not in NO_VERSIONS and list(NO_VERSIONS) == []
    assert list(Versions.parse("1-3")) == [1, 2, 3]


def test_fields_take_version_strings():
    field = Field("topics", "[]Topic", "1+", nullable_versions="2+", fields=(Field("name", "string", "1+"),))
    assert field.versions == Versions(1, 0x7FFF)
    assert field.nullable_versions == Versions(2, 0x7FFF)
    assert field.tagged_versions == NO_VERSIONS
    assert (field.is_array, field.is_struct, field.element_type) == (True, True, "Topic")
    assert not Field("ids", "[]int32", "0+").is_struct


def test_api_lookups():
    assert [api.key for api in ALL_APIS] == sorted(API_BY_KEY)
    assert API_BY_KEY[ApiKey.PRODUCE] is API_BY_NAME["Produce"]
    produce = API_BY_NAME["Produce"]
    assert (produce.valid_versions, produce.flexible_versions) == (Versions(3, 13), Versions(9, 0x7FFF))
