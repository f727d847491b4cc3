// The IO-complexity model of io_model.hpp: a family lists its launches and, per launch, the
// load/store streams (its face's io_model, core/io_ledger.hpp); finish() turns them into global and
// HBM bytes with one shared L2 rule. docs/io-model.md derives every term; keep the two in step.
#include "measure/io_model.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include "kernels/registry.hpp"

namespace fa {
namespace {

double miss_fraction(double working_set, double l2) {
  if (working_set <= l2 || working_set <= 0) return 0.0;
  return 1.0 - l2 / working_set;
}

// Per-tensor footprint of a pass: the largest extent touched by any term.
std::map<std::string, double> footprint(const std::vector<IoTerm>& terms) {
  std::map<std::string, double> f;
  for (const IoTerm& t : terms) f[t.tensor] = std::max(f[t.tensor], t.distinct_bytes);
  return f;
}

// Compulsory traffic per term: a tensor read once if its first access in the pass is a read (it
// comes from HBM), written once if it is ever written. Returns the per-term share and sets the total.
std::vector<double> compulsory_terms(const std::vector<IoTerm>& terms, const std::map<std::string, double>& fp,
                                     double* total) {
  std::map<std::string, bool> seen, written;
  std::vector<double> comp(terms.size(), 0.0);
  *total = 0;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const IoTerm& t = terms[i];
    if (!seen[t.tensor] && !t.write) comp[i] = fp.at(t.tensor);
    seen[t.tensor] = true;
    if (t.write && !written[t.tensor]) {
      comp[i] = fp.at(t.tensor);
      written[t.tensor] = true;
    }
    *total += comp[i];
  }
  return comp;
}

void finish(IoPrediction& r, const IoModelParams& prm) {
  const auto fp = footprint(r.terms);
  double total_footprint = 0;
  for (const auto& [name, bytes] : fp) total_footprint += bytes;
  const std::vector<double> comp_term = compulsory_terms(r.terms, fp, &r.compulsory_bytes);

  const bool fits = total_footprint <= prm.l2_bytes;
  r.global_bytes = r.hbm_read_bytes = r.hbm_write_bytes = 0;
  for (std::size_t i = 0; i < r.terms.size(); ++i) {
    IoTerm& t = r.terms[i];
    r.global_bytes += t.global_bytes;
    t.hbm_bytes = fits ? comp_term[i]
                       : t.distinct_bytes + (t.global_bytes - t.distinct_bytes) *
                                                miss_fraction(t.reread_working_set, prm.l2_bytes);
    (t.write ? r.hbm_write_bytes : r.hbm_read_bytes) += t.hbm_bytes;
  }
  r.hbm_bytes = r.hbm_read_bytes + r.hbm_write_bytes;
  if (fits) {
    if (!r.note.empty()) r.note += "; ";
    r.note += "whole pass fits in L2: compulsory traffic only (small outputs may reach HBM after the range)";
  }
}

IoContext context_of(const IoModelParams& prm) {
  IoContext c;
  c.sm_count = prm.sm_count;
  c.ctas_per_sm = prm.ctas_per_sm;
  c.tile = {prm.tile_q, prm.tile_k};
  c.sram_bytes = prm.sram_bytes;
  return c;
}

IoPrediction predict_one(const Point& pt, std::string_view family, const IoModelParams& prm) {
  IoPrediction r;
  const KernelEntry* e = find_kernel_entry(family);
  if (!e || !e->io_model) {
    r.note = "no IO model for kernel family '" + std::string(family) + "'";
    return r;
  }
  IoLedger ledger(&r.terms);
  const IoListing listing = e->io_model(pt, context_of(prm), ledger);
  r.note = listing.note;
  if (!listing.modelled) {
    r.terms.clear();
    if (r.note.empty()) r.note = "no IO model for this point of kernel family '" + std::string(family) + "'";
    return r;
  }
  r.modelled = true;
  r.tile_q = listing.tile.q;
  r.tile_k = listing.tile.k;
  finish(r, prm);
  return r;
}

// A varlen batch: each sequence's pass modelled alone (batch 1, its length) and the bytes summed,
// terms appended in sequence order. Each sequence's own L2 rule stands for the pass's: a short
// sequence's re-reads stay in L2 either way, a long one's working set is its own.
IoPrediction predict_varlen(const Point& pt, std::string_view family, const IoModelParams& prm) {
  IoPrediction sum;
  sum.modelled = true;
  for (std::int64_t b = 0; b < pt.problem.batch; ++b) {
    IoPrediction r = predict_one(Point{pt.kernel, pt.pass, sequence_problem(pt.problem, b)}, family, prm);
    if (!r.modelled) return r;
    sum.global_bytes += r.global_bytes;
    sum.hbm_bytes += r.hbm_bytes;
    sum.hbm_read_bytes += r.hbm_read_bytes;
    sum.hbm_write_bytes += r.hbm_write_bytes;
    sum.compulsory_bytes += r.compulsory_bytes;
    sum.tile_q = r.tile_q;
    sum.tile_k = r.tile_k;
    if (sum.note.empty()) sum.note = r.note;
    sum.terms.insert(sum.terms.end(), r.terms.begin(), r.terms.end());
  }
  sum.note = "varlen: the sum over the " + std::to_string(pt.problem.batch) + " sequences, each modelled alone" +
             (sum.note.empty() ? "" : "; " + sum.note);
  return sum;
}

}  // namespace

IoPrediction predict_io(const Point& pt, std::string_view family, const IoModelParams& prm) {
  if (pt.problem.is_varlen()) return predict_varlen(pt, family, prm);
  return predict_one(pt, family, prm);
}

double predicted_hbm_bytes(const Point& pt, std::string_view family, const IoModelParams& params) {
  const IoPrediction r = predict_io(pt, family, params);
  return r.modelled ? r.hbm_bytes : std::numeric_limits<double>::quiet_NaN();
}

IoDerived derive_io(const Row& row, const IoModelParams& prm) {
  IoDerived d;
  const double secs = row.time.median_ms * 1e-3;
  d.hbm_bytes = measured_hbm_bytes(row);
  if (d.hbm_bytes && secs > 0) {
    d.achieved_hbm_gbps = *d.hbm_bytes / secs / 1e9;
    if (prm.peak_hbm_bytes_per_s > 0) d.pct_peak_bandwidth = 100.0 * (*d.hbm_bytes / secs) / prm.peak_hbm_bytes_per_s;
  }
  const std::optional<double> bytes = d.hbm_bytes ? d.hbm_bytes : row.io_model_bytes;
  if (bytes && *bytes > 0 && row.flops > 0) d.arithmetic_intensity = row.flops / *bytes;
  const double peak = row.point.problem.dtype == DType::fp8 ? prm.peak_flops_fp8 : prm.peak_flops;
  if (row.flops > 0 && secs > 0 && peak > 0) d.pct_peak_flops = 100.0 * (row.flops / secs) / peak;
  if (d.hbm_bytes && row.io_model_bytes && *row.io_model_bytes > 0) d.bytes_over_model = *d.hbm_bytes / *row.io_model_bytes;
  return d;
}

}  // namespace fa
