import pytest

from config import ConfigError
from config.interpolate import child_path, interpolate, interpolate_string

ENV = {"HOST": "db.internal", "PORT": "5432", "EMPTY": "", "PASSWORD": "Zq9-SECRET-pw"}


@pytest.mark.parametrize(
    ("text", "result", "names"),
    [
        ("plain", "plain", ()),
        ("${HOST}", "db.internal", ("HOST",)),
        ("${HOST}:${PORT}", "db.internal:5432", ("HOST", "PORT")),
        ("${HOST}/${HOST}", "db.internal/db.internal", ("HOST",)),
        ("${MISSING:-fallback}", "fallback", ("MISSING",)),
        ("${HOST:-fallback}", "db.internal", ("HOST",)),
        ("${EMPTY:-fallback}", "fallback", ("EMPTY",)),
        ("${EMPTY}", "", ("EMPTY",)),
        ("${MISSING:-}", "", ("MISSING",)),
        ("${MISSING:-a:b/c@d}", "a:b/c@d", ("MISSING",)),
        ("$${HOST}", "${HOST}", ()),
        ("cost: $$5", "cost: $5", ()),
        ("$$$${HOST}", "$${HOST}", ()),
        ("$$${HOST}", "$db.internal", ("HOST",)),
        ("pa$word $HOST", "pa$word $HOST", ()),
        ("trailing $", "trailing $", ()),
    ],
)
def test_interpolate_string(text, result, names):
    assert interpolate_string(text, ENV) == (result, names)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${MISSING}", "environment variable MISSING is not set"),
        ("x-${MISSING}-y", "give a default with ${MISSING:-default}"),
        ("${HOST", "unterminated '${'"),
        ("${}", "invalid variable reference '${...}'"),
        ("${1ABC}", "invalid variable reference '${1ABC...}'"),
        ("${HOST:default}", "invalid variable reference '${HOST...}'"),
        ("${A-B}", "invalid variable reference"),
    ],
)
def test_interpolate_string_errors(text, message):
    with pytest.raises(ConfigError) as caught:
        interpolate_string(text, ENV, path="sources[0].url", file="fedgate.yaml")
    assert message in str(caught.value)
    assert caught.value.path == "sources[0].url"
    assert caught.value.file == "fedgate.yaml"


def test_interpolate_walks_values_and_records_variable_paths():
    data = {
        "server": {"port": "${PORT}", "host": "$$literal"},
        "sources": [{"name": "shop", "url": "postgresql://app:${PASSWORD}@${HOST}/shop"}],
        "${HOST}": 1,
    }
    result = interpolate(data, ENV)
    assert result.data == {
        "server": {"port": "5432", "host": "$literal"},
        "sources": [{"name": "shop", "url": "postgresql://app:Zq9-SECRET-pw@db.internal/shop"}],
        "${HOST}": 1,
    }
    assert result.variables == {"server.port": ("PORT",), "sources[0].url": ("PASSWORD", "HOST")}


def test_interpolate_leaves_non_strings_alone():
    data = {"a": 1, "b": True, "c": None, "d": 1.5, "e": [1, "${PORT}"]}
    assert interpolate(data, ENV).data == {"a": 1, "b": True, "c": None, "d": 1.5, "e": [1, "5432"]}


def test_missing_variable_error_names_the_key_path():
    with pytest.raises(ConfigError) as caught:
        interpolate({"sources": [{"name": "a"}, {"url": "${DB_URL}"}]}, {}, file="f.yaml")
    assert caught.value.path == "sources[1].url"
    assert str(caught.value).startswith("f.yaml: sources[1].url: environment variable DB_URL")


def test_recursive_alias_is_rejected():
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ConfigError, match="refers to its own parent"):
        interpolate({"sources": loop}, ENV)


def test_shared_alias_is_not_a_cycle():
    shared = ["a", "${PORT}"]
    assert interpolate({"x": shared, "y": shared}, ENV).data == {
        "x": ["a", "5432"],
        "y": ["a", "5432"],
    }


@pytest.mark.parametrize(
    ("parent", "key", "path"),
    [("", "server", "server"), ("server", "port", "server.port"), ("sources", 2, "sources[2]")],
)
def test_child_path(parent, key, path):
    assert child_path(parent, key) == path
