// Host glue of the cudnn family: support checks, the graph cache, scratch, and the PreparedRun that
// executes cuDNN's forward / backward graphs (plus the masked-row fix-ups of cudnn_geometry.hpp).
#include "kernels/cudnn/cudnn_kernel.hpp"

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/cuda_check.hpp"
#include "kernels/cudnn/cudnn_check.hpp"
#include "kernels/cudnn/cudnn_fp8_output.hpp"
#include "kernels/cudnn/cudnn_geometry.hpp"
#include "kernels/cudnn/cudnn_graphs.hpp"
#include "kernels/cudnn/cudnn_masked_rows.hpp"

namespace fa {
namespace cudnn {
namespace {

// A sweep over many shapes would otherwise keep every plan alive; runs hold their own references.
constexpr std::size_t kMaxCachedGraphs = 64;

std::vector<GraphKind> graph_kinds(Pass pass) {
  if (pass == Pass::fwd) return {GraphKind::fwd};
  return {GraphKind::fwd, GraphKind::bwd};  // backward-only timing still needs a forward in prepare()
}

// Limits that hold whatever cuDNN version is loaded (its own checks come after, from the graph).
Support static_support(const Problem& p) {
  if (p.dtype != DType::fp16 && p.dtype != DType::bf16 && p.dtype != DType::fp8)
    return Support::no("cudnn: fused SDPA takes fp16/bf16/fp8 (no fp32 path)");
  if (!p.sparsity.is_dense()) return Support::no("cudnn: dense attention only (no block mask)");
  if (p.batch < 1 || p.heads < 1 || p.seqlen_q < 1 || p.seqlen_kv < 1 || p.head_dim < 1)
    return Support::no("cudnn: batch, heads, sequence lengths and head_dim must be >= 1");
  if (p.head_dim % 8 != 0) return Support::no("cudnn: head_dim must be a multiple of 8");
  if (!p.kv_heads_divide()) return Support::no("cudnn: K/V heads must divide the query heads");
  if (!(p.dropout >= 0.0 && p.dropout < 1.0)) return Support::no("cudnn: dropout must be in [0, 1)");
  if (p.dtype == DType::fp8 && p.is_varlen())
    return Support::no("cudnn: fp8 with a varlen batch is not wired (the fp8 graph has no ragged tensors)");
  if (p.is_varlen() && q_elements(p) > 0x7fffffff)
    return Support::no("cudnn: a varlen batch's ragged offsets are int32 (tokens x heads x head_dim < 2^31)");
  return Support::yes();
}

bool gpu_present() {
  int n = 0;
  const bool ok = cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
  (void)cudaGetLastError();  // a failed query leaves no error for the next unrelated call
  return ok;
}

// Workspace when no graph can be built here (no GPU: --dry-run on a CPU machine): cuDNN's backward
// keeps a float dQ accumulator and one float per query row (cuDNN 9.14 on H100 asked for this plus
// 256 bytes at B2 H32 N8192 D64); its forward needs next to none.
std::size_t estimated_workspace(const Geometry& g, Pass pass) {
  if (pass == Pass::fwd) return 0;
  const auto rows = static_cast<std::size_t>(g.batch * g.heads * g.seqlen_q_cudnn);
  return rows * static_cast<std::size_t>(g.head_dim + 1) * sizeof(float);
}

// A varlen batch's int32 index arrays for cuDNN, in one scratch buffer: the lengths [B], then the
// ragged offsets [B + 1] of the Q-side and of the K/V-side tensors, in elements. Each array starts on
// a 64-byte boundary (16 entries), as cuDNN wants its tensors aligned.
struct VarlenIndex {
  std::vector<std::int32_t> values;
  std::size_t ragged_q = 0, ragged_kv = 0;  // where those arrays start, in entries
};

std::size_t round16(std::size_t n) { return (n + 15) / 16 * 16; }

VarlenIndex varlen_index(const Geometry& g) {
  VarlenIndex x;
  const auto b = static_cast<std::size_t>(g.batch);
  x.ragged_q = round16(b);
  x.ragged_kv = x.ragged_q + round16(b + 1);
  x.values.assign(x.ragged_kv + b + 1, 0);
  for (std::size_t i = 0; i < b; ++i) {
    const std::int64_t n = g.seqlens[i];
    x.values[i] = static_cast<std::int32_t>(n);
    x.values[x.ragged_q + i + 1] = static_cast<std::int32_t>(x.values[x.ragged_q + i] + n * g.heads * g.head_dim);
    x.values[x.ragged_kv + i + 1] = static_cast<std::int32_t>(x.values[x.ragged_kv + i] + n * g.kv_heads * g.head_dim);
  }
  return x;
}

// Scratch besides cuDNN's workspace: the stats of the rows cuDNN sees when they cannot be our lse,
// the dropout seed and offset, the fp8 scalars and the e4m3 O. That O is counted for every fp8 point:
// whether cuDNN takes a bf16 O is known only once the graph is built (on the GPU).
std::size_t own_scratch_bytes(const Geometry& g) {
  std::size_t bytes = 0;
  if (g.stats_in_scratch()) bytes += static_cast<std::size_t>(g.batch * g.heads * g.seqlen_q_cudnn) * sizeof(float);
  if (g.dropout > 0) bytes += 2 * sizeof(std::int64_t);
  if (g.dtype == DType::fp8) bytes += (kFp8Scalars + 2) * sizeof(float) + static_cast<std::size_t>(fp8_o_bytes(g));
  if (g.varlen()) bytes += (round16(static_cast<std::size_t>(g.batch)) + round16(static_cast<std::size_t>(g.batch) + 1) +
                            static_cast<std::size_t>(g.batch) + 1) * sizeof(std::int32_t);  // varlen_index
  return bytes;
}

// The tensor starting at query row `rows` (the rows cuDNN sees), same strides.
void* rows_from(void* base, std::int64_t rows, const Strides4& s, DType dt) {
  return static_cast<char*>(base) + rows * s.n * static_cast<std::int64_t>(dtype_bytes(dt));
}

class CudnnRun final : public PreparedRun {
 public:
  CudnnRun(cudnnHandle_t handle, const Geometry& g, Pass pass, const Operands& ops, const ExecContext& ctx,
           std::uint64_t seed, std::shared_ptr<const SdpaGraph> fwd, std::shared_ptr<const SdpaGraph> bwd)
      : handle_(handle), g_(g), pass_(pass), ops_(ops), stream_(ctx.stream), fwd_(std::move(fwd)), bwd_(std::move(bwd)) {
    rng_host_[0] = static_cast<std::int64_t>(seed);  // cuDNN's Philox seed; the offset stays 0
    // One workspace serves both graphs: they run one after the other on one stream.
    const std::size_t ws = std::max(fwd_->workspace_bytes(), bwd_ ? bwd_->workspace_bytes() : 0);
    if (ws > 0) workspace_ = Buffer(*ctx.scratch, ws, "cudnn: SDPA workspace");
    if (g_.stats_in_scratch())
      stats_ = Buffer(*ctx.scratch, static_cast<std::size_t>(g_.batch * g_.heads * g_.seqlen_q_cudnn) * sizeof(float),
                      "cudnn: stats of the query rows cuDNN sees");
    if (g_.dropout > 0) {
      rng_ = Buffer(*ctx.scratch, sizeof rng_host_, "cudnn: dropout seed and offset");
      FA_CUDA_CHECK(cudaMemcpyAsync(rng_.get(), rng_host_, sizeof rng_host_, cudaMemcpyHostToDevice, stream()));
    }
    rows_ = RowSpan{g_.batch, g_.heads, g_.seqlen_q, g_.rows_skipped};
    if (g_.dtype == DType::fp8) {  // descales of Q, K, V and P, scales of P and O; then the two amax outputs
      const float scale_o = fwd_->fp8_output() ? 1.f / ops.v_descale : 1.f;  // cudnn_fp8_output.hpp
      fp8_host_ = {ops.q_descale, ops.k_descale, ops.v_descale, 1.f / kFp8PScale, kFp8PScale, scale_o, 0.f, 0.f};
      fp8_ = Buffer(*ctx.scratch, sizeof fp8_host_, "cudnn: fp8 scales and amax");
      FA_CUDA_CHECK(cudaMemcpyAsync(fp8_.get(), fp8_host_.data(), sizeof fp8_host_, cudaMemcpyHostToDevice, stream()));
    }
    if (fwd_->fp8_output())
      o_e4m3_ = Buffer(*ctx.scratch, static_cast<std::size_t>(fp8_o_bytes(g_)), "cudnn: fp8 forward's e4m3 O");
    if (g_.varlen()) {
      varlen_host_ = varlen_index(g_);
      const std::size_t bytes = varlen_host_.values.size() * sizeof(std::int32_t);
      varlen_ = Buffer(*ctx.scratch, bytes, "cudnn: varlen lengths and ragged offsets");
      FA_CUDA_CHECK(cudaMemcpyAsync(varlen_.get(), varlen_host_.values.data(), bytes, cudaMemcpyHostToDevice, stream()));
    }

    SdpaPointers ptrs;
    const std::int64_t skip = g_.rows_skipped;
    ptrs.q = rows_from(ops.q.data, skip, g_.q, g_.dtype);
    ptrs.k = ops.k.data;
    ptrs.v = ops.v.data;
    ptrs.o = fwd_->fp8_output() ? o_e4m3_.get() : o_rows();
    ptrs.stats = g_.stats_in_scratch() ? stats_.get() : ops.lse;
    if (bwd_) {
      ptrs.dout = rows_from(ops.dout.data, skip, g_.dout, g_.dtype);
      ptrs.dq = rows_from(ops.dq.data, skip, g_.dq, g_.dtype);
      ptrs.dk = ops.dk.data;
      ptrs.dv = ops.dv.data;
    }
    if (g_.dropout > 0) {
      ptrs.seed = rng_.as<std::int64_t>();
      ptrs.offset = rng_.as<std::int64_t>() + 1;
    }
    if (g_.dtype == DType::fp8) {
      ptrs.fp8_scales = fp8_.as<float>();
      ptrs.fp8_amax = fp8_.as<float>() + kFp8Scalars;
    }
    if (g_.varlen()) {
      ptrs.seq_lens = varlen_.as<std::int32_t>();
      ptrs.ragged_q = varlen_.as<std::int32_t>() + varlen_host_.ragged_q;
      ptrs.ragged_kv = varlen_.as<std::int32_t>() + varlen_host_.ragged_kv;
    }
    fwd_pack_ = fwd_->variant_pack(ptrs);
    if (bwd_) bwd_pack_ = bwd_->variant_pack(ptrs);

    if (pass_ == Pass::bwd) {  // backward-only timing reads O and lse of a forward kept out of the timed region
      FA_CUDNN_CHECK(cudnnSetStream(handle_, stream()));
      forward();
    }
    FA_CUDA_CHECK(cudaStreamSynchronize(stream()));  // the uploads' host buffers, and the forward above
  }

  void run() override {
    // The handle is shared by every run of the kernel object: point it at this run's stream.
    FA_CUDNN_CHECK(cudnnSetStream(handle_, stream()));
    if (pass_ != Pass::bwd) forward();
    if (pass_ != Pass::fwd) backward(/*stats_fresh=*/pass_ == Pass::fwdbwd);
  }

 private:
  cudaStream_t stream() const { return static_cast<cudaStream_t>(stream_); }

  // The rows of O cuDNN computes (bf16 for fp8 points).
  void* o_rows() const { return rows_from(ops_.o.data, g_.rows_skipped, g_.o, output_dtype(g_.dtype)); }

  void forward() {
    fwd_->execute(handle_, fwd_pack_, workspace_.get());
    // Timed with the forward: the harness's O is bf16 (cost in cudnn_fp8_output.hpp).
    if (fwd_->fp8_output()) fp8_o_to_bf16(o_e4m3_.get(), o_rows(), g_.o, g_, ops_.v_descale, stream_);
    if (g_.rows_skipped > 0) {
      zero_skipped_rows(ops_.o.data, g_.o, g_.head_dim, rows_, stream_);
      stats_to_lse(stats_.as<float>(), static_cast<float*>(ops_.lse), rows_, stream_);
    }
  }

  // stats_fresh: the scratch stats still hold this run's forward (fwdbwd), so lse need not be read.
  void backward(bool stats_fresh) {
    if (g_.rows_skipped > 0 && !stats_fresh) lse_to_stats(static_cast<const float*>(ops_.lse), stats_.as<float>(), rows_, stream_);
    bwd_->execute(handle_, bwd_pack_, workspace_.get());
    if (g_.rows_skipped > 0) zero_skipped_rows(ops_.dq.data, g_.dq, g_.head_dim, rows_, stream_);
  }

  cudnnHandle_t handle_;
  Geometry g_;
  Pass pass_;
  Operands ops_;
  void* stream_;
  std::shared_ptr<const SdpaGraph> fwd_, bwd_;
  Buffer workspace_, stats_, rng_, varlen_;
  VarlenIndex varlen_host_;  // the upload's source (alive until the constructor's sync) and its layout
  std::int64_t rng_host_[2] = {0, 0};  // seed, offset of cuDNN's Philox dropout
  Buffer fp8_, o_e4m3_;
  std::array<float, kFp8Scalars + 2> fp8_host_{};  // fp8: SdpaPointers::fp8_scales, then the amax outputs
  RowSpan rows_;
  VariantPack fwd_pack_, bwd_pack_;
};

struct CachedGraph {
  std::shared_ptr<const SdpaGraph> graph;  // null: cuDNN refused
  std::string why;
};

}  // namespace

std::string backend_version() {
  const std::size_t v = cudnnGetVersion();  // e.g. 91400
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000 / 100) + "." + std::to_string(v % 100);
}

struct CudnnKernel::State {
  cudnnHandle_t handle = nullptr;
  int device = 0;
  std::map<std::string, CachedGraph> cache;
  std::size_t built = 0;

  ~State() {
    cache.clear();  // plans before the handle they were built with
    if (handle) cudnnDestroy(handle);  // no throw from a destructor; a failure here is harmless
  }

  // Creates the handle on first use, on `device`; a kernel object serves one device.
  cudnnHandle_t handle_on(int dev) {
    if (!handle) {
      FA_CUDA_CHECK(cudaSetDevice(dev));
      FA_CUDNN_CHECK(cudnnCreate(&handle));
      device = dev;
    } else if (device != dev) {
      throw std::invalid_argument("cudnn: kernel object created on device " + std::to_string(device) +
                                  ", asked to run on device " + std::to_string(dev));
    }
    return handle;
  }

  // The cached graph of a geometry and kind, built on a miss (refusals are cached too).
  const CachedGraph& graph(const Geometry& g, GraphKind kind, int dev) {
    const std::string key = g.key(kind);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    cudnnHandle_t h = handle_on(dev);
    CachedGraph entry;
    entry.graph = SdpaGraph::build(h, g, kind, &entry.why);
    ++built;
    if (cache.size() >= kMaxCachedGraphs) cache.clear();
    return cache.emplace(key, std::move(entry)).first->second;
  }

  int current_device() const {
    if (handle) return device;
    int dev = 0;
    FA_CUDA_CHECK(cudaGetDevice(&dev));
    return dev;
  }
};

CudnnKernel::CudnnKernel() : state_(std::make_unique<State>()) {}
CudnnKernel::~CudnnKernel() = default;

std::size_t CudnnKernel::graphs_built() const { return state_->built; }

Support CudnnKernel::supports(const Problem& p, Pass pass) const {
  if (Support s = static_support(p); !s.ok) return s;
  if (!gpu_present()) return Support::yes();  // only cuDNN can say more, and it needs a GPU
  try {
    const Geometry g = geometry_for(p, nullptr);
    const int dev = state_->current_device();
    for (GraphKind kind : graph_kinds(pass)) {
      const CachedGraph& c = state_->graph(g, kind, dev);
      if (!c.graph) return Support::no("cudnn: " + c.why);
    }
  } catch (const std::exception&) {
    // Not a refusal (the handle or the GPU failed): prepare() meets it again and reports an error row.
    return Support::yes();
  }
  return Support::yes();
}

std::size_t CudnnKernel::workspace_bytes(const Problem& p, Pass pass) const {
  const Geometry g = geometry_for(p, nullptr);
  std::size_t ws = estimated_workspace(g, pass);
  if (static_support(p).ok && gpu_present()) {
    try {
      std::size_t exact = 0;
      bool all = true;
      for (GraphKind kind : graph_kinds(pass)) {
        const CachedGraph& c = state_->graph(g, kind, state_->current_device());
        if (!c.graph) all = false;
        else exact = std::max(exact, c.graph->workspace_bytes());
      }
      if (all) ws = exact;
    } catch (const std::exception&) {
      // keep the estimate; prepare() reports the failure
    }
  }
  return ws + own_scratch_bytes(g);
}

std::unique_ptr<PreparedRun> CudnnKernel::prepare(const Problem& p, Pass pass, const Operands& ops,
                                                  const ExecContext& ctx) {
  if (Support s = static_support(p); !s.ok) throw std::invalid_argument("cudnn: unsupported point: " + s.reason);
  FA_CUDA_CHECK(cudaSetDevice(ctx.device));
  cudnnHandle_t handle = state_->handle_on(ctx.device);
  // The operands' real strides decide the graph (supports() saw only the layout's).
  const Geometry g = geometry_for(p, &ops);
  std::shared_ptr<const SdpaGraph> fwd, bwd;
  for (GraphKind kind : graph_kinds(pass)) {
    const CachedGraph& c = state_->graph(g, kind, ctx.device);
    if (!c.graph) throw std::invalid_argument("cudnn: " + c.why);
    (kind == GraphKind::fwd ? fwd : bwd) = c.graph;
  }
  auto run = std::make_unique<CudnnRun>(handle, g, pass, ops, ctx, p.seed, std::move(fwd), std::move(bwd));
  return run;
}

}  // namespace cudnn

std::unique_ptr<AttentionKernel> make_cudnn_kernel() { return std::make_unique<cudnn::CudnnKernel>(); }

FamilyBuild cudnn_build() {
  return {.factory = &make_cudnn_kernel,
          .library_versions = [] { return std::vector<LibraryVersion>{{"cudnn_version", cudnn::backend_version()}}; }};
}

}  // namespace fa
