#pragma once
// IO-model inputs of the standard family (docs/io-model.md, "standard"): its cuBLAS GEMMs and
// element-wise kernels around materialised S and P, launch by launch, following the buffer schedule
// at the top of standard_kernel.cpp.
#include "core/io_ledger.hpp"

namespace fa::standard {

IoListing standard_io(const Point& pt, const IoContext& ctx, IoLedger& ledger);

}  // namespace fa::standard
