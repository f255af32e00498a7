"""The store behaves the same on SQLite and PostgreSQL: leases, once-only items and
alerts, edits, the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon.feeds import Item
from daemon.store import Edit, FeedSpec, NewItem, OutboxEntry, Store, StoreError
from daemon.watch import Hit
from tests.conftest import postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = Store.open(tmp_path / "data")
        yield opened
        opened.close()
    else:
        for url in postgres_database():
            opened = Store.open(tmp_path, url)
            yield opened
            opened.close()


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def item(key: str, title: str = "title", text: str = "text", outlet: str = "outlet") -> Item:
    return Item(
        outlet=outlet,
        key=key,
        guid=None,
        link=f"http://x.example/{key}",
        title=title,
        text=text,
        published=NOW - timedelta(hours=1),
        content_hash=f"h-{title}-{text}",
    )


HIT = Hit(
    entry="al-tanf",
    watchlist="places",
    kind="place",
    alias="التنف",
    surface="بالتنف",
    start=3,
    end=9,
    method="variant",
    score=0.95,
)


def test_feed_lease_is_given_to_one_owner_at_a_time(store: Store) -> None:
    store.sync_feeds([FeedSpec("a", "http://a.example/feed", 60)], NOW)
    first = store.claim_due_feeds(NOW, "one", 10, timedelta(minutes=2))
    second = store.claim_due_feeds(NOW, "two", 10, timedelta(minutes=2))
    assert [f.name for f in first] == ["a"]
    assert second == []
    store.record_poll(
        "a",
        NOW,
        next_poll_at=NOW + timedelta(seconds=60),
        etag='"e1"',
        last_modified=None,
        validators_changed=True,
        new_items=3,
    )
    assert store.claim_due_feeds(NOW, "two", 10, timedelta(minutes=2)) == []  # not due yet
    later = NOW + timedelta(seconds=61)
    again = store.claim_due_feeds(later, "two", 10, timedelta(minutes=2))
    assert [(f.name, f.etag, f.items_seen) for f in again] == [("a", '"e1"', 3)]


def test_expired_lease_can_be_taken_over(store: Store) -> None:
    store.sync_feeds([FeedSpec("a", "http://a.example/feed", 60)], NOW)
    assert store.claim_due_feeds(NOW, "crashed", 10, timedelta(minutes=2))
    taken = store.claim_due_feeds(NOW + timedelta(minutes=3), "other", 10, timedelta(minutes=2))
    assert [f.name for f in taken] == ["a"]


def test_changed_url_starts_afresh_and_removed_feed_is_kept_but_not_polled(store: Store) -> None:
    store.sync_feeds(
        [FeedSpec("a", "http://a.example/feed", 60), FeedSpec("b", "http://b/", 60)], NOW
    )
    store.claim_due_feeds(NOW, "o", 10, timedelta(minutes=2))
    store.record_poll(
        "a", NOW, next_poll_at=NOW + timedelta(hours=1), etag='"e"', validators_changed=True
    )
    store.record_poll("b", NOW, next_poll_at=NOW + timedelta(hours=1))
    store.sync_feeds([FeedSpec("a", "http://a.example/new-feed", 60)], NOW)
    a = store.feed("a")
    b = store.feed("b")
    assert a is not None and b is not None
    assert (a.url, a.etag, a.next_poll_at) == ("http://a.example/new-feed", None, NOW)
    assert not b.configured
    later = NOW + timedelta(days=1)
    assert [f.name for f in store.claim_due_feeds(later, "o", 10, timedelta(minutes=2))] == ["a"]


def test_item_and_its_alert_are_stored_once(store: Store) -> None:
    alert = OutboxEntry(
        "analysts", '{"title": "t"}', (("fp1", "mailto://host"), ("fp2", "json://h"))
    )
    new = NewItem(item("k1"), (("text", HIT),), (alert,))
    first = store.save_items("outlet", [new], [], NOW)
    second = store.save_items("outlet", [new], [], NOW)
    assert (first.items, len(first.alerts)) == (1, 1)
    assert (second.items, second.alerts) == (0, [])
    assert store.item_count("outlet") == 1
    assert store.alert_count() == 1
    assert store.outbox_counts(NOW - timedelta(days=1)).pending == 2


def test_times_come_back_as_utc(store: Store) -> None:
    store.sync_feeds([FeedSpec("a", "http://a.example/feed", 60)], NOW)
    feed = store.feed("a")
    assert feed is not None and feed.next_poll_at == NOW and feed.next_poll_at.tzinfo is not None


def test_edit_keeps_the_earlier_version(store: Store) -> None:
    store.save_items("outlet", [NewItem(item("k1", "first"), (), ())], [], NOW)
    by_key, _ = store.known_items("outlet", [item("k1")])
    edited = item("k1", "second")
    store.save_items("outlet", [], [Edit(by_key["k1"].id, edited)], NOW)
    by_key, by_hash = store.known_items("outlet", [edited])
    assert by_key["k1"].title == "second"
    assert store.item_edits("outlet", "k1") == 1
    assert store.item_count() == 1
    assert edited.content_hash in by_hash


def test_outbox_delivery_cycle(store: Store) -> None:
    alert = OutboxEntry("r", '{"title": "t"}', (("fp1", "json://h"),))
    store.save_items("outlet", [NewItem(item("k1"), (), (alert,))], [], NOW)
    claimed = store.claim_deliveries(NOW, 10, timedelta(minutes=1))
    assert [(d.route, d.target, d.attempts) for d in claimed] == [("r", "fp1", 0)]
    assert store.claim_deliveries(NOW, 10, timedelta(minutes=1)) == []  # leased
    store.mark_retry(claimed[0].id, "HTTP 500", NOW + timedelta(minutes=5))
    assert (
        store.claim_deliveries(
            NOW, 10, timedelta(minutes=1), ignore_backoff=True, exclude={claimed[0].id}
        )
        == []
    )
    claimed = store.claim_deliveries(NOW, 10, timedelta(minutes=1), ignore_backoff=True)
    store.mark_retry(claimed[0].id, "HTTP 500", NOW + timedelta(minutes=5))
    assert store.claim_deliveries(NOW + timedelta(minutes=1), 10, timedelta(minutes=1)) == []
    forced = store.claim_deliveries(
        NOW + timedelta(minutes=1), 10, timedelta(minutes=1), ignore_backoff=True
    )
    assert [d.attempts for d in forced] == [2]
    store.mark_sent(forced[0].id, NOW + timedelta(minutes=1))
    counts = store.outbox_counts(NOW)
    assert (counts.pending, counts.failed, counts.sent_since) == (0, 0, 1)


def test_bad_database_url_is_one_line_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as err:
        Store.open(tmp_path, "postgresql://raqib:TopSecret99@127.0.0.1:1/raqib")
    message = str(err.value)
    assert "TopSecret99" not in message
    assert "\n" not in message


def test_leases_of_dead_senders_on_this_host_are_released_and_live_ones_kept(
    store: Store,
) -> None:
    alerts = tuple(OutboxEntry("r", '{"title": "t"}', ((f"fp{i}", "json://h"),)) for i in range(3))
    store.save_items(
        "outlet", [NewItem(item(f"k{i}"), (), (a,)) for i, a in enumerate(alerts)], [], NOW
    )
    lease = timedelta(minutes=2)
    for owner in ("host-a:100", "host-a:200", "host-b:100"):  # dead, alive, another host
        assert len(store.claim_deliveries(NOW, 1, lease, owner=owner)) == 1

    released = store.release_leases_of_dead("host-a", 300, lambda pid: pid == 200, NOW)

    assert released == 1
    (free,) = store.claim_deliveries(NOW, 10, lease, owner="host-a:300")
    assert free.target == "fp0"
    # Under this process's own pid, a lease is from an earlier process that had it.
    assert store.release_leases_of_dead("host-a", 300, lambda pid: True, NOW) == 1


def test_a_schema_2_database_gains_the_columns_of_schema_3_and_the_index_of_4(
    tmp_path: Path,
) -> None:
    from sqlalchemy import inspect, text

    first = Store.open(tmp_path / "data")
    with first.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_items_guid"))
        conn.execute(text("DROP INDEX ix_feeds_next_poll"))
        conn.execute(text("DROP INDEX ix_items_first_seen"))
        for table, column in (
            ("held_updates", "reason"),
            ("held_updates", "payload"),
            ("deliveries", "leased_by"),
        ):
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        conn.execute(text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
    first.close()

    store = Store.open(tmp_path / "data")
    try:
        with store.engine.connect() as conn:
            held = {c["name"] for c in inspect(conn).get_columns("held_updates")}
            deliveries = {c["name"] for c in inspect(conn).get_columns("deliveries")}
            indexes = {
                i["name"] for table in ("items", "feeds") for i in inspect(conn).get_indexes(table)
            }
            version = conn.execute(
                text("SELECT value FROM meta WHERE key = 'schema_version'")
            ).scalar()
    finally:
        store.close()
    assert {"reason", "payload"} <= held and "leased_by" in deliveries
    assert {"ix_items_guid", "ix_items_first_seen", "ix_feeds_next_poll"} <= indexes
    assert version == "4"


def test_a_lease_taken_over_after_it_ran_out_cannot_be_renewed_by_its_first_owner(
    store: Store,
) -> None:
    alert = OutboxEntry("r", '{"title": "t"}', (("fp", "json://h"),))
    store.save_items("outlet", [NewItem(item("k"), (), (alert,))], [], NOW)
    lease = timedelta(minutes=2)
    (first,) = store.claim_deliveries(NOW, 10, lease, owner="a:1")
    assert store.renew_lease(first.id, "a:1", NOW + lease)
    later = NOW + timedelta(minutes=5)  # a:1 stalled past its lease; b:2 takes over
    (taken,) = store.claim_deliveries(later, 10, lease, owner="b:2")

    assert taken.id == first.id
    assert not store.renew_lease(first.id, "a:1", later + lease)
    assert store.renew_lease(first.id, "b:2", later + lease)
    store.mark_sent(first.id, later)
    assert not store.renew_lease(first.id, "b:2", later + lease)


def test_replicas_starting_together_on_an_empty_postgresql_all_start(postgres_url: str) -> None:
    """Four processes' worth of stores open an empty database and sync the same 300 feeds at
    the same moment: none fails, and each feed is there once, due now."""
    import threading

    specs = [FeedSpec(f"feed-{n:03}", f"http://127.0.0.1:9/{n}.xml", 900) for n in range(300)]
    start = threading.Barrier(4)
    errors: list[BaseException] = []
    stores: list[Store] = []

    def replica() -> None:
        try:
            start.wait()
            opened = Store.open(Path("/nonexistent"), postgres_url)
            stores.append(opened)
            opened.sync_feeds(specs, NOW)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        feeds = stores[0].feeds()
        assert [f.name for f in feeds] == [spec.name for spec in specs]
        assert all(f.next_poll_at == NOW for f in feeds)
    finally:
        for opened in stores:
            opened.close()


def _stored(
    store: Store, when: datetime, key: str, story: int | None, alert: bool, dated: bool = True
) -> tuple[int, int]:
    """An item first seen at ``when`` (published then, or undated), in ``story`` or a new
    one, with a hit and, if ``alert``, an alert with one delivery. (item id, story id)"""
    it = replace(item(key), published=when if dated else None)
    with store.ingest(when) as tx:
        item_id = tx.insert_item(it, [("title", HIT)])
        assert item_id is not None
        story_id = story or tx.new_story(it.title, when, it.outlet)
        tx.join_story(item_id, story_id, None, last_at=when, items=1, sources=1, outlets=["o"])
        if alert:
            tx.insert_alert(item_id, OutboxEntry("r", "{}", (("fp", "json://h"),)), story_id)
    return item_id, story_id


def test_retention_prunes_what_is_old_and_done_and_keeps_what_is_not(store: Store) -> None:
    from sqlalchemy import func, select

    from daemon.store import _schema as s

    old = NOW - timedelta(days=40)
    cutoff = NOW - timedelta(days=30)
    lease = timedelta(minutes=2)
    gone, _ = _stored(store, old, "sent", None, alert=True)
    (delivery,) = store.claim_deliveries(NOW, 10, lease, owner="a:1")
    store.mark_sent(delivery.id, NOW)
    waiting, waiting_story = _stored(store, old, "pending", None, alert=True)
    undated, _ = _stored(store, old, "undated", None, alert=False, dated=False)
    early, live_story = _stored(store, old, "early", None, alert=False)
    late, _ = _stored(store, NOW - timedelta(days=1), "late", live_story, alert=False)

    rounds = []
    while not (got := store.prune(cutoff, keep_identities=False, batch=2)).done:
        rounds.append(got)

    assert sum(r.items for r in rounds) == 1 and sum(r.emptied for r in rounds) == 1
    assert sum(r.stories for r in rounds) == 2  # the sent item's and the undated one's
    with store.engine.connect() as conn:
        ids = set(conn.execute(select(s.items.c.id)).scalars())
        texts = {r.id: r.text for r in conn.execute(select(s.items.c.id, s.items.c.text))}
        hits = set(conn.execute(select(s.hits.c.item_id)).scalars())
        stories = set(conn.execute(select(s.stories.c.id)).scalars())
        alerts = conn.execute(select(func.count()).select_from(s.alerts)).scalar_one()
        deliveries = list(conn.execute(select(s.deliveries.c.status)).scalars())
    assert ids == {waiting, undated, early, late}  # the sent one is gone
    assert texts[undated] == "" and undated not in hits  # emptied to its identity
    assert texts[waiting] and texts[early] and texts[late]
    assert (alerts, deliveries) == (1, ["pending"])  # what is still to send stays
    assert waiting_story in stories and live_story in stories and len(stories) == 2
    by_key, _ = store.known_items("outlet", [item("undated")])
    assert "undated" in by_key, "an undated item served again must still be known"


def test_sqlite_commits_reach_the_disk_before_they_return(tmp_path: Path) -> None:
    """``synchronous=FULL`` in WAL mode: a commit (a delivery marked sent) is synced
    before the call returns, so a power loss right after cannot undo it."""
    from sqlalchemy import text

    store = Store.open(tmp_path / "data")
    try:
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    finally:
        store.close()


def test_containers_sharing_a_host_name_never_release_each_others_live_leases(
    store: Store,
) -> None:
    """Two containers with host networking share the host name and both run as pid 1.
    Their owners differ by PID namespace, so the one that restarts releases only what
    its own namespace held, never the other's live lease."""
    import os

    from daemon.store import process_owner, process_space

    host, pidns, pid = process_owner().split(":")
    assert (f"{host}:{pidns}", int(pid)) == (process_space(), os.getpid())
    assert pidns == str(os.stat("/proc/self/ns/pid").st_ino)
    lease = timedelta(minutes=5)
    store.sync_feeds([FeedSpec("a", "http://a/", 60), FeedSpec("b", "http://b/", 60)], NOW)
    (other,) = store.claim_due_feeds(NOW, "vm:4026531111:1", 1, lease)
    (mine,) = store.claim_due_feeds(NOW, "vm:4026532222:1", 1, lease)

    released = store.release_leases_of_dead("vm:4026532222", 1, lambda pid: True, NOW)

    assert released == 1
    assert [f.name for f in store.claim_due_feeds(NOW, "vm:4026533333:1", 5, lease)] == [mine.name]
    assert other.name != mine.name
