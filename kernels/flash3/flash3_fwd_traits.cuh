#pragma once
// Tile shapes and shared-memory plan of the flash3 forward kernel, one trait struct per head dim, apart
// from the kernel body and the launch code.
//
// A CTA computes BM = 64 x (consumer warpgroups) query rows of one (batch, head): warpgroup 0 is the
// producer (one thread issues every TMA load), the others each own 64 query rows and compute. K and V
// stream through `kStages` shared-memory stages of BN keys each. Every tile is stored the way TMA writes it with the 128-byte
// swizzle (64 elements per row; D = 96 uses the 64-byte swizzle, 32 elements per row): a [rows x D] tile
// is D / kSwz "regions" of [rows x kSwz], each region 1024-byte aligned, which is also the canonical
// layout that wgmma's shared-memory descriptors read (K-major for Q and K, MN-major for V).
//
// Why these shapes: the consumers' registers hold O (D/2 floats per thread), S (BN/2 floats) and P of the
// previous block (BN/4 words); with setmaxnreg giving a consumer 232 registers, BN = 128 fits up to
// D = 128, and D = 256 takes BN = 64. At D = 64 the softmax costs as much as the two GEMMs (as many
// exponentials per FLOP as twice D = 128), so three consumer warpgroups (192 rows, 160 registers each) take
// turns: on an H200 this ran 1.01x cuDNN at N = 8192 against 0.87x with two (docs/perf/2026-11-30-flash3.md). Ping-pong (one warpgroup's softmax under the other's GEMMs) pays
// where the softmax is a large share of the time, i.e. D <= 128.
//
// fp8 (ElemBytes 1, e4m3 Q, K, V): wgmma reads both operands of an 8-bit product K-major, so the P V GEMM reads a
// V^T stage [D rows x BN keys] (in regions of 128 keys); the consumers see V^T where 16-bit kernels see V. At D = 128
// TMA loads it from a V^T a kernel ahead wrote (kVtGlobal); elsewhere the producer warpgroup's three other warps
// transpose each V tile (TMA-loaded like K into a "raw" stage). O is bf16 and goes from registers straight to
// global memory (no staging buffer: at D = 256 the raw V stages take its room). The tile shapes are the 16-bit ones
// except that D = 256 keeps BN = 128 (the operands are half as large) and D = 128 takes BN = 256, its GEMMs waited
// for in turn (kSerialGemms; flash3_tiles.hpp says what each measured).
#include <cstdint>

#include "kernels/flash3/flash3_params.hpp"
#include "kernels/flash3/flash3_tiles.hpp"

namespace fa::flash3 {

// setmaxnreg budgets of the producer and of each consumer warpgroup: 24 / 240 where the consumers need them (wide),
// else 40 / 232 with two consumer warpgroups and 32 / 160 with three.
constexpr int fwd3_producer_regs(bool wide, int consumer_wgs) { return wide ? 24 : consumer_wgs == 2 ? 40 : 32; }
constexpr int fwd3_consumer_regs(bool wide, int consumer_wgs) { return wide ? 240 : consumer_wgs == 2 ? 232 : 160; }

template <int D_, int BN_, int Stages_, int ConsumerWGs_, bool PingPong_, int ElemBytes_ = 2>
struct Fwd3Traits {
  static constexpr int D = D_;
  static constexpr int kConsumerWGs = ConsumerWGs_;
  static constexpr int BM = 64 * kConsumerWGs;  // query rows per CTA: 64 per consumer warpgroup
  static constexpr int BN = BN_;
  static constexpr int kStages = Stages_;
  static constexpr bool kPingPong = PingPong_;
  // fp8 D = 128: each block's S GEMM, softmax and P V GEMM in turn, no intra-warpgroup overlap and no ping-pong, 256
  // keys per block (flash3_tiles.hpp), and the two warpgroups take turns at their exponentials (ExpTurns in
  // flash3_fwd_kernel.cuh), as cuDNN's fp8 kernel orders them (its SASS, session 18). Why: at fp8 D = 128 the
  // exponentials take as long as the GEMMs (one MUFU.EX2 per element, 16 per cycle per SM), so the limit is how fast
  // one warp runs its softmax; when both warpgroups' softmaxes overlap they share MUFU and each takes about three times
  // its 1024 cycles of exponentials. The overlapped design gains nothing to offset that: ptxas places the P V GEMM's
  // wait before the exponentials (in every forward instance), and without P beside the next S the registers hold 256
  // keys. Measured on an H200, N 8192 forward: against the overlapped kernel with 192 keys, serial with 256 keys and no
  // ping-pong -3.2 % time (with ping-pong +4.6 %), with the turns -9.1 % non-causal
  // (docs/perf/2026-12-01-session18.md). Causal the turns measured +3.7 % on session 18's kernel and -7.1 % on
  // session 19's (the consumer index broadcast came between; docs/perf/2026-12-01-session19.md, call 5), so both take
  // them. Each P V GEMM and the first half of the next block's S GEMM are issued together (the kernel's serial
  // loop): -0.8 % / -0.7 % time (call 14). Not kept (session 19): the next block's S GEMM in flight during the softmax
  // (two S buffers, FlashAttention-3's order): +16.5 % / +6.5 % time with 128 keys (non-causal / causal), +46 % /
  // +37 % with 64.
  static constexpr bool kSerialGemms = ElemBytes_ == 1 && D_ == 128;
  static constexpr bool kExpTurns = kSerialGemms;
  // fp8 D = 128 non-causal (the kernel's kMidTurn): each turn in two halves of 128 keys, P V's first half and the next
  // block's first S half issued between them, so that they run under the second half's exponentials and only P V's
  // second half and the next S's second half are left after the turn. It needs the S GEMM's "fresh" form (its old
  // accumulators dead to the compiler) and 24 / 240 registers, or ptxas serialises every wgmma (C7512). On an H200,
  // N 8192 forward: -1.7 % / -1.5 % time non-causal (docs/perf/2026-12-01-session20.md, calls 9 and 10). Causal it
  // spills 116 bytes and measured +3.2 %: the causal instance keeps the loop below. (Non-causal only: the kernel.)
  static constexpr bool kMidTurn = kSerialGemms;
  // The softmax's row maxima and sums as this many independent chains per row (online_softmax): with the turns, where
  // the maximum is on their critical path, -10 % time non-causal (on an H200, docs/perf/2026-12-01-session18.md,
  // call 6). Without the turns they measured -2.2 / -2.5 % at fp8 D = 128 non-causal, +1.8 % causal, +3.4 % bf16
  // D = 256 (docs/perf/2026-12-01-session17.md, calls 1-2).
  static constexpr int kSoftmaxChains = kExpTurns ? 4 : 1;
  // The consumer warpgroup index broadcast from lane 0 (the kernel's `cw`): ptxas then knows it is warp-uniform and
  // keeps the arithmetic that depends on it on the uniform datapath. Measured on an H200 (docs/perf/2026-12-01-session18.md):
  // fp8 D = 128 -2.7 %, fp8 D = 256 -0.6 to -1.3 %, bf16 D = 128 causal -2 to -3.5 %, the rest within 2 %, but 16-bit
  // D = 256 non-causal +6 % (ptxas then schedules its main loop differently). So everywhere but 16-bit D = 256.
  static constexpr bool kUniformIndex = !(ElemBytes_ == 2 && D_ == 256);
  static constexpr int kThreads = 128 * (kConsumerWGs + 1);
  // setmaxnreg budgets. The CTA gets (65536 / threads, rounded down to 8) registers per thread at launch
  // and can only move them between warpgroups: a consumer's increase waits until the producer's decrease
  // frees enough, so the two must fit the launch allocation exactly or the kernel hangs at the start.
  static constexpr int kLaunchRegs = (65536 / kThreads) / 8 * 8;
  // fp8 D = 256 takes 24 / 240: at 232 ptxas serialises its wgmmas (C7512: O, S and P in flight need more); at 240
  // it does not, and its spills (140 bytes, 3 stores and 3 loads per block in the main loop) cost less. Measured
  // with its ping-pong off, on an H200 (docs/perf/2026-12-01-session17.md): -0.2 % / -1.1 % time against 232.
  // So does the kMidTurn instance (fp8 D = 128 non-causal): at 232 ptxas serialises every wgmma.
  static constexpr bool kWideConsumers = ElemBytes_ == 1 && D_ == 256;
  // Budgets per instance, indexed by causal.
  static constexpr bool kWide[2] = {kWideConsumers || kMidTurn, kWideConsumers};
  static constexpr int kProducerRegs[2] = {fwd3_producer_regs(kWide[0], kConsumerWGs),
                                           fwd3_producer_regs(kWide[1], kConsumerWGs)};
  static constexpr int kConsumerRegs[2] = {fwd3_consumer_regs(kWide[0], kConsumerWGs),
                                           fwd3_consumer_regs(kWide[1], kConsumerWGs)};
  static_assert(128 * kProducerRegs[0] + 128 * kConsumerWGs * kConsumerRegs[0] <= kThreads * kLaunchRegs &&
                    128 * kProducerRegs[1] + 128 * kConsumerWGs * kConsumerRegs[1] <= kThreads * kLaunchRegs,
                "setmaxnreg budgets exceed the registers the CTA is launched with");

  static constexpr int kElemBytes = ElemBytes_;
  static constexpr bool kFp8 = kElemBytes == 1;
  static constexpr int kSwzBytes = (D * kElemBytes) % 128 == 0 ? 128 : 64;  // bytes per swizzled row
  static constexpr int kSwz = kSwzBytes / kElemBytes;                         // elements per swizzled row
  static constexpr std::uint32_t kSwzMode = kSwzBytes == 128 ? 1 : 2;  // descriptor code: 128-byte / 64-byte swizzle
  static constexpr int kRegions = D / kSwz;
  static constexpr int kQRegionBytes = BM * kSwzBytes;
  static constexpr int kKVRegionBytes = BN * kSwzBytes;
  static constexpr int kQBytes = kQRegionBytes * kRegions;
  static constexpr int kKVBytes = kKVRegionBytes * kRegions;
  // fp8: a V^T stage is D rows of BN key bytes in regions of 128 keys (128-byte swizzle); the P operand is
  // BN / 32 k32 fragments (16-bit: BN / 16 k16 fragments), 4 words each.
  static constexpr int kVtRegionBytes = D * 128;
  static constexpr int kPFrags = BN * kElemBytes / 32;
  // P is scaled by 2^kPOffset before its e4m3 rounding (exp2(s - max + 8): the largest is 256, the small
  // ones stay out of e4m3's subnormals); the row sums carry the same factor, lse takes it out.
  static constexpr float kPOffset = kFp8 ? 8.f : 0.f;
  // Conditional rescaling of O (online_softmax): a warp multiplies O by the correction only when one of its row
  // maxima moved, and 16-bit P lets the running max lag the true one by up to 8 in log2 units, so P <= 2^8
  // (fp8's P already uses its headroom, kPOffset, so there the max moves whenever it grows). The vote and branch
  // cost about what the skipped multiplies save at D = 128; measured on an H200, bf16/fp8 N 8192 forward
  // (docs/perf/flash3-fwd-notes.md):
  // D = 256 -4.8 to -6 % time, fp8 D = 64 -3 to -5 %, fp8 D = 256 -2 to -3 %, 16-bit D = 64 even,
  // D = 128 +1 to +4 % (bf16 and fp8), with dropout +6 %. So: on for D = 256 and fp8 D = 64, off elsewhere.
  static constexpr bool kLazyRescale = D == 256 || (kFp8 && D == 64);
  static constexpr float kMaxSlack = kLazyRescale && !kFp8 ? 8.f : 0.f;
  // The vote's operand: online_softmax's `moved`, or the corrections compared with 1. The same vote, but ptxas then
  // places the P V GEMM's wait differently: on an H200 (docs/perf/2026-12-01-session17.md) `moved` ran fp8 D = 256
  // -1.5 % / -1.0 % time (non-causal / causal) and fp8 D = 64 +5.0 % / +4.3 %, 16-bit D = 256 even.
  static constexpr bool kVoteOnMoved = kFp8 && D == 256;
  // fp8: V^T from global memory (fp8_vt_global: transposed before the kernel), or transposed here by producer
  // warps 1..3 from raw V stages.
  static constexpr bool kVtGlobal = kFp8 && fp8_vt_global(D_);
  static constexpr int kTransposers = kFp8 && !kVtGlobal ? 96 : 0;
  static_assert(kTransposers == 0 || kProducerRegs[0] == kProducerRegs[1], "the transposers' budget: one per head dim");
  // P's row sums on the tensor core: each P V GEMM also multiplies P by a [BN x 8] tile of ones (an n8 wgmma per
  // k step), so the sums come out in 4 accumulator registers, whole rows, instead of an FADD per element and a
  // quad reduction. They are then the sums of P as rounded for the GEMM, the same P that weights V. Not with
  // dropout: there the normaliser is the sum of the undropped P, and the GEMM sees the dropped one. Measured on
  // an H200 against the FADDs (N 8192 forward, docs/perf/2026-12-01-session15.md call 7): 16-bit D = 256 -1.5 to
  // -1.9 % time; D = 64 and 128 +1 to +3 % (the extra wgmmas cost more than the adds they replace); fp8 D = 256
  // +10 % (it spills). So 16-bit D = 256 only.
  static constexpr bool kTensorRowSum = D == 256 && ElemBytes_ == 2;

  // Shared memory, from a 1024-byte aligned base: Q | K stages | V stages (fp8: V^T) | fp8: raw V stages |
  // O | tile slots + mbarriers. O gets its own buffer where it fits: then Q is released as soon as a tile's
  // last S GEMM is done and the next tile's Q loads under this tile's epilogue. Otherwise (D = 256) O is
  // staged in Q's place. fp8 stages no O (released early like a separate O).
  static constexpr int kOffQ = 0;
  static constexpr int kOffK = kOffQ + kQBytes;
  // A V stage: V, or (fp8) V^T in whole regions of 128 keys (the last one partly used when BN % 128 != 0).
  static constexpr int kVStageBytes = kFp8 ? kVtRegionBytes * ((BN + 127) / 128) : kKVBytes;
  static constexpr int kOffV = kOffK + kStages * kKVBytes;
  static constexpr int kOffVraw = kOffV + kStages * kVStageBytes;
  static constexpr int kOffO = kOffVraw + (kTransposers > 0 ? kStages * kKVBytes : 0);
  static constexpr int kOBytes = kFp8 ? 0 : kQBytes;
  // 2 tile slots; tile (2 full, 2 empty), Q (full, empty), K and V (full, empty per stage) barriers, and with
  // transposers the raw V stages' (Smem in flash3_fwd_kernel.cuh: bar(0 .. 6 + 4 kStages), those + 2 kStages).
  static constexpr int kMisc = 2 * 8 + (kTransposers > 0 ? 6 + 6 * kStages : 6 + 4 * kStages) * 8;
  // The ones tile of kTensorRowSum: the 256 bytes one n8 k step of B reads (two 8 x 16-byte core matrices,
  // gemm_row_sums); every k step reads the same tile. Reserved (128-byte aligned) only where it is used.
  static constexpr int kOnesBytes = kTensorRowSum ? 256 : 0;
  static constexpr int kOnesRoom = kTensorRowSum ? 127 + kOnesBytes : 0;  // worst-case padding + the tile
  static constexpr bool kSeparateO = kFp8 || kOffO + kQBytes + kMisc + kOnesRoom + 1024 <= 227 * 1024;
  static constexpr int kOffMisc = kSeparateO ? kOffO + kOBytes : kOffO;
  static constexpr int kOffOnes = kTensorRowSum ? (kOffMisc + kMisc + 127) / 128 * 128 : kOffMisc + kMisc;
  static constexpr int kOffZero = kOffOnes + kOnesBytes;
  static constexpr int kZeroBytes = kSerialGemms ? 16 : 0;  // ExpTurns' 0.0f word
  static constexpr int kSmemBytes = kOffZero + kZeroBytes + 1024;  // + slack to align the base

  static_assert(D % kSwz == 0 && D % 16 == 0 && D <= 256, "head dim: whole swizzled regions, k16 steps");
  static_assert(!kFp8 || (BN % 64 == 0 && D % 64 == 0),
                "fp8: V^T regions of 128 keys (the last one may be half used), whole 64-byte Q/K rows");
  static_assert(BN % 32 == 0 && BN <= 256, "BN: whole 32-column dropout groups, one wgmma N");
  static_assert(kConsumerWGs == 2 || kConsumerWGs == 3, "two or three consumer warpgroups");
  static_assert(kQRegionBytes % 1024 == 0 && kKVRegionBytes % 1024 == 0, "regions stay 1024-byte aligned");
  static_assert(kSmemBytes <= 227 * 1024, "shared memory per block on sm_90");
  static_assert(!kVtGlobal || BN % 128 == 0, "V^T from global memory: whole regions of 128 keys per stage");
};

// Per head dim, from the tile table (flash3_tiles.hpp). Ping-pong where the softmax is a large share of
// the time (D <= 128).
template <int D>
struct Fwd3TraitsFor : Fwd3Traits<D, fwd3_tile(D).bn, 2, fwd3_tile(D).consumer_wgs, (D <= 128)> {};

// fp8 (e4m3) per head dim (fwd3_fp8_tile), without ping-pong: at D = 256, where the softmax is half as large a share
// as at D = 128, the named barriers cost more than the overlap gains (on an H200, docs/perf/2026-12-01-session17.md,
// -1.2 % / -1.3 % time without, non-causal / causal); D = 128 waits for its GEMMs in turn instead (kSerialGemms).
template <int D>
struct Fwd3Fp8TraitsFor : Fwd3Traits<D, fwd3_fp8_tile(D).bn, 2, fwd3_fp8_tile(D).consumer_wgs, false, 1> {};

}  // namespace fa::flash3
