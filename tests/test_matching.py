"""Finding watchlist names in text: whole words, clitics, joined spellings, context."""

from __future__ import annotations

from daemon.watch import Entry, Hit, Matcher, Watchlist


def matcher(*entries: Entry) -> Matcher:
    return Matcher([Watchlist("wl", "wl.toml", entries)])


def entry(id: str, *names: str, **kw: object) -> Entry:
    return Entry(id=id, kind=str(kw.pop("kind", "place")), names=names, watchlist="wl", **kw)  # type: ignore[arg-type]


def ids(hits: list[Hit]) -> list[str]:
    return [h.entry for h in hits]


TANF = entry("al-tanf", "التنف", "al-Tanf")


def test_name_with_clitics_is_found_and_its_span_covers_the_word() -> None:
    text = "قصفت الطائرات رتلاً بالتنف أمس"
    hits = matcher(TANF).match(text)
    assert ids(hits) == ["al-tanf"]
    assert hits[0].surface == "بالتنف"
    assert text[hits[0].start : hits[0].end] == "بالتنف"
    assert hits[0].method == "variant"


def test_exact_name_is_exact() -> None:
    hits = matcher(TANF).match("قاعدة التنف")
    assert [(h.surface, h.method, h.score) for h in hits] == [("التنف", "exact", 1.0)]


def test_latin_article_forms_meet() -> None:
    m = matcher(TANF)
    for text in ("the al-Tanf garrison", "At Tanf base", "Al Tanf", "near al‑Tanf"):
        assert ids(m.match(text)) == ["al-tanf"], text


def test_no_hit_inside_another_word() -> None:
    m = matcher(entry("anas", "أنس", kind="person"))
    assert m.match("وقال مدير منظمة حقوق الإنسان إن الوضع الإنساني يتدهور.") == []
    assert ids(m.match("قتل القيادي أنس في الغارة")) == ["anas"]


def test_article_must_match_in_arabic() -> None:
    m = matcher(entry("al-bab", "الباب"))
    assert m.match("باب المنزل") == []


def test_joined_and_split_spellings_meet_both_ways() -> None:
    m = matcher(
        entry("umarayn", "أبو العمرين", kind="person"),
        entry("rami", "رامي عبدالرحمن", kind="person"),
    )
    assert ids(m.match("قتل أبوالعمرين في الغارة")) == ["umarayn"]
    assert ids(m.match("قتل أبو العمرين في الغارة")) == ["umarayn"]
    assert ids(m.match("قال رامي عبد الرحمن")) == ["rami"]


def test_kunya_case_forms() -> None:
    m = matcher(entry("hashimi", "أبو الحسن الهاشمي", kind="person"))
    assert ids(m.match("أقر بمقتل زعيمه «أبي الحسن الهاشمي»")) == ["hashimi"]
    assert ids(m.match("إن أبا الحسن الهاشمي قتل")) == ["hashimi"]


def test_quotes_and_punctuation_inside_a_name_do_not_matter() -> None:
    m = matcher(entry("isis", "تنظيم الدولة الإسلامية", kind="organization"))
    assert ids(m.match("عناصر تنظيم “الدولة الإسلامية” في البادية")) == ["isis"]


def test_longest_alias_of_an_entry_wins_over_one_inside_it() -> None:
    m = matcher(entry("isis", "تنظيم الدولة", "تنظيم الدولة الإسلامية", kind="organization"))
    hits = m.match("مقاتلو تنظيم الدولة الإسلامية")
    assert [(h.surface, h.alias) for h in hits] == [
        ("تنظيم الدولة الإسلامية", "تنظيم الدولة الإسلامية")
    ]


def test_context_is_required_when_given() -> None:
    m = matcher(entry("al-bab", "الباب", context=("مدينة", "بلدة", "ريف")))
    assert m.match("فتح الاتفاق الباب أمام عودة المفاوضات") == []
    assert ids(m.match("الطريق بين مدينة الباب وبلدة بزاعة")) == ["al-bab"]


def test_exclude_vetoes_an_overlapping_hit() -> None:
    m = matcher(entry("al-bab", "الباب", exclude=("فتح الباب",)))
    assert m.match("فتح الباب أمام الحل") == []
    assert ids(m.match("قصف على الباب")) == ["al-bab"]


def test_a_bare_clitic_split_off_by_tatweel_and_quotes_is_ignored() -> None:
    m = matcher(entry("sdf", "قسد", kind="organization"))
    hits = m.match("قوات مكافحة الإرهاب التابعة لـ”قسد”")
    assert [h.surface for h in hits] == ["قسد"]


def test_hits_of_several_entries_come_in_text_order() -> None:
    m = matcher(TANF, entry("sukhnah", "السخنة"))
    hits = m.match("بين السخنة والتنف")
    assert [(h.entry, h.surface) for h in hits] == [("sukhnah", "السخنة"), ("al-tanf", "والتنف")]
