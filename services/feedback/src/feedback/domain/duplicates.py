"""关注多 — which open cases say the same thing, so staff merge them and the people count grows.

Chinese has no spaces, and PostgreSQL's pg_trgm (trigrams of "words") is of little use on it: on
this platform's PostgreSQL (UTF8, C.UTF-8) ``similarity('村口路灯坏了好几天晚上看不见',
'村口的路灯不亮已经一周了')`` is 0.08. A case is compared by its **grams** instead: the text
normalised (a small lexicon of how complaints say the same thing — 不亮/坏了/损坏 → 坏, 垃圾桶 →
垃圾箱 —, filler words and particles dropped), then its characters and character bigrams, minus
single characters that say nothing on their own (不, 村, 上…). Two cases are as similar as the
Dice coefficient of their grams, 2·|A∩B| / (|A|+|B|): the same figure here and in SQL
(``storage/duplicates.py``). There each gram is kept as a 32-bit key (CRC-32) in an ``int4[]``
under a GIN index, which ``intarray`` intersects in C — a text array's overlap, compared string
by string, was five times too slow at 100,000 cases. Two grams sharing a key would only count as
one shared gram; the suggester ranks on the keys here too, so both sides say the same.

The lexicon, the dropped words and the threshold (``DUPLICATE_SIMILARITY_THRESHOLD``) were tuned
on the labelled set the tests ship (``tests/data/duplicates.jsonl``); see README, "Duplicate
suggestion".
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from typing import TypeVar

# How one thing is said in several ways: each variant becomes one form before the grams are
# taken (longest variants first where one contains another).
SYNONYMS: tuple[tuple[str, str], ...] = (
    ("不亮", "坏"), ("坏了", "坏"), ("损坏", "坏"), ("坏掉", "坏"), ("失灵", "坏"), ("故障", "坏"),
    ("堵塞", "堵"), ("堵住", "堵"), ("堵死", "堵"), ("淤堵", "堵"),
    ("垃圾桶", "垃圾箱"), ("卫生所", "卫生室"), ("公共厕所", "厕所"), ("公厕", "厕所"),
    ("噪声", "噪音"), ("声音", "噪音"), ("吵", "噪音"),
    ("津贴", "补贴"), ("补助", "补贴"), ("敬老院", "养老院"),
    ("半夜", "夜"), ("夜里", "夜"), ("夜间", "夜"), ("深夜", "夜"), ("晚上", "夜"), ("整夜", "夜"), ("通宵", "夜"),
    ("供水", "自来水"), ("饮用水", "自来水"), ("小学", "学校"), ("学生", "孩子"), ("小孩", "孩子"),
    ("老年人", "老人"), ("60", "六十"), ("周岁", "岁"),
    ("不全", "缺"), ("短缺", "缺"), ("不够", "缺"), ("缺少", "缺"),
    ("偷了", "盗"), ("被盗", "盗"), ("偷", "盗"),
    ("清运", "清理"), ("清扫", "清理"), ("打扫", "清理"), ("保洁", "清理"),
    ("修复", "修"), ("维修", "修"), ("检修", "修"),
    ("不公平", "不公"), ("不公正", "不公"), ("不透明", "不公开"),
    ("拖欠", "未付"), ("不付", "未付"), ("没给", "未付"),
    ("没有发放", "未发"), ("没有到账", "未发"), ("没到账", "未发"), ("没发", "未发"), ("停发", "未发"), ("停了", "未发"),
    ("侵占", "占"), ("占用", "占"), ("霸占", "占"), ("征用", "征"),
    ("房顶", "屋顶"), ("漏雨", "漏"), ("漏水", "漏"), ("开裂", "裂"), ("裂缝", "裂"), ("裂开", "裂"),
    ("村医", "医生"), ("村委会", "村委"), ("拉选票", "贿选"), ("拉票", "贿选"), ("买票", "贿选"),
    ("辅导书", "教辅"), ("强制", "必须"), ("焚烧", "烧"), ("恶臭", "臭"), ("臭气", "臭"), ("臭味", "臭"),
)
# Words every complaint uses, whatever it is about: they split the text where they stood.
FILLER: tuple[str, ...] = (
    "希望", "请求", "建议", "尽快", "赶紧", "一直", "经常", "好几", "已经", "严重", "根本", "特别", "非常", "太",
    "没人管", "不知道", "怎么回事", "现在", "村里", "我家", "我们", "附近", "周围", "处理", "解决", "问题", "情况",
    "反映", "影响", "担心", "存在", "从来", "老是", "总是", "到处", "整天", "每天", "多年", "长期", "迟迟", "请",
)
# Particles: they split the text too.
PARTICLES = frozenset("的了是在我们很都也有就还着把被让给啊吧呢吗呀这那个些")
# Characters that, alone, say nothing of what a complaint is about (their bigrams still count).
WEAK = frozenset("不没无人上下到去来要出得能可会等说过只才又再更最村镇县里一二三几个天年多好大小后前中时候也都就还开面家用")

_DIGITS = re.compile(r"[0-9]{5,}")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> list[str]:
    """The runs of meaningful characters left of ``text`` once the lexicon has been applied."""
    text = unicodedata.normalize("NFKC", text).lower()
    for variant, form in SYNONYMS:
        text = text.replace(variant, form)
    for word in FILLER:
        text = text.replace(word, " ")
    return "".join(c if c.isalnum() and c not in PARTICLES else " " for c in text).split()


def grams(text: str) -> list[str]:
    """The grams of a case's text, sorted and without repeats: characters (but the weak ones)
    and character bigrams of each run."""
    found: set[str] = set()
    for run in normalise(text):
        found.update(c for c in run if c not in WEAK)
        found.update(run[i:i + 2] for i in range(len(run) - 1))
    return sorted(found)


def keys(text: str) -> list[int]:
    """The grams of ``text`` as the signed 32-bit keys stored with the case, sorted, no repeats."""
    return sorted({zlib.crc32(gram.encode()) - 2**31 for gram in grams(text)})


def similarity(a: Iterable[str | int], b: Iterable[str | int]) -> float:
    """Dice's coefficient of two cases' grams: 1.0 the same, 0.0 nothing in common."""
    first, second = set(a), set(b)
    if not first and not second:
        return 0.0
    return 2.0 * len(first & second) / (len(first) + len(second))


Case = TypeVar("Case")


def suggest(text: str, candidates: Sequence[tuple[Case, Sequence[int]]], *, threshold: float,
            limit: int) -> list[tuple[Case, float]]:
    """The at most ``limit`` candidates (each given with its ``keys``) most similar to ``text``, at
    ``threshold`` or above, best first — what the SQL of ``storage/duplicates.py`` answers."""
    query = keys(text)
    scored = [(case, similarity(query, case_grams)) for case, case_grams in candidates]
    kept = [pair for pair in scored if pair[1] >= threshold]
    kept.sort(key=lambda pair: -pair[1])
    return kept[:limit]


def excerpt(text: str, length: int = 40) -> str:
    """The opening of a case's text for a list of suggestions, long digit runs (a phone, an ID
    number a citizen typed in) masked."""
    short = _SPACE.sub(" ", _DIGITS.sub(lambda m: "*" * len(m.group()), text)).strip()
    return short if len(short) <= length else short[:length] + "…"
