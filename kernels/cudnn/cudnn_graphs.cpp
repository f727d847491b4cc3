// The one translation unit that compiles the cuDNN frontend: SDPA forward / backward graphs.
//
// Forward:  O, Stats = sdpa(Q, K, V) with attn_scale, generate_stats (Stats = natural-log
//           logsumexp of the scaled, masked scores, float [B, H, Nq, 1]: the same quantity and
//           convention as our lse, so no conversion is needed), the causal alignment of the geometry,
//           and cuDNN's own Philox dropout (seed and offset are device scalars).
// Backward: dQ, dK, dV = sdpa_backward(Q, K, V, O, dO, Stats) with the same options, so the same
//           seed and offset reproduce the forward's dropout mask.
// fp8:      the forward only, O in bf16 where cuDNN offers it, else in e4m3 (cudnn_fp8_output.hpp).
// Varlen:   every Q-side tensor (Q, O, dO, dQ) carries the Q ragged offsets and every K/V-side one
//           (K, V, dK, dV) the K/V ones; the padding mask takes the lengths as seq_len_q and seq_len_kv.
#include "kernels/cudnn/cudnn_graphs.hpp"

#include <cudnn_frontend.h>

#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <utility>
#include <vector>

#include "kernels/cudnn/cudnn_fp8_output.hpp"

namespace fe = cudnn_frontend;

namespace fa::cudnn {
namespace {

// Tensor uids: fixed, so a variant pack can be made without the graph's tensor objects.
enum Uid : std::int64_t {
  kQ = 1, kK, kV, kO, kStats, kDout, kDq, kDk, kDv, kSeed, kOffset, kSeqLens, kRaggedQ, kRaggedKv,
  kDescaleQ, kDescaleK, kDescaleV, kDescaleS, kScaleS, kScaleO, kAmaxS, kAmaxO
};

const char* code_name(fe::error_code_t c) {
  switch (c) {
    case fe::error_code_t::OK: return "OK";
    case fe::error_code_t::ATTRIBUTE_NOT_SET: return "ATTRIBUTE_NOT_SET";
    case fe::error_code_t::SHAPE_DEDUCTION_FAILED: return "SHAPE_DEDUCTION_FAILED";
    case fe::error_code_t::INVALID_TENSOR_NAME: return "INVALID_TENSOR_NAME";
    case fe::error_code_t::INVALID_VARIANT_PACK: return "INVALID_VARIANT_PACK";
    case fe::error_code_t::GRAPH_NOT_SUPPORTED: return "GRAPH_NOT_SUPPORTED";
    case fe::error_code_t::GRAPH_EXECUTION_PLAN_CREATION_FAILED: return "GRAPH_EXECUTION_PLAN_CREATION_FAILED";
    case fe::error_code_t::GRAPH_EXECUTION_FAILED: return "GRAPH_EXECUTION_FAILED";
    case fe::error_code_t::HEURISTIC_QUERY_FAILED: return "HEURISTIC_QUERY_FAILED";
    case fe::error_code_t::UNSUPPORTED_GRAPH_FORMAT: return "UNSUPPORTED_GRAPH_FORMAT";
    case fe::error_code_t::CUDA_API_FAILED: return "CUDA_API_FAILED";
    case fe::error_code_t::CUDNN_BACKEND_API_FAILED: return "CUDNN_BACKEND_API_FAILED";
    case fe::error_code_t::INVALID_CUDA_DEVICE: return "INVALID_CUDA_DEVICE";
    case fe::error_code_t::HANDLE_ERROR: return "HANDLE_ERROR";
    case fe::error_code_t::INVALID_VALUE: return "INVALID_VALUE";
    case fe::error_code_t::NVRTC_COMPILATION_FAILED: return "NVRTC_COMPILATION_FAILED";
  }
  return "unknown error code";
}

std::string describe(const char* step, fe::error_t e) {
  return std::string(step) + ": " + code_name(e.get_code()) + ": " + e.get_message();
}

// Failures of the machinery itself rather than cuDNN declining the graph: these become errors
// (thrown), never `unsupported` rows.
bool is_environment_failure(fe::error_code_t c) {
  return c == fe::error_code_t::CUDA_API_FAILED || c == fe::error_code_t::HANDLE_ERROR ||
         c == fe::error_code_t::INVALID_CUDA_DEVICE;
}

fe::DataType_t io_type(DType d) {
  switch (d) {
    case DType::fp16: return fe::DataType_t::HALF;
    case DType::bf16: return fe::DataType_t::BFLOAT16;
    case DType::fp8: return fe::DataType_t::FP8_E4M3;
    case DType::fp32: break;
  }
  throw std::invalid_argument("cudnn: SDPA takes fp16 or bf16 operands");
}

using TensorPtr = std::shared_ptr<fe::graph::Tensor_attributes>;

// Which of the frontend's two forward SDPA nodes to build. AUTO (the default) lets the frontend pick:
// since frontend 1.1x it prefers the UNIFIED node whenever the loaded cuDNN (>= 9.13.1) takes the
// graph, and falls back to the COMPOSITE node, which is what older frontends (and so other programs
// built on them, PyTorch's cuDNN backend among them) always build. FA_CUDNN_SDPA_IMPL=composite|unified
// pins one, so fa-bench can time the same engine another program runs (docs/perf/cudnn-notes.md).
fe::AttentionImplementation_t forward_implementation() {
  const char* env = std::getenv("FA_CUDNN_SDPA_IMPL");
  const std::string v = env ? env : "";
  if (v.empty() || v == "auto") return fe::AttentionImplementation_t::AUTO;
  if (v == "composite") return fe::AttentionImplementation_t::COMPOSITE;
  if (v == "unified") return fe::AttentionImplementation_t::UNIFIED;
  throw std::invalid_argument("FA_CUDNN_SDPA_IMPL: '" + v + "' is not one of auto, composite, unified");
}

fe::graph::Tensor_attributes bhnd(const char* name, Uid uid, std::int64_t b, std::int64_t h, std::int64_t n,
                                  std::int64_t d, const Strides4& s) {
  return fe::graph::Tensor_attributes().set_name(name).set_uid(uid).set_dim({b, h, n, d}).set_stride(
      {s.b, s.h, s.n, 1});
}

// Stats / lse rows of the part cuDNN computes: float [B, H, Nq', 1], contiguous.
fe::graph::Tensor_attributes stats_attrs(const Geometry& g) {
  const std::int64_t n = g.seqlen_q_cudnn;
  return fe::graph::Tensor_attributes()
      .set_name("stats")
      .set_uid(kStats)
      .set_data_type(fe::DataType_t::FLOAT)
      .set_dim({g.batch, g.heads, n, 1})
      .set_stride({g.heads * n, n, 1, 1});
}

// A [1, 1, 1, 1] device scalar of the graph: the dropout seed and offset (int64), the fp8 scales (float).
TensorPtr scalar(fe::graph::Graph& graph, const char* name, std::int64_t uid, fe::DataType_t type) {
  return graph.tensor(fe::graph::Tensor_attributes()
                          .set_name(name)
                          .set_uid(uid)
                          .set_dim({1, 1, 1, 1})
                          .set_stride({1, 1, 1, 1})
                          .set_data_type(type));
}

// An int32 index tensor of n entries: lengths or ragged offsets of a varlen batch.
TensorPtr index_int32(fe::graph::Graph& graph, const char* name, Uid uid, std::int64_t n) {
  return graph.tensor(fe::graph::Tensor_attributes()
                          .set_name(name)
                          .set_uid(uid)
                          .set_dim({n, 1, 1, 1})
                          .set_stride({1, 1, 1, 1})
                          .set_data_type(fe::DataType_t::INT32));
}

// A varlen batch's index tensors (null pointers without one).
struct Ragged {
  TensorPtr seq_lens, q, kv;
};

Ragged ragged_tensors(fe::graph::Graph& graph, const Geometry& g) {
  if (!g.varlen()) return {};
  return {index_int32(graph, "seq_lens", kSeqLens, g.batch), index_int32(graph, "ragged_q", kRaggedQ, g.batch + 1),
          index_int32(graph, "ragged_kv", kRaggedKv, g.batch + 1)};
}

// The padding mask of a varlen batch: every sequence's length for its queries and its keys.
template <class Attributes>
void set_varlen(Attributes& a, const Ragged& r) {
  if (r.seq_lens) a.set_padding_mask(true).set_seq_len_q(r.seq_lens).set_seq_len_kv(r.seq_lens);
}

// The Q-side tensors (H heads) get the Q ragged offsets, the K/V-side ones (kv_heads) the K/V ones.
void set_ragged(const Ragged& r, std::initializer_list<TensorPtr> q_side, std::initializer_list<TensorPtr> kv_side) {
  if (!r.seq_lens) return;
  for (const TensorPtr& t : q_side) t->set_ragged_offset(r.q);
  for (const TensorPtr& t : kv_side) t->set_ragged_offset(r.kv);
}

// The causal alignment and dropout are set the same way on the forward and backward attributes.
template <class Attributes>
void set_mask_and_dropout(Attributes& a, const Geometry& g, const TensorPtr& seed, const TensorPtr& offset) {
  switch (g.mask) {
    case MaskMode::none: break;
    case MaskMode::causal_top_left:
      a.set_diagonal_alignment(fe::DiagonalAlignment_t::TOP_LEFT).set_diagonal_band_right_bound(0);
      break;
    case MaskMode::causal_bottom_right:
      a.set_diagonal_alignment(fe::DiagonalAlignment_t::BOTTOM_RIGHT).set_diagonal_band_right_bound(0);
      break;
  }
  if (g.dropout > 0) a.set_dropout(g.dropout, seed, offset);
}

// The causal mask of an fp8 forward. The frontend refuses the bottom-right alignment for fp8 below
// Blackwell; the same mask is the top-left one shifted right by Nk - Nq (key j kept for query i when
// j <= i + Nk - Nq), which its fp8 checks allow. Whether the engine runs that band is cuDNN's to say.
void set_fp8_mask(fe::graph::SDPA_fp8_attributes& a, const Geometry& g) {
  if (g.mask == MaskMode::none) return;
  const std::int64_t shift = g.mask == MaskMode::causal_bottom_right ? g.seqlen_kv - g.seqlen_q_cudnn : 0;
  a.set_diagonal_alignment(fe::DiagonalAlignment_t::TOP_LEFT).set_diagonal_band_right_bound(shift);
}

// fp8 forward (e4m3 Q, K, V): the fp8 node with the descales and scales of SdpaPointers::fp8_scales, stats
// as the 16-bit forward's, and the amax outputs the node produces (unused, but outputs). O: bf16 in the
// harness's tensor, or (o_type FP8_E4M3) e4m3 in scratch with fp8_o_strides (cudnn_fp8_output.hpp).
void add_fp8_forward(fe::graph::Graph& graph, const TensorPtr& q, const TensorPtr& k, const TensorPtr& v,
                     const Geometry& g, fe::DataType_t o_type) {
  static const char* names[kFp8Scalars] = {"descale_q", "descale_k", "descale_v", "descale_s", "scale_s", "scale_o"};
  TensorPtr s[kFp8Scalars];
  for (int i = 0; i < kFp8Scalars; ++i) s[i] = scalar(graph, names[i], kDescaleQ + i, fe::DataType_t::FLOAT);
  auto attrs = fe::graph::SDPA_fp8_attributes().set_name("sdpa_fp8_fwd").set_generate_stats(true).set_attn_scale(g.scale);
  set_fp8_mask(attrs, g);  // no dropout with fp8 (refused before)
  auto [o, stats, amax_s, amax_o] = graph.sdpa_fp8(q, k, v, s[0], s[1], s[2], s[3], s[4], s[5], attrs);
  const Strides4 os = o_type == fe::DataType_t::FP8_E4M3 ? fp8_o_strides(g) : g.o;
  o->set_output(true).set_uid(kO).set_dim({g.batch, g.heads, g.seqlen_q_cudnn, g.head_dim})
      .set_stride({os.b, os.h, os.n, 1}).set_data_type(o_type);
  const auto sa = stats_attrs(g);
  stats->set_output(true).set_uid(kStats).set_data_type(fe::DataType_t::FLOAT).set_dim(sa.get_dim()).set_stride(
      sa.get_stride());
  for (auto& [t, uid] : {std::pair{amax_s, kAmaxS}, std::pair{amax_o, kAmaxO}})
    t->set_output(true).set_uid(uid).set_dim({1, 1, 1, 1}).set_stride({1, 1, 1, 1}).set_data_type(fe::DataType_t::FLOAT);
}

// The operation graph of one geometry and kind; an fp8 forward's O is of type fp8_o. The frontend throws
// its exceptions on some refusals while nodes are added (attempt() catches them).
std::shared_ptr<fe::graph::Graph> describe_graph(const Geometry& g, GraphKind kind, fe::DataType_t fp8_o) {
  auto graph = std::make_shared<fe::graph::Graph>();
  graph->set_io_data_type(io_type(g.dtype))
      .set_intermediate_data_type(fe::DataType_t::FLOAT)
      .set_compute_data_type(fe::DataType_t::FLOAT);

  const std::int64_t b = g.batch, h = g.heads, hk = g.kv_heads, nq = g.seqlen_q_cudnn, nk = g.seqlen_kv,
                     d = g.head_dim;
  auto q = graph->tensor(bhnd("Q", kQ, b, h, nq, d, g.q));
  auto k = graph->tensor(bhnd("K", kK, b, hk, nk, d, g.k));  // hk < h: GQA, cuDNN's own
  auto v = graph->tensor(bhnd("V", kV, b, hk, nk, d, g.v));
  const Ragged ragged = ragged_tensors(*graph, g);
  set_ragged(ragged, {q}, {k, v});
  TensorPtr seed, offset;
  if (g.dropout > 0) {
    seed = scalar(*graph, "seed", kSeed, fe::DataType_t::INT64);
    offset = scalar(*graph, "offset", kOffset, fe::DataType_t::INT64);
  }

  if (g.dtype == DType::fp8) {
    if (kind != GraphKind::fwd) throw std::invalid_argument("cudnn: no fp8 backward here (forward only)");
    add_fp8_forward(*graph, q, k, v, g, fp8_o);
  } else if (kind == GraphKind::fwd) {
    auto attrs = fe::graph::SDPA_attributes()
                     .set_name("sdpa_fwd")
                     .set_generate_stats(true)
                     .set_attn_scale(g.scale)
                     .set_implementation(forward_implementation());
    set_mask_and_dropout(attrs, g, seed, offset);
    set_varlen(attrs, ragged);
    auto [o, stats] = graph->sdpa(q, k, v, attrs);
    o->set_output(true).set_uid(kO).set_dim({b, h, nq, d}).set_stride({g.o.b, g.o.h, g.o.n, 1});
    set_ragged(ragged, {o}, {});
    const auto sa = stats_attrs(g);
    stats->set_output(true).set_uid(kStats).set_data_type(fe::DataType_t::FLOAT).set_dim(sa.get_dim()).set_stride(
        sa.get_stride());
  } else {
    auto o = graph->tensor(bhnd("O", kO, b, h, nq, d, g.o));
    auto dout = graph->tensor(bhnd("dO", kDout, b, h, nq, d, g.dout));
    auto stats = graph->tensor(stats_attrs(g));
    auto attrs = fe::graph::SDPA_backward_attributes().set_name("sdpa_bwd").set_attn_scale(g.scale);
    set_mask_and_dropout(attrs, g, seed, offset);
    set_varlen(attrs, ragged);
    set_ragged(ragged, {o, dout}, {});
    auto [dq, dk, dv] = graph->sdpa_backward(q, k, v, o, dout, stats, attrs);
    dq->set_output(true).set_uid(kDq).set_dim({b, h, nq, d}).set_stride({g.dq.b, g.dq.h, g.dq.n, 1});
    dk->set_output(true).set_uid(kDk).set_dim({b, hk, nk, d}).set_stride({g.dk.b, g.dk.h, g.dk.n, 1});
    dv->set_output(true).set_uid(kDv).set_dim({b, hk, nk, d}).set_stride({g.dv.b, g.dv.h, g.dv.n, 1});
    set_ragged(ragged, {dq}, {dk, dv});
  }
  return graph;
}

// A graph with its execution plan built, or why not: the failing step in cuDNN's words, and whether
// cuDNN declined the graph as such (GRAPH_NOT_SUPPORTED), after which another form of it may be tried.
struct Planned {
  std::shared_ptr<fe::graph::Graph> graph;  // null: refused
  std::int64_t workspace = 0;
  std::string why;
  bool not_supported = false;
};

// Validates the graph and builds the first plan cuDNN supports; throws on failures that are not refusals.
Planned plan(cudnnHandle_t handle, std::shared_ptr<fe::graph::Graph> graph) {
  Planned p;
  // Each step's status is checked; a refusal carries cuDNN's own words into the row.
  const std::pair<const char*, std::function<fe::error_t()>> steps[] = {
      {"validate", [&] { return graph->validate(); }},
      {"build_operation_graph", [&] { return graph->build_operation_graph(handle); }},
      {"create_execution_plans", [&] { return graph->create_execution_plans({fe::HeurMode_t::A}); }},
      {"check_support", [&] { return graph->check_support(); }},
      {"build_plans", [&] { return graph->build_plans(fe::BuildPlanPolicy_t::HEURISTICS_CHOICE); }},
      {"get_workspace_size", [&] { return graph->get_workspace_size(p.workspace); }},
  };
  for (const auto& [step, call] : steps) {
    const fe::error_t e = call();
    if (e.is_good()) continue;
    if (is_environment_failure(e.code)) throw std::runtime_error("cudnn: " + describe(step, e));
    p.why = describe(step, e);
    p.not_supported = e.code == fe::error_code_t::GRAPH_NOT_SUPPORTED;
    return p;
  }
  p.graph = std::move(graph);
  return p;
}

Planned attempt(cudnnHandle_t handle, const Geometry& g, GraphKind kind, fe::DataType_t fp8_o) {
  try {
    return plan(handle, describe_graph(g, kind, fp8_o));
  } catch (const fe::cudnnException& e) {  // the frontend's exceptions: a refusal deeper down
    Planned p;
    p.why = std::string("cudnn frontend exception: ") + e.what();
    return p;
  }
}

}  // namespace

struct SdpaGraph::Impl {
  GraphKind kind = GraphKind::fwd;
  bool dropout = false;
  bool fp8 = false;
  bool fp8_output = false;  // fp8 forward whose O is e4m3 in scratch (cudnn_fp8_output.hpp)
  bool varlen = false;
  std::shared_ptr<fe::graph::Graph> graph;
  std::int64_t workspace = 0;
};

SdpaGraph::SdpaGraph(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SdpaGraph::~SdpaGraph() = default;
GraphKind SdpaGraph::kind() const { return impl_->kind; }
bool SdpaGraph::fp8_output() const { return impl_->fp8_output; }
std::size_t SdpaGraph::workspace_bytes() const { return static_cast<std::size_t>(impl_->workspace); }

std::shared_ptr<const SdpaGraph> SdpaGraph::build(cudnnHandle_t handle, const Geometry& g, GraphKind kind,
                                                  std::string* why) {
  auto impl = std::make_unique<Impl>();
  impl->kind = kind;
  impl->dropout = g.dropout > 0;
  impl->fp8 = g.dtype == DType::fp8;
  impl->varlen = g.varlen();
  Planned p = attempt(handle, g, kind, fe::DataType_t::BFLOAT16);
  if (impl->fp8 && !p.graph && p.not_supported) {
    // cuDNN below Blackwell (or below 9.13) has no bf16 O for fp8: O in e4m3, converted by the run.
    Planned e4m3 = attempt(handle, g, kind, fe::DataType_t::FP8_E4M3);
    if (e4m3.graph) {
      p = std::move(e4m3);
      impl->fp8_output = true;
    } else {
      p.why = "bf16 O: " + p.why + "; e4m3 O: " + e4m3.why;
    }
  }
  if (!p.graph) {
    *why = p.why;
    return nullptr;
  }
  impl->graph = std::move(p.graph);
  impl->workspace = p.workspace;
  return std::shared_ptr<const SdpaGraph>(new SdpaGraph(std::move(impl)));
}

VariantPack SdpaGraph::variant_pack(const SdpaPointers& p) const {
  VariantPack pack{{kQ, const_cast<void*>(p.q)}, {kK, const_cast<void*>(p.k)}, {kV, const_cast<void*>(p.v)},
                   {kO, p.o}, {kStats, p.stats}};
  if (impl_->kind == GraphKind::bwd) {
    pack.emplace(kDout, const_cast<void*>(p.dout));
    pack.emplace(kDq, p.dq);
    pack.emplace(kDk, p.dk);
    pack.emplace(kDv, p.dv);
  }
  if (impl_->dropout) {
    pack.emplace(kSeed, const_cast<void*>(p.seed));
    pack.emplace(kOffset, const_cast<void*>(p.offset));
  }
  if (impl_->fp8) {
    for (int i = 0; i < kFp8Scalars; ++i) pack.emplace(kDescaleQ + i, const_cast<float*>(p.fp8_scales + i));
    pack.emplace(kAmaxS, p.fp8_amax);
    pack.emplace(kAmaxO, p.fp8_amax ? p.fp8_amax + 1 : nullptr);
  }
  if (impl_->varlen) {
    pack.emplace(kSeqLens, const_cast<void*>(p.seq_lens));
    pack.emplace(kRaggedQ, const_cast<void*>(p.ragged_q));
    pack.emplace(kRaggedKv, const_cast<void*>(p.ragged_kv));
  }
  for (const auto& [uid, ptr] : pack)
    if (ptr == nullptr) throw std::invalid_argument("cudnn: operand " + std::to_string(uid) + " of the graph is null");
  return pack;
}

void SdpaGraph::execute(cudnnHandle_t handle, VariantPack& pack, void* workspace) const {
  const fe::error_t e = impl_->graph->execute(handle, pack, workspace);
  if (e.is_bad()) throw std::runtime_error("cudnn: " + describe("execute", e));
}

}  // namespace fa::cudnn
