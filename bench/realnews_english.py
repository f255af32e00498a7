"""English news sentences for ``bench/eval_realnews.py``: templates, fillers and spellings.

Templates hold one ``{place}`` slot and may also hold ``{person}``, ``{other}`` (a place
outside the evaluated countries), ``{org}`` and ``{day}``. Their ordinary words are often
capitalised (sentence starts, titles, weekdays, agencies), so a matcher that reads every
capitalised word as a possible name has chances to go wrong. Fillers hold no ``{place}``.

``spellings`` writes a place name the ways English news does, by general rules rather
than from a list: the article (al- / el- / assimilated ad- as- ash- …, with and without
the hyphen, dropped or added), -ah ↔ -a, ou ↔ u, Dayr ↔ Deir and ee ↔ i.
"""

from __future__ import annotations

import random
import re

TEMPLATES: tuple[str, ...] = (
    "Shelling was reported near {place} on {day}, residents said.",
    "{place} has seen heavy rain this week, the Civil Defence said.",
    "The Minister of Health visited a hospital in {place} on {day}.",
    "Officials in {place} said the new road would open before the Summer.",
    "A convoy carrying Aid left {other} for {place} early on {day}.",
    "Security forces arrested three men in {place}, according to {org}.",
    "Prices of Bread and Fuel rose sharply in {place} last month.",
    "{person} told Reporters that talks on {place} would resume on {day}.",
    "Flights between {place} and {other} were suspended on {day}.",
    "The Governor of {place} opened a Water Desalination Plant, {org} reported.",
    "Thousands of Pilgrims passed through {place} during the Holy Month.",
    "Witnesses said an Explosion shook a market in {place} on {day} evening.",
    "In {place}, Schools will reopen after the Eid holiday, the Ministry said.",
    "A Court in {place} sentenced two men to prison for fraud, {org} said.",
    "{person}, a Trader from {place}, said Business had been slow since May.",
    "Power cuts hit parts of {place} as temperatures passed 45 degrees.",
    "The Red Crescent sent medical teams to {place} after the floods.",
    "Fighting around {place} forced hundreds of families to flee, the UN said.",
    "According to {org}, the Port of {place} handled record cargo in June.",
    "Police in {place} seized a large quantity of Drugs on {day}.",
    "Local Elections in {place} drew a high turnout, Observers said.",
    "The National Team will train in {place} before the match against {other}.",
    "{person} was born in {place} and studied Engineering in {other}.",
    "Residents of {place} complained about Water shortages, {org} reported.",
    "A new University Campus in {place} will admit its First Students in September.",
    "The Coast Guard rescued twelve fishermen off {place} on {day}.",
    "Investors from {other} plan to build a Hotel and a Mall in {place}.",
    "Airstrikes targeted positions outside {place} overnight, a Spokesman said.",
    "The Road linking {place} to {other} was closed for repairs on {day}.",
    "Doctors in {place} reported a rise in Dengue cases, {person} said.",
    "Tribal Leaders met in {place} to settle a dispute over grazing land.",
    "The Festival in {place} attracted Visitors from across the Gulf.",
    "Unemployment in {place} remains high, a Report by {org} found.",
    "Electricity was restored to most of {place} by {day} morning.",
    "Farmers near {place} said the Date harvest was the best in years.",
    "{org} opened a new Office in {place} on {day}, {person} said.",
    "Sandstorms disrupted traffic on the Highway to {place}.",
    "Heavy Clashes erupted on the outskirts of {place}, Medics said.",
    "The Municipality of {place} plans to plant ten thousand trees.",
    "A Delegation from {other} arrived in {place} for two days of talks.",
    "Hospitals in {place} are short of Insulin and Blood, {person} warned.",
    "Exam results were announced in {place} and {other} on {day}.",
)

FILLERS: tuple[str, ...] = (
    "{person} said on {day} that the Talks had made Progress.",
    "The Central Bank kept Interest Rates unchanged, {org} reported.",
    "Oil prices fell on {day} as Markets worried about Demand.",
    "{person} arrived in {other} for a three-day Visit.",
    "The Cabinet approved the Budget for next year on {day}.",
    "A Report by {org} said Exports rose by five percent.",
    "{person} met the Ambassador of {other} on {day}.",
    "Shares in Banks rose for a Third day, Traders said.",
    "The Football League will resume in October, {org} said.",
    "Engineers began repairs on the Bridge on {day}.",
    "{person} denied the Reports, calling them Baseless.",
    "The Conference in {other} ended with a joint Statement.",
    "Rain is expected over the Mountains on {day}, Forecasters said.",
    "{org} said it would appeal the Decision.",
    "The Airline added three weekly Flights to {other}.",
    "Teachers demanded higher Salaries at a Rally on {day}.",
    "{person} won the Award for Best Novel this year.",
    "The Minister of Finance spoke to Reporters in {other}.",
    "Inflation slowed in July, official Figures showed.",
    "A Fire broke out in a Warehouse on {day}; nobody was hurt.",
    "{person} thanked the Volunteers who helped after the Storm.",
    "The Museum will reopen its doors after a long Renovation.",
)

PERSONS: tuple[str, ...] = (
    "Ahmed Hassan",
    "John Kerry",
    "Sarah Collins",
    "Mohammed Saleh",
    "Omar Khalil",
    "Ali Abdullah Saleh",
    "Fatima Zahra",
    "Yusuf Karim",
    "Hamad bin Jassim",
    "Khaled Mansour",
    "Maria Lopez",
    "Ibrahim Nasser",
    "David Miller",
    "Layla Haddad",
    "Tariq Aziz",
    "Nabil Fahmy",
    "Peter Schmidt",
    "Hussein Ali",
    "Mustafa Kamal",
    "Rania Youssef",
    "Walid Jumblatt",
    "Samir Geagea",
    "Abdel Fattah",
    "Adel Jubeir",
)

OTHER_PLACES: tuple[str, ...] = (
    "Geneva",
    "Brussels",
    "Moscow",
    "Ankara",
    "Tehran",
    "Baghdad",
    "Damascus",
    "Aleppo",
    "Istanbul",
    "Paris",
    "London",
    "Washington",
    "Kabul",
    "Khartoum",
    "Tunis",
    "Algiers",
    "Rabat",
    "Mosul",
    "Homs",
    "Raqqa",
    "Karachi",
    "Nairobi",
    "Berlin",
    "Rome",
)

ORGS: tuple[str, ...] = (
    "Reuters",
    "the Associated Press",
    "Al Jazeera",
    "the Red Cross",
    "the World Bank",
    "Amnesty International",
    "the Interior Ministry",
    "State Television",
    "the Saudi Press Agency",
    "Human Rights Watch",
)

DAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)

# Latin renderings of the Arabic article, and the consonants it assimilates to.
ARTICLES = frozenset("al el il ul ad ed ar er as es at et az ez an en ash esh adh ath dh".split())  # noqa: SIM905
SUN = ("sh", "th", "dh", "t", "d", "r", "z", "s", "n")
# English words inside place names (King Khalid Military City): the vowel rules skip them.
_ENGLISH = "City New Old King Military Port Industrial Area Camp Town Village Marina Sports"
_ENGLISH += " North South East West Upper Lower Island Islands Beach Hills Gardens Park Station"
ENGLISH_WORDS = frozenset(_ENGLISH.split())
_ARTICLE_WORD = re.compile(r"^(?P<art>[A-Za-z]{1,3})[-‐ ](?P<rest>.+)$")


def fill(template: str, place: str, rng: random.Random) -> tuple[str, int]:
    """The template filled in with ``place`` and random other words; returns the sentence
    and where ``place`` starts in it."""
    values = {
        "person": rng.choice(PERSONS),
        "other": rng.choice(OTHER_PLACES),
        "org": rng.choice(ORGS),
        "day": rng.choice(DAYS),
    }
    head, _, tail = template.partition("{place}")
    head = head.format(**values)
    tail = tail.format(**values)
    if not head:
        place = place[:1].upper() + place[1:]
    return head + place + tail, len(head)


def fillers(count: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(count):
        template = rng.choice(FILLERS)
        out.append(
            template.format(
                person=rng.choice(PERSONS),
                other=rng.choice(OTHER_PLACES),
                org=rng.choice(ORGS),
                day=rng.choice(DAYS),
            )
        )
    return out


def _split_article(name: str) -> tuple[str, str] | None:
    """("Al", "Khobar") for "Al Khobar" / "Al-Khobar" / "Ash-Shihr"; None without one."""
    m = _ARTICLE_WORD.match(name)
    if m and m.group("art").lower() in ARTICLES:
        return m.group("art"), m.group("rest")
    return None


def _sun(rest: str) -> str:
    low = rest.lower()
    for letters in SUN:
        if low.startswith(letters):
            return letters
    return "l"


def _article_forms(rest: str) -> list[tuple[str, str]]:
    cap = rest[:1].upper() + rest[1:]
    sun = _sun(rest)
    forms = [
        (f"al-{cap}", "article al-"),
        (f"Al {cap}", "article without hyphen"),
        (f"El-{cap}", "article el-"),
        (f"el {cap}", "article without hyphen"),
        (cap, "article dropped"),
    ]
    if sun != "l":
        forms.append((f"A{sun}-{cap}", "article assimilated"))
        forms.append((f"a{sun} {cap}", "article without hyphen"))
    return forms


def _swap_ah(name: str) -> str:
    words = name.split(" ")
    out = []
    for w in words:
        if w.endswith("ah") and len(w) > 4:
            w = w[:-1]
        elif w.endswith("a") and not w.endswith("aa") and len(w) > 3:
            w = w + "h"
        out.append(w)
    return " ".join(out)


def _swap_ou(name: str) -> str:
    if "ou" in name.lower():
        return re.sub("ou", "u", re.sub("Ou", "U", name))
    return re.sub(r"(?<![qQaeiouAEIOU])u(?![aeiou])", "ou", re.sub(r"^U", "Ou", name))


def _swap_deir(name: str) -> str:
    for a, b in (("Dayr", "Deir"), ("Deir", "Dayr"), ("Dair", "Deir")):
        if re.search(rf"\b{a}\b", name):
            return re.sub(rf"\b{a}\b", b, name)
    return name


def _swap_ee(name: str) -> str:
    if "ee" in name:
        return name.replace("ee", "i")
    # the last lone i (not next to another vowel) becomes ee
    for m in reversed(list(re.finditer(r"(?<![aeiouAEIOU])i(?![aeiouyw])", name))):
        if m.start() > 0:
            return name[: m.start()] + "ee" + name[m.end() :]
    return name


def spellings(primary: str, has_article: bool) -> list[tuple[str, str]]:
    """Spellings of ``primary`` made by general rules, each with the rule's name.

    ``has_article``: the place's Arabic name carries the article, so English may write it
    before a one-word name.
    """
    out: list[tuple[str, str]] = []
    split = _split_article(primary)
    if split is not None:
        out.extend(_article_forms(split[1]))
    elif has_article and " " not in primary:
        cap = primary[:1].upper() + primary[1:]
        sun = _sun(primary)
        out.append((f"al-{cap}", "article added"))
        if sun != "l":
            out.append((f"A{sun}-{cap}", "article added"))
    for rule, fn in (
        ("-ah/-a", _swap_ah),
        ("ou/u", _swap_ou),
        ("Dayr/Deir", _swap_deir),
        ("ee/i", _swap_ee),
    ):
        changed = " ".join(w if w in ENGLISH_WORDS else fn(w) for w in primary.split(" "))
        if changed != primary:
            out.append((changed, rule))
    return out
