#!/usr/bin/env bash
# The six example ads in docs/examples/: each ratio, with and without a product photo,
# made with the CLI on the offline backends (local copywriter, template renderer).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
OUT=docs/examples
mkdir -p "$OUT/inputs"
$PY scripts/example_photos.py "$OUT/inputs"
$PY -m adgen generate "카페 신메뉴 딸기라떼 출시, 이번 주 20% 할인" --ratio 1:1 --seed 11 --image-backend template --copy-backend local --out "$OUT/cafe-1x1.png"
$PY -m adgen generate "카페 신메뉴 딸기라떼 출시" --ratio 1:1 --seed 12 --photo "$OUT/inputs/latte.png" --image-backend template --copy-backend local --out "$OUT/cafe-photo-1x1.png"
$PY -m adgen generate "헬스장 신규 오픈 PT 30% 할인 이벤트" --ratio 4:3 --seed 13 --image-backend template --copy-backend local --out "$OUT/fitness-4x3.png"
$PY -m adgen generate "수분 세럼 신제품 출시 기념 1+1" --ratio 4:3 --seed 14 --photo "$OUT/inputs/serum.png" --image-backend template --copy-backend local --out "$OUT/beauty-photo-4x3.png"
$PY -m adgen generate "동네 빵집 주말 소금빵 한정 판매" --ratio 3:4 --seed 15 --image-backend template --copy-backend local --out "$OUT/bakery-3x4.png"
$PY -m adgen generate "꽃집 어버이날 카네이션 꽃다발 예약 할인" --ratio 3:4 --seed 16 --photo "$OUT/inputs/bouquet.png" --image-backend template --copy-backend local --out "$OUT/flower-photo-3x4.png"
