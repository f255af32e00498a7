"""Short reports, written for the tests, of three incidents in one town in two days, as
several outlets would tell them: the hard cases of story grouping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def at(hours: float) -> str:
    return (MONDAY + timedelta(hours=hours)).isoformat()


# Monday morning: a drone strike on the Saraqib market.
MARKET_ORIGINAL = {
    "id": "market-1",
    "outlet": "Orient",
    "title": "مقتل خمسة مدنيين بغارة لطائرة مسيرة على سوق سراقب",
    "text": (
        "قتل خمسة مدنيين بينهم طفلان وأصيب أحد عشر آخرون صباح الاثنين، جراء غارة نفذتها "
        "طائرة مسيرة على سوق شعبي وسط مدينة سراقب في ريف إدلب الشرقي. وقال الدفاع المدني "
        "السوري إن فرقه انتشلت الجثث من تحت أنقاض محلين تجاريين، ونقلت الجرحى إلى مستشفى "
        "باب الهوى. وأضاف مدير المركز حسن قدور أن الطائرة استهدفت السوق في ساعة الذروة حين "
        "كان الأهالي يشترون الخبز والخضار، وأن حصيلة الضحايا مرشحة للارتفاع."
    ),
    "link": "https://orient.example/news/saraqib-market-strike",
    "published": at(0),
}
# A wire copy an hour later: a new headline over the same text, two words changed.
MARKET_COPY = {
    "id": "market-2",
    "outlet": "Halab Today",
    "title": "مسيرة تستهدف سوقاً مكتظاً في سراقب",
    "text": MARKET_ORIGINAL["text"]
    .replace("قتل خمسة", "لقي خمسة")
    .replace("مرشحة للارتفاع", "قابلة للارتفاع"),
    "link": "https://halabtoday.example/2026/03/02/drone-saraqib",
    "published": at(1.2),
}
# A rewrite in other words, the next morning.
MARKET_REWRITE = {
    "id": "market-3",
    "outlet": "Enab Baladi",
    "title": "خمسة قتلى بينهم طفلان في استهداف سوق سراقب",
    "text": (
        "لقي خمسة أشخاص حتفهم، بينهم طفلان، وجرح أحد عشر شخصاً، بعدما قصفت طائرة مسيرة "
        "انتحارية سوق مدينة سراقب صباح أمس الاثنين. وأفاد متطوعو الخوذ البيضاء بأن "
        "الضحايا سقطوا أثناء تسوقهم من المحال التجارية، وأن المصابين أسعفوا إلى مستشفى "
        "باب الهوى الحدودي. ويعد استهداف السوق الثالث من نوعه لأسواق ريف إدلب خلال الشهر."
    ),
    "link": "https://enabbaladi.example/archives/market-saraqib",
    "published": at(26),
}
# The same strike in English, four hours later.
MARKET_ENGLISH = {
    "id": "market-en",
    "outlet": "Levant Wire",
    "title": "Drone strike on Saraqib market kills five civilians",
    "text": (
        "A drone struck a crowded market in the town of Saraqib, in the eastern Idlib "
        "countryside, on Monday morning, killing five civilians including two children and "
        "wounding eleven. Hassan Qaddour, who heads the Syrian Civil Defence centre in the "
        "town, said the wounded were taken to the Bab al-Hawa hospital near the Turkish border."
    ),
    "link": "https://levantwire.example/saraqib-drone-market",
    "published": at(4),
}
# Tuesday evening, same town, same rescuers, same hospital: a car bomb at the roundabout.
CAR_BOMB = {
    "id": "bomb-1",
    "outlet": "Orient",
    "title": "انفجار سيارة مفخخة قرب دوار سراقب",
    "text": (
        "انفجرت سيارة مفخخة مساء الثلاثاء قرب الدوار الرئيسي في مدينة سراقب بريف إدلب، ما "
        "أدى إلى مقتل ثلاثة عناصر من فصيل محلي وإصابة سبعة آخرين بجروح. وقال الدفاع المدني "
        "السوري إن فرقه أخمدت حريقاً اندلع في المحال المجاورة ونقلت المصابين إلى مستشفى باب "
        "الهوى، فيما طوق عناصر الأمن المكان بحثاً عن عبوة ثانية. ولم تتبن أي جهة التفجير."
    ),
    "link": "https://orient.example/news/saraqib-car-bomb",
    "published": at(34),
}
CAR_BOMB_ENGLISH = {
    "id": "bomb-en",
    "outlet": "Levant Wire",
    "title": "Car bomb kills three fighters at Saraqib roundabout",
    "text": (
        "A car bomb exploded on Tuesday evening near the main roundabout of Saraqib in Idlib "
        "province, killing three members of a local armed faction and wounding seven, the "
        "Syrian Civil Defence said. Rescuers put out a fire in nearby shops and took the "
        "wounded to the Bab al-Hawa hospital. No group has claimed the bombing."
    ),
    "link": "https://levantwire.example/saraqib-car-bomb",
    "published": at(36),
}
# Unrelated: the weather on the coast.
WEATHER = {
    "id": "weather-1",
    "outlet": "Enab Baladi",
    "title": "أمطار غزيرة وسيول في ريف اللاذقية",
    "text": (
        "شهدت مناطق ريف اللاذقية أمطاراً غزيرة تسببت بسيول جرفت عدداً من الطرق الزراعية، "
        "وحذرت مديرية الأرصاد الجوية من تشكل الصقيع ليلاً في المرتفعات خلال الأيام المقبلة."
    ),
    "link": "https://enabbaladi.example/archives/latakia-rain",
    "published": at(30),
}

# A person quoted in the market reports, for a watchlist of the tests' own.
WATCHLIST = """
name = "test-people"

[[entries]]
id = "hassan-qaddour"
kind = "person"
names = ["Hassan Qaddour", "حسن قدور"]
"""

# In arrival order.
STREAM = [
    MARKET_ORIGINAL,
    MARKET_COPY,
    MARKET_ENGLISH,
    MARKET_REWRITE,
    WEATHER,
    CAR_BOMB,
    CAR_BOMB_ENGLISH,
]
EXPECTED = [
    {"market-1", "market-2", "market-en", "market-3"},
    {"weather-1"},
    {"bomb-1", "bomb-en"},
]
