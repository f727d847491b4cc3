// The split-K/V decision of flash_decode_plan.hpp.
#include "kernels/flash/flash_decode_plan.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace fa::flash {

DecodeShape decode_shape(const Problem& p, bool block_mask_family) {
  DecodeShape s;
  s.batch = p.batch;
  s.kv_heads = p.num_kv_heads();
  s.kv_group = p.kv_group();
  s.seqlen_q = p.seqlen_q;
  s.seqlen_kv = p.seqlen_kv;
  s.head_dim = p.head_dim;
  s.dtype = p.dtype;
  s.dropout = p.dropout > 0;
  s.block_mask = block_mask_family;
  s.varlen = p.is_varlen();
  return s;
}

namespace {

const char* split_refusal(const DecodeShape& s) {
  if (s.rows() > kDecodeMaxRows) return "more than 64 query rows per K/V head";
  if (s.head_dim != 64 && s.head_dim != 128) return "head dim not 64 or 128";
  if (s.dtype != DType::fp16 && s.dtype != DType::bf16) return "not fp16/bf16";
  if (s.dropout) return "dropout";
  if (s.block_mask) return "block mask";
  if (s.varlen) return "variable-length batch";
  if (s.batch < 1 || s.kv_heads < 1 || s.seqlen_q < 1 || s.seqlen_kv < 1) return "empty shape";
  return "";
}

// Fraction of the last wave's slots that hold work, over all waves: ctas / (ceil(waves) * slots).
double wave_efficiency(std::int64_t ctas, std::int64_t slots) {
  const double waves = static_cast<double>(ctas) / static_cast<double>(slots);
  return waves / std::ceil(waves);
}

}  // namespace

DecodePlan plan_decode(const DecodeShape& s, const DecodeDevice& dev) {
  DecodePlan plan;
  plan.rows = static_cast<int>(std::min<std::int64_t>(s.rows(), 1 << 30));
  if (const char* why = split_refusal(s); why[0] != '\0') {
    plan.why_not = why;
    return plan;
  }
  plan.split = true;
  plan.row_tiles = plan.rows <= 16 ? 1 : plan.rows <= 32 ? 2 : 4;
  plan.kv_tiles = static_cast<int>((s.seqlen_kv + kDecodeBc - 1) / kDecodeBc);
  const int smem = decode_smem_bytes(static_cast<int>(s.head_dim), plan.row_tiles);
  plan.ctas_per_sm = std::max(1, dev.smem_per_sm / (smem + 1024));  // 1 KB per CTA reserved by the driver
  const std::int64_t heads = s.batch * s.kv_heads;
  const std::int64_t slots = static_cast<std::int64_t>(std::max(1, dev.sm_count)) * plan.ctas_per_sm;

  // Every distinct chunk count (c chunks of ceil(tiles / c) tiles, none empty) with its efficiency;
  // the fewest within 90 % of the best.
  std::vector<std::pair<int, double>> counts;
  double best = 0;
  for (int c = 1; c <= std::min(plan.kv_tiles, kDecodeMaxChunks); ++c) {
    const int per = (plan.kv_tiles + c - 1) / c;
    if ((plan.kv_tiles + per - 1) / per != c) continue;  // the same split as a smaller count
    counts.emplace_back(c, wave_efficiency(heads * c, slots));
    best = std::max(best, counts.back().second);
  }
  int chosen = 1;
  for (const auto& [c, eff] : counts) {
    if (eff >= 0.9 * best) {
      chosen = c;
      break;
    }
  }
  plan.tiles_per_chunk = (plan.kv_tiles + chosen - 1) / chosen;
  plan.chunks = (plan.kv_tiles + plan.tiles_per_chunk - 1) / plan.tiles_per_chunk;
  plan.ctas = heads * plan.chunks;
  return plan;
}

std::size_t decode_workspace_bytes(const DecodeShape& s, const DecodePlan& plan) {
  if (!plan.split || plan.chunks <= 1) return 0;
  const auto per_row = static_cast<std::size_t>(s.head_dim + 1) * sizeof(float);  // O row + lse
  return static_cast<std::size_t>(s.batch * s.kv_heads) * static_cast<std::size_t>(plan.chunks) *
         static_cast<std::size_t>(plan.rows) * per_row;
}

std::string decode_note(const DecodeShape& s, const DecodePlan& plan) {
  if (!plan.split) {
    if (s.rows() > kDecodeMaxRows) return "";
    return "flash: normal path, not split-K/V decode (" + plan.why_not + ")";
  }
  const std::int64_t keys = std::min<std::int64_t>(s.seqlen_kv, static_cast<std::int64_t>(plan.tiles_per_chunk) * kDecodeBc);
  return "flash: split-K/V decode, " + std::to_string(plan.rows) + " rows per K/V head (Nq " +
         std::to_string(s.seqlen_q) + " x group " + std::to_string(s.kv_group) + "), " + std::to_string(plan.chunks) +
         (plan.chunks == 1 ? " chunk" : " chunks") + " of " + std::to_string(keys) + " keys, " +
         std::to_string(plan.ctas) + " CTAs (" + std::to_string(plan.ctas_per_sm) + " per SM)";
}

}  // namespace fa::flash
