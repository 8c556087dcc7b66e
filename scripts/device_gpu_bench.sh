#!/usr/bin/env bash
# The GPU benchmark on the lent device machine, in one command (see docs/performance.md).
#
#   device run:  command="bash scripts/device_gpu_bench.sh"  carry=[".whl"]  timeout_s=600
#
# The machine's image has CUDA torch 2.11, transformers 5.17, huggingface_hub 1.33, numpy, Pillow, but no
# diffusers and no network: diffusers 0.42.1 travels as a wheel in .whl/ (ignored by git; make it with
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 -d .whl diffusers==0.42.1 ).
# Results: $OUT/gpu_bench.jsonl (one JSON line per configuration, written as each finishes), the full log in
# $OUT/gpu_bench.log, the machine in $OUT/env.txt; a short table at the end of stdout.
#
# Knobs (environment): BENCH_BUDGET_S (default 440: configurations that would end later are skipped),
# BENCH_HARD_TIMEOUT_S (default budget + 80: the process is interrupted then, the lines so far stay),
# BENCH_ONLY (configurations in order; default: the benchmark's priority order with cold_start moved up to right
# after project_compiled, whose on-disk cache it reuses - it is a target, and last it would fall off the budget),
# BENCH_ARGS (extra arguments, e.g. "--compile-mode max-autotune-no-cudagraphs" or "--no-cuda-graphs").
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-/tmp/adgen-gpu-bench}
mkdir -p "$OUT"
BUDGET=${BENCH_BUDGET_S:-440}
HARD=${BENCH_HARD_TIMEOUT_S:-$((BUDGET + 80))}
ONLY=${BENCH_ONLY:-vanilla,vanilla_batch4,project_compiled,cold_start,controlnet_vanilla,controlnet_project_compiled,deepcache2}
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1

{
    date -u
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv 2>&1
    "$PY" -c "import sys, torch; print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda)" 2>&1
} | tee "$OUT/env.txt"

if ! "$PY" -c "import diffusers, sys; sys.exit(diffusers.__version__ != '0.42.1')" 2>/dev/null; then
    if ! ls .whl/diffusers-*.whl >/dev/null 2>&1; then
        echo "diffusers 0.42.1 is not installed and .whl/ was not carried (carry=[\".whl\"])" | tee -a "$OUT/env.txt"
        exit 3
    fi
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 4
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
"$PY" -c "import diffusers, transformers, huggingface_hub; print('diffusers', diffusers.__version__, 'transformers', transformers.__version__, 'hf_hub', huggingface_hub.__version__)" 2>&1 | tee -a "$OUT/env.txt"

# shellcheck disable=SC2086  # BENCH_ARGS is a list of arguments
timeout -s INT -k 20 "$HARD" "$PY" benchmarks/gpu_bench.py --device cuda --time-budget-s "$BUDGET" --only "$ONLY" \
    --out "$OUT/gpu_bench.jsonl" ${BENCH_ARGS:-} 2>"$OUT/gpu_bench.log" | cut -c1-300
rc=${PIPESTATUS[0]}
echo "gpu_bench exit code $rc (124/130 = hard timeout)"
tail -n 5 "$OUT/gpu_bench.log"

[ -s "$OUT/gpu_bench.jsonl" ] && "$PY" - "$OUT/gpu_bench.jsonl" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()] if len(sys.argv) > 1 else []
print(f"\n{'name':28s} {'status':7s} {'median':>7s} {'min':>7s} {'first':>7s} {'xvan':>6s} {'peakGiB':>7s} {'maxd':>5s} {'meand':>7s}  extra")
for r in rows:
    if r.get("status") == "info":
        continue
    extra = {k: r[k] for k in ("ratio_vs_plain", "ratio_vs_project_plain", "ratio_vs_single", "speedup_vs_exact_same_mode",
                               "compiled", "ready_after_s", "first_image_s", "reason", "error") if k in r}
    f = lambda k, w, p: f"{r[k]:{w}.{p}f}" if isinstance(r.get(k), (int, float)) else "-".rjust(w)  # noqa: E731
    print(f"{r['name']:28s} {r.get('status', ''):7s} {f('warm_median_s', 7, 3)} {f('warm_min_s', 7, 3)} {f('first_call_s', 7, 1)} "
          f"{f('speedup_vs_vanilla', 6, 2)} {f('peak_mem_gib', 7, 2)} {f('max_abs_diff', 5, 0)} {f('mean_abs_diff', 7, 3)}  "
          f"{json.dumps(extra)[:160]}")
EOF
exit "$rc"
