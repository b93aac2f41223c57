#!/usr/bin/env bash
# One prepared GPU call: LM training speed, ours vs fastai (paper size, bs 256, bptt 80, fp16 and bf16), then a
# time-boxed IMDB run from packed tokens (tools/gpu_run.py). Everything measured goes to $OUT.
#   here:  python tools/pack_imdb_tokens.py --data ../shared/data/imdb.tgz; pip download --no-deps --only-binary=:all:
#          --python-version 3.12 -d .whl fastai fastcore fastprogress fasttransform fastdownload plum-dispatch beartype
#   there: bash tools/gpu_check.sh        (carry .devdata and .whl)
#   CI:    bash tools/gpu_check.sh --dry  (CPU, tiny sizes, the shipped sample)
set -eo pipefail
OUT=${OUT:-/tmp/gpu_check}; mkdir -p "$OUT"; export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ -d .whl ] && ! python3 -c 'import fastai' 2>/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl
  export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
if [ "${1:-}" = --dry ]; then
  TOK=/tmp/gpu_check_sample.npz; [ -f $TOK ] || python3 tools/pack_imdb_tokens.py --out $TOK
  B="--device cpu --sizes small --bs 4 --bptt 16 --steps 1 --warmup 1"
  R="--device cpu --tiny --bs 32 --bptt 16 --lm-minutes 0.05"; P=bfloat16; Q=bf16  # no fp16 LSTM on CPU
  # oneDNN's bf16 LSTM needs a CPU with bfloat16 instructions (lesson 12's rule): without them, the fp32 path
  python3 -c "from ulmfit_course.utils import cpu_bf16; assert cpu_bf16()" 2>/dev/null || { P=; Q=fp32; }
else
  TOK=.devdata/imdb_tokens.npz; B="--device cuda --sizes paper --bs 256 --bptt 80 --steps 20"; R="--lm-minutes 2.5"; P="float16 bfloat16"; Q=bf16
fi
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1 || true
for p in $P; do python3 tools/bench_model.py --fp16 --amp-dtype $p $B | tee "$OUT/bench_$p.md"; done
[ -n "$P" ] || python3 tools/bench_model.py $B | tee "$OUT/bench_fp32.md"
timeout 420 python3 tools/gpu_run.py --tokens $TOK --precision $Q $R --out "$OUT/run" 2>&1 | tee "$OUT/run.log"
