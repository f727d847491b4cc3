#pragma once
// Device tensors for the tests that call a backward below the AttentionKernel interface (on float64
// reference O and lse): one [B, H, N, D] tensor in a layout, converted from / to float64 bhnd, the
// operands of a backward built from them (pointers and strides into launch parameters through
// fa::operands_into), and the relative L2 error those tests report.
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/cuda_check.hpp"
#include "core/dtype.hpp"
#include "core/kernel.hpp"
#include "core/problem.hpp"
#include "measure/verify.hpp"

namespace fa::testing {

// Device copy of one [B, H, N, D] tensor in a layout, converted from / to float64 bhnd.
class DeviceTensor {
 public:
  DeviceTensor(DType dt, Layout layout, std::int64_t b, std::int64_t h, std::int64_t n, std::int64_t d)
      : dt_(dt), b_(b), h_(h), n_(n), d_(d), st_(fa::strides_for(layout, h, n, d)) {
    FA_CUDA_CHECK(cudaMalloc(&ptr_, bytes()));
  }
  ~DeviceTensor() { cudaFree(ptr_); }
  DeviceTensor(const DeviceTensor&) = delete;
  DeviceTensor& operator=(const DeviceTensor&) = delete;

  std::size_t elements() const { return static_cast<std::size_t>(b_ * h_ * n_ * d_); }
  std::size_t bytes() const { return elements() * fa::dtype_bytes(dt_); }
  void* get() const { return ptr_; }
  const fa::Strides& strides() const { return st_; }
  fa::TensorRef ref() const { return {ptr_, st_.b, st_.h, st_.n}; }

  void upload(const std::vector<double>& bhnd) {
    std::vector<unsigned char> host(bytes());
    for_each([&](std::size_t src, std::size_t dst) { fa::store_element(dt_, host.data(), dst, bhnd[src]); });
    FA_CUDA_CHECK(cudaMemcpy(ptr_, host.data(), bytes(), cudaMemcpyHostToDevice));
  }
  std::vector<double> download() const {
    std::vector<unsigned char> host(bytes());
    FA_CUDA_CHECK(cudaMemcpy(host.data(), ptr_, bytes(), cudaMemcpyDeviceToHost));
    std::vector<double> out(elements());
    for_each([&](std::size_t dst, std::size_t src) { out[dst] = fa::load_element(dt_, host.data(), src); });
    return out;
  }
  // 0xFF bytes are NaN in fp16 and bf16.
  void poison() { FA_CUDA_CHECK(cudaMemset(ptr_, 0xFF, bytes())); }

 private:
  template <class F>
  void for_each(F f) const {
    std::size_t i = 0;
    for (std::int64_t bb = 0; bb < b_; ++bb)
      for (std::int64_t hh = 0; hh < h_; ++hh)
        for (std::int64_t nn = 0; nn < n_; ++nn)
          for (std::int64_t dd = 0; dd < d_; ++dd, ++i)
            f(i, static_cast<std::size_t>(bb * st_.b + hh * st_.h + nn * st_.n + dd));
  }
  DType dt_;
  std::int64_t b_, h_, n_, d_;
  fa::Strides st_;
  void* ptr_ = nullptr;
};

// Q, K, V, O, dO, dQ, dK, dV and lse (float, device) as the kernel interface's Operands.
inline Operands backward_operands(const DeviceTensor& q, const DeviceTensor& k, const DeviceTensor& v,
                                  const DeviceTensor& o, const DeviceTensor& dout, const DeviceTensor& dq,
                                  const DeviceTensor& dk, const DeviceTensor& dv, void* lse) {
  Operands ops;
  ops.q = q.ref(), ops.k = k.ref(), ops.v = v.ref(), ops.o = o.ref(), ops.lse = lse;
  ops.dout = dout.ref(), ops.dq = dq.ref(), ops.dk = dk.ref(), ops.dv = dv.ref();
  return ops;
}

// The verify metric (fa::output_error: relative L2, or the root mean square where the reference is all
// zero); elements of got that are non-finite where the reference is finite are counted in *nonfinite.
inline double rel_l2(const std::vector<double>& got, const std::vector<double>& ref, std::int64_t* nonfinite) {
  const fa::OutputError e = fa::output_error(got, ref);
  *nonfinite += e.bad;
  return e.rel;
}

}  // namespace fa::testing
