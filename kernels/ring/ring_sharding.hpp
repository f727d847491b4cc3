#pragma once
// How the sequence is split among the GPUs of the ring, and what each GPU computes on each K|V block.
//
// contiguous: GPU r holds rows [r*n, (r+1)*n), n = N / P. With causal attention the work is
//   unbalanced: GPU r computes r + 1 of the P blocks (the last GPU P, the first one).
// zigzag (load-balanced causal): the sequence is cut into 2P chunks of c = N / (2P) rows and GPU r
//   holds chunks r and 2P-1-r, in that order (local rows [0, c) and [c, 2c)). Query chunk a sees key
//   chunk b fully when b < a, causally when b == a, not at all when b > a. For GPU r and the block
//   of GPU j (its chunks j and 2P-1-j) that gives, with chunk r < P <= 2P-1-r:
//     j == r: the local causal mask over 2c x 2c is exactly right (chunk r: its diagonal; chunk
//             2P-1-r: chunk r fully and its own diagonal; chunk r never sees chunk 2P-1-r);
//     j <  r: both query chunks see chunk j fully and chunk 2P-1-j (> 2P-1-r > r) not at all:
//             all 2c query rows x the block's first c rows, non-causal;
//     j >  r: chunk r sees neither (both > r); chunk 2P-1-r sees both (j < P and 2P-1-j < 2P-1-r):
//             the last c query rows x all 2c block rows, non-causal.
//   Every step after the first is c x 2c of scores on every GPU: balanced.
//
// The shards keep the ring's compact bhnd layout ([B, H, n, D], n = 2c): a query or key window is a
// row offset with the shard's strides, so the flash kernels take it as a view. Only the permutation
// between global and local rows (scatter and gather) and the windows of each step differ.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/problem.hpp"

namespace fa::ring {

enum class Sharding : std::uint8_t { contiguous, zigzag };
std::string_view to_string(Sharding s);
inline constexpr std::string_view kShardingNames = "zigzag, contiguous";

// FA_RING_SHARDING: nullopt when unset or empty (the default choice below), else zigzag or
// contiguous. Any other value throws std::invalid_argument naming the variable and the accepted values.
std::optional<Sharding> sharding_from_environment();

// The sharding a point runs with: the requested one when set; otherwise zigzag for causal points
// whose N is divisible by 2P, contiguous for the rest (non-causal gains nothing from zigzag; a causal
// N that 2P does not divide but P does falls back to contiguous rather than being refused).
Sharding sharding_for(std::optional<Sharding> requested, const Problem& p, int ranks);

// Why a requested sharding cannot run the point (empty when it can): an explicit zigzag needs N
// divisible by 2P (explicitly asked for, it is not silently replaced by contiguous).
std::string sharding_unsupported_reason(std::optional<Sharding> requested, const Problem& p, int ranks);

// One run of consecutive rows of a shard: local rows [local_first, local_first + rows) of the shard
// are global rows [global_first, global_first + rows) of the sequence.
struct RowRun {
  std::int64_t global_first = 0, local_first = 0, rows = 0;
};

// Rank r's shard (shard_rows = N / P rows) as runs of global rows: one run (contiguous) or two
// (zigzag: chunk r, then chunk 2P-1-r). Scatter and gather copy run by run.
std::vector<RowRun> shard_runs(Sharding s, int r, int ranks, std::int64_t shard_rows);

// One flash launch of a ring step: query rows [q_first, q_first + q_rows) of the rank's shard
// against rows [k_first, k_first + k_rows) of the K|V block it holds. causal: the (square) local
// causal mask; otherwise every pair of the window is visible. any == false: nothing to compute.
struct BlockWork {
  bool any = false;
  bool causal = false;
  std::int64_t q_first = 0, q_rows = 0, k_first = 0, k_rows = 0;
};

// What rank r computes on the K|V block of rank j (see the derivation at the top of this file).
BlockWork block_work(Sharding s, bool causal, int r, int j, std::int64_t shard_rows);

// Whether some step launches on a window of the query shard that is not all of it (zigzag, causal,
// P > 1: the upper half). The backward then needs that window's lse rows compact (flash reads lse
// as [B, H, rows] contiguous), which is one extra buffer (ring_geometry.hpp).
bool has_partial_query_windows(Sharding s, bool causal, int ranks);

}  // namespace fa::ring
