// The fused-kernel terms of flash_io.hpp; docs/io-model.md derives each one.
#include "kernels/flash/flash_io.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/block_mask.hpp"
#include "kernels/flash/flash_decode_plan.hpp"
#include "kernels/flash/flash_tiles.hpp"
#include "kernels/flash/tile_pairs.hpp"
#include "reference/masks.hpp"

namespace fa::flash {
namespace {

constexpr double kLseBytes = 4.0;  // lse, delta and friends are fp32 per query row

struct FusedSetup {
  FusedTiles tiles;
  const BlockMask* mask = nullptr;
  double concurrent_ctas = 132;
  bool dkv_accumulators = false;  // grouped K/V heads: dK/dV through fp32 accumulators (flash)
};

// K/V heads whose tiles the CTAs running at once read, given the query heads they span: the query
// heads of a group are consecutive, so they share their K/V head's tiles.
double live_kv_heads(const Problem& p, double live_query_heads) {
  if (!p.grouped_kv()) return live_query_heads;
  const double all = static_cast<double>(p.batch * p.num_kv_heads());
  return std::min(all, std::ceil(live_query_heads / static_cast<double>(p.kv_group())) + 1.0);
}

// The point's sizes both passes are written in.
struct Sizes {
  double eb, d, nq, nk;
  double q, kv;  // bytes of Q (O, dO, dQ) and of K (V, dK, dV)
  double o;      // bytes of O (fp8 inputs: a bf16 O)
  double rowf;   // one fp32 per query row (lse, delta)
  explicit Sizes(const Problem& p)
      : eb(static_cast<double>(dtype_bytes(p.dtype))),
        d(static_cast<double>(p.head_dim)),
        nq(static_cast<double>(p.seqlen_q)),
        nk(static_cast<double>(p.seqlen_kv)),
        q(static_cast<double>(q_elements(p)) * eb),
        kv(static_cast<double>(kv_elements(p)) * eb),
        o(static_cast<double>(q_elements(p) * output_bytes(p.dtype))),
        rowf(static_cast<double>(p.batch * p.heads) * nq * kLseBytes) {}
};

void forward(const Problem& p, const FusedSetup& s, IoLedger& L) {
  const Sizes z(p);
  const double eb = z.eb, d = z.d, nq = z.nq, nk = z.nk, q = z.q, kv = z.kv;
  const PairSums pairs = loaded_pairs(p, s.tiles.fwd.q, s.tiles.fwd.k, s.mask);
  const double kv_global = pairs.cols * d * eb;  // one K (or V) tile per loaded pair (per query head)
  const double q_tiles = std::ceil(nq / s.tiles.fwd.q);
  const double ws = live_kv_heads(p, live_heads(p, q_tiles, s.concurrent_ctas)) * 2.0 * nk * d * eb;  // K + V

  L.launch("flash forward");
  L.read("Q", q);
  L.reread("K", false, kv, kv_global, ws);
  L.reread("V", false, kv, kv_global, ws);
  L.write("O", z.o);
  L.write("lse", z.rowf);
}

void backward(const Problem& p, const FusedSetup& s, IoLedger& L) {
  const Sizes z(p);
  const double eb = z.eb, d = z.d, nq = z.nq, nk = z.nk, q = z.q, kv = z.kv, rowf = z.rowf;
  const double acc = static_cast<double>(p.batch * p.heads) * nq * d * 4.0;  // dQ accumulator, fp32
  // The main kernel owns a K/V tile and loops over the Q tiles that see it: Q, dO, lse, delta and
  // the dQ accumulator are streamed once per loaded pair.
  const PairSums pairs = loaded_pairs(p, s.tiles.bwd.q, s.tiles.bwd.k, s.mask);
  const double k_tiles = std::ceil(nk / s.tiles.bwd.k);
  const double per_head_reread = nq * (2.0 * d * eb + 2.0 * kLseBytes + d * 4.0);
  const double ws = live_heads(p, k_tiles, s.concurrent_ctas) * per_head_reread;

  L.launch("flash bwd preprocess (delta, lse, zero dQ acc)");
  L.read("O", q);
  L.read("dO", q);
  L.read("lse", rowf);
  L.write("delta", rowf);
  L.write("lse2", rowf);
  L.write("dq_accum", acc);
  // K/V heads grouped: each query head's CTAs load their K/V head's tiles, kv_group times in all.
  const double group = static_cast<double>(p.kv_group());
  const double kv_ws = live_kv_heads(p, live_heads(p, k_tiles, s.concurrent_ctas)) * nk * d * eb;
  const double dkv_acc = static_cast<double>(kv_elements(p)) * 4.0;  // one fp32 dK (or dV) accumulator
  if (s.dkv_accumulators) {
    L.launch("flash bwd zero dK/dV accumulators");
    L.write("dk_accum", dkv_acc);
    L.write("dv_accum", dkv_acc);
  }
  L.launch("flash bwd main");
  for (const char* t : {"K", "V"}) {
    if (p.grouped_kv()) {
      L.reread(t, false, kv, group * kv, kv_ws);
    } else {
      L.read(t, kv);
    }
  }
  L.reread("Q", false, q, pairs.rows * d * eb, ws);
  L.reread("dO", false, q, pairs.rows * d * eb, ws);
  L.reread("lse2", false, rowf, pairs.rows * kLseBytes, ws);
  L.reread("delta", false, rowf, pairs.rows * kLseBytes, ws);
  // Atomic adds: a read and a write of the accumulator tile at L2 per loaded pair.
  L.reread("dq_accum", false, acc, pairs.rows * d * 4.0, ws);
  L.reread("dq_accum", true, acc, pairs.rows * d * 4.0, ws);
  if (s.dkv_accumulators) {  // atomics: a read and a write at L2 per query head's tile
    for (const char* t : {"dk_accum", "dv_accum"}) {
      L.reread(t, false, dkv_acc, group * dkv_acc, kv_ws / eb * 4.0);
      L.reread(t, true, dkv_acc, group * dkv_acc, kv_ws / eb * 4.0);
    }
  } else {
    L.write("dK", kv);
    L.write("dV", kv);
  }
  L.launch("flash bwd postprocess (dQ acc -> dQ)");
  L.read("dq_accum", acc);
  L.write("dQ", q);
  if (s.dkv_accumulators) {
    L.launch("flash bwd dK/dV accumulators -> dK, dV");
    L.read("dk_accum", dkv_acc);
    L.read("dv_accum", dkv_acc);
    L.write("dK", kv);
    L.write("dV", kv);
  }
}

// The split-K/V decode forward (flash_decode_plan.hpp): each CTA reads its chunk of its K/V head's
// keys and the group's packed Q rows, so K and V are read once per K/V head and Q once per chunk (from
// L2 after the first). With chunks, the fp32 partials are written and read back by the combine: counted
// as HBM traffic, an upper bound (they are small and mostly still in L2 when the combine reads them).
void decode_forward(const Problem& p, const DecodePlan& plan, IoLedger& L) {
  const Sizes z(p);
  const double chunks = plan.chunks;
  const double packed_rows = static_cast<double>(p.batch * p.num_kv_heads()) * plan.rows * chunks;
  L.launch("flash decode split-K/V");
  L.reread("Q", false, z.q, z.q * chunks, z.q);
  L.read("K", z.kv);
  L.read("V", z.kv);
  if (plan.chunks == 1) {
    L.write("O", z.q);
    L.write("lse", z.rowf);
    return;
  }
  L.write("o_partial", packed_rows * z.d * 4.0);
  L.write("lse_partial", packed_rows * kLseBytes);
  L.launch("flash decode combine");
  L.read("o_partial", packed_rows * z.d * 4.0);
  L.read("lse_partial", packed_rows * kLseBytes);
  L.write("O", z.q);
  L.write("lse", z.rowf);
}

IoTile paper_tile(double sram_bytes, double d, double eb) {
  // Algorithm 1 of the paper: Bc = ceil(M / 4d), Br = min(Bc, d), M and d in elements.
  const int bc = std::max(1, static_cast<int>(std::ceil(sram_bytes / eb / (4.0 * d))));
  return {std::min(bc, static_cast<int>(d)), bc};
}

// The tiles the terms use: the family's own, unless the context forces one or the paper's rule.
FusedTiles effective_tiles(const Problem& p, FusedTiles own, const IoContext& ctx) {
  if (ctx.tile.q > 0 || ctx.tile.k > 0) {
    const IoTile t{ctx.tile.q > 0 ? ctx.tile.q : own.fwd.q, ctx.tile.k > 0 ? ctx.tile.k : own.fwd.k};
    return {t, t};
  }
  if (ctx.sram_bytes > 0) {
    const IoTile t = paper_tile(ctx.sram_bytes, static_cast<double>(p.head_dim),
                                static_cast<double>(dtype_bytes(p.dtype)));
    return {t, t};
  }
  return own;
}

}  // namespace

FusedTiles flash_io_tiles(std::int64_t head_dim) {
  const int d = static_cast<int>(head_dim);
  return {{fwd_tile(d).br, fwd_tile(d).bc}, {bwd_tile(d).br, bwd_tile(d).bc}};
}

IoListing fused_io(const Point& pt, FusedTiles own, bool masked, const IoContext& ctx, IoLedger& L,
                   bool dkv_accumulators) {
  const Problem& p = pt.problem;
  const bool fwd = pt.pass != Pass::bwd, bwd = pt.pass != Pass::fwd;
  IoListing r;
  FusedSetup s;
  s.tiles = effective_tiles(p, own, ctx);
  const IoTile& used = fwd ? s.tiles.fwd : s.tiles.bwd;
  if ((fwd && (s.tiles.fwd.q <= 0 || s.tiles.fwd.k <= 0)) || (bwd && (s.tiles.bwd.q <= 0 || s.tiles.bwd.k <= 0))) {
    r.note = "no tile for head dim " + std::to_string(p.head_dim);
    return r;
  }
  s.concurrent_ctas = static_cast<double>(std::max(1, ctx.sm_count) * std::max(1, ctx.ctas_per_sm));
  s.dkv_accumulators = dkv_accumulators && p.grouped_kv();
  std::optional<BlockMask> mask;
  if (masked && !p.sparsity.is_dense()) {
    mask = ref::make_block_mask(p.sparsity, p.heads, p.seqlen_q, p.seqlen_kv, p.seed);
    s.mask = &*mask;
  }
  if (fwd) forward(p, s, L);
  if (bwd) backward(p, s, L);
  r.tile = used;
  r.modelled = true;
  return r;
}

IoListing flash_io(const Point& pt, const IoContext& ctx, IoLedger& ledger) {
  const FusedTiles tiles = flash_io_tiles(pt.problem.head_dim);
  // The forward of a decode point runs split-K/V, unless a what-if tile or on-chip size is forced.
  const bool what_if = ctx.tile.q > 0 || ctx.tile.k > 0 || ctx.sram_bytes > 0;
  DecodeDevice dev;
  dev.sm_count = ctx.sm_count;
  const DecodePlan plan = plan_decode(decode_shape(pt.problem, false), dev);
  if (pt.pass == Pass::bwd || what_if || !plan.split) {
    return fused_io(pt, tiles, /*masked=*/false, ctx, ledger, /*dkv_accumulators=*/true);
  }
  decode_forward(pt.problem, plan, ledger);
  IoListing r{.modelled = true,
              .note = "split-K/V decode forward, " + std::to_string(plan.chunks) + " chunks",
              .tile = {plan.row_tiles * 16, kDecodeBc}};
  if (pt.pass == Pass::fwdbwd) {
    Point bwd = pt;
    bwd.pass = Pass::bwd;
    const IoListing b = fused_io(bwd, tiles, /*masked=*/false, ctx, ledger, /*dkv_accumulators=*/true);
    if (!b.modelled) return b;
    if (!b.note.empty()) r.note += "; " + b.note;
  }
  return r;
}

}  // namespace fa::flash
