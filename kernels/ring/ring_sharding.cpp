// Sharding of the ring (ring_sharding.hpp): the choice, the row permutation and the per-step windows.
#include "kernels/ring/ring_sharding.hpp"

#include "kernels/ring/ring_env.hpp"

namespace fa::ring {

std::string_view to_string(Sharding s) { return s == Sharding::zigzag ? "zigzag" : "contiguous"; }

std::optional<Sharding> sharding_from_environment() {
  return choice_from_environment<Sharding>("FA_RING_SHARDING",
                                           {{"zigzag", Sharding::zigzag}, {"contiguous", Sharding::contiguous}},
                                           kShardingNames, "zigzag for causal, contiguous otherwise");
}

namespace {
bool zigzag_fits(const Problem& p, int ranks) { return p.seqlen_q % (2 * static_cast<std::int64_t>(ranks)) == 0; }
}  // namespace

Sharding sharding_for(std::optional<Sharding> requested, const Problem& p, int ranks) {
  if (requested) return *requested;
  return p.causal && zigzag_fits(p, ranks) ? Sharding::zigzag : Sharding::contiguous;
}

std::string sharding_unsupported_reason(std::optional<Sharding> requested, const Problem& p, int ranks) {
  if (requested == Sharding::zigzag && !zigzag_fits(p, ranks)) {
    return "ring: FA_RING_SHARDING=zigzag needs the sequence length (" + std::to_string(p.seqlen_q) +
           ") divisible by 2 x " + std::to_string(ranks) + " GPUs (unset it to fall back to contiguous shards)";
  }
  return "";
}

std::vector<RowRun> shard_runs(Sharding s, int r, int ranks, std::int64_t shard_rows) {
  if (s == Sharding::contiguous) return {{r * shard_rows, 0, shard_rows}};
  const std::int64_t c = shard_rows / 2;
  return {{r * c, 0, c}, {(2 * static_cast<std::int64_t>(ranks) - 1 - r) * c, c, c}};
}

BlockWork block_work(Sharding s, bool causal, int r, int j, std::int64_t n) {
  const BlockWork all{true, false, 0, n, 0, n};
  if (!causal) return all;  // every block fully, whatever the row permutation
  if (j == r) return {true, true, 0, n, 0, n};  // the diagonal: the local causal mask, both shardings
  if (s == Sharding::contiguous) return j < r ? all : BlockWork{};  // later blocks are future rows
  const std::int64_t c = n / 2;
  if (j < r) return {true, false, 0, n, 0, c};  // both query chunks x kv chunk j
  return {true, false, c, c, 0, n};              // query chunk 2P-1-r x both kv chunks
}

bool has_partial_query_windows(Sharding s, bool causal, int ranks) {
  return s == Sharding::zigzag && causal && ranks > 1;
}

}  // namespace fa::ring
