#pragma once
// The tensors of one point, allocated in the kernel's memory space (host doubles or device
// elements of the point's dtype) in the point's layout, plus conversions to and from the float64
// [B, H, N, D] contiguous arrays the CPU reference uses. K, V, dK and dV have the point's K/V heads.
// A varlen point's device tensors are packed [tokens, H, D] and its host arrays are the reference's
// varlen form (per sequence [H, L_b, D], one after the other; lse per sequence [H, L_b]); the
// token offsets go to the kernel as Operands::cu_seqlens (core/kernel.hpp).
#include <cstdint>
#include <optional>
#include <vector>

#include "core/allocator.hpp"
#include "core/block_mask.hpp"
#include "core/kernel.hpp"
#include "core/problem.hpp"

namespace fa {

// Inputs on the host, float64 bhnd contiguous, values already rounded to the point's dtype so the
// reference sees exactly what the kernel reads. fp8: the dequantized values e4m3(x * scale) / scale,
// with the descales (1 / scale) of Q, K and V (1 for the other dtypes).
struct HostInputs {
  std::vector<double> q, k, v, dout;
  float q_descale = 1.f, k_descale = 1.f, v_descale = 1.f;
};
// Random normal inputs: Q and K have standard deviation input_scale (large values -> large
// logits), V and dO standard deviation 1. Never zeros (fp8: a value below e4m3's range after scaling
// may quantize to zero).
HostInputs make_host_inputs(const Problem& p, Pass pass, double input_scale, std::uint64_t seed);

enum class Tensor { q, k, v, o, lse, dout, dq, dk, dv };
const char* to_string(Tensor t);

class OperandSet {
 public:
  OperandSet(const Problem& p, Pass pass, Backend backend, Allocator& alloc, const BlockMask* mask);
  OperandSet(const OperandSet&) = delete;
  OperandSet& operator=(const OperandSet&) = delete;

  const Operands& ops() const { return ops_; }
  bool has_grads() const { return pass_ != Pass::fwd; }
  // Bytes of all tensors (and the mask) held.
  std::size_t bytes() const;

  void upload(const HostInputs& in);
  // Random normal inputs generated where they live (no host round trip): for timing runs of large
  // points. `stream` is a cudaStream_t for device operands.
  void fill_random(std::uint64_t seed, void* stream);
  // NaN into every output so that an element a kernel never wrote is visible.
  void poison_outputs(void* stream);
  // Output (or input) tensor as float64 bhnd contiguous; lse as [B, H, Nq] (varlen: the reference's
  // varlen form, reference/attention.hpp).
  std::vector<double> download(Tensor t) const;

 private:
  struct Slot {
    Buffer buf;
    std::int64_t elements = 0;
    std::int64_t seqlen = 0;  // N of this tensor (Nq or Nk); 0 for lse
    std::int64_t heads = 0;   // H of this tensor: query heads, or K/V heads for K, V, dK, dV
  };
  Slot& slot(Tensor t) { return slots_[static_cast<int>(t)]; }
  const Slot& slot(Tensor t) const { return slots_[static_cast<int>(t)]; }
  std::size_t element_bytes(Tensor t) const;
  // Q, K, V are of the point's dtype, the rest of output_dtype's (bf16 for fp8); descale of Q, K, V
  // from ops_ (1 for the rest).
  DType element_type(Tensor t) const;
  float descale(Tensor t) const;
  void upload_tensor(Tensor t, const std::vector<double>& bhnd);
  void upload_cu_seqlens(Allocator& alloc);
  // Element of the kernel's tensor t that holds element (b, h, n, d) of the host array, and that
  // element's index in the host array: the layout's strides, or the packed varlen forms.
  struct Index {
    std::size_t host, kernel;
  };
  template <class Fn>
  void for_each_element(Tensor t, Fn fn) const;

  Problem p_;
  Pass pass_;
  Backend backend_;
  Slot slots_[9];
  Buffer mask_buf_;
  Buffer cu_seqlens_buf_;
  Operands ops_;
};

}  // namespace fa
