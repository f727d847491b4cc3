#pragma once
// One attention problem (the axes of a sweep point) and the pass to run on it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.hpp"

namespace fa {

enum class Pass : std::uint8_t { fwd, bwd, fwdbwd };
std::string_view to_string(Pass p);
std::optional<Pass> parse_pass(std::string_view s);
inline constexpr std::string_view kPassNames = "fwd, bwd, fwdbwd";

// Memory layout of Q, K, V, O and their gradients. Head dim is always contiguous.
enum class Layout : std::uint8_t { bhnd, bnhd };
std::string_view to_string(Layout l);
std::optional<Layout> parse_layout(std::string_view s);
inline constexpr std::string_view kLayoutNames = "bhnd, bnhd";

// Block-sparsity pattern. "dense" means no block mask at all.
struct Sparsity {
  std::string pattern = "dense";  // dense, causal-blocks, local, strided, random, butterfly
  double density = 1.0;           // target fraction of kept blocks (pattern-specific meaning)
  int block_q = 128;              // mask granularity in query rows
  int block_k = 128;              // mask granularity in key columns
  bool is_dense() const { return pattern == "dense"; }
  bool operator==(const Sparsity&) const = default;
};
inline constexpr std::string_view kSparsityNames = "dense, causal-blocks, local, strided, random, butterfly";
bool is_known_sparsity(std::string_view s);

struct Problem {
  std::int64_t batch = 1;
  std::int64_t heads = 1;  // query heads
  // K/V heads (grouped-query attention: query head h reads K/V head h / (heads / kv_heads); 1 is
  // multi-query). 0 means as many as the query heads, and is how that case is stored everywhere, so
  // points, keys and files of plain multi-head attention look as they did before the axis existed.
  std::int64_t kv_heads = 0;
  std::int64_t seqlen_q = 512;
  std::int64_t seqlen_kv = 512;
  std::int64_t head_dim = 64;
  DType dtype = DType::fp16;
  double dropout = 0.0;
  bool causal = false;
  double softmax_scale = 0.0;  // 0 means 1/sqrt(head_dim)
  std::uint64_t seed = 0x5eedULL;
  Layout layout = Layout::bhnd;
  Sparsity sparsity;
  // Variable-length (packed) batch, core/varlen.hpp: the distribution as given ("uniform:1024:8192",
  // "fixed-list:1,17") and the lengths it gave, one per sequence (`batch` of them). Self-attention per
  // sequence: sequence b has seqlens[b] query rows and as many keys; seqlen_q = seqlen_kv = the
  // longest. Q/K/V/O and their gradients are packed [total_tokens, H, D] (layout bnhd with batch and
  // sequence folded, no padding), sequence b at token rows [offset b, offset b+1) (seq_offsets()).
  // Both empty: every sequence has seqlen_q / seqlen_kv, as before the axis existed.
  std::string varlen;
  std::vector<std::int64_t> seqlens;

  double scale() const;
  bool is_varlen() const { return !seqlens.empty(); }
  std::int64_t num_kv_heads() const { return kv_heads > 0 ? kv_heads : heads; }
  // Query heads per K/V head (1 without grouping).
  std::int64_t kv_group() const { return num_kv_heads() > 0 ? heads / num_kv_heads() : 1; }
  bool grouped_kv() const { return num_kv_heads() != heads; }
  // K/V heads that divide the query heads (a hand-made or file-read problem may break it).
  bool kv_heads_divide() const { return kv_heads >= 0 && heads >= 1 && heads % num_kv_heads() == 0; }
  bool operator==(const Problem&) const = default;
};

// Element strides of a [B, H, N, D] tensor in the given layout (D contiguous).
struct Strides {
  std::int64_t b, h, n;
};
Strides strides_for(Layout layout, std::int64_t heads, std::int64_t seqlen, std::int64_t head_dim);

// The stored form of a K/V head count: 0 when it equals the query heads (Problem::kv_heads).
std::int64_t stored_kv_heads(std::int64_t heads, std::int64_t kv_heads);
// What is wrong with a K/V head count read from a file for `heads` query heads ("" when it is fine:
// a positive divisor of heads), for the readers' errors.
std::string kv_heads_problem(std::int64_t heads, std::int64_t kv_heads);

// Number of elements of Q/O (q) and K/V (kv; kv_heads heads).
std::int64_t q_elements(const Problem& p);
std::int64_t kv_elements(const Problem& p);
// Query (key) rows over the whole batch: batch x seqlen, or the sum of a varlen batch's lengths.
std::int64_t q_tokens(const Problem& p);
std::int64_t kv_tokens(const Problem& p);
// Varlen: the token offset of each sequence and the total, batch + 1 values starting at 0
// (FlashAttention's cu_seqlens).
std::vector<std::int64_t> seq_offsets(const Problem& p);
// Sequence b of a varlen problem alone: batch 1, seqlen_q = seqlen_kv = its length, no varlen.
Problem sequence_problem(const Problem& p, std::int64_t b);

// A sweep point: which kernel, which pass, which problem.
struct Point {
  std::string kernel;
  Pass pass = Pass::fwd;
  Problem problem;
  bool operator==(const Point&) const = default;
};

// Stable identity of a point, used to match rows across files (resume, compare):
// every axis that changes the measurement is in it.
std::string point_key(const Point& pt);
// Short human/NVTX label: "flash/fwd/B4-H16-N4096-D128-bf16-causal-p0.1" ("-H32-KV8-" with grouped
// K/V heads; "-Vu1024:8192-" in place of "-N4096-" with a varlen batch).
std::string point_label(const Point& pt);

}  // namespace fa
