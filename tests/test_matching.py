"""Finding watchlist names in text: whole words, clitics, joined spellings, context."""

from __future__ import annotations

import pytest

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


# -- fuzzy matching -------------------------------------------------------------------


def test_spelling_variants_and_typos_meet_within_the_budget() -> None:
    cases = [
        ("كاسيغ", "قتل الرهينة كاسيج في سوريا"),
        ("ريان", "والصحفي شون راين"),
        ("داعش", "عناصر من دعاش في المنطقة"),
        ("قوات سوريا الديمقراطية", "أعلنت قوات سورية الديموقراطية"),
        ("Idlib", "A drone strike in Idleb province"),
        ("al-Sukhnah", "Clashes were reported near Sukhna on Monday"),
    ]
    for name, text in cases:
        hits = matcher(entry("e", name)).match(text)
        assert [h.method for h in hits] == ["fuzzy"], (name, text, hits)
        assert 0 < hits[0].score < 0.95


def test_fuzzy_never_changes_a_consonant_of_a_short_word() -> None:
    # عشرين (twenty) is one letter from عفرين, but of another class: no hit.
    assert matcher(entry("afrin", "عفرين")).match("قتل عشرين شخصا") == []
    # Three letters: no edits at all.
    assert matcher(entry("sdf", "قسد")).match("عن قصد") == []
    # Four letters: only a swap of neighbouring letters.
    assert matcher(entry("isis", "داعش")).match("قال الداعي") == []


def test_fuzzy_can_be_turned_off_per_entry_and_per_name() -> None:
    text = "قتل الرهينة كاسيج"
    assert ids(matcher(entry("k", "كاسيغ")).match(text)) == ["k"]
    assert matcher(entry("k", "كاسيغ", fuzzy=False)).match(text) == []
    assert matcher(entry("k", "كاسيغ", strict_names=frozenset({"كاسيغ"}))).match(text) == []


# -- across scripts -------------------------------------------------------------------


def test_latin_names_are_found_in_arabic_text() -> None:
    cases = [
        ("al-Tanf", "قصفت الطائرات رتلاً بالتنف أمس", "بالتنف"),
        ("Deir ez-Zor", "في ريف دير الزّور الشرقي", "دير الزّور"),
        ("Abu al-Umarayn", "قتل أبوالعمرين في الغارة", "أبوالعمرين"),
        ("Abu al-Hasan al-Hashimi", "أقر بمقتل زعيمه أبي الحسن الهاشمي", "أبي الحسن الهاشمي"),
        ("Peter Kassig", "الرهينة الأمريكي بيتر كاسيغ", "بيتر كاسيغ"),
        ("Sukhnah", "في بلدة السخنة شرق حمص", "السخنة"),
        ("Raqqa", "وصلت إلى الرقة", "الرقة"),
        ("Jaish al-Sharqiya", "فصيل جيش الشرقية", "جيش الشرقية"),
    ]
    for name, text, surface in cases:
        hits = matcher(entry("e", name)).match(text)
        assert [(h.surface, h.method) for h in hits] == [(surface, "cross-script")], (name, hits)


def test_arabic_names_are_found_in_english_text() -> None:
    m = matcher(entry("afrin", "عفرين"), entry("bab", "الباب", context=("city", "مدينة")))
    assert [(h.entry, h.surface) for h in m.match("Turkish shelling hit Afrin today")] == [
        ("afrin", "Afrin")
    ]
    assert ids(m.match("fighting in the city of al-Bab")) == ["bab"]
    assert m.match("he closed the bab quietly") == []  # no context, no capital


def test_skeletons_that_differ_in_their_vowels_do_not_meet() -> None:
    m = matcher(
        entry("homs", "Homs"),
        entry("palmyra", "Tadmur"),
        entry("raqqa", "Raqqa"),
        entry("suwayda", "Suwaydah"),
        entry("baghdadi", "Baghdadi"),
    )
    assert m.match("قالت حماس إن الوفد وصل") == []  # long ا where Homs has none
    assert m.match("أدى إلى تدمير المباني") == []  # ي is not spelled u
    assert m.match("قال جندي عراقي من الفرقة الرابعة") == []  # ع needs a vowel; ف + رقة
    assert m.match("قال سعيد إن سعود وصل") == []  # Latin w and y need و and ي
    assert m.match("وصل إلى بغداد") == []  # Baghdadi ends in a vowel, بغداد does not


def test_acronyms_are_not_read_across_scripts() -> None:
    m = matcher(entry("sdf", "SDF"), entry("isis", "ISIS"))
    assert m.match("من الصدف أن يلتقيا") == []
    assert ids(m.match("The SDF said ISIS attacked")) == ["sdf", "isis"]


def test_cross_script_can_be_turned_off() -> None:
    assert matcher(entry("homs", "Homs", cross_script=False)).match("في حمص") == []


def test_an_everyday_word_is_not_read_as_a_one_word_latin_name() -> None:
    # Badia (البادية) has the skeleton of بداية (beginning), an everyday word.
    assert matcher(entry("badia", "Badia")).match("في بداية الأسبوع") == []


def test_every_hit_explains_itself() -> None:
    text = "قصف على بلدة السخنة"
    (hit,) = matcher(entry("sukhnah", "Sukhnah")).match(text)
    assert (hit.entry, hit.alias, hit.surface, hit.method) == (
        "sukhnah",
        "Sukhnah",
        "السخنة",
        "cross-script",
    )
    assert text[hit.start : hit.end] == "السخنة"
    assert 0 < hit.score < 1
    assert "sukhnah ~ سخنة" in hit.reason


# -- name classes across scripts --------------------------------------------------------


def found(name: str, text: str) -> list[str]:
    return [h.surface for h in matcher(entry("e", name, kind="person")).match(text)]


def test_one_latin_word_finds_a_compound_of_two_arabic_words() -> None:
    assert found("Fathallah", "وقال فتح الله في كلمته") == ["فتح الله"]
    assert found("Nuruddin", "التقى نور الدين بالوفد") == ["نور الدين"]
    assert found("Abdussattar", "أعلن عبد الستار أمس") == ["عبد الستار"]
    assert found("Abdelkader", "وصل عبدالقادر إلى المدينة") == ["عبدالقادر"]


def test_two_arabic_words_find_one_latin_compound() -> None:
    assert found("جار الله", "a statement by Jarallah on Monday") == ["Jarallah"]
    assert found("علاء الدين", "Alaeddine was arrested") == ["Alaeddine"]


def test_proclitics_before_a_name_that_begins_with_a_particle() -> None:
    assert found("عبد الكريم", "التقى الوزير وعبد الكريم") == ["وعبد الكريم"]
    assert found("أبو محمد العدناني", "نسبت إلى أبي محمد العدناني") == ["أبي محمد العدناني"]
    assert found("أبو محمد العدناني", "كلمة لأبي محمد العدناني") == ["لأبي محمد العدناني"]
    assert found("ابن تيمية", "استشهد بابن تيمية") == ["بابن تيمية"]
    assert found("Abu Muhammad al-Adnani", "كلمة لأبي محمد العدناني") == ["لأبي محمد العدناني"]


def test_final_alef_maqsura_and_ta_marbuta_in_construct() -> None:
    assert found("Murtada Mansour", "قال مرتضى منصور أمس") == ["مرتضى منصور"]
    assert found("Yahya Sinwar", "قال يحيى السنوار أمس") == ["يحيى السنوار"]
    assert found("عيسى", "Issa said") == ["Issa"]
    assert found("Madinat Zayed", "في مدينة زايد") == ["مدينة زايد"]
    assert found("Jazirat al-Hamra", "في جزيرة الحمراء") == ["جزيرة الحمراء"]


def test_persian_urdu_and_pashto_letters() -> None:
    assert found("Chabahar", "ميناء چابهار") == ["چابهار"]
    assert found("Gorgan", "مدينة گرگان") == ["گرگان"]
    assert found("Pishin", "في پشين") == ["پشين"]
    assert found("ژوب", "in Zhob district") == ["Zhob"]


def test_french_and_maghrebi_spellings() -> None:
    assert found("Oujda", "في مدينة وجدة") == ["وجدة"]
    assert found("Djelfa", "ولاية الجلفة") == ["الجلفة"]
    assert found("Chlef", "ولاية الشلف") == ["الشلف"]
    assert found("Yacine", "قال ياسين أمس") == ["ياسين"]
    assert found("Ben Arous", "ولاية بن عروس") == ["بن عروس"]
    assert found("Ould Abdallah", "قال ولد عبد الله") == ["ولد عبد الله"]


def test_th_spells_ta_tha_and_dhal() -> None:
    assert found("Thamer", "قال ثامر أمس") == ["ثامر"]
    assert found("Thi Qar", "محافظة ذي قار") == ["ذي قار"]
    assert found("Batoul", "قالت بتول") == ["بتول"]  # plain t stays ت


def test_joined_and_split_place_names() -> None:
    def places(name: str, text: str) -> list[str]:
        return [h.surface for h in matcher(entry("e", name)).match(text)]

    assert places("Kafr Nabl", "في بلدة كفرنبل بريف إدلب") == ["كفرنبل"]
    assert places("Kafr Nabl", "في بلدة كفر نبل بريف إدلب") == ["كفر نبل"]
    assert places("كفرنبل", "in Kafr Nabl, south of Idlib") == ["Kafr Nabl"]
    assert places("كفر نبل", "in Kafranbel, south of Idlib") == ["Kafranbel"]
    assert places("تل رفعت", "في تلرفعت") == ["تلرفعت"]


def test_everyday_words_need_strong_evidence_across_scripts() -> None:
    m = matcher(entry("hit", "Hit"), entry("anah", "Anah"), entry("sur", "Sur"))
    assert m.match("حيث قال إنه شاهد صور الدمار") == []
    # with the entry's context words around it, the everyday word may be the name
    anah = entry("anah", "Anah", context=("بلدة", "قضاء"))
    assert ids(matcher(anah).match("في بلدة عنه غرب الأنبار")) == ["anah"]
    assert matcher(anah).match("وقال عنه إنه شاهد") == []


def test_a_cross_script_hit_gives_its_score_and_reason() -> None:
    (hit,) = matcher(entry("kharj", "Al Kharj")).match("في محافظة الخرج")
    assert hit.method == "cross-script"
    assert "kharj" in hit.reason and "log-odds" in hit.reason


def test_a_construct_spelling_is_not_a_name_that_ends_there() -> None:
    # -at spells a final ة only when a word follows in the same name (Madinat Zayed).
    assert found("مدينة", "Madinat Zayed was quiet") == []
    assert found("منصورة", "in Mansourat Street") == []
    assert found("منصورة", "in Mansoura on Monday") == ["Mansoura"]
    # A final ة or ه needs its vowel in Latin: Mansour is another name.
    assert found("منصوره", "Khaled Mansour said") == []


def test_an_everyday_english_word_is_seldom_a_name() -> None:
    assert found("حولي", "pilgrims arrived for the Holy Month") == []
    assert found("حولي", "shops in Hawalli closed") == ["Hawalli"]


def test_a_name_inside_another_entrys_longer_name_is_not_a_hit() -> None:
    m = matcher(
        entry("salman", "Salman", kind="person"),
        entry("mbs", "Mohammed bin Salman", kind="person"),
    )
    assert ids(m.match("Mohammed bin Salman met the envoy")) == ["mbs"]
    assert ids(m.match("Salman met the envoy")) == ["salman"]
    # Written exactly, a name stands even inside a longer one found only by a guess.
    m = matcher(entry("bab", "الباب"), entry("babs", "Bab al-Salama"))
    assert sorted(ids(m.match("معبر الباب السلامة"))) == ["bab", "babs"]


def test_a_guess_yields_to_words_that_are_another_entrys_name() -> None:
    # "Zarqa" is written exactly as one entry's name: not a spelling of another's.
    m = matcher(entry("zarqa", "Zarqa"), entry("sharjah", "الشارقة"))
    assert [(h.entry, h.method) for h in m.match("a hospital in Zarqa")] == [("zarqa", "exact")]


def test_the_word_cache_stays_bounded_and_keeps_the_words_in_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past its bound the cache drops the words not seen lately, not every word at once:
    a name met in every text stays analysed while hundreds of other words pass."""
    import daemon.watch._match as match_module

    monkeypatch.setattr(match_module, "_CACHE_LIMIT", 10)
    m = matcher(TANF)
    analysed: list[str] = []
    analyse = m._analyse
    monkeypatch.setattr(m, "_analyse", lambda raw: analysed.append(raw) or analyse(raw))
    for n in range(200):
        filler = "كلمة" + "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"[n % 28] * (1 + n // 28)
        hits = m.match(f"قصف قرب التنف {filler}")
        assert ids(hits) == ["al-tanf"]
        assert len(m._words) + len(m._old_words) <= 10
    assert analysed.count("التنف") == 1, "a word in use was dropped and analysed again"
