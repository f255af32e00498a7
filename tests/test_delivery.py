"""Alert delivery when targets fail: nothing lost, nothing sent twice, no secret shown."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import RunningDaemon, raqib
from tests.servers import (
    FeedServer,
    SMTPServer,
    Tarpit,
    WebhookReceiver,
    free_port,
    text_of,
    wait_for,
)
from tests.test_end_to_end import STRIKE, serve_defaults, write_config

TOKEN = "SuperSecretToken0123456789"


def test_alert_decided_while_smtp_is_down_is_delivered_once_when_it_is_back(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    serve_defaults(feed_server)
    smtp_port, hook_port = free_port(), free_port()
    hook_url = f"json://127.0.0.1:{hook_port}/hook?+X-Token={TOKEN}"
    smtp_url = (
        f"mailto://127.0.0.1:{smtp_port}?mode=insecure&from=raqib@example.org"
        "&to=analyst@example.org"
    )
    config = write_config(
        tmp_path, feed_server, f'[[routes]]\nname = "team"\nnotify = ["{smtp_url}", "{hook_url}"]\n'
    )

    down = raqib("run", "--once", "--config", str(config))

    assert down.returncode == 0, down.stderr
    assert "alert.retry" in down.stderr
    status = raqib("status", "--config", str(config))
    assert "outbox: 2 pending, 0 failed, 0 delivered" in status.stdout
    for output in (down.stdout, down.stderr, status.stdout, status.stderr):
        assert TOKEN not in output

    smtp = SMTPServer(smtp_port).start()
    hook = WebhookReceiver(hook_port).start()
    try:
        up = raqib("run", "--once", "--config", str(config))
        again = raqib("run", "--once", "--config", str(config))
        assert up.returncode == 0 and again.returncode == 0, up.stderr + again.stderr
        assert wait_for(lambda: len(smtp.messages) == 1, timeout=5)
        time.sleep(0.5)
        assert len(smtp.messages) == 1
        assert text_of(smtp.messages[0]).splitlines()[0] == STRIKE.title
        assert len(hook.received) == 1
        assert TOKEN not in up.stderr + again.stderr
        status = raqib("status", "--config", str(config))
        assert "outbox: 0 pending, 0 failed, 2 delivered" in status.stdout
    finally:
        smtp.stop()
        hook.stop()


def test_webhook_answering_500_is_retried_by_the_daemon_until_it_accepts(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    serve_defaults(feed_server)
    webhook.statuses = [500, 500]
    config = write_config(
        tmp_path,
        feed_server,
        f'[[routes]]\nname = "hook"\nnotify = ["{webhook.url()}"]\n',
        extra="",
    )
    text = config.read_text(encoding="utf-8").replace(
        "[watchlists]", '[alerts]\nretry_after = "1s"\n\n[watchlists]'
    )
    config.write_text(text, encoding="utf-8")
    with RunningDaemon(config) as daemon:
        assert wait_for(lambda: len(webhook.received) == 1, timeout=40)
        time.sleep(1.5)
    err = daemon.err
    assert webhook.attempts == 3
    assert len(webhook.received) == 1
    assert STRIKE.title in webhook.received[0]["message"]
    assert err.count("alert.retry") == 2
    # Every attempt names the delivery the same way: a receiver can drop repeats.
    keys = {h.get("x-raqib-delivery") for h in webhook.headers}
    assert len(keys) == 1 and None not in keys, keys


def test_delivery_is_marked_failed_after_give_up_after(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    serve_defaults(feed_server)
    dead = f"json://127.0.0.1:{free_port()}/hook"
    config = write_config(
        tmp_path, feed_server, f'[[routes]]\nname = "dead"\nnotify = ["{dead}"]\n'
    )
    text = config.read_text(encoding="utf-8").replace(
        "[watchlists]", '[alerts]\ngive_up_after = "1s"\n\n[watchlists]'
    )
    config.write_text(text, encoding="utf-8")

    first = raqib("run", "--once", "--config", str(config))
    time.sleep(1.2)
    second = raqib("run", "--once", "--config", str(config))

    assert first.returncode == 0 and second.returncode == 0
    # Given up in the second run, or already in the first on a machine so loaded that its
    # first attempt came more than a second after the decision: either way, once.
    logs = first.stderr + second.stderr
    assert logs.count("alert.failed") == 1, logs
    status = raqib("status", "--config", str(config))
    assert "outbox: 0 pending, 1 failed, 0 delivered" in status.stdout


def test_a_target_slower_than_send_timeout_is_a_failed_send_that_is_retried(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    """``[alerts] send_timeout`` bounds one send: a webhook that takes longer to answer is
    a failure, kept pending for its retry, never marked sent."""
    serve_defaults(feed_server)
    webhook.delay = 3.0
    config = write_config(
        tmp_path,
        feed_server,
        f'[alerts]\nsend_timeout = "1s"\n\n[[routes]]\nname = "team"\nnotify = ["{webhook.url()}"]\n',
    )

    run = raqib("run", "--once", "--config", str(config))

    assert run.returncode == 0, run.stderr
    assert "alert.retry" in run.stderr and "no answer within 1 s" in run.stderr
    status = raqib("status", "--config", str(config))
    assert "outbox: 1 pending, 0 failed, 0 delivered" in status.stdout


def test_a_truncated_foreign_or_newer_database_is_refused_and_nothing_is_sent_again(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    """Taken as a new database, a truncated ``raqib.db`` would send every alert again:
    it is refused in one line naming the file, as is a file that is not a database, a
    database of another program, and one of a newer Raqib."""
    import sqlite3

    from daemon.store._schema import SCHEMA_VERSION

    serve_defaults(feed_server)
    config = write_config(
        tmp_path, feed_server, f'[[routes]]\nname = "team"\nnotify = ["{webhook.url()}"]\n'
    )
    first = raqib("run", "--once", "--config", str(config))
    assert first.returncode == 0, first.stderr
    sent = len(webhook.received)
    assert sent >= 1
    db = tmp_path / "data" / "raqib.db"
    good = db.read_bytes()

    def refused(expected: str) -> None:
        for command in (("run", "--once"), ("status",)):
            run = raqib(*command, "--config", str(config))
            assert run.returncode == 1, (command, run.stdout, run.stderr)
            lines = run.stderr.strip().splitlines()
            assert len(lines) == 1 and expected in lines[0] and str(db) in lines[0], lines
        assert len(webhook.received) == sent  # nothing sent again

    for path in db.parent.glob("raqib.db-*"):  # no WAL left beside the file
        path.unlink()
    db.write_bytes(b"")
    refused("is empty (0 bytes)")
    db.write_bytes(b"<html>not a database</html>\n" * 10)
    refused("is not a SQLite database")
    db.unlink()
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    refused("is not Raqib's database")
    db.write_bytes(good)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    newer = raqib("status", "--config", str(config))
    assert newer.returncode == 1 and "newer than this Raqib" in newer.stderr
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
        )
    again = raqib("run", "--once", "--config", str(config))
    assert again.returncode == 0, again.stderr
    assert len(webhook.received) == sent  # the restored database knows what was sent


def test_a_target_that_never_answers_does_not_hold_back_another_routes_alert(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    """An SMTP server that accepts the connection and never greets, on the first route;
    a webhook on the second. The webhook's alert arrives while the email send is still
    hanging, not after it gives up."""
    serve_defaults(feed_server)
    tarpit = Tarpit()
    smtp_url = (
        f"mailto://127.0.0.1:{tarpit.port}?mode=insecure&from=raqib@example.org"
        "&to=analyst@example.org"
    )
    routes = (
        f'[[routes]]\nname = "mail"\nnotify = ["{smtp_url}"]\n\n'
        f'[[routes]]\nname = "hook"\nnotify = ["{webhook.url()}"]\n'
    )
    config = write_config(tmp_path, feed_server, routes)
    try:
        with RunningDaemon(config) as daemon:
            assert wait_for(lambda: tarpit.accepted >= 1, timeout=60), daemon.lines[-5:]
            assert wait_for(lambda: len(webhook.received) == 1, timeout=60), daemon.lines[-5:]
            received = webhook.times[0]
            assert not tarpit.closed or received < tarpit.closed[0], (
                "the webhook waited for the hung email send to give up"
            )
            tarpit.release()
    finally:
        tarpit.release()
    assert daemon.returncode == 0, daemon.err


def test_a_webhook_that_answers_late_is_waited_for_and_sent_once(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    """A webhook that takes 6 s to answer 200 (longer than apprise's own 4 s read
    timeout, within Raqib's send_timeout) gets the alert once and it counts as sent;
    given up on at 4 s, it would have been sent again on every retry."""
    serve_defaults(feed_server)
    webhook.delay = 6.0
    config = write_config(
        tmp_path, feed_server, f'[[routes]]\nname = "team"\nnotify = ["{webhook.url()}"]\n'
    )

    run = raqib("run", "--once", "--config", str(config))

    assert run.returncode == 0, run.stderr
    assert "alert.retry" not in run.stderr, run.stderr
    assert len(webhook.received) == 1
    status = raqib("status", "--config", str(config))
    assert "outbox: 0 pending, 0 failed, 1 delivered" in status.stdout


def test_a_permanent_refusal_fails_at_once_with_the_servers_reason(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SMTPServer, webhook: WebhookReceiver
) -> None:
    """SMTP 554 and HTTP 403 are refusals for good: the delivery fails at once, and the
    log and ``raqib status`` say what the server answered. SMTP 451 is temporary: the
    delivery waits for its retry, the log saying why."""
    serve_defaults(feed_server)
    smtp_server.sink.replies = ["554 5.7.1 Relay access denied"]
    webhook.statuses = [403]
    config = write_config(
        tmp_path,
        feed_server,
        f'[[routes]]\nname = "team"\nnotify = ["{smtp_server.url()}", "{webhook.url()}"]\n',
    )

    run = raqib("run", "--once", "--config", str(config))

    assert run.returncode == 0, run.stderr
    assert "alert.retry" not in run.stderr
    assert run.stderr.count("alert.failed") == 2
    assert "refused: SMTP 554 5.7.1 Relay access denied" in run.stderr
    assert "error=403" in run.stderr
    status = raqib("status", "--config", str(config))
    assert "outbox: 0 pending, 2 failed, 0 delivered" in status.stdout
    assert "SMTP 554 5.7.1 Relay access denied" in status.stdout


def test_a_temporary_smtp_refusal_is_retried_and_logged_with_the_servers_reason(
    tmp_path: Path, feed_server: FeedServer, smtp_server: SMTPServer
) -> None:
    serve_defaults(feed_server)
    smtp_server.sink.replies = ["451 4.3.0 Try again later"]
    config = write_config(
        tmp_path, feed_server, f'[[routes]]\nname = "team"\nnotify = ["{smtp_server.url()}"]\n'
    )

    run = raqib("run", "--once", "--config", str(config))

    assert run.returncode == 0, run.stderr
    assert "alert.retry" in run.stderr and "SMTP 451 4.3.0 Try again later" in run.stderr
    assert "alert.failed" not in run.stderr
    again = raqib("run", "--once", "--config", str(config))  # the server accepts now
    assert again.returncode == 0, again.stderr
    assert len(smtp_server.messages) == 1


def test_a_sent_mark_the_database_refuses_never_makes_the_process_send_again(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver, postgres_url: str
) -> None:
    """The webhook accepts the alert, then the database refuses to record it as sent (a
    trigger raising the error a full disk gives). The delivery's lease runs out and it
    comes round again: the daemon writes the mark again instead of sending again, and
    once the database takes it, the delivery is sent, once."""
    from sqlalchemy import create_engine, text

    from daemon.store import Store

    Store.open(tmp_path, postgres_url).close()  # the schema, for the trigger
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(
            text(
                "CREATE FUNCTION refuse_sent() RETURNS trigger AS $$ BEGIN "
                "IF NEW.status = 'sent' THEN RAISE EXCEPTION "
                "'could not extend file: No space left on device'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER refuse_sent BEFORE UPDATE ON deliveries "
                "FOR EACH ROW EXECUTE FUNCTION refuse_sent()"
            )
        )
    serve_defaults(feed_server)
    config = write_config(
        tmp_path,
        feed_server,
        f'[alerts]\nsend_timeout = "2s"\n\n[[routes]]\nname = "t"\nnotify = ["{webhook.url()}"]\n',
        extra=f'database_url = "{postgres_url}"',
    )
    try:
        with RunningDaemon(config) as daemon:
            assert wait_for(lambda: len(webhook.received) == 1, timeout=60), daemon.lines[-5:]
            # Its lease (4 s) runs out and it comes round again, more than once.
            assert wait_for(lambda: daemon.logged("alert.sent_unrecorded") >= 2, timeout=60)
            with engine.connect() as conn:
                conn.execute(text("DROP TRIGGER refuse_sent ON deliveries"))
            assert wait_for(lambda: daemon.logged("alert.sent_recorded") == 1, timeout=60)
            with engine.connect() as conn:
                status = conn.execute(text("SELECT status FROM deliveries")).scalars().all()
            assert status == ["sent"]
    finally:
        engine.dispose()
    assert len(webhook.received) == 1
    assert webhook.attempts == 1


def test_a_rotated_token_keeps_the_pending_alerts_of_its_target(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    """An alert waits for a webhook that is down; meanwhile its token is rotated in the
    config. The alert goes to the webhook under the new token, instead of being marked
    failed because "the target is no longer in the config"."""
    serve_defaults(feed_server)
    port = free_port()
    routes = '[[routes]]\nname = "t"\nnotify = ["json://127.0.0.1:{port}/hook?+X-Token={token}"]\n'
    config = write_config(
        tmp_path, feed_server, routes.format(port=port, token="OldToken0123456789")
    )
    down = raqib("run", "--once", "--config", str(config))
    assert down.returncode == 0 and "alert.retry" in down.stderr, down.stderr

    config.write_text(
        config.read_text(encoding="utf-8").replace("OldToken0123456789", "NewToken9876543210"),
        encoding="utf-8",
    )
    hook = WebhookReceiver(port).start()
    try:
        up = raqib("run", "--once", "--config", str(config))
        assert up.returncode == 0, up.stderr
        assert "target_gone" not in up.stderr
        assert len(hook.received) == 1
        assert hook.headers[0].get("x-token") == "NewToken9876543210"
    finally:
        hook.stop()
    status = raqib("status", "--config", str(config))
    assert "outbox: 0 pending, 0 failed, 1 delivered" in status.stdout
    for output in (down.stderr, up.stderr, status.stdout):
        assert "OldToken0123456789" not in output and "NewToken9876543210" not in output


def test_sigterm_lets_the_send_under_way_finish_and_begins_no_other(
    tmp_path: Path, feed_server: FeedServer, webhook: WebhookReceiver
) -> None:
    """Four routes send the same report to one slow webhook (3 s an answer), one after
    the other. SIGTERM during the first send: it finishes and counts as sent, the other
    three are not begun but given back, and the next run sends them: four messages in
    all, none twice."""
    serve_defaults(feed_server)
    webhook.delay = 3.0
    routes = "".join(
        f'[[routes]]\nname = "desk{n}"\nnotify = ["{webhook.url()}"]\n\n' for n in range(4)
    )
    config = write_config(tmp_path, feed_server, routes)
    with RunningDaemon(config) as daemon:
        assert wait_for(lambda: len(webhook.headers) >= 1, timeout=60), daemon.lines[-5:]
        daemon.proc.terminate()
        daemon.proc.wait(30)
    assert daemon.returncode == 0, daemon.err
    first = len(webhook.received)
    assert first == 1, daemon.err  # the send under way, and no other

    rest = raqib("run", "--once", "--config", str(config))

    assert rest.returncode == 0, rest.stderr
    assert len(webhook.received) == 4
    assert len({h["x-raqib-delivery"] for h in webhook.headers}) == 4  # four deliveries, once each
    status = raqib("status", "--config", str(config))
    assert "outbox: 0 pending, 0 failed, 4 delivered" in status.stdout
