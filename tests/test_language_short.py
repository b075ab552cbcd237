"""The ``language`` reward on short chains of thought in close languages: the tables that chose the rule.

A chunk of fewer than ``SURE_WORDS`` words gives its target the benefit of the doubt against
close languages (ru/bg/uk, es/pt/ca, id/ms, hi/mr, zh/ja), where fastText's probabilities on a
few words are noise; never against letters or words that rule the target out, and never against
a distant language (English for a Spanish target). From ``SURE_WORDS`` words on, fastText's argmax.
"""

from __future__ import annotations

import pytest

from rewards.item import Item
from rewards.lang_evidence import evidence
from rewards.lang_model import SURE_WORDS, chunk_language, doubt_ratio, load_model
from rewards.language import LanguageParams, count_words, language
from rewards.verdict import Verdict
from tests.test_language import SENTENCES


def short(cot: str, target: str) -> Verdict:
    return language(Item(f"<think>{cot}</think>42"), LanguageParams(language=target))


# Short CoTs (1–8 words) really written in the language: each scores 1.0 with it as the target.
OWN = {
    "ru": [
        "Проверим", "Хорошо", "Подождите", "Верно", "Умножим на два", "Делим на три", "Сложим оба числа",
        "Ответ равен семи", "Разделим на три", "Теперь вычтем единицу", "Найдём площадь круга",
        "Проверим ответ ещё раз", "Значит, ответ неверный", "Это простое число", "Подставим x в уравнение",
        "Возьмём производную функции", "Тогда сумма равна десяти", "Нет, это неправильно", "Хм, подождите",
        "Нужно найти сумму", "Сначала найдём корни", "Итак ответ пять", "Значит x равно двум",
        "Считаем площадь треугольника", "Хорошо, теперь сложим", "Получаем уравнение", "Это неверно",
        "Разложим на множители", "Проверим деление на два", "Сократим дробь",
        "Посчитаем количество вариантов для каждого случая",
        "Теперь нужно сложить все полученные значения вместе",
    ],
    "bg": [
        "Добре", "Вярно", "Чакай", "Умножаваме по две", "Събираме двете числа", "Отговорът е седем", "Делим на три",
        "Сега изваждаме единица", "Намираме лицето на кръга", "Проверяваме отговора още веднъж",
        "Значи отговорът е грешен", "Това е просто число", "Заместваме x в уравнението",
        "Вземаме производната на функцията", "Тогава сумата е десет", "Хм, чакай малко", "Не, това не е правилно",
        "Трябва да намерим сумата", "Първо намираме корените", "Сега заместваме стойността",
        "Пресмятаме лицето на триъгълника", "Добре, сега събираме", "Получаваме уравнението", "Това е грешно",
        "Сега трябва да съберем всички получени стойности",
    ],
    "uk": [
        "Перевіримо", "Добре", "Зачекайте", "Вірно", "Помножимо на два", "Додамо обидва числа",
        "Відповідь дорівнює семи", "Поділимо на три", "Тепер віднімемо одиницю", "Знайдемо площу кола",
        "Перевіримо відповідь ще раз", "Отже, відповідь неправильна", "Це просте число", "Підставимо x у рівняння",
        "Візьмемо похідну функції", "Тоді сума дорівнює десяти", "Хм, зачекайте", "Ні, це неправильно",
        "Потрібно знайти суму", "Спочатку знайдемо корені", "Отже відповідь п'ять", "Перевіримо це ще раз",
        "Рахуємо площу трикутника", "Добре, тепер додамо", "Отримуємо рівняння", "Це неправильно",
        "Тепер треба додати всі отримані значення разом",
    ],
    "es": [
        "Correcto", "Espera", "Sumamos ambos números", "La respuesta es siete", "Dividimos entre tres",
        "Ahora restamos uno", "Calculamos el área del círculo", "Comprobemos la respuesta otra vez",
        "Entonces, la respuesta es incorrecta", "Es un número primo", "Sustituimos x en la ecuación",
        "Tomamos la derivada de la función", "Luego la suma es diez", "Espera un momento", "¿Es esto correcto?",
        "El año tiene doce meses", "Primero calculamos la suma", "Entonces la respuesta es", "Bien, ahora sumamos",
        "Obtenemos la ecuación", "Esto está mal", "Ahora hay que sumar todos los valores obtenidos",
    ],
    "pt": [
        "Espere", "Vamos conferir isso", "Somamos os dois números", "A resposta é sete", "Dividimos por três",
        "Agora subtraímos um", "Calculamos a área do círculo", "Vamos verificar a resposta de novo",
        "Então, a resposta está errada", "É um número primo", "Substituímos x na equação",
        "Tomamos a derivada da função", "Logo a soma é dez", "Não, isso não funciona", "Hmm, deixa eu pensar",
        "Primeiro calculamos a soma", "Então a resposta é", "Vamos verificar isso", "Bem, agora somamos",
        "Obtemos a equação", "Isto está errado", "Agora precisamos somar todos os valores obtidos",
        "Agora somamos", "Isso funciona", "Não",  # fastText: English at 0.17 for the first; "agora" is Portuguese
    ],
    "ca": [
        "Correcte", "Espera", "Anem a comprovar-ho", "Sumem els dos nombres", "La resposta és set",
        "Dividim entre tres", "Ara restem un", "Calculem l'àrea del cercle", "Per tant, la resposta és incorrecta",
        "És un nombre primer", "Substituïm x a l'equació", "Prenem la derivada de la funció",
        "Llavors la suma és deu", "Això no funciona", "Hmm, deixa'm pensar", "La col·lecció té dotze elements",
        "Primer calculem la suma", "Aleshores la resposta és", "Bé, ara sumem", "Obtenim l'equació",
        "Això està malament", "Ara hem de sumar tots els valors obtinguts",
    ],
    "id": [
        "Benar", "Tunggu", "Ini salah", "Kita jumlahkan kedua bilangan", "Jawabannya adalah tujuh",
        "Bagi dengan tiga", "Sekarang kurangi satu", "Hitung luas lingkaran", "Mari periksa jawabannya lagi",
        "Jadi, jawabannya tidak benar", "Substitusikan x ke persamaan", "Maka jumlahnya sepuluh", "Tunggu sebentar",
        "Hmm, coba saya pikirkan", "Pertama kita hitung jumlahnya", "Jadi jawabannya adalah",
        "Mari kita periksa lagi", "Sekarang substitusikan nilainya", "Kita hitung luas segitiga",
        "Baik, sekarang kita jumlahkan", "Kita dapatkan persamaannya",
        "Sekarang kita perlu menjumlahkan semua nilai yang didapat",
    ],
    "ms": [
        "Tunggu", "Ini tidak betul", "Kita tambahkan kedua-dua nombor", "Jawapannya ialah tujuh",
        "Bahagikan dengan tiga", "Sekarang tolak satu", "Mari semak jawapan sekali lagi", "Jadi, jawapan itu salah",
        "Ini nombor perdana", "Gantikan x ke dalam persamaan", "Ambil terbitan fungsi itu",
        "Maka jumlahnya ialah sepuluh", "Tunggu sekejap", "Hmm, biar saya fikir", "Pertama kita kira jumlahnya",
        "Jadi jawapannya ialah", "Mari kita semak semula", "Sekarang gantikan nilainya", "Kita peroleh persamaannya",
    ],
    "hi": [
        "सही", "रुकिए", "यह गलत है", "दोनों संख्याएँ जोड़ते हैं", "उत्तर सात है", "तीन से भाग देते हैं", "अब एक घटाते हैं",
        "वृत्त का क्षेत्रफल निकालते हैं", "उत्तर फिर से जाँचते हैं", "इसलिए उत्तर गलत है", "यह एक अभाज्य संख्या है",
        "x को समीकरण में रखते हैं", "फलन का अवकलज लेते हैं", "तो योग दस है", "एक मिनट रुकिए", "हम्म, सोचने दो",
        "पहले हम योग निकालते हैं", "तो उत्तर है", "चलिए फिर से जांचते हैं", "अब मान रखते हैं",
        "त्रिभुज का क्षेत्रफल निकालें", "ठीक है, अब जोड़ते हैं", "हमें समीकरण मिलता है",
        "अब हमें सभी प्राप्त मानों को जोड़ना होगा",
    ],
    "mr": [
        "बरोबर", "थांबा", "हे चुकीचे आहे", "दोन्ही संख्यांची बेरीज करू", "उत्तर सात आहे", "तीनने भागू", "आता एक वजा करू",
        "वर्तुळाचे क्षेत्रफळ काढू", "उत्तर पुन्हा तपासू", "म्हणून उत्तर चुकीचे आहे", "ही एक मूळ संख्या आहे",
        "x समीकरणात ठेवू", "फलाचे अवकलज घेऊ", "तर बेरीज दहा आहे", "एक मिनिट थांबा", "हम्म, विचार करू दे",
        "प्रथम आपण बेरीज काढू", "म्हणून उत्तर आहे", "चला पुन्हा तपासूया", "आता किंमत ठेवू",
        "त्रिकोणाचे क्षेत्रफळ काढू", "ठीक आहे, आता बेरीज करू", "आपल्याला समीकरण मिळते",
        "आता आपल्याला सर्व मिळालेल्या किमतींची बेरीज करावी लागेल",
    ],
    # Han without Kana: kanji-only Japanese and Chinese share the script
    "ja": ["証明終了", "面積計算", "解答", "検算", "計算結果確認", "以上証明終", "条件確認", "円面積計算", "最終結果"],
    "zh": ["所以答案是七", "我们验证一下", "先计算面积", "这是质数", "因此答案是五", "检查一下", "计算结果", "没问题"],
}


@pytest.mark.parametrize(("lang", "cot"), [(lang, cot) for lang, cots in OWN.items() for cot in cots])
def test_short_cot_in_target_language_yields_1(lang: str, cot: str) -> None:
    verdict = short(cot, lang)
    assert verdict.score == 1.0, verdict.reason


# Where the rule stops: fastText's top language is a distant one (its argmax stands), the
# target's probability is under doubt_ratio of a close one, or the chunk is long enough for the argmax.
MISREAD = [
    # (CoT really in lang, target lang, language it is counted as)
    ("Betul", "ms", "ro"),  # lid.176.ftz: Romanian at 0.98
    ("Correto", "pt", "en"),
    ("Ambil turunan fungsinya", "id", "de"),
    ("Vamos a comprobarlo", "es", "pt"),  # pt 0.79, es 0.02 < 1/32 of it
    ("Kira luas bulatan", "ms", "id"),  # id 0.58, ms 0.02 < 1/16 of it
    ("Comprovem la resposta una altra vegada", "ca", "it"),  # six words: ca 0.16 < 1/2 of it 0.52
    ("Sekarang kita perlu menambah semua nilai yang diperoleh", "ms", "id"),  # eight words: the argmax
]


@pytest.mark.parametrize(("cot", "target", "read_as"), MISREAD)
def test_short_cot_fasttext_misreads_beyond_the_doubt_yields_0(cot: str, target: str, read_as: str) -> None:
    verdict = short(cot, target)
    assert verdict.score == 0.0
    assert read_as in verdict.details["counts"], verdict.reason


# (CoT clearly in one language, a close target, the evidence): never scores as the target.
CLEAR_OTHER = [
    ("Перевіримо відповідь ще раз", "ru", "uk: і"),
    ("Відповідь дорівнює семи", "ru", "uk: і"),
    ("Тепер віднімемо одиницю", "ru", "uk: і"),
    ("Це просте число", "bg", "uk: це"),
    ("Візьмемо похідну функції", "bg", "uk: ї"),
    ("Ні, це неправильно", "ru", "uk: і"),
    ("Поділимо на три", "ru", "uk: і"),
    ("Отже, відповідь неправильна", "bg", "uk: і"),
    ("Проверим ответ ещё раз", "uk", "ru: ё"),
    ("Это простое число", "bg", "ru: э"),
    ("Найдём площадь круга", "uk", "ru: ё"),
    ("Возьмём производную функции", "bg", "ru: ё"),
    ("Значит, ответ неверный", "bg", "ru: ы"),
    ("Это неверно", "uk", "ru: э"),
    ("Сложим оба числа", "bg", "ru: ы"),
    ("Отговорът е седем", "ru", "bg: ъ as a vowel"),
    ("Значи отговорът е грешен", "uk", "bg: ъ"),
    ("Намираме лицето на кръга", "ru", "bg: ъ as a vowel"),
    ("Проверяваме отговора още веднъж", "ru", "bg: ъ as a vowel"),
    ("Сега трябва да съберем всички получени стойности", "ru", "bg: ъ, трябва"),
    ("Това е просто число", "ru", "bg: това"),
    ("Това е грешно", "ru", "bg: това"),
    ("Вземаме производната на функцията", "uk", "bg: no і and -та articles; uk letters absent"),
    ("Então, a resposta está errada", "es", "pt: ã"),
    ("Não, isso não funciona", "es", "pt: ã"),
    ("Não", "es", "pt: ã"),
    ("Tomamos a derivada da função", "es", "pt: ç ã"),
    ("Substituímos x na equação", "ca", "pt: ç ã"),
    ("Dividimos por três", "es", "pt: ê"),
    ("Esto está mal", "pt", "es: esto"),
    ("El año tiene doce meses", "pt", "es: ñ"),
    ("¿Es esto correcto?", "pt", "es: esto"),
    ("Sustituimos x en la ecuación", "pt", "es: la, ecuación"),
    ("Tomamos la derivada de la función", "ca", "es: función (Catalan funció)"),
    ("Entonces, la respuesta es incorrecta", "pt", "es: entonces"),
    ("La col·lecció té dotze elements", "es", "ca: col·lecció, té"),
    ("Substituïm x a l'equació", "es", "ca: ï"),
    ("Calculem l'àrea del cercle", "es", "ca: à"),
    ("Això no funciona", "es", "ca: això"),
    ("Això no funciona", "pt", "ca: això"),
    ("Llavors la suma és deu", "es", "ca: llavors, és"),
    ("Per tant, la resposta és incorrecta", "pt", "ca: per, és"),
    ("Jawapannya ialah tujuh", "id", "ms: jawapan"),
    ("Ini nombor perdana", "id", "ms: nombor"),
    ("Mari semak jawapan sekali lagi", "id", "ms: jawapan"),
    ("Hmm, biar saya fikir", "id", "ms: fikir"),
    ("Jawabannya adalah tujuh", "ms", "id: jawaban"),
    ("Hmm, coba saya pikirkan", "ms", "id: pikirkan"),
    ("Jadi, jawabannya tidak benar", "ms", "id: jawaban"),
    ("वर्तुळाचे क्षेत्रफळ काढू", "hi", "mr: ळ"),
    ("उत्तर सात आहे", "hi", "mr: आहे"),
    ("हे चुकीचे आहे", "hi", "mr: आहे"),
    ("म्हणून उत्तर चुकीचे आहे", "hi", "mr: म्हणून, आहे"),
    ("ही एक मूळ संख्या आहे", "hi", "mr: आहे"),
    ("चला पुन्हा तपासूया", "hi", "mr: चला, पुन्हा"),
    ("उत्तर सात है", "mr", "hi: है"),
    ("यह गलत है", "mr", "hi: यह, है"),
    ("यह एक अभाज्य संख्या है", "mr", "hi: है"),
    ("वृत्त का क्षेत्रफल निकालते हैं", "mr", "hi: हैं"),
    ("दोनों संख्याएँ जोड़ते हैं", "mr", "hi: ड़"),
    ("证明完毕", "ja", "zh: simplified 证"),
    ("我们验证一下", "ja", "zh: simplified 们 验 证"),
    ("先计算面积", "ja", "zh: simplified 计 积"),
    ("円面積計算", "zh", "ja: 円"),
    ("図形変換", "zh", "ja: 図 変"),
]


@pytest.mark.parametrize(("cot", "target", "evidence"), CLEAR_OTHER)
def test_short_cot_clearly_in_close_language_yields_0(cot: str, target: str, evidence: str) -> None:
    verdict = short(cot, target)
    assert verdict.score == 0.0, f"{evidence}: {verdict.reason}"


# No letter or word in these rules the close target out, and fastText gives it enough probability:
# a few words cannot tell the two apart, so the target is credited.
NO_EVIDENCE = [
    ("Нужно найти сумму", "uk"),  # Russian; fastText: ru 0.84, uk 0.11
    ("Получаем уравнение", "bg"),
    ("Знайдемо площу кола", "bg"),  # Ukrainian; bg 0.10 of uk 0.48 reaches 1/16
    ("Ini salah", "ms"),  # Indonesian and Malay alike
    ("Mari kita periksa lagi", "ms"),
    ("Es un número primo", "ca"),
]


@pytest.mark.parametrize(("cot", "target"), NO_EVIDENCE)
def test_short_cot_without_evidence_yields_target_benefit_of_doubt(cot: str, target: str) -> None:
    assert short(cot, target).score == 1.0


ENGLISH = [
    "Okay",
    "Let me check",
    "So the answer is",
    "Now subtract one",
    "That is wrong",
    "Let me double check this",
    "Alternatively, maybe I made a mistake",
    "We substitute x into the equation",
    "Therefore the sum is ten",
    "Correct",
    "Yes",
    "No",
    "Actually, no",
    "Divide by three",
    "Let me do this",  # "do", "um", "per" rule out Spanish or Catalan but are English words too: they point nowhere
    "Um, let me think",
    "The cost per unit is five",
]


@pytest.mark.parametrize("target", ["es", "pt", "ca", "id", "ms", "de", "fr", "it", "nl"])
@pytest.mark.parametrize("cot", ENGLISH)
def test_short_english_cot_yields_0_for_other_latin_targets(cot: str, target: str) -> None:
    """English is not close to them: on a word or two fastText says little, and doubt would credit anything."""
    verdict = short(cot, target)
    assert verdict.score == 0.0, verdict.reason


@pytest.mark.parametrize(
    ("words", "ratio"), [(1, 1 / 64), (2, 1 / 32), (3, 1 / 16), (4, 1 / 8), (6, 1 / 2), (7, 1.0), (40, 1.0)]
)
def test_doubt_ratio_yields_doubling_share_per_word(words: int, ratio: float) -> None:
    assert doubt_ratio(words) == ratio


LONG = [
    ("ru", "Теперь нужно сложить все полученные значения вместе и проверить"),
    ("uk", "Тепер треба додати всі отримані значення разом і перевірити"),
    ("bg", "Сега трябва да съберем всички получени стойности и да проверим"),
    ("es", "Ahora hay que sumar todos los valores obtenidos y comprobar"),
    ("pt", "Agora precisamos somar todos os valores obtidos e verificar"),
    ("id", "Sekarang kita perlu menjumlahkan semua nilai yang didapat tadi"),
    ("ms", "Sekarang kita perlu menambah semua nilai yang diperoleh tadi"),
    ("mr", "आता आपल्याला सर्व मिळालेल्या किमतींची बेरीज करावी लागेल आणि तपासावे"),
]


@pytest.mark.parametrize("target", ["ru", "uk", "bg", "es", "pt", "ca", "id", "ms", "hi", "mr"])
@pytest.mark.parametrize(("lang", "text"), LONG)
def test_chunk_of_sure_words_yields_fasttext_argmax_whatever_the_target(lang: str, text: str, target: str) -> None:
    script = {"ru": "cyrillic", "uk": "cyrillic", "bg": "cyrillic", "mr": "devanagari"}.get(lang, "latin")
    words = len(text.split())
    assert words >= SURE_WORDS
    model = load_model()
    assert chunk_language(model, script, text, words, target) == chunk_language(model, script, text, words)


@pytest.mark.parametrize(
    ("text", "out", "kept"),
    [
        ("Перевіримо це", {"ru", "bg"}, {"uk"}),
        ("Проверим ещё", {"uk", "bg", "mk", "sr"}, {"ru"}),
        ("отговорът", {"ru", "uk"}, {"bg"}),
        ("объём подъезд", {"uk", "bg"}, {"ru"}),  # Russian ъ before е ё ю я
        ("Então", {"es", "ca"}, {"pt"}),
        ("año", {"pt", "ca"}, {"es"}),
        ("substituïm", {"es", "pt"}, {"ca"}),
        ("jawapan", {"id"}, {"ms"}),
        ("jawaban", {"ms"}, {"id"}),
        ("क्षेत्रफळ", {"hi"}, {"mr"}),
        ("उत्तर है", {"mr"}, {"hi"}),
        ("这是质数", {"ja"}, {"zh"}),
        ("円の面積", {"zh"}, {"ja"}),
        ("número primo", set(), {"es", "pt", "ca"}),  # words both write prove nothing
        ("tidak salah", set(), {"id", "ms"}),
    ],
)
def test_evidence_yields_languages_the_letters_and_words_exclude(text: str, out: set[str], kept: set[str]) -> None:
    excluded, points_to = evidence(text)
    assert out <= excluded
    assert not kept & excluded
    assert not points_to & excluded


@pytest.mark.parametrize(
    ("cot", "target", "score"),
    [
        ("面積計算\n証明終了", "ja", 1.0),  # several lines of Han: fastText reads one line
        ("因此答案是五", "ja", 0.0),
        ("所以答案是七\n检查一下", "ja", 0.0),
        ("所以答案是七\n检查一下", "zh", 1.0),
        ("首先计算总和，然后除以二，所以答案是五。", "ja", 0.0),
        ("首先计算总和，然后除以二，所以答案是五。", "zh", 1.0),
        ("円の面積を計算します。", "zh", 0.0),  # Kana: Japanese whatever the target
    ],
)
def test_han_only_cot_yields_zh_or_ja_by_fasttext_and_characters(cot: str, target: str, score: float) -> None:
    verdict = short(cot, target)
    assert verdict.score == score, verdict.reason


@pytest.mark.parametrize(("lang", "target"), [("ru", "bg"), ("ru", "uk"), ("es", "pt"), ("es", "ca"), ("fr", "es")])
def test_long_cot_chunks_yield_same_counts_whatever_the_target(lang: str, target: str) -> None:
    """A CoT with several chunks of a script is counted by fastText's argmax: the target weighs nothing."""
    cot = " ".join(SENTENCES[lang])
    model = load_model()
    assert count_words(cot, model, 5, target) == count_words(cot, model, 5)


@pytest.mark.parametrize(
    ("text", "points_to"),
    [
        ("Então", {"pt"}),
        ("agora somamos", {"pt"}),
        ("отговорът", {"bg"}),
        ("Перевіримо", {"uk"}),  # и: not Belarusian
        ("jawapan", {"ms"}),
        ("वर्तुळाचे", {"mr"}),
        ("这是", {"zh"}),
        ("let me do this", set()),  # short words rule out but point nowhere
        ("um per com", set()),
    ],
)
def test_evidence_yields_languages_the_text_points_to(text: str, points_to: set[str]) -> None:
    assert evidence(text).points_to == points_to
