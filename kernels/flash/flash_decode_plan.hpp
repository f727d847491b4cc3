#pragma once
// When the flash forward runs as a split-K/V decode (Flash-Decoding) and with how many K/V chunks:
// plain C++, so the kernel's host glue, the family's IO model and the CPU tests share one decision.
//
// The split path (flash_decode*.cu) packs every query row of one K/V head (the Nq rows of each of
// the group's query heads) into one tile of at most kDecodeMaxRows rows, and one CTA walks a chunk
// of that K/V head's keys; a combine kernel merges the chunks' partial O by their logsumexp.
//
// Why at most 64 rows: the tile is 4 warps x one m16 MMA tile (warps split keys when rows are
// fewer). A 64-row tile does 2 * 2 * 64 FLOP per K/V element pair of 2 x 2 bytes = 64 FLOP per
// byte of K/V: half the mma.sync ridge of an H100/H200 (about 600 TFLOP/s / 4.8 TB/s = 125), so
// the loop stays memory-bound with room for the softmax. Beyond 64 rows per K/V head the normal
// path's 128-row tiles are as good (its waste is the unused rows of a tile, at most half from
// 65 rows on) and its grid of B x H x query tiles starts to fill the GPU on its own.
#include <cstdint>
#include <string>

#include "core/problem.hpp"

namespace fa::flash {

inline constexpr int kDecodeMaxRows = 64;   // query rows per K/V head packed into one tile
inline constexpr int kDecodeBc = 64;        // keys per K/V tile
inline constexpr int kDecodeStages = 3;     // K/V tiles in flight: the one computed and two loading
inline constexpr int kDecodeMaxChunks = 256;

// The point as the decision sees it.
struct DecodeShape {
  std::int64_t batch = 1, kv_heads = 1, kv_group = 1, seqlen_q = 1, seqlen_kv = 1, head_dim = 64;
  DType dtype = DType::fp16;
  bool dropout = false, block_mask = false;
  bool varlen = false;  // a packed variable-length batch: the split kernel reads fixed-length tensors
  std::int64_t rows() const { return seqlen_q * kv_group; }  // query rows per K/V head
};
// block_mask_family: the kernels are driven by a block mask (the block_sparse family), which the
// split path does not take, whatever the point's pattern.
DecodeShape decode_shape(const Problem& p, bool block_mask_family);

// What the device offers the split kernel (the IO model's defaults: an H100/H200).
struct DecodeDevice {
  int sm_count = 132;
  int smem_per_sm = 228 * 1024;  // shared memory per SM, bytes (cudaDevAttrMaxSharedMemoryPerMultiprocessor)
};

struct DecodePlan {
  bool split = false;
  std::string why_not;   // the rule that kept the normal path (empty when split)
  int rows = 0;          // query rows per K/V head
  int row_tiles = 0;     // m16 MMA tiles of those rows (1, 2 or 4)
  int kv_tiles = 0;      // K/V tiles of kDecodeBc keys
  int chunks = 1;        // K/V chunks per K/V head (1: no combine, O written directly)
  int tiles_per_chunk = 0;
  int ctas_per_sm = 0;   // resident split CTAs per SM (shared memory)
  std::int64_t ctas = 0; // CTAs of the split kernel
};

// Shared memory of one split CTA: the Q tile and kDecodeStages K and V tiles.
constexpr int decode_smem_bytes(int head_dim, int row_tiles) {
  return (row_tiles * 16 + 2 * kDecodeStages * kDecodeBc) * head_dim * 2;
}

// The decision. Chunks: the fewest (each at least one K/V tile) whose CTAs fill the device's
// resident slots (SMs x CTAs per SM) in waves at least 90 % as evenly as the best count up to
// kDecodeMaxChunks: a memory-bound kernel's time is its number of waves, and fewer chunks mean less
// partial-O traffic and a cheaper combine.
DecodePlan plan_decode(const DecodeShape& s, const DecodeDevice& dev);

// Scratch of a split plan: fp32 partial O [B*Hkv, chunks, rows, D] and lse [B*Hkv, chunks, rows];
// 0 with one chunk (the split kernel then writes O and lse itself).
std::size_t decode_workspace_bytes(const DecodeShape& s, const DecodePlan& plan);

// For the row note: "split-K/V decode: 4 rows per K/V head (Nq 1 x group 4), 4 chunks of 8192
// keys, 256 CTAs (2 per SM)"; the reason when a point with few query rows keeps the normal path;
// empty for points that are not decode-like (more than kDecodeMaxRows rows per K/V head).
std::string decode_note(const DecodeShape& s, const DecodePlan& plan);

}  // namespace fa::flash
