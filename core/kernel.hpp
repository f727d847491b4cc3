#pragma once
// The one interface every attention kernel family implements (CPU reference, standard, flash,
// block-sparse, cuDNN, ring). Split the way cuDNN/CUTLASS split plan and execution:
//   supports()  -> can this point run here, and if not, why (becomes an `unsupported` row);
//   prepare()   -> everything that must stay out of the timed region (handles, plans, scratch,
//                  the forward pass that a backward-only measurement needs);
//   Run::run()  -> enqueue exactly one invocation of the pass; re-runnable any number of times
//                  with the same result (the counter profiler replays it once per pass).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/allocator.hpp"
#include "core/problem.hpp"

namespace fa {

// Where a kernel's operands live and how it is timed.
enum class Backend : std::uint8_t { host, cuda };
std::string_view to_string(Backend b);

struct Support {
  bool ok = true;
  std::string reason;
  static Support yes() { return {}; }
  static Support no(std::string why) { return {false, std::move(why)}; }
};

// A [B, H, N, D] tensor in the kernel's memory space. D is contiguous; strides are in elements.
// Element type: Problem::dtype for cuda kernels; double for host kernels (the reference precision;
// inputs are pre-rounded to Problem::dtype so both see the same values).
struct TensorRef {
  void* data = nullptr;
  std::int64_t stride_b = 0, stride_h = 0, stride_n = 0;
};

// A tensor's strides into a kernel's own parameter fields.
inline void copy_strides(const TensorRef& t, std::int64_t& b, std::int64_t& h, std::int64_t& n) {
  b = t.stride_b;
  h = t.stride_h;
  n = t.stride_n;
}

// All operands of one point. Forward reads q, k, v and writes o and lse; backward reads q, k, v,
// o, lse, dout and writes dq, dk, dv. lse is [B, H, Nq] contiguous, float for cuda kernels and
// double for host kernels; a fully masked row has lse = -inf and o = 0.
struct Operands {
  TensorRef q, k, v, o;
  void* lse = nullptr;
  TensorRef dout, dq, dk, dv;
  // Block mask bytes (layout of core/block_mask.hpp) in the kernel's memory space, or null when
  // the problem is dense. Shape fields mirror BlockMask.
  const std::uint8_t* block_mask = nullptr;
  std::int64_t mask_heads = 0, mask_blocks_q = 0, mask_blocks_k = 0;
  // fp8 points (core/dtype.hpp): Q, K, V hold e4m3(x * scale) per tensor; the value a kernel must use is
  // element * descale. 1 for every other dtype.
  float q_descale = 1.f, k_descale = 1.f, v_descale = 1.f;
  // Variable-length batch (Problem::seqlens): int32 token offsets of each sequence, B + 1 of them
  // (seq_offsets()), in the kernel's memory space; null otherwise. The tensors are then packed
  // [tokens, H, D] (stride_b 0, stride_n H*D): sequence b is rows [cu_seqlens[b], cu_seqlens[b+1]).
  // lse stays [B, H, Nq] with Nq the longest sequence (each sequence's rows first, the rest unused).
  // Host kernels (the reference) get each sequence's [H, n, D] block contiguous instead, one after
  // the other (the CPU reference's own form, reference/attention.hpp).
  const std::int32_t* cu_seqlens = nullptr;
};

// Launch parameters named like Operands (q, k, v, o, lse, dout, dq, dk, dv; each tensor's strides in
// <name>_stride_b/h/n, dout's in do_stride_*): the flash and flash3 families'. First the strides of the
// point's layout for every tensor, then the operands' own pointers and strides, which win. Gradient
// tensors exist only for backward passes: absent ones keep the layout's strides.
// The point's shape and softmax settings into the same launch parameters (ints as the kernels take
// them; the callers' supports() has checked that they fit).
template <class P>
void problem_shape_into(const Problem& p, P& f) {
  f.batch = static_cast<int>(p.batch);
  f.heads = static_cast<int>(p.heads);
  f.seqlen_q = static_cast<int>(p.seqlen_q);
  f.seqlen_kv = static_cast<int>(p.seqlen_kv);
  f.head_dim = static_cast<int>(p.head_dim);
  f.dtype = p.dtype;
  f.scale = static_cast<float>(p.scale());
  f.causal = p.causal;
  f.seed = p.seed;
}

template <class P>
void layout_strides_into(const Problem& p, P& f) {
  const Strides sq = strides_for(p.layout, p.heads, p.seqlen_q, p.head_dim);
  const Strides sk = strides_for(p.layout, p.num_kv_heads(), p.seqlen_kv, p.head_dim);  // K/V heads: grouped
  f.q_stride_b = f.o_stride_b = f.do_stride_b = f.dq_stride_b = sq.b;
  f.q_stride_h = f.o_stride_h = f.do_stride_h = f.dq_stride_h = sq.h;
  f.q_stride_n = f.o_stride_n = f.do_stride_n = f.dq_stride_n = sq.n;
  f.k_stride_b = f.v_stride_b = f.dk_stride_b = f.dv_stride_b = sk.b;
  f.k_stride_h = f.v_stride_h = f.dk_stride_h = f.dv_stride_h = sk.h;
  f.k_stride_n = f.v_stride_n = f.dk_stride_n = f.dv_stride_n = sk.n;
}

template <class P>
void operands_into(const Operands& ops, P& f) {
  f.q = ops.q.data;
  f.k = ops.k.data;
  f.v = ops.v.data;
  f.o = ops.o.data;
  f.lse = static_cast<decltype(f.lse)>(ops.lse);
  copy_strides(ops.q, f.q_stride_b, f.q_stride_h, f.q_stride_n);
  copy_strides(ops.k, f.k_stride_b, f.k_stride_h, f.k_stride_n);
  copy_strides(ops.v, f.v_stride_b, f.v_stride_h, f.v_stride_n);
  copy_strides(ops.o, f.o_stride_b, f.o_stride_h, f.o_stride_n);
  f.dout = ops.dout.data;
  f.dq = ops.dq.data;
  f.dk = ops.dk.data;
  f.dv = ops.dv.data;
  if (ops.dout.data) copy_strides(ops.dout, f.do_stride_b, f.do_stride_h, f.do_stride_n);
  if (ops.dq.data) copy_strides(ops.dq, f.dq_stride_b, f.dq_stride_h, f.dq_stride_n);
  if (ops.dk.data) copy_strides(ops.dk, f.dk_stride_b, f.dk_stride_h, f.dk_stride_n);
  if (ops.dv.data) copy_strides(ops.dv, f.dv_stride_b, f.dv_stride_h, f.dv_stride_n);
}

// What the harness hands to prepare(): the stream to enqueue on (cudaStream_t for cuda kernels,
// null for host ones) and the tracking allocator for any scratch memory in the kernel's space.
struct ExecContext {
  void* stream = nullptr;
  Allocator* scratch = nullptr;
  int device = 0;
};

class PreparedRun {
 public:
  virtual ~PreparedRun() = default;
  // Enqueue one invocation of the pass. Must be callable repeatedly.
  virtual void run() = 0;
};

// One instance runs the points of one family (kernels/<family>/); what the rest of the program knows
// of the family without an instance (summary, block mask, IO model, ...) is its face,
// kernels/family.hpp.
class AttentionKernel {
 public:
  virtual ~AttentionKernel() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view summary() const = 0;
  virtual Backend backend() const = 0;
  // Dropout rows of this family draw the shared Philox keep-mask (false for cuDNN's own RNG).
  virtual bool shares_dropout_mask() const { return true; }
  virtual Support supports(const Problem& p, Pass pass) const = 0;
  // Scratch the kernel will allocate through ExecContext::scratch for this point (estimate used by
  // --dry-run and by the out-of-memory pre-check; the tracked allocator gives the true peak).
  virtual std::size_t workspace_bytes(const Problem& p, Pass pass) const = 0;
  virtual std::unique_ptr<PreparedRun> prepare(const Problem& p, Pass pass, const Operands& ops,
                                               const ExecContext& ctx) = 0;
  // A point-level choice the kernel makes that qualifies the row's numbers (e.g. flash's split-K/V
  // decode and its chunk count), appended to the row's notes; empty when there is nothing to say.
  virtual std::string point_note(const Problem& p, Pass pass) const {
    (void)p, (void)pass;
    return {};
  }
};

// The answer of a family that does not implement grouped K/V heads: yes() when the problem has as
// many K/V heads as query heads, else a refusal naming the family. Every such family's supports()
// calls it, so the rows read the same.
Support refuse_grouped_kv(std::string_view family, const Problem& p);
// The same for variable-length batches (Problem::is_varlen).
Support refuse_varlen(std::string_view family, const Problem& p);

// What no family runs with fp8 inputs (the forward without dropout only: FP8 attention as FlashAttention-3
// and cuDNN ship it), else yes(); and the answer of a family without an fp8 path at all.
Support refuse_fp8_pass(const Problem& p, Pass pass);
Support refuse_fp8(std::string_view family, const Problem& p);

// The drop probability kernel k applies for p.dropout, as a result row records it (Row::dropout_used):
// families sharing the Philox keep-mask round p to a multiple of 1/256 (fa::dropout_p_used); a
// family with its own RNG (cuDNN) applies p as asked.
double applied_dropout(const AttentionKernel& k, const Problem& p);

}  // namespace fa
