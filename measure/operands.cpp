#include "measure/operands.hpp"

#include <cmath>
#include <algorithm>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>

#if FA_HAS_CUDA
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#include "measure/device_fill.hpp"
#endif

namespace fa {

const char* to_string(Tensor t) {
  static const char* names[] = {"q", "k", "v", "o", "lse", "dout", "dq", "dk", "dv"};
  return names[static_cast<int>(t)];
}

namespace {

// fp8: x quantized with its own per-tensor scale (core/dtype.hpp) and dequantized again, in place;
// returns the descale. The scale is a power of two, so x * scale is the exact e4m3 value.
float quantize_fp8(std::vector<double>& x) {
  double amax = 0;
  for (double e : x) amax = std::max(amax, std::fabs(e));
  const double scale = fp8_scale_for_amax(amax);
  for (double& e : x) e = round_to_dtype(DType::fp8, e * scale) / scale;
  return static_cast<float>(1.0 / scale);
}

// Device-generated fp8 inputs (timing runs): normal values times this fixed power of two, so the amax
// of a large tensor (5-6 standard deviations) lands near 448 without a reduction; the rare value beyond
// 7 sd saturates to 448.
constexpr float kDeviceFp8Scale = 64.f;

bool is_input(Tensor t) { return t == Tensor::q || t == Tensor::k || t == Tensor::v; }

// Bytes from the host into a buffer of the given memory space.
void copy_in(Backend backend, void* dst, const void* src, std::size_t bytes) {
  if (backend == Backend::host) {
    std::memcpy(dst, src, bytes);
  } else {
#if FA_HAS_CUDA
    // From pageable memory cudaMemcpy may return before its DMA has landed (the CUDA runtime's "API
    // synchronization behavior"), and the kernels run on non-blocking streams, which do not wait for the
    // legacy stream: wait for the copy itself, or a kernel may read a tail of stale bytes. (Seen once: a flash
    // GQA backward verified against partly stale inputs while another process loaded the GPU.)
    FA_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
    FA_CUDA_CHECK(cudaStreamSynchronize(cudaStreamLegacy));
#endif
  }
}

}  // namespace

HostInputs make_host_inputs(const Problem& p, Pass pass, double input_scale, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  const bool fp8 = p.dtype == DType::fp8;
  auto fill = [&](std::int64_t n, double sd) {
    std::vector<double> x(static_cast<std::size_t>(n));
    for (double& e : x) e = fp8 ? normal(rng) * sd : round_to_dtype(p.dtype, normal(rng) * sd);
    return x;
  };
  HostInputs in;
  in.q = fill(q_elements(p), input_scale);
  in.k = fill(kv_elements(p), input_scale);
  in.v = fill(kv_elements(p), 1.0);
  if (pass != Pass::fwd) in.dout = fill(q_elements(p), 1.0);
  if (fp8) {
    in.q_descale = quantize_fp8(in.q);
    in.k_descale = quantize_fp8(in.k);
    in.v_descale = quantize_fp8(in.v);
  }
  return in;
}

DType OperandSet::element_type(Tensor t) const { return is_input(t) ? p_.dtype : output_dtype(p_.dtype); }

float OperandSet::descale(Tensor t) const {
  switch (t) {
    case Tensor::q: return ops_.q_descale;
    case Tensor::k: return ops_.k_descale;
    case Tensor::v: return ops_.v_descale;
    default: return 1.f;
  }
}

std::size_t OperandSet::element_bytes(Tensor t) const {
  if (backend_ == Backend::host) return sizeof(double);
  return t == Tensor::lse ? sizeof(float) : dtype_bytes(element_type(t));
}

OperandSet::OperandSet(const Problem& p, Pass pass, Backend backend, Allocator& alloc, const BlockMask* mask)
    : p_(p), pass_(pass), backend_(backend) {
  const bool grads = pass != Pass::fwd;
  auto make = [&](Tensor t, std::int64_t n_rows, bool needed) {
    if (!needed) return;
    Slot& s = slot(t);
    s.seqlen = n_rows;
    const bool kv_side = t == Tensor::k || t == Tensor::v || t == Tensor::dk || t == Tensor::dv;
    s.heads = kv_side ? p.num_kv_heads() : p.heads;
    const std::int64_t tokens = kv_side ? kv_tokens(p) : q_tokens(p);  // varlen: packed, no padding
    s.elements = t == Tensor::lse ? p.batch * p.heads * p.seqlen_q : tokens * s.heads * p.head_dim;
    s.buf = Buffer(alloc, static_cast<std::size_t>(s.elements) * element_bytes(t), to_string(t));
  };
  make(Tensor::q, p.seqlen_q, true);
  make(Tensor::k, p.seqlen_kv, true);
  make(Tensor::v, p.seqlen_kv, true);
  make(Tensor::o, p.seqlen_q, true);
  make(Tensor::lse, 0, true);
  make(Tensor::dout, p.seqlen_q, grads);
  make(Tensor::dq, p.seqlen_q, grads);
  make(Tensor::dk, p.seqlen_kv, grads);
  make(Tensor::dv, p.seqlen_kv, grads);

  auto ref = [&](Tensor t) {
    TensorRef r;
    const Slot& s = slot(t);
    r.data = s.buf.get();
    // Varlen: packed [tokens, H, D], a sequence's rows found through cu_seqlens, no batch stride.
    const Strides st = p.is_varlen() ? Strides{0, p.head_dim, s.heads * p.head_dim}
                                     : strides_for(p.layout, s.heads, s.seqlen, p.head_dim);
    r.stride_b = st.b;
    r.stride_h = st.h;
    r.stride_n = st.n;
    return r;
  };
  ops_.q = ref(Tensor::q);
  ops_.k = ref(Tensor::k);
  ops_.v = ref(Tensor::v);
  ops_.o = ref(Tensor::o);
  ops_.lse = slot(Tensor::lse).buf.get();
  if (grads) {
    ops_.dout = ref(Tensor::dout);
    ops_.dq = ref(Tensor::dq);
    ops_.dk = ref(Tensor::dk);
    ops_.dv = ref(Tensor::dv);
  }
  if (p.is_varlen()) upload_cu_seqlens(alloc);
  if (mask) {
    ops_.mask_heads = mask->heads;
    ops_.mask_blocks_q = mask->blocks_q;
    ops_.mask_blocks_k = mask->blocks_k;
    mask_buf_ = Buffer(alloc, mask->bits.size(), "block mask");
    copy_in(backend, mask_buf_.get(), mask->bits.data(), mask->bits.size());
    ops_.block_mask = mask_buf_.as<std::uint8_t>();
  }
}

void OperandSet::upload_cu_seqlens(Allocator& alloc) {
  std::vector<std::int32_t> cu;
  for (const std::int64_t off : seq_offsets(p_)) cu.push_back(static_cast<std::int32_t>(off));  // < 2^31: expansion
  cu_seqlens_buf_ = Buffer(alloc, cu.size() * sizeof(std::int32_t), "cu_seqlens");
  copy_in(backend_, cu_seqlens_buf_.get(), cu.data(), cu.size() * sizeof(std::int32_t));
  ops_.cu_seqlens = cu_seqlens_buf_.as<std::int32_t>();
}

template <class Fn>
void OperandSet::for_each_element(Tensor t, Fn fn) const {
  const Slot& s = slot(t);
  const std::int64_t B = p_.batch, H = s.heads, N = s.seqlen, D = p_.head_dim;
  const bool device = backend_ == Backend::cuda;
  if (!p_.is_varlen()) {
    if (t == Tensor::lse) {
      for (std::int64_t i = 0; i < s.elements; ++i) fn(Index{static_cast<std::size_t>(i), static_cast<std::size_t>(i)});
      return;
    }
    const Strides st = strides_for(p_.layout, H, N, D);
    for (std::int64_t b = 0; b < B; ++b)
      for (std::int64_t h = 0; h < H; ++h)
        for (std::int64_t n = 0; n < N; ++n)
          for (std::int64_t d = 0; d < D; ++d)
            fn(Index{static_cast<std::size_t>(((b * H + h) * N + n) * D + d),
                     static_cast<std::size_t>(b * st.b + h * st.h + n * st.n + d)});
    return;
  }
  // Varlen: host arrays per sequence [H, L, D] (lse [H, L]) from token offset t_b; device tensors
  // packed [tokens, H, D], device lse [B, H, Nq] with Nq the longest; host kernels use the host form.
  const std::vector<std::int64_t> off = seq_offsets(p_);
  const std::int64_t width = t == Tensor::lse ? 1 : D;
  for (std::int64_t b = 0; b < B; ++b) {
    const std::int64_t L = p_.seqlens[static_cast<std::size_t>(b)];
    for (std::int64_t h = 0; h < H; ++h)
      for (std::int64_t n = 0; n < L; ++n)
        for (std::int64_t d = 0; d < width; ++d) {
          const auto host = static_cast<std::size_t>((off[b] * H + h * L + n) * width + d);
          const auto kernel = t == Tensor::lse ? static_cast<std::size_t>((b * H + h) * p_.seqlen_q + n)
                                               : static_cast<std::size_t>(((off[b] + n) * H + h) * D + d);
          fn(Index{host, device ? kernel : host});
        }
  }
}

std::size_t OperandSet::bytes() const {
  std::size_t total = mask_buf_.bytes() + cu_seqlens_buf_.bytes();
  for (const Slot& s : slots_) total += s.buf.bytes();
  return total;
}

void OperandSet::upload_tensor(Tensor t, const std::vector<double>& bhnd) {
  const Slot& s = slot(t);
  if (!s.buf.get()) return;
  if (static_cast<std::int64_t>(bhnd.size()) != s.elements) throw std::logic_error("upload: size mismatch");
  const std::size_t eb = element_bytes(t);
  const DType type = element_type(t);
  const double scale = 1.0 / descale(t);  // fp8 inputs: back to the e4m3 values (exact: a power of two)
  std::vector<unsigned char> staging(static_cast<std::size_t>(s.elements) * eb);
  for_each_element(t, [&](const Index& i) {
    if (backend_ == Backend::host) {
      reinterpret_cast<double*>(staging.data())[i.kernel] = bhnd[i.host];
    } else {
      store_element(type, staging.data(), i.kernel, bhnd[i.host] * scale);
    }
  });
  copy_in(backend_, s.buf.get(), staging.data(), staging.size());
}

void OperandSet::upload(const HostInputs& in) {
  ops_.q_descale = in.q_descale;
  ops_.k_descale = in.k_descale;
  ops_.v_descale = in.v_descale;
  upload_tensor(Tensor::q, in.q);
  upload_tensor(Tensor::k, in.k);
  upload_tensor(Tensor::v, in.v);
  if (has_grads()) upload_tensor(Tensor::dout, in.dout);
}

void OperandSet::fill_random(std::uint64_t seed, void* stream) {
  if (backend_ == Backend::host) {
    upload(make_host_inputs(p_, pass_, 1.0, seed));
    return;
  }
#if FA_HAS_CUDA
  const bool fp8 = p_.dtype == DType::fp8;
  const float sd = fp8 ? kDeviceFp8Scale : 1.0f;
  ops_.q_descale = ops_.k_descale = ops_.v_descale = 1.0f / sd;
  std::uint64_t salt = 0;
  for (Tensor t : {Tensor::q, Tensor::k, Tensor::v, Tensor::dout}) {
    const Slot& s = slot(t);
    if (s.buf.get())
      device_fill_normal(s.buf.get(), element_type(t), s.elements, seed + 0x9E3779B97F4A7C15ULL * ++salt,
                         is_input(t) ? sd : 1.0f, stream);
  }
  FA_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)));
#endif
}

void OperandSet::poison_outputs(void* stream) {
  for (Tensor t : {Tensor::o, Tensor::lse, Tensor::dq, Tensor::dk, Tensor::dv}) {
    const Slot& s = slot(t);
    if (!s.buf.get()) continue;
    if (backend_ == Backend::host) {
      double* d = s.buf.as<double>();
      for (std::int64_t i = 0; i < s.elements; ++i) d[i] = std::numeric_limits<double>::quiet_NaN();
    } else {
#if FA_HAS_CUDA
      // All-ones bytes are NaN in fp32, fp16 and bf16 alike.
      FA_CUDA_CHECK(cudaMemsetAsync(s.buf.get(), 0xFF, s.buf.bytes(), static_cast<cudaStream_t>(stream)));
#endif
    }
  }
#if FA_HAS_CUDA
  if (backend_ == Backend::cuda) FA_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)));
#endif
}

std::vector<double> OperandSet::download(Tensor t) const {
  const Slot& s = slot(t);
  if (!s.buf.get()) throw std::logic_error(std::string("download: tensor not allocated: ") + to_string(t));
  std::vector<unsigned char> raw(s.buf.bytes());
  if (backend_ == Backend::host) {
    std::memcpy(raw.data(), s.buf.get(), raw.size());
  } else {
#if FA_HAS_CUDA
    FA_CUDA_CHECK(cudaMemcpy(raw.data(), s.buf.get(), raw.size(), cudaMemcpyDeviceToHost));
#endif
  }
  // Varlen lse: the tokens' rows only (the device array is padded to the longest sequence).
  const std::int64_t n = t == Tensor::lse && p_.is_varlen() ? q_tokens(p_) * p_.heads : s.elements;
  std::vector<double> out(static_cast<std::size_t>(n));
  const DType type = element_type(t);
  const double unscale = descale(t);  // fp8 inputs: the dequantized values
  for_each_element(t, [&](const Index& i) {
    if (backend_ == Backend::host) {
      out[i.host] = reinterpret_cast<const double*>(raw.data())[i.kernel];
    } else if (t == Tensor::lse) {
      out[i.host] = reinterpret_cast<const float*>(raw.data())[i.kernel];
    } else {
      out[i.host] = load_element(type, raw.data(), i.kernel) * unscale;
    }
  });
  return out;
}

}  // namespace fa
