"""The fragment cache's bookkeeping (no database): bytes, TTL, leases, write counts."""

from __future__ import annotations

from gateway.federation.fragment_cache import CacheKey, FragmentCache


def key(text: str, writes: int = 0, table: str = "orders") -> CacheKey:
    return CacheKey("pg", "v1", (("public", table, writes),), text)


def test_an_entry_in_use_is_dropped_only_after_its_last_release():
    dropped: list[str] = []
    cache = FragmentCache(60, 100, dropped.append)
    first = cache.put(key("a"), "table_a", 80)

    cache.put(key("b"), "table_b", 80)  # over 100 bytes: "a" leaves the cache...
    assert cache.lease(key("a")) is None
    assert dropped == []  # ...but a statement still reads it

    cache.release(first)
    assert dropped == ["table_a"]
    assert cache.size == 80


def test_entries_expire_after_the_ttl():
    now = [0.0]
    dropped: list[str] = []
    cache = FragmentCache(10, 100, dropped.append, clock=lambda: now[0])
    cache.release(cache.put(key("a"), "table_a", 10))

    now[0] = 9.9
    hit = cache.lease(key("a"))
    assert hit is not None
    cache.release(hit)
    now[0] = 10.0
    assert cache.lease(key("a")) is None
    assert dropped == ["table_a"]


def test_a_newer_write_count_drops_the_entries_of_that_table_only():
    dropped: list[str] = []
    cache = FragmentCache(60, 1000, dropped.append)
    for name, table in (("a", "orders"), ("b", "customers")):
        cache.release(cache.put(key(name, table=table), f"table_{name}", 10))

    assert cache.lease(key("a", writes=1)) is None
    assert dropped == ["table_a"]
    # a read that looked up the old count before the write is lent, not kept
    late = cache.put(key("a", writes=0), "table_late", 10)
    cache.release(late)
    assert dropped == ["table_a", "table_late"]
    assert len(cache) == 1


def test_a_value_larger_than_max_bytes_is_lent_and_not_kept():
    dropped: list[str] = []
    cache = FragmentCache(60, 100, dropped.append)
    big = cache.put(key("a"), "table_a", 101)

    assert len(cache) == 0
    cache.release(big)
    assert dropped == ["table_a"]
