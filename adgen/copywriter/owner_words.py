"""The owner's sentence as phrases an ad can carry word for word.

The offline copywriter never re-derives the owner's facts into slots: it lifts the owner's own
phrases out of the sentence and lays them out. Here the sentence is

1. normalised where numbers are written loosely (1만2천원 → 12,000원, 20프로 → 20%), using the
   values ``facts.read`` found, so the ad and the fact check agree;
2. stripped of what is said to the ad maker, not to customers: requests ("홍보해주세요",
   "광고 만들어줘", "홍보좀 해주세여", "많이 와주세요") and tone requests ("반말로 써줘");
3. cut into phrases at the owner's own punctuation, with contacts (phone, @handle, Kakao
   channel, URL, e-mail, a street address) moved to a details line together with the words that
   introduce them ("예약 문의 010-…").

Every word left is kept; nothing is added. Which phrase becomes the headline is decided in
``local``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from adgen.copywriter import facts
from adgen.copywriter.korean import Morph, morphs

# Nouns that name the ad itself ("홍보", "광고 문구"): the owner's request, never the customer's news.
_REQUEST_NOUNS: Final = frozenset({"홍보", "광고", "포스터", "전단", "전단지", "홍보물", "배너", "문구", "카피", "홍보글", "광고글"})
# Verbs asked of the ad maker ("만들어줘", "써 주세요", "알려주세요").
_REQUEST_VERBS: Final = frozenset(
    {"만들", "쓰", "작성", "작성하", "알리", "올리", "부탁", "부탁하", "부탁드리", "제작", "제작하", "짜", "뽑",
     # edits asked of us in a chat ("가격 2,500원 넣어줘")
     "넣", "추가하", "바꾸", "고치", "수정하", "빼", "지우", "강조하"}
)  # fmt: skip
# Asked of customers in the owner's note to us ("많이 와주세요", "많이 찾아주세요"): not a fact, and the
# ad has its own call to action.
_VISIT_VERBS: Final = frozenset({"오", "찾", "들르", "이용하", "방문하", "사랑하", "사랑", "관심", "방문", "이용"})
_FILLER_ADVERBS: Final = frozenset({"좀", "많이", "꼭", "많은", "자주", "잘", "예쁘게", "멋지게", "이쁘게", "멋있게"})
_TONE_WORDS: Final = {"반말": "반말", "존댓말": "존댓말", "존대": "존댓말", "높임말": "존댓말"}
# Words that introduce a contact and go with it to the details line.
_CONTACT_CUES: Final = frozenset(
    {"문의", "예약", "전화", "연락", "연락처", "인스타", "인스타그램", "카톡", "카카오톡", "카카오", "채널", "플친", "주소", "위치",
     "홈페이지", "스토어", "스마트스토어", "블로그", "네이버", "DM", "디엠", "메일", "이메일", "상담", "주문", "톡", "오픈채팅", "번호"}
)  # fmt: skip
_PLACE_END_RE: Final = re.compile(r"[가-힣]+(?:시|구|군|동|로|길|읍|면|리|가)$")
_CLAUSE_TAGS: Final = ("SF", "SP", "SE")


@dataclass(frozen=True)
class Phrase:
    """One phrase of the owner's, numbers normalised, as it will appear on the ad."""

    text: str
    facts: tuple[facts.Fact, ...] = ()


@dataclass(frozen=True)
class OwnerWords:
    """What the ad may say, in the owner's words."""

    text: str  # the sentence after normalising numbers and removing requests
    phrases: tuple[Phrase, ...]  # the owner's phrases, in order, contacts taken out
    details: tuple[str, ...]  # contact phrases ("예약 문의 010-1234-5678", "@cafe_mori")
    tone: str | None  # the tone the owner asked for in the sentence ("반말로 써줘"), if any
    facts: tuple[facts.Fact, ...]  # every fact of ``text``


def normalise_numbers(text: str) -> str:
    """``text`` with each amount and percent written as copy writes it (1만2천원 → 12,000원)."""
    out = text
    for f in sorted(facts.read(text), key=lambda f: f.start, reverse=True):
        if f.kind in ("amount", "percent") and text[f.start : f.end] != f.text:
            out = out[: f.start] + f.text + out[f.end :]
    return out


def lift(sentence: str) -> OwnerWords:
    """Read the owner's sentence into phrases (see the module docstring)."""
    text = normalise_numbers(sentence.strip())
    toks = morphs(text)
    drop, tone = _requests(text, toks)
    kept = _remove(text, drop)
    kept = re.sub(r"\s+", " ", kept).strip(" ,.~!/·")
    if not kept:
        return OwnerWords(text="", phrases=(), details=(), tone=tone, facts=())
    toks = morphs(kept)
    found = facts.read(kept)
    contact_spans = _contact_spans(kept, toks, found)
    details = [kept[a:b].strip(" ,./·") for a, b in contact_spans]
    body_text = _remove(kept, contact_spans)
    phrases = []
    for part in _split(_mark_offer_ends(_mark_price_ends(_mark_sentence_ends(body_text)))):
        part_facts = tuple(f for f in facts.read(part) if f.kind != "item")
        phrases.append(Phrase(part, part_facts))
    return OwnerWords(
        text=kept,
        phrases=tuple(phrases),
        details=tuple(d for d in details if d),
        tone=tone,
        facts=tuple(found),
    )


def _mark_sentence_ends(text: str) -> str:
    """A line break after each sentence ending with more words after it ("오픈했어요 주문 가능해요")."""
    out = text
    for t in reversed(morphs(text)):
        if t.tag == "EF" and t.end < len(text) and text[t.end] == " ":
            out = out[: t.end] + "\n" + out[t.end + 1 :]
    return out


# Words that continue a price ("5,000원 이상 구매 시", "10,000원 할인", "3만원대"): no phrase ends there.
_PRICE_GOES_ON: Final = frozenset(
    {"이상", "이하", "미만", "초과", "할인", "균일가", "짜리", "상당", "대", "할인가", "세일", "특가", "추가", "씩", "당", "부터", "까지",
     "에서", "으로", "로", "이면", "결제", "구매", "주문", "이용", "적립", "페이백", "캐시백", "쿠폰", "off", "OFF", "DC", "단",
     # what happens at that price: "딸기라떼 5,500원 출시"
     "출시", "오픈", "판매", "입고", "런칭", "론칭", "이벤트", "행사", "진행", "예약", "가능", "제공", "포함", "균일", "한정", "선착순",
     "정찰제", "신상", "신메뉴", "시작", "개시"}
)  # fmt: skip


def _mark_price_ends(text: str) -> str:
    """A line break after an item's price when a new item follows: "아메리카노 4,500원 인스타 …"."""
    toks = morphs(text)
    out = text
    found = facts.read(text)
    for f in reversed([f for f in found if f.kind == "amount"]):
        before = re.split(r"[,.!?\n]", text[: f.start])[-1]
        if not re.search(r"[가-힣A-Za-z]", before):
            continue  # nothing before the price ("3천만원 전세 매물"): the words after it are what it buys
        nxt = next((t for t in toks if t.start >= f.end), None)
        if nxt is None or nxt.start == f.end or nxt.form in _PRICE_GOES_ON or not (nxt.noun or nxt.tag in ("SN", "W_SERIAL")):
            continue
        rest_of_phrase = re.split(r"[,.!?\n]", text[nxt.start :])[0]
        if nxt.form.startswith(("이번", "오늘", "주말", "평일", "매일", "매주", "내일", "한정", "선착순")) and not re.search(
            r"\d\s*(?:%|원)|할인|무료|증정|세일|특가", rest_of_phrase
        ):
            continue
        if text[f.end : nxt.start].strip():
            continue
        out = out[: f.end] + "\n" + out[nxt.start :]
    return out


_OFFER_ENDS: Final = frozenset({"무료", "증정", "할인", "세일", "특가", "1+1", "2+1", "서비스", "적립"})
_OFFER_GOES_ON: Final = frozenset(
    {"배송", "쿠폰", "이벤트", "행사", "혜택", "체험", "상담", "주차", "제공", "증정", "기간", "대상", "가능", "적용", "진행", "중",
     "가", "권", "해", "해요", "합니다", "드려요", "드립니다", "제외", "불가", "품목", "상품", "메뉴"}
)  # fmt: skip


def _mark_offer_ends(text: str) -> str:
    """A line break after an offer when a new item follows: "1개월 무료 PT 10회 50만원"."""
    toks = morphs(text)
    out = text
    for i in range(len(toks) - 2, -1, -1):
        t, nxt = toks[i], toks[i + 1]
        if t.form not in _OFFER_ENDS or nxt.start == t.end or text[t.end : nxt.start].strip():
            continue
        if nxt.form in _OFFER_GOES_ON or not (nxt.noun or nxt.tag == "SL"):
            continue
        if i + 2 < len(toks) and toks[i + 2].tag.startswith(("XSV", "VV", "J")) and toks[i + 2].start == nxt.end:
            continue  # "무료 주차해요", "할인 혜택을"
        out = out[: t.end] + "\n" + out[nxt.start :]
    return out


def _remove(text: str, spans: list[tuple[int, int]]) -> str:
    out = text
    for a, b in sorted(spans, reverse=True):
        out = out[:a] + " " + out[b:]
    return re.sub(r"[ \t]+", " ", out)


def _clause_end(toks: tuple[Morph, ...], i: int) -> int:
    """Index of the first token after the clause that token ``i`` is in."""
    j = i
    while j < len(toks) and toks[j].tag not in _CLAUSE_TAGS:
        j += 1
    return j


# "반말로 써줘", "친근하게 반말로", "존댓말로 해주세요": read on the text (Kiwi may split 반말 into 반 + 말).
_TONE_RE: Final = re.compile(
    r"(?:(?:좀\s*)?(?:친근|편|가볍|캐주얼|부드럽|정중)(?:하게|하고|게|고)\s*)?(반말|존댓말|존대|높임말)\s*"
    r"(?:(?:느낌|톤|투|스타일|체|말투)\s*)?"  # "반말 느낌으로", "반말투로"
    r"(?:(?:로|으로)\s*(?:[가-힣]*(?:써|쓰|해|작성|바꿔|만들)[가-힣]*)?"  # "반말로 써줘"
    r"|(?:ok|OK|Ok|오케이|괜찮[가-힣]*|좋[아습][가-힣]*|가능[가-힣]*)\s*[~!.]*)"  # "반말 ok ~", "반말 괜찮아요"
)
_REQUEST_EF_RE: Final = re.compile(r"세요|세여|세용|줘|주라|다오|바랍|십시오|요$|용$")
# What may follow a request word and still be its predicate: "해 주 세요", "좀 만들어 줘", "부탁 드려요".
_CHAIN_TAGS: Final = ("XSV", "XSA", "EP", "EC", "VX", "EF", "ETN", "SF", "SE", "SW")


def _chain(toks: tuple[Morph, ...], j: int) -> tuple[int, bool]:
    """The last token of the predicate starting at ``j`` and whether it asks (…주세요, …줘, …부탁해요)."""
    last = j - 1
    asks = False
    k = j
    while k < len(toks):
        t = toks[k]
        glued = k == j or t.start - toks[k - 1].end <= 1
        if not glued:
            break
        if t.tag in _CHAIN_TAGS or (t.tag == "MAG" and t.form in _FILLER_ADVERBS) or (
            t.tag.startswith("VV") and (t.form in _REQUEST_VERBS or t.form in ("하", "드리", "부탁드리", "바라"))
        ) or t.form in ("부탁", "요청"):
            if t.tag == "SF" and k > j:
                break
            last = k
            if (t.tag.startswith("VX") and t.form in ("주", "드리")) or t.form in ("부탁", "부탁드리", "바라", "요청"):
                asks = True
            if t.tag == "EF" and _REQUEST_EF_RE.search(t.form):
                asks = True
            if t.tag == "EF":
                break
            k += 1
            continue
        break
    return last, asks


_ASKING: Final = ("부탁", "부탁드리", "요청")  # a request on its own, with no 주세요 after it


def _requests(text: str, toks: tuple[Morph, ...]) -> tuple[list[tuple[int, int]], str | None]:
    """Spans said to the ad maker (requests, tone wishes), and the tone asked for."""
    spans: list[tuple[int, int]] = []
    tone: str | None = None
    for m in _TONE_RE.finditer(text):
        tone = _TONE_WORDS[m.group(1)]
        spans.append((m.start(), m.end()))
    i = 0
    while i < len(toks):
        t = toks[i]
        found: tuple[int, int] | None = None  # (first, last) token of the request
        if t.form in _REQUEST_NOUNS and t.tag.startswith("NN"):
            # "홍보해주세요", "홍보 좀 해줘", "광고 만들어줘", "홍보 부탁드려요"; not "홍보 이벤트 진행", "문구 레터링".
            j = i + 1
            while j < len(toks) and (toks[j].tag in ("JKO", "JX") or toks[j].form in _REQUEST_NOUNS or toks[j].form in _FILLER_ADVERBS):
                j += 1
            verb = toks[j] if j < len(toks) else None
            if verb is not None and verb.tag in ("XSV", "VV", "NNG") and (verb.form in _REQUEST_VERBS or verb.form in ("하", *_ASKING)):
                last, asks = _chain(toks, j)
                if asks or verb.form in _ASKING:
                    found = (i, max(last, j))
        elif t.tag.startswith("VV") and t.form in _REQUEST_VERBS:
            last, asks = _chain(toks, i + 1)
            if asks:
                found = (i, last)
        elif t.form in _VISIT_VERBS and (t.tag.startswith("VV") or t.tag == "NNG"):
            # "많이 와주세요", "방문해 주세요", "사랑해주세요"; not "첫 방문 고객".
            j = i + 1 if t.tag.startswith("VV") else i + 1
            if t.tag == "NNG" and not (j < len(toks) and toks[j].tag == "XSV"):
                j = -1
            if j >= 0:
                last, asks = _chain(toks, j)
                has_helper = any(toks[k].tag.startswith("VX") and toks[k].form == "주" for k in range(j, last + 1))
                if asks and has_helper:
                    found = (i, last)
        if found is None:
            i += 1
            continue
        first, last = found
        # Adverbs and objects said to us go too: "홍보좀", "많이 와주세요", "예쁘게 만들어줘", "광고 만들어줘".
        while first > 0:
            prev = toks[first - 1]
            if prev.form in _FILLER_ADVERBS or prev.form in _REQUEST_NOUNS or prev.tag == "JKO":
                first -= 1
            elif prev.tag == "EC" and prev.form == "게" and first > 1 and toks[first - 2].tag.startswith("VA"):
                first -= 2  # "예쁘게", "멋지게"
            else:
                break
        spans.append((toks[first].start, toks[last].end))
        i = last + 1
    # A bare "홍보" / "광고" closing a clause ("카페 신메뉴 홍보", "딸기라떼 홍보, 한 잔 4,500원"): the owner
    # names what they want from us.
    ends = [i for i, t in enumerate(toks) if t.tag in ("SF", "SP")] + [len(toks)]
    for end in ends:
        k = end - 1
        while k >= 0 and toks[k].tag in ("SW", "SE", "JKO", "JX"):
            k -= 1
        first = k
        while first >= 0 and toks[first].form in _REQUEST_NOUNS | {"용", "부탁", "요청", "좀"}:
            first -= 1
        if first < k and not any(a <= toks[first + 1].start < b for a, b in spans):
            stop = toks[k].end if end < len(toks) else len(text)
            spans.append((toks[first + 1].start, stop))
    return spans, tone


def _contact_spans(text: str, toks: tuple[Morph, ...], found: list[facts.Fact]) -> list[tuple[int, int]]:
    """Character spans of each contact with its cue words ("예약 문의 010-…"), and street addresses."""
    spans: list[tuple[int, int]] = []
    for f in found:
        if f.kind != "contact":
            continue
        first = next(i for i, t in enumerate(toks) if t.end > f.start)
        last = max(i for i, t in enumerate(toks) if t.start < f.end)
        while (
            first > 0 and (toks[first - 1].form in _CONTACT_CUES or toks[first - 1].tag in ("SSO", "JKB")) and toks[first - 1].tag != "SP"
        ):
            first -= 1
        while first > 0 and toks[first - 1].end == toks[first].start and toks[first - 1].tag.startswith("NN"):
            first -= 1  # the whole word: "대표번호", not "번호"
        while last + 1 < len(toks) and (toks[last + 1].tag in ("SSC", "JKB", "JX") or toks[last + 1].form in _CONTACT_CUES):
            last += 1
        # A contact the sentence goes on about ("@cafe_mori 팔로우하면 쿠키 증정") stays in its phrase:
        # moved out, the condition would lose its object. One that starts or ends a clause moves.
        starts = first == 0 or toks[first - 1].tag in _CLAUSE_TAGS
        ends = last + 1 >= len(toks) or toks[last + 1].tag in _CLAUSE_TAGS
        clause_rest = toks[last + 1 : _clause_end(toks, last + 1)] if not ends else ()
        acted_on = any(t.tag in ("XSV", "VV") for t in clause_rest)  # "@cafe_mori 팔로우하면 …"
        if ends or (starts and not acted_on):
            spans.append((toks[first].start, toks[last].end))
    spans += _addresses(toks)
    return _merge(spans)


_ROAD_END_RE: Final = re.compile(r"[가-힣]+(?:동|로|길|가|번길)$")
_AREA_END_RE: Final = re.compile(r"[가-힣]+(?:시|도|구|군|읍|면|리)$")
_NOT_ADDRESS_UNITS: Final = frozenset(
    {"원", "%", "명", "개", "인", "회", "시", "분", "일", "월", "년", "세", "달", "주", "박", "잔", "만", "천"}
)


def _addresses(toks: tuple[Morph, ...]) -> list[tuple[int, int]]:
    """A street address: a neighbourhood or road and its number ("성수동2가 123-4 1층", "서울 성동구 왕십리로 5")."""
    out = []
    i = 0
    while i < len(toks):
        if toks[i].tag == "NNP" and _ROAD_END_RE.search(toks[i].form):
            j = i
            while j + 1 < len(toks) and (
                toks[j + 1].tag in ("NNP", "SN", "W_SERIAL") or toks[j + 1].form in ("가", "번지", "층", "호", "길", "로", "-")
            ):
                if toks[j + 1].tag == "SN" and j + 2 < len(toks) and toks[j + 2].form in _NOT_ADDRESS_UNITS:
                    break  # "성수동 3만원": a price, not a house number
                j += 1
            if any(toks[k].tag in ("SN", "W_SERIAL") for k in range(i + 1, j + 1)):
                first = i
                while (
                    first > 0
                    and toks[first - 1].tag == "NNP"
                    and _AREA_END_RE.search(toks[first - 1].form)
                    or (
                        first > 0
                        and toks[first - 1].form in ("서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "제주", "경기")
                    )
                ):
                    first -= 1
                if first > 0 and toks[first - 1].form in _CONTACT_CUES:
                    first -= 1
                out.append((toks[first].start, toks[j].end))
                i = j + 1
                continue
        i += 1
    return out


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


# A phrase ends at the owner's punctuation: a comma that is no thousands separator, a full stop,
# "!", "?", "/", "·", a line break. "~" joins a range and never splits.
_SPLIT_RE: Final = re.compile(r",(?!\d{3}(?!\d))|(?<!\d)\.(?!\d)|[!?·\n;]|(?<!\d)/|/(?!\d)|(?<=\d)\.(?=\s)")


# Said to us, not to customers: a phrase that is only a greeting or thanks goes.
_GREETING_RE: Final = re.compile(r"^(?:안녕하세요|안녕하십니까|안녕|감사합니다|고맙습니다|수고하세요|잘 부탁드립니다|부탁드립니다)$")


_WEB_RE: Final = re.compile(r"https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/\S*)?", re.I)
_DOT_MASK: Final = "\u2024"  # stands for a web address's dots while phrases are cut
_SLASH_MASK: Final = "\u2215"


def _split(text: str) -> list[str]:
    # A web address or e-mail is never cut at its dots or slashes.
    text = _WEB_RE.sub(lambda m: m.group(0).replace(".", _DOT_MASK).replace("/", _SLASH_MASK), text)
    parts = [p.strip(" ,.~!?/·-:;").replace(_DOT_MASK, ".").replace(_SLASH_MASK, "/") for p in _SPLIT_RE.split(text)]
    parts = [re.sub(r"\s+", " ", p) for p in parts if p and re.search(r"[0-9A-Za-z가-힣]", p)]
    return [p for p in parts if not _GREETING_RE.match(p)]
