"""config.toml and watchlists: every problem is one line naming the file and key."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT, raqib

GOOD_WATCHLIST = """
name = "places"
[[entries]]
id = "homs"
kind = "place"
names = ["حمص", "Homs"]
"""


def write(tmp: Path, config: str, watchlists: dict[str, str] | None = None) -> Path:
    (tmp / "watchlists").mkdir(exist_ok=True)
    for name, text in (watchlists or {"places.toml": GOOD_WATCHLIST}).items():
        (tmp / "watchlists" / name).write_text(text, encoding="utf-8")
    path = tmp / "config.toml"
    path.write_text(config, encoding="utf-8")
    return path


def test_shipped_config_passes_check() -> None:
    done = raqib("check", "--config", str(ROOT / "config.toml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("ok: ")


def test_config_without_feeds_or_routes_is_valid(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    done = raqib("check", "--config", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 feeds, 1 watchlists (1 entries), 0 routes" in done.stdout


def test_every_problem_is_reported_on_its_own_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[daemon]
interval = "soon"
colour = "blue"

[[feeds]]
name = "a"
url = "not a url"

[[feeds]]
url = "https://example.org/feed"

[[routes]]
name = "team"
notify = ["nosuchscheme://x"]
""",
    )
    done = raqib("check", "--config", str(path))
    assert done.returncode == 1
    lines = done.stdout.strip().splitlines()
    assert (
        f'{path}: daemon.interval: error: must be a duration like 30, "90s", "15m" or "2h" of at least 1 s'
        in lines
    )
    assert any(line.startswith(f"{path}: daemon.colour: error: unknown key") for line in lines)
    assert f"{path}: feeds[0] (a).url: error: must be an http:// or https:// URL" in lines
    assert any(line.startswith(f"{path}: feeds[1].name: error: missing") for line in lines)
    assert any(line.startswith(f"{path}: routes[0] (team).notify[0]: error:") for line in lines)
    assert "Traceback" not in done.stderr


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[daemon\n")
    done = raqib("check", "--config", str(path))
    assert done.returncode == 1
    assert str(path) in done.stdout and "invalid TOML" in done.stdout and "line 1" in done.stdout


def test_watchlist_problems_name_the_file_and_entry(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "",
        {
            "bad.toml": """
name = "bad"
[[entries]]
id = "x"
kind = "planet"
names = ["X"]
[[entries]]
id = "y"
kind = "place"
names = []
[[entries]]
id = "Not An Id"
names = ["z"]
""",
            "dup.toml": 'name = "places"\n[[entries]]\nid = "a"\nnames = ["a"]\n',
            "places.toml": GOOD_WATCHLIST,
        },
    )
    done = raqib("check", "--config", str(path))
    assert done.returncode == 1
    out = done.stdout
    bad = tmp_path / "watchlists" / "bad.toml"
    assert (
        f"{bad}: entries[0] (x).kind: error: must be one of person, place, organization, other, not 'planet'"
        in out
    )
    assert f"{bad}: entries[1] (y).names: error: needs at least one name" in out
    assert f"{bad}: entries[2].id: error:" in out
    assert "watchlist 'places' is also defined in" in out


def test_route_naming_an_unknown_watchlist_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[[routes]]\nname = "r"\nnotify = ["console://"]\nwatchlists = ["nope"]\n'
    )
    done = raqib("check", "--config", str(path))
    assert done.returncode == 1
    assert (
        "routes[0] (r).watchlists: error: no watchlist named 'nope' (loaded: places)" in done.stdout
    )


def test_secrets_in_notify_urls_never_reach_check_output(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[routes]]
name = "mail"
notify = ["mailtos://ops:Hunter2Secret@smtp.example.org?to=team@example.org", "badscheme://user:Pa55w0rdXYZ@host"]
""",
    )
    done = raqib("check", "--config", str(path))
    assert done.returncode == 1
    assert "Hunter2Secret" not in done.stdout + done.stderr
    assert "Pa55w0rdXYZ" not in done.stdout + done.stderr
    assert "badscheme://user:****@host" in done.stdout


def test_short_tokens_that_a_service_declares_private_never_reach_any_output(
    tmp_path: Path,
) -> None:
    """Tokens too short to look like tokens (a Gotify app token, a Mattermost webhook
    token) are masked because the service says they are private; a failed send through
    ``notify-test`` (to loopback ports where nothing listens) and ``raqib check`` show
    neither."""
    from tests.servers import free_port

    port = free_port()
    path = write(
        tmp_path,
        f"""
[[routes]]
name = "chat"
notify = ["gotify://127.0.0.1:{port}/AbCdEf123456", "mmost://127.0.0.1:{port}/xYz987token"]
""",
    )
    checked = raqib("check", "--config", str(path))
    tested = raqib("notify-test", "--config", str(path))

    assert checked.returncode == 0 and tested.returncode == 1
    for output in (checked.stdout, checked.stderr, tested.stdout, tested.stderr):
        for secret in ("AbCdEf123456", "xYz987token"):
            assert secret not in output, (secret, output)
    assert f"gotify://127.0.0.1:{port}/****" in tested.stdout


def test_notify_urls_can_come_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[[routes]]\nname = "m"\nnotify = ["${RAQIB_TEST_URL}"]\n')
    missing = raqib("check", "--config", str(path))
    assert missing.returncode == 1
    assert (
        "routes[0] (m).notify[0]: error: environment variable RAQIB_TEST_URL is not set"
        in missing.stdout
    )
    ok = raqib("check", "--config", str(path), env={"RAQIB_TEST_URL": "json://127.0.0.1:9/hook"})
    assert ok.returncode == 0, ok.stdout


def test_match_prints_hits_with_entry_words_and_position(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    text = "اشتباكات في ريف حمص الشرقي"
    done = raqib("match", "--config", str(path), stdin=text)
    assert done.returncode == 0, done.stderr
    start = text.index("حمص")
    assert "homs" in done.stdout and "حمص" in done.stdout and f"{start}-{start + 3}" in done.stdout


def test_arabic_cells_of_the_match_table_are_isolated_so_columns_keep_their_place(
    tmp_path: Path,
) -> None:
    """In a terminal that lays out bidirectional text, an Arabic cell would pull the span
    column next to it and read it backwards: every cell with Arabic letters is wrapped in
    FSI ... PDI, and columns line up on the visible text."""
    path = write(tmp_path, "")
    text = "اشتباكات في ريف حمص الشرقي"
    start = text.index("حمص")
    done = raqib("match", "--config", str(path), stdin=text)

    header, row = done.stdout.splitlines()[:2]
    assert "\u2068حمص\u2069" in row
    visible = row.replace("\u2068", "").replace("\u2069", "")
    assert visible.index(f"{start}-{start + 3}") == header.index("span")
    assert "\u2068" not in header


def test_match_json_gives_entry_alias_surface_and_offsets(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    text = "Shelling near Homs and in بحمص"
    src = tmp_path / "article.txt"
    src.write_text(text, encoding="utf-8")
    done = raqib("match", "--config", str(path), "--json", str(src))
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)
    assert [(h["entry"], h["watchlist"], h["alias"], h["surface"]) for h in hits] == [
        ("homs", "places", "Homs", "Homs"),
        ("homs", "places", "حمص", "بحمص"),
    ]
    for h in hits:
        assert text[h["start"] : h["end"]] == h["surface"]
        assert h["method"] in ("exact", "variant") and 0 < h["score"] <= 1


def test_match_on_a_missing_file_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    done = raqib("match", "--config", str(path), str(tmp_path / "nope.txt"))
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == f"raqib: cannot read {tmp_path / 'nope.txt'}: No such file or directory"
    )


def test_check_shows_warnings_about_timeouts(tmp_path: Path) -> None:
    path = write(tmp_path, '[daemon]\npoll_deadline = "10s"\n[fetch]\ntotal_timeout = "30s"\n')
    done = raqib("check", "--config", str(path))
    assert done.returncode == 0, done.stdout
    assert (
        f"{path}: daemon.poll_deadline: warning: is shorter than fetch.total_timeout" in done.stdout
    )


def test_check_warns_about_risky_entries(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "",
        {
            "a.toml": """
name = "a"
[[entries]]
id = "door"
names = ["الباب"]
[[entries]]
id = "raqqa"
names = ["Raqqa"]
[[entries]]
id = "sdf"
names = ["SDF"]
[[entries]]
id = "x"
names = ["غز"]
[[entries]]
id = "homs"
names = ["Homs", "حمص"]
""",
            "b.toml": """
name = "b"
[[entries]]
id = "homs-city"
names = [{ name = "حمص", fuzzy = false }]
""",
        },
    )
    done = raqib("check", "--config", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()

    def warned(entry: str, words: str) -> bool:
        return any(f": {entry}: warning:" in line and words in line for line in lines)

    assert warned("door", "everyday word")
    assert warned("raqqa", "only two consonants")
    assert warned("sdf", "too short to be found in Arabic script")
    assert warned("x", "very short")
    assert warned("homs-city", "also a name of a/homs")
    assert not any(": homs: warning" in line for line in lines)
    assert warned("door", "only two consonants: in Latin script")
    # what a Latin-only name would fire on among everyday Arabic words, named
    assert warned("raqqa", "everyday word(s) by spelling: الرقه")
    # an everyday English word needs far more evidence: الباب is not read in "Babe"
    assert not warned("door", "babe")
    assert lines[-1].endswith("8 warning(s)")


def test_story_and_route_policy_keys_are_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[stories]
window = "soon"

[[routes]]
name = "team"
notify = ["console://"]
updates = "sometimes"
min_sources = 0
digest_every = "2h"
""",
    )
    done = raqib("check", "--config", str(path))
    assert done.returncode == 1
    lines = done.stdout.strip().splitlines()
    assert any(
        line.startswith(f"{path}: stories.window: error: must be a duration") for line in lines
    )
    assert f"{path}: routes[0] (team).updates: error: must be one of none, each, digest" in lines
    assert (
        f"{path}: routes[0] (team).min_sources: error: must be a whole number of at least 1"
        in lines
    )
    assert (
        f"{path}: routes[0] (team).digest_every: warning: has no effect: this route holds "
        'nothing for a digest (see updates = "digest", mode = "digest", max_per_hour and '
        "quiet_hours)" in lines
    )


def test_replay_names_the_file_and_line_of_a_bad_item(tmp_path: Path) -> None:
    config = write(tmp_path, "")
    items = tmp_path / "items.jsonl"
    good = '{"id": "1", "outlet": "a", "title": "t", "published": "2026-03-02T08:00:00Z"}'
    for bad, why in (
        ("not json", "not JSON"),
        ('{"outlet": "a", "title": "t"}', "'id' is missing or empty"),
        ('{"id": "2", "outlet": "a", "title": "t", "published": "Monday"}', "'published' must be"),
    ):
        items.write_text(f"{good}\n{bad}\n", encoding="utf-8")
        done = raqib("replay", "--config", str(config), str(items))
        assert done.returncode == 1
        assert done.stderr.strip().startswith(f"raqib: {items}:2: {why}"), done.stderr
        assert "Traceback" not in done.stderr


def test_database_url_from_a_file_is_used_and_never_shown(tmp_path: Path) -> None:
    from daemon.service.config import load_config

    secret = "pw-Hidden-9f3a77c2e1"
    (tmp_path / "db-url").write_text(
        f"# the PostgreSQL URL\npostgresql://raqib:{secret}@db.internal/raqib\n", encoding="utf-8"
    )
    path = write(tmp_path, '[daemon]\ndatabase_url_file = "db-url"\n')
    assert load_config(path).database_url == f"postgresql://raqib:{secret}@db.internal/raqib"

    (tmp_path / "db-url").write_text(
        f"postgresql://raqib:{secret}@db.internal/raqib\nsecond-line\n", encoding="utf-8"
    )
    two = raqib("check", "--config", str(path))
    (tmp_path / "db-url").unlink()
    gone = raqib("check", "--config", str(path))

    assert two.returncode == 1 and gone.returncode == 1
    assert f"{path}: daemon.database_url_file: error: the file must hold one line" in two.stdout
    assert f"{path}: daemon.database_url_file: error: cannot read {tmp_path / 'db-url'}" in (
        gone.stdout
    )
    for output in (two.stdout, two.stderr, gone.stdout, gone.stderr):
        assert secret not in output and "second-line" not in output


def test_a_retention_too_short_to_be_safe_is_refused_with_the_reason(tmp_path: Path) -> None:
    """Pruned items must be outside the grouping window and unable to alert again when a
    feed serves them anew: retention is at least twice the window and twice max_age."""
    path = write(tmp_path, '[daemon]\nretention = "5d"\n[alerts]\nmax_age = "3d"\n')
    done = raqib("check", "--config", str(path))
    assert done.returncode == 1
    assert (
        f"{path}: daemon.retention: error: must be at least 6 days (a day, twice "
        "stories.window and twice alerts.max_age), or 0 to keep everything"
    ) in done.stdout.splitlines()
    kept = write(tmp_path, '[daemon]\nretention = 0\n[alerts]\nmax_age = "3d"\n')
    assert raqib("check", "--config", str(kept)).returncode == 0


def test_a_config_whose_watchlist_paths_find_no_file_is_refused(tmp_path: Path) -> None:
    """With no watchlist the daemon would run and never alert: ``check`` and ``run`` say so
    in one line naming the file and key."""
    config = tmp_path / "config.toml"
    config.write_text('[watchlists]\npaths = ["lists/*.toml"]\n', encoding="utf-8")

    checked = raqib("check", "--config", str(config))
    ran = raqib("run", "--once", "--config", str(config))

    assert checked.returncode == 1 and ran.returncode == 1
    for output in (checked.stdout + checked.stderr, ran.stderr):
        line = next(x for x in output.splitlines() if "no watchlist file found" in x)
        assert f"{config}: watchlists.paths" in line and "would never alert" in line
