#!/usr/bin/env bash
# The cudnn family's fidelity check: fa-bench's cuDNN forward against PyTorch's cuDNN backend on the
# FlashAttention-benchmark grid (bf16, B x N = 16k tokens, H x D = 2048, N = 8192, D = 64 and 128,
# causal and not), on the GPU machine, where python3 has PyTorch (a one-off comparison: fa-bench does
# not depend on PyTorch).
#   docs/perf/scripts/cudnn-yardstick.sh BUILD_DIR OUT_DIR
# fa-bench runs twice: with the system cuDNN, and with the cuDNN that PyTorch bundles (LD_LIBRARY_PATH),
# so the two sides run the same library: cuDNN versions pick different engines (seen on an H200: D=64
# runs knob_32_64x256x64 under 9.14 and knob_7_64x128x64 under 9.19, 12% apart). PyTorch runs with
# fa-bench's timing protocol, with it on a CUDA graph of the call (no per-call host work), and with
# triton's do_bench. The kernels each side launches are listed (ncu for fa-bench, torch.profiler for
# PyTorch), so a time difference can be told apart from an engine difference.
set -uo pipefail
build=${1:?build dir}
out=${2:?out dir}
mkdir -p "$out"
bench=$build/cli/fa-bench
here=$(cd "$(dirname "$0")" && pwd)
grid=(--kernel cudnn --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --causal both --dtype bf16
      --pass fwd --no-counters)

python3 -c "import torch; print('torch', torch.__version__, 'cuDNN', torch.backends.cudnn.version())" | tee "$out/torch-version.txt"
torch_cudnn=$(python3 -c "import nvidia.cudnn as c, os; print(os.path.join(list(c.__path__)[0], 'lib'))" 2>/dev/null)
echo "PyTorch's cuDNN: ${torch_cudnn:-not found}" | tee -a "$out/torch-version.txt"

fa_run() {  # name, then environment assignments for fa-bench
  local name=$1; shift
  env "$@" "$bench" run "${grid[@]}" --out "$out/$name" >"$out/$name.log" 2>&1
  echo "== fa-bench $name ($*): rc=$?"
  grep -E '^\[' "$out/$name.log"
  python3 -c "import json,sys; print('cuDNN loaded:', json.load(open(sys.argv[1]))['metadata'].get('cudnn_version'))" \
    "$out/$name/results.json" 2>&1
}
fa_run fa-system
if [[ -n $torch_cudnn ]]; then
  fa_run fa-torchlib "LD_LIBRARY_PATH=$torch_cudnn:${LD_LIBRARY_PATH:-}"
fi

echo "== PyTorch, fa-bench protocol (kernels listed)"
python3 "$here/torch_sdpa_reference.py" --protocol fa-bench --modes fwd_lse --kernels 2>&1 | tee "$out/torch-fa-bench.txt"
echo "== PyTorch, fa-bench protocol on a CUDA graph of the call"
python3 "$here/torch_sdpa_reference.py" --protocol fa-bench-graph --modes fwd_lse 2>&1 | tee "$out/torch-fa-bench-graph.txt"
echo "== PyTorch, do_bench"
python3 "$here/torch_sdpa_reference.py" --protocol do_bench --modes fwd_lse 2>&1 | tee "$out/torch-do_bench.txt"

echo "== kernels fa-bench launches (ncu, one invocation per point)"
for lib in system ${torch_cudnn:+torchlib}; do
  lp=${LD_LIBRARY_PATH:-}
  [[ $lib == torchlib ]] && lp=$torch_cudnn:$lp
  for d in 64 128; do
    LD_LIBRARY_PATH=$lp ncu --clock-control none --profile-from-start off --metrics gpu__time_duration.sum \
      --csv "$bench" profile --kernel cudnn --batch 2 --heads $((2048 / d)) --seqlen 8192 --head-dim $d \
      --dtype bf16 >"$out/ncu-$lib-d$d.csv" 2>&1
    echo "$lib D=$d: $(awk -F'","' '/gpu__time_duration/ {print $5 " " $NF}' "$out/ncu-$lib-d$d.csv" | tr -d '"' | tr '\n' ';')"
  done
done
