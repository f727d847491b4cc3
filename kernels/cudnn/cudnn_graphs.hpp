#pragma once
// cuDNN SDPA graphs (forward with stats, backward) built through the cuDNN frontend, behind a small
// interface so that only cudnn_graphs.cpp compiles the (large, header-only) frontend.
#include <cudnn.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "kernels/cudnn/cudnn_geometry.hpp"

namespace fa::cudnn {

// Device pointers of one execution, already offset to the rows cuDNN sees. Forward uses q, k, v, o,
// stats; backward also dout, dq, dk, dv (and reads o and stats). seed/offset: int64 scalars on the
// device, used when the geometry has dropout.
struct SdpaPointers {
  const void *q = nullptr, *k = nullptr, *v = nullptr;
  void* o = nullptr;
  void* stats = nullptr;  // float [B, H, seqlen_q_cudnn], contiguous
  const void* dout = nullptr;
  void *dq = nullptr, *dk = nullptr, *dv = nullptr;
  const void *seed = nullptr, *offset = nullptr;
  // fp8 graphs: float scalars on the device, in this order: descale of Q, K, V and S (P), scale of S and O
  // (kFp8Scalars); and the two amax outputs (S, O) the fp8 node produces.
  const float* fp8_scales = nullptr;
  float* fp8_amax = nullptr;
  // Varlen (Geometry::varlen): int32 device arrays, the lengths [B] (queries = keys) and the ragged
  // offsets [B + 1] in elements of the Q-side (H heads) and K/V-side (kv_heads heads) tensors.
  const void *seq_lens = nullptr, *ragged_q = nullptr, *ragged_kv = nullptr;
};

// fp8 SDPA: P is quantized to e4m3 with this fixed scale (its descale is the inverse), as FlashAttention-3's
// fp8 forward does (2^8: P's largest value is 256). O is bf16 and unscaled (scale_o 1) where cuDNN offers a
// bf16 O; else e4m3 in scratch with scale_o = 1 / descale_v (SdpaGraph::fp8_output, cudnn_fp8_output.hpp).
inline constexpr float kFp8PScale = 256.f;
inline constexpr int kFp8Scalars = 6;

// Tensor uid -> device pointer, as the frontend's execute() takes it; made once per prepared run.
using VariantPack = std::unordered_map<std::int64_t, void*>;

class SdpaGraph {
 public:
  // Validates the graph, asks cuDNN's heuristics for execution plans and builds the first one cuDNN
  // supports. An fp8 forward is tried with a bf16 O first and, if cuDNN declines that graph
  // (GRAPH_NOT_SUPPORTED), with an e4m3 O. On refusal returns null and sets *why to cuDNN's reason (the frontend's message).
  // Throws only on failures that are not refusals (e.g. the handle is unusable).
  static std::shared_ptr<const SdpaGraph> build(cudnnHandle_t handle, const Geometry& g, GraphKind kind,
                                                std::string* why);
  ~SdpaGraph();
  SdpaGraph(const SdpaGraph&) = delete;
  SdpaGraph& operator=(const SdpaGraph&) = delete;

  GraphKind kind() const;
  // fp8 forward built with an e4m3 O (cuDNN refused the bf16 one): SdpaPointers::o is then scratch of
  // fp8_o_bytes() with fp8_o_strides(), and the caller converts it to the bf16 O.
  bool fp8_output() const;
  // Workspace the built plan needs at execution (bytes).
  std::size_t workspace_bytes() const;
  VariantPack variant_pack(const SdpaPointers& ptrs) const;
  // Enqueues one execution on the handle's stream; throws std::runtime_error with cuDNN's message.
  void execute(cudnnHandle_t handle, VariantPack& pack, void* workspace) const;

 private:
  struct Impl;
  explicit SdpaGraph(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fa::cudnn
