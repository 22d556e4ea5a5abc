"""Word lists the extraction rules use: head nouns, roles, verbs, function words, Chinese names.

Why: these are general English and Chinese-naming facts (what a "Bureau" is, which words start a
sentence, how pinyin syllables are built), never names or facts from any particular document.
"""

from __future__ import annotations

import re
from functools import lru_cache

from graph.vocab import EntityClass, PlaceKind

PARK_HEADS = {
    "park", "zone", "base", "valley", "hub", "cluster", "incubator", "campus", "parks",
}
PARKISH_MODIFIERS = {
    "science", "technology", "tech", "sci-tech", "innovation", "software", "digital", "future", "industrial",
    "blockchain", "knowledge", "smart", "high-tech", "hi-tech", "eco", "startup", "entrepreneurship",
    "incubation", "internet", "financial", "fintech", "data", "trade", "logistics", "chain", "dream",
}
GOV_HEADS = {
    "ministry", "department", "bureau", "office", "committee", "commission", "administration", "government",
    "council", "procuratorate", "court", "congress", "secretariat",
}
ORG_HEADS = {
    "institute", "institution", "association", "alliance", "university", "academy", "college", "school",
    "foundation", "society", "federation", "chamber", "consortium", "union", "laboratory", "lab", "forum",
    "exchange", "newspaper", "daily", "news", "times", "post", "press", "observatory", "tank",
}
ENTERPRISE_HEADS = {
    "co", "ltd", "inc", "corp", "corporation", "company", "holdings", "technology", "technologies", "tech",
    "data", "cloud", "bank", "securities", "capital", "networks", "telecom", "mobile", "electronics",
    "semiconductor", "semiconductors", "motors", "pharmaceutical", "pharmaceuticals", "energy", "llc", "plc",
    "gmbh", "limited", "ventures", "fintech", "labs", "systems", "solutions", "digital",
}
POLICY_HEADS = {
    "guidance", "guidelines", "guideline", "plan", "measures", "policy", "policies", "rules", "regulations",
    "regulation", "opinions", "opinion", "notice", "programme", "program", "strategy", "outline", "scheme",
    "provisions", "law", "initiative", "roadmap", "catalogue", "catalog", "methods", "circular", "decision",
    "standards", "charter", "blueprint",
}
PLACE_HEADS = {
    "district": PlaceKind.DISTRICT, "county": PlaceKind.DISTRICT, "prefecture": PlaceKind.CITY,
    "province": PlaceKind.PROVINCE, "municipality": PlaceKind.PROVINCE, "township": PlaceKind.DISTRICT,
    "village": PlaceKind.DISTRICT, "subdistrict": PlaceKind.DISTRICT, "region": PlaceKind.PROVINCE,
    "city": PlaceKind.CITY, "town": PlaceKind.DISTRICT, "area": PlaceKind.DISTRICT,
}
# "Research Center" is an organisation; "Innovation Center" is a park-like cluster.
CENTER_ORG_WORDS = {"research", "information", "study", "studies", "certification", "service", "services",
                    "data", "testing", "evaluation", "computing", "development"}
CENTER_PARK_WORDS = {"innovation", "incubation", "blockchain", "industrial", "industry", "entrepreneurship",
                     "startup", "collaborative", "exhibition", "business"}
ORG_GROUP_WORDS = {"working", "leading", "study", "expert", "research", "think", "advisory", "steering"}

# Words that start sentences or headings but never a name.
FUNCTION_WORDS = set(
    """a an the this that these those there here it its it's they their we our you your he his she her i
    in on at by for from with without to of into onto over under after before during since until between
    among amid across along around about against as although though because while when where whereas
    which who whom whose what why how if unless whether than then so yet but and or nor also only even
    still already recently currently however moreover meanwhile furthermore besides instead indeed thus
    therefore hence according compared combining regarding including following despite through within
    beyond toward towards via per each every all both either neither some any many most more much few
    several other another such no not none one two three four five six seven eight nine ten first second
    third last next new old local central national provincial municipal early late today yesterday
    tomorrow now once since earlier later below above what's let let's bigger biggest smaller larger
    major main key big small top leading senior junior former current overall meanwhile statistics
    mr mrs ms dr prof professor economist analyst analysts experts expert officials official sources
    source reporter reporters chairman president director minister secretary governor mayor deputy head
    vice general manager founder ceo spokesperson spokesman spokeswoman researcher researchers
    posted reprinted users user leave reply read more share""".split()
)
TITLE_WORDS = {"economist", "professor", "prof", "dr", "mr", "mrs", "ms", "analyst", "researcher",
               "chairman", "president", "director", "minister", "secretary", "governor", "mayor", "ceo",
               "founder", "premier", "vice-premier", "academician", "engineer", "lawyer", "reporter"}
MONTHS = {"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
          "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
          "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
          "oct": 10, "nov": 11, "dec": 12}
WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

ROLE_WORDS = {
    "director", "deputy", "head", "chief", "chairman", "chairwoman", "chair", "president", "vice",
    "manager", "secretary", "founder", "co-founder", "ceo", "cto", "cfo", "coo", "officer", "fellow",
    "researcher", "professor", "spokesperson", "spokesman", "spokeswoman", "mayor", "governor", "minister",
    "leader", "partner", "analyst", "economist", "engineer", "member", "dean", "commissioner", "executive",
    "general", "principal", "scientist", "expert", "consultant", "adviser", "advisor", "official",
    "representative", "administrator", "supervisor", "coordinator", "editor", "party", "staff",
}

# The Hundred Family Surnames most common today, in pinyin: a general naming fact.
SURNAMES = set(
    """wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang xie
    song tang han feng deng cao peng zeng xiao tian dong yuan pan cai jiang yu du ye cheng wei su lu ding
    ren shen yao jin fu zhong cui tan fan liao shi jia xia fang bai zou meng xiong qin qiu hou yin xue
    yan duan lei long tao gu mao hao gong shao wan qian dai mo kong xiang chang kang yi qiao lai wen niu
    hong zhuang ni geng ou ouyang situ shangguan zhuge mu ge gan lan bao chai che chu cong dang diao fei
    gui hua ji jiao ju kou kuang lian ling lou lv lyu miao min ning pang pei pu qi qu quan rao rong ruan
    sang sha shan sheng shu si tai teng tong xi xian xin xing yue zha zhai zhan zhen zhuo zong zuo an ai
    bi bian cen chi dou e guan hang huo jing kuai lang le liu man mi nie ou pi qiu ran shang tu xiang yun
    zang zhuan""".split()
)

_INITIALS = "zh|ch|sh|b|p|m|f|d|t|n|l|g|k|h|j|q|x|r|z|c|s|y|w"
_FINALS = ("iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|van|ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|"
           "uo|ui|ue|ve|er|a|o|e|i|u|v")
_SYLLABLE = re.compile(rf"(?:{_INITIALS})?(?:{_FINALS})")


@lru_cache(maxsize=4096)
def is_pinyin_word(word: str) -> bool:
    """True if `word` splits into one to three pinyin syllables ("Xiaokang", "Wei", "Hanqing").

    Examples:
        >>> is_pinyin_word("Xiaokang"), is_pinyin_word("Software")
        (True, False)
    """
    w = word.lower().replace("'", "").replace("’", "").replace("-", "")
    if not w.isalpha() or not w.isascii() or len(w) > 12:
        return False

    @lru_cache(maxsize=None)
    def parse(i: int, left: int) -> bool:
        if i == len(w):
            return True
        if left == 0:
            return False
        # try every syllable length starting at i
        for j in range(len(w), i, -1):
            if _SYLLABLE.fullmatch(w, i, j) and parse(j, left - 1):
                return True
        return False

    return parse(0, 3)


def head_class(words: list[str]) -> tuple[EntityClass | None, PlaceKind | None]:
    """Class of a capitalised name from its head noun (the last word, or the word before "of").

    Examples:
        >>> head_class(["Ministry", "of", "Industry", "and", "Information", "Technology"])[0].value
        'GovernmentBody'
        >>> head_class(["Huangpu", "Chain", "Valley"])[0].value
        'IndustrialPark'
    """
    lowered = [w.lower().strip(".,") for w in words]
    cut = len(lowered)
    for conn in ("of", "for", "on"):
        if conn in lowered[1:]:
            cut = min(cut, lowered.index(conn, 1))
    core = lowered[:cut] or lowered
    head = core[-1]
    before = core[-2] if len(core) > 1 else ""
    if head in {"ltd", "co", "inc", "corp", "llc", "plc", "gmbh", "limited"}:
        return EntityClass.ENTERPRISE, None
    if head in ("center", "centre"):
        if set(core) & CENTER_ORG_WORDS:
            return EntityClass.ORGANIZATION, None
        if set(core) & CENTER_PARK_WORDS:
            return EntityClass.PARK, None
        return EntityClass.ORGANIZATION, None
    if head == "group":
        if before in ORG_GROUP_WORDS:
            return EntityClass.ORGANIZATION, None
        return EntityClass.ENTERPRISE, None
    if head == "authority":
        if before in {"certificate", "certification"}:
            return EntityClass.ENTERPRISE, None
        return EntityClass.GOVERNMENT, None
    if head == "agency":
        return (EntityClass.ORGANIZATION, None) if before == "news" else (EntityClass.GOVERNMENT, None)
    if head in ("city", "town"):
        if before in PARKISH_MODIFIERS:
            return EntityClass.PARK, None
        return EntityClass.PLACE, PLACE_HEADS[head]
    if head == "area":
        if before == "new":
            return EntityClass.PLACE, PlaceKind.DISTRICT
        if len(core) > 1:
            return EntityClass.PARK, None
        return None, None
    if head in ("region",) and before not in {"autonomous", "administrative"}:
        return None, None
    if head in PARK_HEADS:
        if head == "zone" and before == "development" and len(core) == 2:
            return None, None
        return EntityClass.PARK, None
    if head in GOV_HEADS:
        return EntityClass.GOVERNMENT, None
    if head in ORG_HEADS:
        return EntityClass.ORGANIZATION, None
    if head in POLICY_HEADS:
        return EntityClass.POLICY, None
    if head in PLACE_HEADS:
        return EntityClass.PLACE, PLACE_HEADS[head]
    if head in ENTERPRISE_HEADS and len(core) > 1:
        return EntityClass.ENTERPRISE, None
    return None, None
