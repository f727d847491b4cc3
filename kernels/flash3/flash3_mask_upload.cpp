// flash3_mask_upload.hpp: download the mask, build its lists, upload them as one int buffer
// [fwd offsets | fwd entries | bwd offsets | bwd entries].
#include "kernels/flash3/flash3_mask_upload.hpp"

#include <cuda_runtime_api.h>

#include <vector>

#include "core/block_mask.hpp"
#include "core/cuda_check.hpp"
#include "kernels/flash3/flash3_block_lists.hpp"
#include "kernels/flash3/flash3_tiles.hpp"

namespace fa::flash3 {
namespace {

std::size_t ceil_div(std::int64_t a, std::int64_t b) { return static_cast<std::size_t>((a + b - 1) / b); }

BlockMask download_mask(const Problem& p, const Operands& ops, cudaStream_t stream) {
  BlockMask m;
  m.heads = ops.mask_heads;
  m.blocks_q = ops.mask_blocks_q;
  m.blocks_k = ops.mask_blocks_k;
  m.block_q = p.sparsity.block_q;
  m.block_k = p.sparsity.block_k;
  m.bits.resize(static_cast<std::size_t>(m.heads * m.blocks_q * m.blocks_k));
  FA_CUDA_CHECK(cudaMemcpyAsync(m.bits.data(), ops.block_mask, m.bits.size(), cudaMemcpyDeviceToHost, stream));
  FA_CUDA_CHECK(cudaStreamSynchronize(stream));
  return m;
}

}  // namespace

std::size_t block_lists_bytes_bound(const Problem& p, Pass pass) {
  if (p.sparsity.is_dense()) return 0;
  const int d = static_cast<int>(p.head_dim);
  const Fwd3Tile f = fwd3_tile(d);
  const Bwd3Tile b = bwd3_tile(d);
  if (f.bn == 0) return 0;
  const std::size_t h = static_cast<std::size_t>(p.heads);
  const std::size_t fm = ceil_div(p.seqlen_q, f.bm()), fn = ceil_div(p.seqlen_kv, f.bn);
  std::size_t ints = h * fm * (fn + 1) + 1;
  if (pass != Pass::fwd && b.bm > 0) {
    const std::size_t bm = ceil_div(p.seqlen_q, b.bm), bn = ceil_div(p.seqlen_kv, b.bn);
    ints += h * bn * (bm + 1) + 1;
  }
  return ints * sizeof(int);
}

Buffer upload_block_lists(const Problem& p, Pass pass, const Operands& ops, const ExecContext& ctx, Flash3Params& f) {
  if (ops.block_mask == nullptr) return {};
  const auto stream = static_cast<cudaStream_t>(ctx.stream);
  const BlockMask mask = download_mask(p, ops, stream);
  const Flash3BlockLists lists = flash3_block_lists(
      mask, {.seqlen_q = p.seqlen_q, .seqlen_kv = p.seqlen_kv, .head_dim = static_cast<int>(p.head_dim),
             .causal = p.causal, .backward = pass != Pass::fwd});
  std::vector<int> all;
  for (const BlockList* l : {&lists.fwd, &lists.bwd}) {
    all.insert(all.end(), l->offsets.begin(), l->offsets.end());
    all.insert(all.end(), l->entries.begin(), l->entries.end());
  }
  Buffer buf(*ctx.scratch, all.size() * sizeof(int), "flash3: block-mask lists");
  FA_CUDA_CHECK(cudaMemcpyAsync(buf.get(), all.data(), all.size() * sizeof(int), cudaMemcpyHostToDevice, stream));
  FA_CUDA_CHECK(cudaStreamSynchronize(stream));  // `all` is freed on return
  const int* at = buf.as<int>();
  f.mask_heads = static_cast<int>(mask.heads);
  f.mask_kv_offsets = at;
  f.mask_kv_blocks = at + lists.fwd.offsets.size();
  at += lists.fwd.offsets.size() + lists.fwd.entries.size();
  if (pass != Pass::fwd) {
    f.mask_q_offsets = at;
    f.mask_q_blocks = at + lists.bwd.offsets.size();
  }
  return buf;
}

}  // namespace fa::flash3
