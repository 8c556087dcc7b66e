"""Words the local copywriter knows: industries, intents, seasons, and their English for SDXL.

Data only; ``analysis`` reads the owner's sentence with it and ``image_prompt`` turns what was
found into an English prompt. Terms are matched longest first and never overlap, so "애견카페"
counts for ``pet`` and not also for ``cafe``.
"""

from __future__ import annotations

from typing import Final

# --- industries ----------------------------------------------------------------------------

# Place nouns: strong evidence for an industry, and usable as the {place} of a template.
INDUSTRY_PLACES: Final[dict[str, tuple[str, ...]]] = {
    "cafe": ("카페", "커피숍", "커피전문점", "디저트카페", "브런치카페", "로스터리", "cafe", "coffee shop"),
    "bakery": ("베이커리", "빵집", "제과점", "디저트샵", "bakery"),
    "restaurant": ("식당", "음식점", "맛집", "레스토랑", "한식당", "분식집", "고깃집", "술집", "포차", "이자카야", "횟집",
                   "치킨집", "피자집", "중국집", "국밥집", "restaurant"),
    "beauty": ("미용실", "헤어샵", "피부과", "헤어살롱", "네일샵", "네일숍", "피부관리실", "에스테틱", "뷰티샵", "왁싱샵", "salon"),
    "fitness": ("헬스장", "피트니스", "체육관", "필라테스", "요가원", "크로스핏", "복싱장", "주짓수", "클라이밍", "수영장",
                "gym", "fitness"),
    "fashion": ("옷가게", "쇼핑몰", "편집샵", "부티크", "의류매장", "boutique"),
    "academy": ("학원", "교습소", "공부방", "어학원", "영어학원", "수학학원", "미술학원", "음악학원", "피아노학원", "코딩학원",
                "academy"),
    "flower": ("꽃집", "플라워샵", "꽃가게", "화원", "florist"),
    "pet": ("애견샵", "펫샵", "동물병원", "애견미용", "애견카페", "애견호텔", "펫호텔", "pet shop"),
    "realestate": ("부동산", "공인중개사", "중개사무소"),
    # Shops of no industry above: they keep the general copy but are named as the owner named them.
    "general": ("세탁소", "안경점", "안경원", "약국", "편의점", "마트", "정육점", "반찬가게", "철물점", "문구점", "사진관", "인쇄소",
                "공방", "수선집", "키즈카페", "스터디카페", "독서실", "코인세탁", "빨래방", "태권도", "태권도장"),
}  # fmt: skip

# Other words that point to an industry (products, services), weaker than a place noun.
INDUSTRY_TERMS: Final[dict[str, tuple[str, ...]]] = {
    "cafe": ("커피", "아메리카노", "라떼", "카페라떼", "에스프레소", "콜드브루", "바닐라라떼", "딸기라떼", "녹차라떼", "말차",
             "스무디", "에이드", "프라푸치노", "빙수", "음료", "밀크티", "홍차", "와플", "마카롱", "아이스크림", "원두", "핸드드립",
             "브런치",
             "coffee", "latte", "espresso"),
    "bakery": ("빵", "식빵", "크루아상", "크로와상", "바게트", "소금빵", "베이글", "케이크", "케익", "도넛", "스콘", "타르트", "쿠키",
               "마들렌", "휘낭시에", "단팥빵", "모닝빵", "파이", "생크림", "크림빵", "슈크림", "bread", "cake", "croissant"),
    "restaurant": ("점심", "저녁", "런치", "디너", "한식", "양식", "중식", "일식", "파스타", "피자", "치킨", "삼겹살", "고기", "갈비",
                   "후라이드", "양념치킨", "김밥", "소주",
                   "국밥", "김치찌개", "떡볶이", "라멘", "초밥", "스시", "햄버거", "버거", "수제버거", "스테이크", "샐러드", "냉면",
                   "짜장면", "짬뽕", "돈까스", "칼국수", "족발", "보쌈", "곱창", "맥주", "도시락", "감자튀김",
                   "광어", "우럭", "연어", "참치", "모둠회", "횟감", "마라탕", "꿔바로우", "탕수육", "쌀국수", "막국수", "순대",
                   "순대국", "순댓국", "해장국", "감자탕",
                   "pizza", "burger", "pasta", "steak"),
    "beauty": ("헤어", "커트", "컷트", "펌", "파마", "염색", "네일", "젤네일", "페디큐어", "피부", "피부관리", "마사지", "왁싱",
               "메이크업", "화장품", "속눈썹", "두피", "세럼", "스킨케어", "수분크림", "아이크림", "핸드크림", "선크림", "토너", "앰플",
               "에센스",
               "로션", "립스틱", "립밤", "립글로스", "틴트", "쿠션팩트", "파운데이션", "마스크팩", "클렌징", "클렌저", "코스메틱",
               "기초화장품", "향수", "크림", "립", "쿠션", "스킨", "제모", "hair", "nail", "beauty", "skincare", "serum"),
    "fitness": ("헬스", "요가", "PT", "퍼스널트레이닝", "운동", "다이어트", "근력", "바디프로필", "회원권", "복싱", "수영", "yoga",
                "pilates", "workout"),
    "fashion": ("옷", "의류", "패션", "원피스", "니트", "코트", "자켓", "재킷", "셔츠", "티셔츠", "청바지", "바지", "스커트", "신발",
                "운동화", "가방", "액세서리", "주얼리", "모자", "코디", "fashion", "clothing", "dress"),
    "academy": ("수업", "강의", "수강", "수강생", "원생", "입시", "내신", "수능", "영어", "수학", "국어", "코딩", "피아노", "미술",
                "논술", "체험수업", "레벨테스트", "과외", "class", "tutoring"),
    "flower": ("꽃", "꽃다발", "부케", "화분", "식물", "장미", "튤립", "프리지아", "카네이션", "안개꽃", "작약", "수국", "해바라기",
               "화환", "꽃바구니", "드라이플라워", "flower", "flowers", "bouquet"),
    "pet": ("반려견", "반려묘", "반려동물", "강아지", "고양이", "댕댕이", "냥이", "애견", "애묘", "펫", "사료", "dog", "cat",
            "puppy", "pet"),
    "realestate": ("아파트", "원룸", "투룸", "오피스텔", "매매", "전세", "월세", "분양", "매물", "상가", "임대", "입주", "apartment"),
}  # fmt: skip

# Beauty words that also name food or furniture ("딸기 크림 케이크", "쿠션"): they decide the
# industry only when nothing else in the sentence points to one.
WEAK_TERMS: Final = frozenset({"크림", "립", "쿠션", "스킨"})

PLACE_WEIGHT: Final = 3
TERM_WEIGHT: Final = 1

# Counter units: glued to a number ("10회", "3개월") they count something and name no product
# ("회" is also sashimi), and on their own they are no hashtag. Longest first for regexes.
COUNTERS: Final = (
    "개월", "인분", "시간", "세트", "마리", "송이", "다발", "만원", "천원", "회차", "퍼센트", "프로",
    "회", "개", "명", "원", "월", "일", "시", "분", "번", "잔", "인", "주", "년", "박", "병", "장", "권", "판", "층", "달",
    "차", "살", "팩", "캔", "컵", "통", "kg", "g",
)  # fmt: skip

# How copy names a place the owner called by its activity alone: "필라테스에서 기다릴게요"
# reads like the exercise, "필라테스 스튜디오에서" like the place.
PLACE_IN_COPY: Final[dict[str, str]] = {
    "필라테스": "필라테스 스튜디오", "크로스핏": "크로스핏 박스", "주짓수": "주짓수 체육관", "클라이밍": "클라이밍장",
    "애견미용": "애견미용실",
}  # fmt: skip
# Words that, written right after a place noun, are part of its name ("필라테스 스튜디오").
PLACE_SUFFIXES: Final = ("스튜디오", "센터", "클럽", "아카데미", "짐", "샵", "살롱", "박스")

# The {place} of a template when the owner named none ("우리 가게" reads right in both tones).
DEFAULT_PLACE: Final[dict[str, str]] = {
    "cafe": "카페", "bakery": "베이커리", "restaurant": "맛집", "beauty": "뷰티샵", "fitness": "피트니스",
    "fashion": "매장", "academy": "학원", "flower": "꽃집", "pet": "펫샵", "realestate": "부동산", "general": "우리 가게",
}  # fmt: skip

# The {product} of a template when the sentence names no product.
DEFAULT_PRODUCT: Final[dict[str, str]] = {
    "cafe": "커피", "bakery": "빵", "restaurant": "요리", "beauty": "스타일", "fitness": "운동", "fashion": "신상",
    "academy": "수업", "flower": "꽃", "pet": "간식", "realestate": "매물", "general": "상품",
}  # fmt: skip

# Hashtags that describe the industry itself; keyword tags come first, these fill up.
INDUSTRY_HASHTAGS: Final[dict[str, tuple[str, ...]]] = {
    "cafe": ("#카페", "#카페추천", "#커피스타그램", "#디저트맛집", "#카페투어"),
    "bakery": ("#베이커리", "#빵집", "#빵스타그램", "#갓구운빵", "#빵지순례"),
    "restaurant": ("#맛집", "#맛집추천", "#먹스타그램", "#오늘뭐먹지", "#동네맛집"),
    "beauty": ("#뷰티", "#헤어스타일", "#네일아트", "#피부관리", "#뷰티샵"),
    "fitness": ("#운동", "#헬스", "#오운완", "#다이어트", "#건강"),
    "fashion": ("#데일리룩", "#패션", "#오오티디", "#코디추천", "#신상"),
    "academy": ("#학원", "#공부", "#학원추천", "#수강생모집", "#성적향상"),
    "flower": ("#꽃집", "#꽃스타그램", "#꽃다발", "#플라워", "#꽃선물"),
    "pet": ("#반려동물", "#댕댕이", "#멍스타그램", "#냥스타그램", "#펫샵"),
    "realestate": ("#부동산", "#매물", "#내집마련", "#부동산추천", "#급매"),
    "general": ("#우리동네", "#동네가게", "#추천", "#소상공인", "#단골환영"),
}  # fmt: skip

# Industry tags that claim something of the offer: used only when the owner said it.
CLAIM_TAGS: Final[dict[str, str]] = {"#급매": "급매"}

# Industry tags that name one trade: a nail ad gets no #헤어스타일, a cat hotel no #멍스타그램. A tag
# is kept when the products, the place or the picture's subjects mention a word of its trade, or
# when they mention no trade of the table at all ("" lists trades that have no tag of their own).
_BEAUTY_TRADES: Final[dict[str, tuple[str, ...]]] = {
    "#헤어스타일": ("헤어", "미용실", "커트", "컷트", "펌", "파마", "염색", "두피", "클리닉"),
    "#네일아트": ("네일", "페디큐어", "젤"),
    "#피부관리": ("피부", "에스테틱", "왁싱", "제모", "마사지", "스킨", "세럼", "크림", "앰플", "토너", "팩", "클렌"),
    "": ("속눈썹", "눈썹", "반영구", "메이크업", "타투"),
}
_DOGS: Final = ("강아지", "애견", "반려견", "댕댕", "소형견", "dog", "puppy")
TRADE_TAGS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "beauty": _BEAUTY_TRADES,
    "pet": {"#멍스타그램": _DOGS, "#댕댕이": _DOGS, "#냥스타그램": ("고양이", "냥이", "반려묘", "애묘", "cat")},
    "fitness": {"#헬스": ("헬스", "PT", "personal training", "근력", "바디프로필", "gym"), "": ("요가", "필라테스", "yoga", "pilates")},
}

# Tone when the owner chose none: polite 해요체 for every industry, because an ad speaks for a
# business to strangers. 반말 only when asked for, or when the owner's own sentence is in 반말.
DEFAULT_TONE: Final[dict[str, str]] = {
    "cafe": "존댓말", "bakery": "존댓말", "restaurant": "존댓말", "beauty": "존댓말", "fitness": "존댓말",
    "fashion": "존댓말", "academy": "존댓말", "flower": "존댓말", "pet": "존댓말", "realestate": "존댓말", "general": "존댓말",
}  # fmt: skip

DEFAULT_STYLE: Final[dict[str, str]] = {
    "cafe": "warm", "bakery": "warm", "restaurant": "vivid", "beauty": "premium", "fitness": "vivid",
    "fashion": "modern", "academy": "bright", "flower": "natural", "pet": "bright", "realestate": "modern",
    "general": "modern",
}  # fmt: skip

# --- intents -------------------------------------------------------------------------------

INTENT_CUES: Final[dict[str, tuple[str, ...]]] = {
    "opening": ("오픈", "개업", "개점", "문을 열", "문 열", "새로 열", "그랜드", "리뉴얼", "open", "opening"),
    "new": ("신메뉴", "신상", "신제품", "출시", "새로 나온", "새로나온", "새 메뉴", "런칭", "론칭", "신규", "new"),
    "event": ("할인", "세일", "이벤트", "특가", "1+1", "2+1", "증정", "쿠폰", "무료", "사은품", "적립", "%", "한정", "선착순",
              "sale", "event"),
    "season": ("봄", "여름", "가을", "겨울", "크리스마스", "성탄", "연말", "새해", "설날", "추석", "명절", "발렌타인", "화이트데이",
               "어버이날", "어린이날", "스승의날", "졸업", "입학", "시즌", "방학", "christmas"),
}  # fmt: skip

# The season word used in copy ("{season} 한정") for each cue, and its scene for SDXL.
SEASONS: Final[dict[str, tuple[str, str]]] = {
    # Compounds first: "겨울방학 특강" is about the vacation, not the season.
    "겨울방학": ("겨울방학", "winter, cozy, soft snow"),
    "여름방학": ("여름방학", "summer, bright sunlight, refreshing"),
    "봄": ("봄", "spring, cherry blossoms"),
    "여름": ("여름", "summer, bright sunlight, refreshing"),
    "가을": ("가을", "autumn, golden fallen leaves"),
    "겨울": ("겨울", "winter, cozy, soft snow"),
    "크리스마스": ("크리스마스", "christmas decorations, fairy lights"),
    "christmas": ("크리스마스", "christmas decorations, fairy lights"),
    "성탄": ("크리스마스", "christmas decorations, fairy lights"),
    "연말": ("연말", "year-end celebration, warm fairy lights"),
    "새해": ("새해", "new year celebration"),
    "설날": ("설날", "korean new year, traditional festive decorations"),
    "추석": ("추석", "chuseok harvest festival, full moon"),
    "명절": ("명절", "korean holiday, traditional festive decorations"),
    "발렌타인": ("발렌타인", "valentine's day, hearts, romantic"),
    "화이트데이": ("화이트데이", "white day, candies, romantic"),
    "어버이날": ("어버이날", "parents' day, carnations"),
    "어린이날": ("어린이날", "children's day, playful balloons"),
    "스승의날": ("스승의날", "teachers' day, carnations"),
    "졸업": ("졸업", "graduation celebration"),
    "입학": ("입학", "new school term, fresh start"),
    "방학": ("방학", "school vacation, cheerful"),
}

# --- Korean → English for the image prompt --------------------------------------------------

# Matched longest first inside one word, so "딸기라떼" → "strawberry latte" and "수제버거" →
# "handmade burger" even though neither compound is listed whole.
KO_EN: Final[dict[str, str]] = {
    # cafe
    "카페": "cafe", "커피": "coffee", "아메리카노": "americano", "라떼": "latte", "카페라떼": "cafe latte",
    "에스프레소": "espresso", "콜드브루": "cold brew coffee", "바닐라": "vanilla", "녹차": "green tea", "말차": "matcha",
    "스무디": "smoothie", "에이드": "sparkling ade", "빙수": "bingsu shaved ice dessert", "밀크티": "milk tea", "홍차": "black tea",
    "와플": "waffle", "마카롱": "macarons", "원두": "coffee beans", "브런치": "brunch", "음료": "drink", "디저트": "dessert",
    "초코": "chocolate", "초콜릿": "chocolate", "카라멜": "caramel", "캐러멜": "caramel", "아이스": "iced", "주스": "juice",
    "레몬": "lemon", "자몽": "grapefruit", "청포도": "green grape", "복숭아": "peach", "망고": "mango", "딸기": "strawberry",
    "블루베리": "blueberry", "바나나": "banana", "사과": "apple", "귤": "tangerine", "유자": "yuzu", "크림": "cream",
    "치즈": "cheese", "우유": "milk", "흑당": "brown sugar", "고구마": "sweet potato", "팥": "red bean",
    "샷": "espresso shot", "콜라": "cola",
    # bakery
    "빵": "bread", "식빵": "loaf bread", "크루아상": "croissant", "크로와상": "croissant", "바게트": "baguette",
    "소금빵": "salt butter roll", "베이글": "bagel", "케이크": "cake", "케익": "cake", "도넛": "donut", "스콘": "scone",
    "타르트": "tart", "쿠키": "cookies", "마들렌": "madeleine", "휘낭시에": "financier", "단팥빵": "red bean bun",
    "모닝빵": "dinner rolls", "파이": "pie", "베이커리": "bakery",
    "생크림": "whipped cream", "크림빵": "cream bun", "슈크림": "cream puff", "아이스크림": "ice cream",
    # restaurant
    "파스타": "pasta", "피자": "pizza", "치킨": "fried chicken", "후라이드": "fried chicken", "프라이드": "fried chicken",
    "양념치킨": "korean spicy fried chicken", "반반": "half and half fried chicken",
    "김밥": "gimbap rolls", "소주": "soju", "삼겹살": "grilled pork belly", "고기": "grilled meat",
    "갈비": "korean bbq ribs", "국밥": "korean soup with rice", "김치찌개": "kimchi stew", "김치": "kimchi",
    "떡볶이": "tteokbokki", "라멘": "ramen", "초밥": "sushi", "스시": "sushi", "햄버거": "hamburger", "버거": "burger",
    "수제": "handmade", "스테이크": "steak", "샐러드": "salad", "냉면": "cold noodles", "짜장면": "jajangmyeon",
    "짬뽕": "spicy seafood noodle soup", "돈까스": "pork cutlet", "칼국수": "knife-cut noodle soup", "족발": "braised pork trotters",
    "보쌈": "bossam boiled pork", "곱창": "grilled tripe", "맥주": "beer", "한식": "korean food", "양식": "western food",
    "중식": "chinese food", "일식": "japanese food", "도시락": "lunch box", "국수": "noodles", "해산물": "seafood",
    "순대": "korean blood sausage", "순대국": "korean blood sausage soup",
    "순댓국": "korean blood sausage soup", "해장국": "korean hangover soup", "감자탕": "pork bone soup",
    "회": "sashimi", "음식": "food", "요리": "dish", "감자튀김": "french fries",
    "광어": "flatfish", "우럭": "rockfish",
    "연어": "salmon", "참치": "tuna", "모둠회": "assorted sashimi", "횟감": "fresh sashimi",
    # beauty
    "헤어": "hairstyle", "커트": "haircut", "컷트": "haircut", "펌": "permed hair", "파마": "permed hair",
    "염색": "dyed hair", "네일": "nail art", "젤네일": "gel nail art", "페디큐어": "pedicure", "피부": "skin care",
    "피부관리": "facial skin care", "마사지": "massage", "왁싱": "waxing", "메이크업": "makeup", "화장품": "cosmetics",
    "속눈썹": "eyelash extension", "두피": "scalp care", "미용실": "hair salon", "네일샵": "nail salon",
    "세럼": "serum bottle", "수분": "hydrating", "보습": "moisturizing", "스킨케어": "skincare products",
    "수분크림": "moisturizing cream jar",
    "아이크림": "eye cream jar", "핸드크림": "hand cream tube", "선크림": "sunscreen tube", "토너": "toner bottle",
    "앰플": "ampoule bottle", "에센스": "essence bottle", "로션": "lotion bottle", "립스틱": "lipstick", "립밤": "lip balm",
    "립글로스": "lip gloss", "틴트": "lip tint", "립": "lipstick", "쿠션": "cushion compact", "쿠션팩트": "cushion compact",
    "파운데이션": "foundation bottle", "마스크팩": "sheet mask", "클렌징": "cleansing foam", "클렌저": "cleanser",
    "향수": "perfume bottle", "코스메틱": "cosmetics", "제모": "hair removal treatment", "패키지": "package",
    # fitness
    "헬스": "gym workout", "헬스장": "gym", "요가": "yoga", "필라테스": "pilates", "운동": "workout",
    "다이어트": "healthy fitness", "크로스핏": "crossfit", "복싱": "boxing", "수영": "swimming", "클라이밍": "climbing",
    "PT": "personal training",
    # fashion
    "옷": "clothes", "의류": "apparel", "원피스": "dress", "니트": "knit sweater", "코트": "coat", "자켓": "jacket",
    "재킷": "jacket", "셔츠": "shirt", "티셔츠": "t-shirt", "청바지": "jeans", "바지": "pants", "스커트": "skirt",
    "신발": "shoes", "운동화": "sneakers", "가방": "bag", "액세서리": "accessories", "주얼리": "jewelry", "모자": "hat",
    # academy
    "학원": "classroom", "영어": "english study", "수학": "math study", "코딩": "coding class", "피아노": "piano",
    "미술": "art class", "책": "books", "공부": "studying", "특강": "special class", "클래스": "class",
    "원데이": "one-day workshop",
    # flower
    "꽃": "flowers", "꽃다발": "bouquet", "부케": "bouquet", "화분": "potted plant", "식물": "plants",
    "장미": "roses", "튤립": "tulips", "프리지아": "freesia", "카네이션": "carnations", "안개꽃": "baby's breath flowers",
    "작약": "peonies", "수국": "hydrangeas", "해바라기": "sunflowers", "화환": "flower wreath", "꽃바구니": "flower basket",
    "드라이플라워": "dried flowers",
    # pet
    "강아지": "puppy", "고양이": "cat", "댕댕이": "puppy", "냥이": "cat", "반려견": "dog", "반려묘": "cat",
    "반려동물": "pets", "애견": "dog", "사료": "pet food", "간식": "treats", "애견미용": "dog grooming",
    # real estate
    "아파트": "apartment", "원룸": "studio apartment", "투룸": "two-room apartment", "오피스텔": "officetel apartment",
    "상가": "storefront", "부동산": "real estate office", "인테리어": "interior",
    # other shops
    "안경": "eyeglasses", "렌즈": "eyeglass lenses", "패딩": "padded winter jacket", "세탁": "laundry",
}  # fmt: skip

# The scene each industry's photo is set in (after the subject, before the style). One phrase
# each, without commas: a refinement finds the scene and the composition by exact phrase.
INDUSTRY_SCENES: Final[dict[str, str]] = {
    "cafe": "cozy cafe interior with a wooden table",
    "bakery": "freshly baked pastries on a rustic bakery counter",
    "restaurant": "appetizing food on a restaurant table",
    "beauty": "elegant beauty salon interior",
    "fitness": "energetic modern gym interior",
    "fashion": "stylish clothing display in a fashion boutique",
    "academy": "tidy classroom with desks and books",
    "flower": "flower shop filled with fresh flowers",
    "pet": "cute happy pet in a pet-friendly interior",
    "realestate": "spacious modern apartment living room",
    "general": "welcoming small shop storefront",
}

# Photographic framings; a regenerated image picks a different one from the last.
COMPOSITIONS: Final = (
    "close-up product shot",
    "overhead flat lay",
    "eye-level shot with shallow depth of field",
    "wide centered shot",
    "three-quarter angle shot",
)

# Descriptors each style adds; a style change swaps one set for another.
STYLE_DESCRIPTORS: Final[dict[str, tuple[str, ...]]] = {
    "modern": ("modern", "clean lines", "sleek contemporary design"),
    "warm": ("warm tones", "soft golden light", "cozy mood"),
    "vivid": ("vivid colors", "high contrast", "vibrant"),
    "minimal": ("minimalist", "simple clean background", "negative space"),
    "premium": ("luxurious", "premium elegant mood", "dramatic lighting"),
    "natural": ("natural light", "earthy tones", "organic textures"),
    "bright": ("bright", "high-key lighting", "airy"),
}

# Extra lighting phrases a refinement can add (they do not change the style).
LIGHTING: Final[dict[str, tuple[str, ...]]] = {
    "dark": ("low-key lighting", "moody shadows"),
}

INTENT_SCENES: Final[dict[str, str]] = {
    "opening": "festive grand opening mood",
    "event": "celebratory sale mood",
    "new": "fresh new arrival highlight",
}

# Colour words → English. Checked longest first ("하늘색" before "하늘").
COLOURS: Final[dict[str, str]] = {
    "빨간": "red", "빨강": "red", "빨간색": "red", "레드": "red", "주황": "orange", "주황색": "orange", "오렌지": "orange",
    "노란": "yellow", "노랑": "yellow", "노란색": "yellow", "옐로우": "yellow", "초록": "green", "초록색": "green",
    "녹색": "green", "그린": "green", "파란": "blue", "파랑": "blue", "파란색": "blue", "블루": "blue", "하늘색": "sky blue",
    "남색": "navy", "네이비": "navy", "보라": "purple", "보라색": "purple", "퍼플": "purple", "분홍": "pink",
    "분홍색": "pink", "핑크": "pink", "하얀": "white", "흰색": "white", "화이트": "white", "검은": "black",
    "검정": "black", "검은색": "black", "블랙": "black", "회색": "gray", "그레이": "gray", "베이지": "beige",
    "갈색": "brown", "브라운": "brown", "민트": "mint green", "금색": "gold", "골드": "gold", "은색": "silver",
    "실버": "silver", "파스텔": "pastel",
}  # fmt: skip

QUALITY_TERMS: Final = ("professional advertising photography", "high detail", "sharp focus", "uncluttered background")

# The copy is laid on the image later, so any text the model paints would clash with it.
NEGATIVE_PROMPT: Final = (
    "text, letters, words, typography, caption, watermark, logo, signature, label, "
    "lowres, blurry, jpeg artifacts, noisy, deformed, distorted, disfigured, bad anatomy, extra fingers, "
    "cropped, out of frame, oversaturated, ugly, nsfw"
)
