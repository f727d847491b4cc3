// flash_decode.hpp: the device query of the plan, and the dispatch of a split plan on head dim.
#include "kernels/flash/flash_decode.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/cuda_check.hpp"
#include "kernels/flash/flash_decode_kernel.cuh"

namespace fa::flash {

DecodeDevice current_decode_device() {
  DecodeDevice dev;
  int device = 0, sms = 0, smem = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&smem, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device) != cudaSuccess) {
    (void)cudaGetLastError();  // no device here: the defaults stand, and no error is left pending
    return dev;
  }
  dev.sm_count = sms;
  dev.smem_per_sm = smem;
  return dev;
}

namespace {

// "auto" (or unset) or "off"; nullopt for anything else.
std::optional<bool> decode_switch_on() {
  const char* env = std::getenv("FA_FLASH_DECODE");
  if (env == nullptr || env[0] == '\0' || std::string_view(env) == "auto") return true;
  if (std::string_view(env) == "off") return false;
  return std::nullopt;
}

}  // namespace

std::string decode_switch_error() {
  if (decode_switch_on()) return "";
  // Strict: a misspelt value must not silently measure the other path.
  return std::string("flash: FA_FLASH_DECODE='") + std::getenv("FA_FLASH_DECODE") +
         "' is not valid (accepted: auto, off; unset: auto)";
}

DecodePlan decode_plan(const DecodeShape& s) {
  const std::optional<bool> on = decode_switch_on();
  if (on && *on) return plan_decode(s, current_decode_device());
  DecodePlan plan;
  plan.rows = static_cast<int>(std::min<std::int64_t>(s.rows(), 1 << 30));
  plan.why_not = on ? "FA_FLASH_DECODE=off" : decode_switch_error();
  return plan;
}

void flash_decode_fwd(const FlashParams& p, const DecodePlan& plan, void* workspace, void* stream) {
  if (!plan.split) throw std::invalid_argument("flash_decode_fwd: the plan keeps the normal path");
  if (const char* why = flash_fwd_unsupported_reason(p); why[0] != '\0') {
    throw std::invalid_argument(std::string("flash_decode_fwd: ") + why);
  }
  DecodeArgs a;
  a.kv_heads = p.heads / p.kv_group;
  a.rows = plan.rows;
  a.chunks = plan.chunks;
  a.tiles_per_chunk = plan.tiles_per_chunk;
  if (plan.chunks > 1) {
    if (workspace == nullptr) throw std::invalid_argument("flash_decode_fwd: no workspace for the chunks' partials");
    a.o_part = static_cast<float*>(workspace);
    a.lse_part = a.o_part + static_cast<std::size_t>(p.batch) * a.kv_heads * plan.chunks * plan.rows * p.head_dim;
  }
  auto s = static_cast<cudaStream_t>(stream);
  switch (p.head_dim) {
    case 64: launch_flash_decode_hdim<64>(p, a, plan.row_tiles, s); break;
    case 128: launch_flash_decode_hdim<128>(p, a, plan.row_tiles, s); break;
    default: throw std::invalid_argument("flash_decode_fwd: head dims 64 and 128");
  }
}

}  // namespace fa::flash
