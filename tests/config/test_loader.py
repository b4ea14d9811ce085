import dataclasses
import os
import re
import textwrap
import typing
from pathlib import Path

import pytest

from config import (
    EXAMPLES_DIR,
    ConfigError,
    RelationshipSettings,
    SchemaCacheSettings,
    ServerSettings,
    Settings,
    SourceSettings,
    load_settings,
    parse_settings,
)
from config.validate import INT_RANGES, INTERNAL_FIELDS

DOCS = Path(__file__).parents[2] / "docs" / "configuration.md"
SECRET = "Zq9-SECRET-pw"
MINIMAL = """
sources:
  - name: shop
    url: sqlite:///shop.sqlite
"""
FULL = """
server: {host: 0.0.0.0, port: 8080, public_url: https://api.example.com}
schema_cache: {ttl_seconds: 0, snapshot_path: /var/lib/fedgate/snapshot.json}
sources:
  - name: shop
    url: postgresql+psycopg://app:${SHOP_DB_PASSWORD}@127.0.0.1:5432/shop
    schemas: [public, inventory]
    include: ["*"]
    exclude: ["tmp_*"]
    read_only: true
    pool_size: 7
    statement_timeout_ms: 1000
    max_page_size: 50
    connect_timeout_s: 3
  - name: crm
    url: mysql+pymysql://crm@crm.internal:3306/crm
relationships:
  - {name: crm_account, source: shop, table: customers, columns: [email],
     target_source: crm, target_table: accounts, target_columns: [email], kind: array}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fedgate.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ=environ or {})
    assert caught.value.file == str(path)
    assert str(caught.value).startswith(f"{path}: ")
    return caught.value


def with_source(**fields: str) -> str:
    lines = "".join(f"    {key}: {value}\n" for key, value in fields.items())
    return f"sources:\n  - name: shop\n    url: sqlite:///shop.sqlite\n{lines}"


def test_minimal_config_gets_defaults(tmp_path):
    settings = load_settings(write(tmp_path, MINIMAL))
    source = settings.sources[0]
    assert source == SourceSettings(name="shop", url=f"sqlite:///{tmp_path}/shop.sqlite")
    assert settings.server == ServerSettings()
    assert settings.schema_cache.ttl_seconds == 300
    assert settings.relationships == ()
    assert settings.file == str(tmp_path / "fedgate.yaml")


def test_full_config(tmp_path):
    environ = {"SHOP_DB_PASSWORD": SECRET}
    settings = load_settings(write(tmp_path, FULL), environ=environ)
    assert settings.server == ServerSettings("0.0.0.0", 8080, "https://api.example.com")
    assert settings.schema_cache == SchemaCacheSettings(0, "/var/lib/fedgate/snapshot.json")
    shop = settings.source("shop")
    assert shop.url == f"postgresql+psycopg://app:{SECRET}@127.0.0.1:5432/shop"
    assert shop.schemas == ("public", "inventory")
    assert (shop.include, shop.exclude) == (("*",), ("tmp_*",))
    assert (shop.read_only, shop.pool_size, shop.statement_timeout_ms) == (True, 7, 1000)
    assert (shop.max_page_size, shop.connect_timeout_s) == (50, 3)
    assert settings.relationships == (
        RelationshipSettings(
            "crm_account", "shop", "customers", ("email",), "crm", "accounts", ("email",), "array"
        ),
    )
    assert all(type(value) is str for value in shop.schemas)


@pytest.mark.parametrize("name", ["demo.yaml", "postgres.yaml"])
def test_examples_load(name):
    settings = load_settings(EXAMPLES_DIR / name, environ={})
    assert settings.sources
    for source in settings.sources:
        assert "${" not in source.url


def test_demo_example_paths_resolve_next_to_it():
    settings = load_settings(EXAMPLES_DIR / "demo.yaml", environ={})
    assert settings.source("shop").url == f"sqlite:///{EXAMPLES_DIR}/demo/shop.sqlite"
    assert settings.source("analytics").url == f"duckdb:///{EXAMPLES_DIR}/demo/analytics.duckdb"


def test_postgres_example_takes_its_url_from_the_environment():
    path = EXAMPLES_DIR / "postgres.yaml"
    default = load_settings(path, environ={})
    assert default.source("pg").url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    custom = load_settings(path, environ={"FEDGATE_PG_URL": "postgresql://a:b@db/x"})
    assert custom.source("pg").url == "postgresql://a:b@db/x"


def test_relative_paths_resolve_against_the_config_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conf").mkdir()
    text = """
    schema_cache: {snapshot_path: state/snapshot.json}
    sources:
      - {name: a, url: "sqlite:///data/a.sqlite"}
      - {name: b, url: "duckdb:///../b.duckdb"}
      - {name: c, url: "sqlite:////abs/c.sqlite"}
      - {name: d, url: "sqlite://"}
      - {name: e, url: "duckdb:///:memory:"}
    """
    (tmp_path / "conf" / "fedgate.yaml").write_text(textwrap.dedent(text))
    settings = load_settings(Path("conf") / "fedgate.yaml")
    conf = tmp_path / "conf"
    assert settings.schema_cache.snapshot_path == str(conf / "state" / "snapshot.json")
    assert [source.url for source in settings.sources] == [
        f"sqlite:///{conf}/data/a.sqlite",
        f"duckdb:///{tmp_path}/b.duckdb",
        "sqlite:////abs/c.sqlite",
        "sqlite://",
        "duckdb:///:memory:",
    ]
    assert settings.file == str(conf / "fedgate.yaml")


def test_parse_settings_without_a_file_leaves_paths_alone():
    data = {"sources": [{"name": "a", "url": "sqlite:///a.db"}]}
    settings = parse_settings(data, environ={})
    assert settings.sources[0].url == "sqlite:///a.db"
    assert settings.schema_cache.snapshot_path == ".fedgate/snapshot.json"
    assert settings.file is None


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        (
            MINIMAL + "sevrer: {}\n",
            "sevrer",
            "unknown key 'sevrer' (did you mean 'server'?); valid keys: "
            + ", ".join(
                f.name
                for f in dataclasses.fields(Settings)
                if (Settings, f.name) not in INTERNAL_FIELDS
            ),
        ),
        (MINIMAL + "listen: 1\n", "listen", "unknown key 'listen'; valid keys:"),
        (MINIMAL + "file: x.yaml\n", "file", "unknown key 'file'"),
        (
            MINIMAL + "server: {prot: 1}\n",
            "server.prot",
            "unknown key 'prot' (did you mean 'port'?); valid keys: host, port, public_url",
        ),
        (
            with_source(pool_sise="3"),
            "sources[0].pool_sise",
            "unknown key 'pool_sise' (did you mean 'pool_size'?)",
        ),
        (with_source(readonly="true"), "sources[0].readonly", "(did you mean 'read_only'?)"),
    ],
)
def test_unknown_key(tmp_path, text, path, message):
    error = load_error(tmp_path, text)
    assert error.path == path
    assert message in str(error)


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        (
            with_source(pool_size="abc"),
            "sources[0].pool_size",
            "expected an integer, got string 'abc'",
        ),
        (
            with_source(pool_size='"5"'),
            "sources[0].pool_size",
            "expected an integer, got string '5'",
        ),
        (
            with_source(pool_size="2.5"),
            "sources[0].pool_size",
            "expected an integer, got number 2.5",
        ),
        (
            with_source(pool_size="true"),
            "sources[0].pool_size",
            "expected an integer, got boolean true",
        ),
        (
            with_source(read_only="1"),
            "sources[0].read_only",
            "expected true or false, got integer 1",
        ),
        (
            with_source(read_only='"false"'),
            "sources[0].read_only",
            "expected true or false, got string 'false'",
        ),
        (
            with_source(schemas="public"),
            "sources[0].schemas",
            "expected a list of strings, got string 'public'",
        ),
        (
            with_source(schemas="[public, 2]"),
            "sources[0].schemas[1]",
            "expected a string, got integer 2",
        ),
        (
            with_source(include="{a: 1}"),
            "sources[0].include",
            "expected a list of strings, got a mapping",
        ),
        ("sources: {name: shop}\n", "sources", "expected a list of mappings, got a mapping"),
        ("sources: [shop]\n", "sources[0]", "expected a mapping of keys, got string 'shop'"),
        (
            "sources:\n  - name: 12\n    url: sqlite://\n",
            "sources[0].name",
            "expected a string, got integer 12",
        ),
        (
            "sources:\n  - name: no\n    url: sqlite://\n",
            "sources[0].name",
            "expected a string, got boolean false",
        ),
        (
            MINIMAL + "server: {public_url: 5}\n",
            "server.public_url",
            "expected a string or null, got integer 5",
        ),
        (MINIMAL + "server: [1]\n", "server", "expected a mapping of keys, got a list"),
        (MINIMAL + "server: {host: 2024-01-01}\n", "server.host", "expected a string, got a date"),
        (MINIMAL + "relationships: {}\n", "relationships", "expected a list of mappings"),
        ("- a\n- b\n", None, "expected a mapping of keys, got a list"),
        ("", None, "the configuration is empty"),
        (MINIMAL + "1: x\n", None, "keys must be strings, got integer 1"),
    ],
)
def test_wrong_type(tmp_path, text, path, message):
    error = load_error(tmp_path, text)
    assert error.path == path
    assert message in str(error)


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("server: {port: 80}\n", None, "missing required key 'sources' (required: sources)"),
        (
            "sources:\n  - name: shop\n",
            "sources[0]",
            "missing required key 'url' (required: name, url)",
        ),
        ("sources:\n  - url: sqlite://\n", "sources[0]", "missing required key 'name'"),
        (
            MINIMAL + "relationships: [{name: r, source: shop, table: t, columns: [a]}]\n",
            "relationships[0]",
            "missing required key 'target_source'",
        ),
    ],
)
def test_missing_required_key(tmp_path, text, path, message):
    error = load_error(tmp_path, text)
    assert error.path == path
    assert message in str(error)


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        (MINIMAL + "server: {port: 0}\n", "server.port", "must be between 1 and 65_535, got 0"),
        (
            MINIMAL + "server: {port: 65536}\n",
            "server.port",
            "must be between 1 and 65_535, got 65536",
        ),
        (with_source(pool_size="0"), "sources[0].pool_size", "must be between 1 and 1_000, got 0"),
        (with_source(pool_size="1001"), "sources[0].pool_size", "must be between 1 and 1_000"),
        (
            with_source(statement_timeout_ms="-1"),
            "sources[0].statement_timeout_ms",
            "must be between 1 and 86_400_000, got -1",
        ),
        (
            with_source(max_page_size="1000001"),
            "sources[0].max_page_size",
            "must be between 1 and 1_000_000",
        ),
        (
            with_source(connect_timeout_s="0"),
            "sources[0].connect_timeout_s",
            "must be between 1 and 3_600",
        ),
        (
            MINIMAL + "schema_cache: {ttl_seconds: -5}\n",
            "schema_cache.ttl_seconds",
            "must be between 0 and 604_800, got -5",
        ),
        (
            MINIMAL + "schema_cache: {ttl_seconds: 604801}\n",
            "schema_cache.ttl_seconds",
            "must be between 0 and 604_800",
        ),
    ],
)
def test_out_of_range(tmp_path, text, path, message):
    error = load_error(tmp_path, text)
    assert error.path == path
    assert message in str(error)


@pytest.mark.parametrize(("value", "port"), [("1", 1), ("8080", 8080), ("65535", 65535)])
def test_integer_from_environment(tmp_path, value, port):
    text = MINIMAL + "server:\n  port: ${PORT}\n"
    settings = load_settings(write(tmp_path, text), environ={"PORT": value})
    assert settings.server.port == port


def test_integer_default_from_interpolation(tmp_path):
    settings = load_settings(
        write(tmp_path, MINIMAL + "server: {port: '${PORT:-9000}'}\n"), environ={}
    )
    assert settings.server.port == 9000


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "expected an integer, got the value of ${PORT} (not shown)"),
        ("-1", "expected an integer, got the value of ${PORT} (not shown)"),
        (" 80", "expected an integer"),
        ("70000", "must be between 1 and 65_535, got the value of ${PORT} (not shown)"),
    ],
)
def test_bad_integer_from_environment_is_not_shown(tmp_path, value, message):
    error = load_error(tmp_path, MINIMAL + "server: {port: '${PORT}'}\n", {"PORT": value})
    assert error.path == "server.port"
    assert message in str(error)
    assert f"'{value}'" not in str(error)


def test_boolean_from_environment_is_rejected(tmp_path):
    error = load_error(tmp_path, with_source(read_only="${RO}"), {"RO": "true"})
    assert "expected true or false, got the value of ${RO} (not shown)" in str(error)


def test_env_default_and_escape(tmp_path):
    text = with_source(include='["${PATTERN:-orders_*}", "$$x", "a$$$$b"]')
    settings = load_settings(write(tmp_path, text), environ={})
    assert settings.sources[0].include == ("orders_*", "$x", "a$$b")


def test_missing_environment_variable(tmp_path):
    text = "sources:\n  - name: shop\n    url: postgresql://app:${SHOP_DB_PASSWORD}@h/db\n"
    error = load_error(tmp_path, text)
    assert error.path == "sources[0].url"
    assert "environment variable SHOP_DB_PASSWORD is not set" in str(error)


def test_load_settings_reads_os_environ_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("FEDGATE_TEST_PORT", "8123")
    path = write(tmp_path, MINIMAL + "server: {port: '${FEDGATE_TEST_PORT}'}\n")
    assert load_settings(str(path)).server.port == 8123


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mongodb://h/db",
            "unsupported URL scheme 'mongodb://'; supported: postgresql://, postgresql+psycopg://",
        ),
        ("shop.sqlite", "expected a database URL"),
        ("postgresql+psycopg2://u@h/db", "unsupported URL scheme 'postgresql+psycopg2://'"),
    ],
)
def test_bad_url(tmp_path, url, message):
    error = load_error(tmp_path, f"sources:\n  - name: shop\n    url: {url}\n")
    assert error.path == "sources[0].url"
    assert message in str(error)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("1shop", "invalid source name '1shop'"),
        ("my-shop", "invalid source name 'my-shop'"),
        ("'shop db'", "invalid source name 'shop db'"),
        ("''", "invalid source name ''"),
        ("s" + "x" * 63, "at most 63 characters"),
    ],
)
def test_bad_source_name(tmp_path, name, message):
    error = load_error(tmp_path, f"sources:\n  - name: {name}\n    url: sqlite://\n")
    assert error.path == "sources[0].name"
    assert message in str(error)


def test_source_name_of_63_characters_is_accepted(tmp_path):
    name = "s" * 63
    settings = load_settings(write(tmp_path, f"sources: [{{name: {name}, url: 'sqlite://'}}]"))
    assert settings.sources[0].name == name


def test_duplicate_source_name(tmp_path):
    text = """
    sources:
      - {name: shop, url: "sqlite://"}
      - {name: crm, url: "sqlite://"}
      - {name: shop, url: "duckdb:///:memory:"}
    """
    error = load_error(tmp_path, text)
    assert error.path == "sources[2].name"
    assert "duplicate source name 'shop', first defined at sources[0]" in str(error)


def test_no_sources(tmp_path):
    error = load_error(tmp_path, "sources: []\n")
    assert error.path == "sources"
    assert "at least one source is required" in str(error)


RELATIONSHIP = {
    "name": "r",
    "source": "shop",
    "table": "t",
    "columns": "[a]",
    "target_source": "shop",
    "target_table": "u",
    "target_columns": "[b]",
}


def relationship_yaml(**change: str) -> str:
    fields = {**RELATIONSHIP, **change}
    return "{" + ", ".join(f"{key}: {value}" for key, value in fields.items()) + "}"


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (
            {"source": "crm"},
            "relationships[0].source",
            "unknown source 'crm'; configured sources: shop",
        ),
        (
            {"target_source": "shp"},
            "relationships[0].target_source",
            "unknown source 'shp' (did you mean 'shop'?)",
        ),
        (
            {"target_columns": "[b, c]"},
            "relationships[0].target_columns",
            "must list as many columns as 'columns' (1), got 2",
        ),
        (
            {"columns": "[]", "target_columns": "[]"},
            "relationships[0].columns",
            "must list at least one column",
        ),
        ({"kind": "many"}, "relationships[0].kind", "expected 'object' or 'array', got 'many'"),
        ({"name": "my-rel"}, "relationships[0].name", "invalid relationship name 'my-rel'"),
        ({"table": "''"}, "relationships[0].table", "must not be empty"),
        (
            {"columns": "a"},
            "relationships[0].columns",
            "expected a list of strings, got string 'a'",
        ),
    ],
)
def test_bad_relationship(tmp_path, change, path, message):
    text = MINIMAL + f"relationships:\n  - {relationship_yaml(**change)}\n"
    error = load_error(tmp_path, text)
    assert error.path == path
    assert message in str(error)


def test_duplicate_relationship(tmp_path):
    text = MINIMAL + f"relationships:\n  - {relationship_yaml()}\n  - {relationship_yaml()}\n"
    error = load_error(tmp_path, text)
    assert error.path == "relationships[1].name"
    assert "duplicate relationship on shop.t, first defined at relationships[0]" in str(error)


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        (
            "server:\n  port: 1\n  host: a\n  port: 2\nsources: []\n",
            "server.port",
            "duplicate key 'port' on line 4, first defined on line 2",
        ),
        (
            MINIMAL + "sources: []\n",
            "sources",
            "duplicate key 'sources' on line 5, first defined on line 2",
        ),
        (
            "sources:\n  - {name: a, url: 'sqlite://', name: b}\n",
            "sources[0].name",
            "duplicate key 'name' on line 2, first defined on line 2",
        ),
    ],
)
def test_duplicate_yaml_key(tmp_path, text, path, message):
    error = load_error(tmp_path, text)
    assert error.path == path
    assert message in str(error)


def test_yaml_merge_keys_are_not_duplicates(tmp_path):
    text = """
    sources:
      - &shop {name: shop, url: "sqlite://", pool_size: 3, read_only: true}
      - {<<: *shop, name: copy, pool_size: 4}
    """
    settings = load_settings(write(tmp_path, text))
    assert [(s.name, s.pool_size, s.read_only) for s in settings.sources] == [
        ("shop", 3, True),
        ("copy", 4, True),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources:\n  - name: shop\n   url: x\n", "invalid YAML at line 3, column"),
        ("server: {port: 1\n", "invalid YAML at line 2, column 1"),
        ("a: b: c\n", "invalid YAML at line 1, column 5: mapping values are not allowed here"),
        ("x: !!python/object:os.system {}\n", "invalid YAML at line 1"),
        ("sources: [\n", "invalid YAML at line 2, column 1: while parsing a flow node"),
        (
            "a: 1\n---\nb: 2\n",
            "expected a single document in the stream, but found another document",
        ),
    ],
)
def test_yaml_syntax_error(tmp_path, text, message):
    error = load_error(tmp_path, text)
    assert message in str(error)
    assert error.path is None


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert (
        str(caught.value)
        == f"{path}: cannot read the configuration file: No such file or directory"
    )


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the configuration file"):
        load_settings(tmp_path)


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "fedgate.yaml"
    path.write_bytes(b"sources: \xff\n")
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 9\)"):
        load_settings(path)


SECRET_URL = f"postgresql+psycopg://app:{SECRET}@db.internal:5432/shop"


@pytest.mark.parametrize(
    ("text", "environ"),
    [
        (f"sources:\n  - {{name: shop, url: 'mongodb://app:{SECRET}@h/db'}}\n", {}),
        (f"sources:\n  - {{name: shop, url: 'postgresql://app:{SECRET}@h:port/db'}}\n", {}),
        (f"sources:\n  - {{name: shop, url: 'postgresql://app:{SECRET}@x@h/db'}}\n", {}),
        ("sources:\n  - {name: shop, url: 'mongodb://app:${PW}@h/db'}\n", {"PW": SECRET}),
        ("sources:\n  - {name: shop, url: '${URL}', pool_size: 0}\n", {"URL": SECRET_URL}),
        (f"sources:\n  - {{name: shop, url: '{SECRET_URL}', pool_size: '{SECRET_URL}'}}\n", {}),
        (f"sources:\n  - {{name: shop, url: '{SECRET_URL}', schemas: ['{SECRET_URL}', 1]}}\n", {}),
        (
            f"sources:\n  - {{name: shop, url: '{SECRET_URL}'}}\n"
            f"  - {{name: shop, url: '{SECRET_URL}'}}\n",
            {},
        ),
        ("sources:\n  - {name: '${PW}', url: 'sqlite://'}\n", {"PW": SECRET}),
        ("sources:\n  - {name: shop, url: 'sqlite://', pool_size: '${PW}'}\n", {"PW": SECRET}),
        ("server: {public_url: '${PW}'}\nsources: [{name: a, url: 'sqlite://'}]\n", {"PW": SECRET}),
        (f"sources:\n  - name: shop\n    url:\n      {SECRET_URL}: 1\n", {}),
        (f"sources:\n  - name: shop\n    url: sqlite://\n    {SECRET_URL}: 1\n", {}),
        (f"sources:\n  - name: shop\n    url: {SECRET_URL}\n   bad: indentation\n", {}),
        (f"sources:\n  - name: shop\n    url: '{SECRET_URL}\n", {}),
        (
            "sources:\n  - {name: shop, url: '${URL}'}\nrelationships: [{name: r}]\n",
            {"URL": SECRET_URL},
        ),
    ],
)
def test_password_never_appears_in_errors(tmp_path, text, environ):
    error = load_error(tmp_path, text, environ)
    assert SECRET not in str(error)
    assert SECRET not in repr(error.details)
    assert error.__cause__ is None or SECRET not in str(error.__cause__)


def _documented_sections() -> dict[str, str]:
    sections = re.split(r"^## ", DOCS.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {section.split("\n", 1)[0].strip("` "): section for section in sections[1:]}


def test_every_setting_is_documented():
    sections = _documented_sections()
    hints = typing.get_type_hints(Settings)
    for top in dataclasses.fields(Settings):
        if (Settings, top.name) in INTERNAL_FIELDS:
            continue
        assert top.name in sections, f"docs/configuration.md has no '## `{top.name}`' section"
        cls = typing.get_args(hints[top.name]) or (hints[top.name],)
        for field in dataclasses.fields(cls[0]):
            assert f"| `{field.name}` |" in sections[top.name], (
                f"{top.name}.{field.name} is not documented in docs/configuration.md"
            )


@pytest.mark.parametrize(
    "cls", [Settings, ServerSettings, SchemaCacheSettings, SourceSettings, RelationshipSettings]
)
def test_every_integer_setting_has_a_range(cls):
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if hints[field.name] in (int, int | None):
            assert (cls, field.name) in INT_RANGES, f"{cls.__name__}.{field.name} has no range"


def test_relative_path_check_is_independent_of_working_directory(tmp_path, monkeypatch):
    path = write(tmp_path, MINIMAL)
    monkeypatch.chdir(os.path.dirname(os.path.dirname(path)))
    assert load_settings(path).sources[0].url == f"sqlite:///{tmp_path}/shop.sqlite"
