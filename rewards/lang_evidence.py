"""What a few words can prove about close languages, for the ``language`` reward's short chunks.

fastText (``lid.176``) is unreliable on two or three words of close languages (ru/bg/uk,
es/pt/ca, id/ms, hi/mr, zh/ja), so a short chunk gives its target the benefit of the doubt
(:func:`rewards.lang_model.chunk_language`) — but never against evidence the text itself
carries:

- **letters** a language's alphabet lacks: Ukrainian і ї є ґ, Belarusian ў, Russian ы э ё,
  Macedonian/Serbian ѓ ќ ѕ ђ ћ ј љ њ џ, Portuguese ã õ â ê ô, Spanish ñ, Catalan è ò ï;
  Bulgarian ``ъ`` as a vowel (Russian writes ``ъ`` only before е ё ю я, "объём");
  Marathi ``ळ`` (no Hindi word has it), Hindi ``ड़ ढ़`` (Marathi writes ड ढ); simplified Chinese
  characters Japanese never writes (们 这 验 证 计…) and Japanese-only forms (証 験 図 円 値…);
- **words** one standard spells differently or never uses, for the pairs no letter tells apart:
  Malay ``jawapan``/Indonesian ``jawaban``; Hindi ``है``/Marathi ``आहे``; Russian ``что``,
  Bulgarian ``това``, Ukrainian ``це``; Spanish ``los``, Portuguese ``não``, Catalan ``els``.

Only spellings a native writer of the other language never uses are listed: a word both
use ("tidak", "salah", "número") proves nothing and stays out.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Lower-case letters of each alphabet; a letter of the same script outside it rules the language out.
ALPHABETS: dict[str, str] = {
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "uk": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
    "bg": "абвгдежзийклмнопрстуфхцчшщъьюя",
    "be": "абвгдеёжзійклмнопрстуўфхцчшыьэюя",
    "mk": "абвгдѓежзѕијклљмнњопрстќуфхцчџш",
    "sr": "абвгдђежзијклљмнњопрстћуфхцчџш",
    "es": "abcdefghijklmnopqrstuvwxyzáéíóúüñ",
    "pt": "abcdefghijklmnopqrstuvwxyzáâãàéêíóôõúüç",
    "ca": "abcdefghijklmnopqrstuvwxyzàéèíïóòúüç",
}
CYRILLIC = ("ru", "uk", "bg", "be", "mk", "sr")
# The sets within which a letter or word tells languages apart (see :func:`evidence`).
EVIDENCE_SETS = (
    frozenset(CYRILLIC),
    frozenset(["es", "pt", "ca"]),
    frozenset(["id", "ms"]),
    frozenset(["hi", "mr"]),
    frozenset(["zh", "ja"]),
)
# Letters (or marks) that only some languages of their script use: letter -> languages it rules out.
MARKS: dict[str, frozenset[str]] = {
    "\u0933": frozenset(["hi"]),  # ळ
    # the nukta, alone or in a precomposed letter (क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़): Hindi's ड़ ढ़ and Urdu loans
    **dict.fromkeys("\u093c\u0958\u0959\u095a\u095b\u095c\u095d\u095e\u095f", frozenset(["mr"])),
    # Simplified-only Chinese characters Japanese never writes, and Japanese-only shinjitai forms
    **dict.fromkeys(
        "们这说验证计设题边积为么时对过还从两几进实结问应该样长开关图变确并毕减质检错误则种项约论级线",
        frozenset(["ja"]),
    ),
    **dict.fromkeys("証験図変関広続様発読値覚挙効応実円検単両乗辺", frozenset(["zh"])),
}
BULGARIAN_HARD_SIGN = re.compile("ъ(?![еёюя])")
# (words, languages they rule out): function words and spellings the other standard never writes
WORD_EVIDENCE: tuple[tuple[str, str], ...] = (
    ("jawapan jawapannya nombor kerana sahaja mahu fikir fikirkan peratus wang sekejap bahagi bahagikan darab", "id"),
    ("jawaban jawabannya nomor karena pikir pikirkan persen uang nggak bisa", "ms"),
    ("है हैं था थे थी नहीं और में हमें यह अब फिर चलिए लेकिन क्योंकि इसलिए सकते चाहिए होगा", "mr"),
    ("आहे आहेत नाही नाहीत आणि मध्ये आपण म्हणून आपल्याला आता पुन्हा चला करू म्हणजे त्यामुळे", "hi"),
    ("что чтобы сейчас теперь сначала значит давайте тогда", "bg uk"),
    ("това трябва сега сме тук защото какво където този тази които който също", "ru uk"),
    ("це що тепер треба отже як або щоб буде", "ru bg"),
    ("el del es los", "pt"),  # not Catalan: it writes them too ("-los" after a verb)
    ("esto eso las pero muy hay entonces ahora también", "pt ca"),
    ("não então isso isto você agora uma um das do ao também", "es ca"),
    ("em com", "es"),
    ("els dels amb però això aquest aquesta doncs llavors perquè és per ho hem anem ara fem tenim", "es pt"),
)
WORDS: dict[str, frozenset[str]] = {
    word: frozenset(langs.split()) for words, langs in WORD_EVIDENCE for word in words.split()
}
# Languages fastText confuses on a few words; the benefit of the doubt only ever goes between them.
CLOSE_GROUPS: tuple[frozenset[str], ...] = (
    frozenset(["ru", "uk", "bg", "be", "mk", "sr"]),
    frozenset(["es", "pt", "ca", "gl", "ast", "oc", "an", "it", "fr"]),
    frozenset(["id", "ms", "jv", "su", "min"]),
    frozenset(["hi", "mr", "ne", "sa", "new", "bh", "mai", "gom", "dty"]),
    frozenset(["zh", "ja"]),
    frozenset(["cs", "sk"]),
    frozenset(["hr", "sr", "bs", "sh"]),
    frozenset(["da", "no", "sv"]),
)


def close(a: str, b: str) -> bool:
    """Are ``a`` and ``b`` languages fastText confuses on a few words (one of :data:`CLOSE_GROUPS`)?"""
    return any(a in group and b in group for group in CLOSE_GROUPS)


class Evidence(NamedTuple):
    """What a short chunk's letters and words prove: languages it is not in, and languages it points to."""

    ruled_out: frozenset[str]
    points_to: frozenset[str]


def evidence(text: str) -> Evidence:
    """Languages the letters or words of ``text`` (a short chunk) rule out, and those they leave of their set.

    A letter or word that rules out some languages of its set (:data:`EVIDENCE_SETS`) points to
    the others: Portuguese ``ã`` rules out es and ca and points to pt. Words of fewer than four
    letters rule out but point nowhere: "do", "um", "per" are English words too.
    """
    lower = text.lower()
    letters = set(lower)
    found = [LETTERS[letter] for letter in letters.intersection(LETTERS)]
    if "ъ" in letters and BULGARIAN_HARD_SIGN.search(lower):
        found.append(frozenset(["ru"]))
    out = set().union(*found)
    points: set[str] = set()
    for word in lower.split():
        if word in WORDS:
            out.update(WORDS[word])
            if len(word) >= 4:
                found.append(WORDS[word])
    for excluded in found:
        points.update(*(s - excluded for s in EVIDENCE_SETS if excluded <= s))
    return Evidence(frozenset(out), frozenset(points - out))


def _letters() -> dict[str, frozenset[str]]:
    """Letter -> languages it rules out: the alphabets of its script that lack it, and :data:`MARKS`."""
    table = dict(MARKS)
    for group in (CYRILLIC, tuple(lang for lang in ALPHABETS if lang not in CYRILLIC)):
        for letter in set("".join(ALPHABETS[lang] for lang in group)):
            lacking = frozenset(lang for lang in group if letter not in ALPHABETS[lang])
            if lacking:
                table[letter] = lacking
    return table


LETTERS = _letters()
