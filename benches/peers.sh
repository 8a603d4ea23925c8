#!/usr/bin/env bash
# Training speed of the california_housing example against its peers, in one sitting.
#
# Runs, one after the other on the same machine:
#   (a) the example's speed mode (`--fixed-epochs`, Adam, one run) on 8-64-64-1 at batch 32
#       and 128 and on 8-1024-256-64-16-1 at batch 128;
#   (b) the JAX/optax peer (whole epoch compiled by XLA) and the PyTorch eager peer
#       (../shared/peers) with the same sizes, batch and learning rate;
#   (c) one Adam step at 1e7 parameters: `cargo bench --bench bandwidth` (which also
#       measures the memory bandwidth with a STREAM-like triad; `step` with its own scan
#       for non-finite gradients, `step_store` on gradients that `set_grads` tested as it
#       wrote them (a training loop's step), and `step` with the scan off, as torch does not
#       check) against
#       benches/peers_optim_step.py (torch fused Adam; timed on its allocator's default
#       pages and with THP_MEM_ALLOC_ENABLE=1, on huge pages as ours are), on 1 thread
#       and on all cores.
# and prints a Markdown table of steps per second and the ratios. Absolute speeds drift
# between sittings on a shared machine; the ratios are the result. Run it many times and
# summarize the sittings with benches/peers_summary.py (medians of the ratios, ranges, how
# often each goal was met), as the README's table was.
#
# Usage: benches/peers.sh            (from the repository root)
# Environment:
#   PEERS_PYTHON  python with jax, optax, torch, numpy (default: /work/peers-venv/bin/python,
#                 else python3). Without it only the project's own numbers are printed.
#                 To install the peers: python3 -m venv peers-venv &&
#                 peers-venv/bin/pip install jax optax numpy torch
#   PEERS_DIR     the peer scripts (default: ../shared/peers next to the repository)
#   CAADAM_DATA_HOME  directory holding cal_housing.data (default: ../shared/data if present)
#   EPOCHS_SMALL, EPOCHS_LARGE, TORCH_EPOCHS  epochs per measurement (defaults 20, 3, 1)
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
PY=${PEERS_PYTHON:-}
if [ -z "$PY" ]; then
  if [ -x /work/peers-venv/bin/python ]; then PY=/work/peers-venv/bin/python; else PY=python3; fi
fi
if [ -z "${CAADAM_DATA_HOME:-}" ] && [ -f "$ROOT/../shared/data/cal_housing.data" ]; then
  export CAADAM_DATA_HOME="$ROOT/../shared/data"
fi
DATA=${CAADAM_DATA_HOME:-}/cal_housing.data
EPOCHS_SMALL=${EPOCHS_SMALL:-20}
EPOCHS_LARGE=${EPOCHS_LARGE:-3}
TORCH_EPOCHS=${TORCH_EPOCHS:-1}
LOG=$(mktemp -t peers.XXXXXX)
trap 'rm -f "$LOG"' EXIT

have_peers=1
if ! "$PY" -c 'import jax, optax, numpy' >/dev/null 2>&1; then
  have_peers=0
  echo "note: no python with jax+optax+numpy at '$PY'; peers skipped." >&2
  echo "      install: python3 -m venv peers-venv && peers-venv/bin/pip install jax optax numpy torch" >&2
  echo "      then: PEERS_PYTHON=peers-venv/bin/python benches/peers.sh" >&2
fi
have_torch=$have_peers
if [ $have_peers = 1 ] && ! "$PY" -c 'import torch' >/dev/null 2>&1; then
  have_torch=0
  echo "note: torch missing at '$PY' (pip install torch); torch peer skipped." >&2
fi
if [ ! -f "$DATA" ]; then
  echo "note: $DATA not found; the peers need it (set CAADAM_DATA_HOME). Peers skipped." >&2
  have_peers=0; have_torch=0
fi

echo "building the example (release)..." >&2
if ! cargo build --release --quiet --example california_housing 2>"$LOG"; then
  echo "error: the example does not build:" >&2; cat "$LOG" >&2; exit 1
fi

# value of `key=` in a peer's output line
field() { sed -n "s/.*$1=\([0-9.e+-]*\).*/\1/p" | head -1; }

# steps/s of the example: the `steps/s` column of the adam row of its summary table
ours() { # hidden batch epochs
  local out
  out=$(cargo run --release --quiet --example california_housing -- --fixed-epochs "$3" \
        --hidden "$1" --batch-size "$2" --optimizers adam --runs 1 --out "${TMPDIR:-/tmp}/peers-ch" 2>>"$LOG")
  echo "$out" | awk -F'|' '
    /steps\/s/ { for (i = 1; i <= NF; i++) if ($i ~ /steps\/s/) col = i; next }
    col && tolower($2) ~ /adam/ { v = $col; gsub(/ /, "", v); print v; exit }'
}

jax() { # hidden batch epochs
  [ $have_peers = 1 ] || return 0
  (cd "$PEERS_DIR" && "$PY" jax_housing.py --data "$DATA" --hidden "$1" --batch "$2" \
     --epochs "$3" 2>>"$LOG") | field steps_per_s
}

torch_() { # hidden batch epochs threads
  [ $have_torch = 1 ] || return 0
  (cd "$PEERS_DIR" && "$PY" torch_housing.py --data "$DATA" --hidden "$1" --batch "$2" \
     --epochs "$3" --threads "$4" 2>>"$LOG") | field steps_per_s
}

ratio() { # a b -> a/b with 2 decimals, or - if either is missing
  if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else echo "-"; fi
}

echo "| model | batch | caadam steps/s | JAX steps/s | torch steps/s (default threads / 1 thread) | vs JAX | vs torch (best) |"
echo "|---|---|---|---|---|---|---|"
for spec in "64,64 32 $EPOCHS_SMALL" "64,64 128 $EPOCHS_SMALL" "1024,256,64,16 128 $EPOCHS_LARGE"; do
  set -- $spec
  hidden=$1; batch=$2; epochs=$3
  o=$(ours "$hidden" "$batch" "$epochs")
  j=$(jax "$hidden" "$batch" "$epochs")
  t=""; t1=""
  if [ "$hidden" = "64,64" ]; then
    t=$(torch_ "$hidden" "$batch" "$TORCH_EPOCHS" 0)
    t1=$(torch_ "$hidden" "$batch" "$TORCH_EPOCHS" 1)
  fi
  tbest=$(printf '%s\n%s\n' "$t" "$t1" | awk 'NF && $1 > m { m = $1 } END { if (m) print m }')
  echo "| 8-${hidden//,/-}-1 | $batch | ${o:--} | ${j:--} | ${t:--} / ${t1:--} | $(ratio "$o" "$j") | $(ratio "$o" "$tbest") |"
done

echo
echo "Optimizer step at 1e7 parameters: Adam here (cargo bench --bench bandwidth) against"
echo "torch.optim.Adam(fused=True) (benches/peers_optim_step.py), 1 thread and all cores:"
echo
bw=$(cargo bench --quiet --bench bandwidth 2>>"$LOG")
echo "$bw" | sed 's/^/    /'
echo
echo "torch's own allocator puts tensors on huge pages only with THP_MEM_ALLOC_ENABLE=1, and ours"
echo "does it for every large buffer (caadam_autograd::buffer), so torch is timed both ways."
echo
echo "Ratios are torch's time over ours, for our step (own scan) / step_store (checked while"
echo "set_grads wrote the gradients) / unchecked step (scan off)."
echo
echo "| threads | caadam step ms | step_store ms | unchecked ms | torch fused step ms | torch fused, huge pages, ms | ratio (step / step_store / unchecked) | same, torch on huge pages | step / best triad | step_store / best triad |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for th in 1 0; do
  # the bench's row for this thread count: 1, or the machine's core count
  if [ $th = 1 ]; then row=$(echo "$bw" | awk -F'|' '$2 ~ /^ *1 *$/'); else row=$(echo "$bw" | awk -F'|' '$2 ~ /^ *[0-9]+ *$/ && $2+0 > 1' | tail -1); fi
  ours_ms=$(echo "$row" | awk -F'|' '{gsub(/ /, "", $5); print $5}')
  share=$(echo "$row" | awk -F'|' '{gsub(/ /, "", $7); print $7}')
  unchecked_ms=$(echo "$row" | awk -F'|' '{gsub(/ /, "", $8); print $8}')
  store_ms=$(echo "$row" | awk -F'|' '{gsub(/ /, "", $12); print $12}')
  store_share=$(echo "$row" | awk -F'|' '{gsub(/ /, "", $13); print $13}')
  n=$(echo "$row" | awk -F'|' '{gsub(/ /, "", $2); print $2}')
  t=""; th_t=""
  if [ $have_torch = 1 ]; then
    t=$("$PY" "$ROOT/benches/peers_optim_step.py" --threads "${n:-1}" 2>>"$LOG" | field step_ms)
    th_t=$(THP_MEM_ALLOC_ENABLE=1 "$PY" "$ROOT/benches/peers_optim_step.py" --threads "${n:-1}" 2>>"$LOG" | field step_ms)
  fi
  echo "| ${n:--} | ${ours_ms:--} | ${store_ms:--} | ${unchecked_ms:--} | ${t:--} | ${th_t:--} | $(ratio "$t" "$ours_ms") / $(ratio "$t" "$store_ms") / $(ratio "$t" "$unchecked_ms") | $(ratio "$th_t" "$ours_ms") / $(ratio "$th_t" "$store_ms") / $(ratio "$th_t" "$unchecked_ms") | ${share:--} | ${store_share:--} |"
done
if [ -s "$LOG" ] && grep -qi 'error\|traceback' "$LOG"; then
  echo; echo "stderr of the runs:" >&2; cat "$LOG" >&2
fi
exit 0
