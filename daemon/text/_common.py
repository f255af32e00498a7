"""Frequent words of Arabic and English news that grouping leaves out of an item's terms.

Grouping (``daemon.stories``) compares items by their rarer words; these carry no sign of
which event a report is about. Matching weighs how common a word is with the fuller
word-frequency lists of ``daemon.text._frequency`` instead. Arabic words are listed
normalized and without the article.
"""

from __future__ import annotations

from daemon.text._normalize import normalize

_ARABIC = """
في من الى علي عن مع ان او ثم قد لا لم لن ما ماذا لماذا كيف اين متي هل بل لكن حتي اذا
ذلك هذا هذه هولاء تلك الذي التي الذين اللذين اللتين كان كانت يكون تكون ليس ليست
قال قالت يقول تقول اكد اكدت اضاف اضافت اعلن اعلنت ذكر ذكرت اشار اشارت اوضح اوضحت
عام عامه يوم يوما اليوم امس غدا شهر سنه سنوات ساعه ساعات وقت بعد قبل خلال منذ عند
بين حول ضد دون غير كل بعض جميع اكثر اقل اول ثاني اخر اخري جديد جديده كبير كبيره
ناس اناس نساء رجال اطفال امر امور شي اشياء مكان اماكن دار دور باب ابواب بيت بيوت
طريق طرق نور امل حب سلام حرب حروب قتل قتلي جرحي هجوم غاره غارات قصف ضربه ضربات
قوه قوات جيش جيوش امن حكومه دوله دول رييس وزير وزاره مجلس شعب حزب احزاب منطقه
مدينه مدن قريه قري بلده ريف شمال جنوب شرق غرب وسط حدود ارض سماء ماء بحر جبل واد
عمل اعمال عملية عمليات خبر اخبار تقرير تقارير مصدر مصادر حق حقوق قانون انسان
نحو لدي لديه لها له لهم منها منه فيها فيه عليها عليه بها به كما مثل ايضا فقط جدا
واحد اثنان ثلاث اربع خمس ست سبع ثمان تسع عشر مايه الف مليون عشره عشرين ثلاثين اربعين
مره مرات بدايه بدء بدا نهايه قطاع قطع قطعه قياده قاده قاعده ميزه مزايا درع دايره
هما هم هي هو انا نحن انتم هن كثير كثيره قليل جيد سيده سيد سعاده سوداء اسود ابيض
فرقه ورقه بركه بسرعه سرعه اشاره مصنع مصدر مدي موعد مده ماده عمد عمود اسم اسماء
جثه جثث غطاء هامه مر مار مرء مراه بعده بعدها بضعه بعض
وضع حال حاله شان امام خلف فوق تحت داخل خارج جانب نفس ذات عدد عده نسبه قيمه
"""

_ENGLISH = """
a an the and or but if of to in on at by for from with without into onto over under
about after before between during since until while as than then so not no nor
is are was were be been being am do does did has have had having will would shall
should can could may might must this that these those there here where when what
which who whom whose why how all any both each few more most other some such only own
same too very just also again once ever never always said says say told news report
reports new old first last next year years day days week weeks month time times
people man men women children city town area areas region state states group groups
forces force army police government minister president party court law war attack
attacks strike strikes killed dead death deaths near north south east west central
one two three four five six seven eight nine ten hundred thousand million
us we you he she it they them him her his its our their my me mr mrs ms
"""

COMMON_ARABIC = frozenset(normalize(_ARABIC).split())
COMMON_ENGLISH = frozenset(normalize(_ENGLISH).split())
