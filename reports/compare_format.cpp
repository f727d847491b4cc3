#include "reports/compare_format.hpp"

#include <cmath>
#include <cstdio>

namespace fa {
namespace {

std::string printf_text(const char* format, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

}  // namespace

std::string compare_ms_text(double ms) {
  const char* format = ms < 1 ? "%.4f ms" : ms < 10 ? "%.3f ms" : ms < 100 ? "%.2f ms" : ms < 1000 ? "%.1f ms" : "%.0f ms";
  return printf_text(format, ms);
}

std::string compare_bytes_text(double bytes) {
  const double a = std::abs(bytes);
  if (a < 1024) return printf_text("%.0f B", bytes);
  if (a < 1024.0 * 1024) return printf_text("%.2f KiB", bytes / 1024);
  if (a < 1024.0 * 1024 * 1024) return printf_text("%.2f MiB", bytes / (1024.0 * 1024));
  return printf_text("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
}

std::string compare_change_text(double change) {
  if (std::isinf(change)) return change > 0 ? "+inf%" : "-inf%";
  // Two decimals below 1%: the byte and memory gates act on changes that small.
  const double pct = change * 100;
  return printf_text(std::abs(pct) < 1 ? "%+.2f%%" : "%+.1f%%", pct);
}

std::string compare_p_text(double p) { return printf_text(p < 0.01 ? "%.1e" : "%.2f", p); }

std::string compare_error_text(std::optional<double> x) { return x ? printf_text("%.1e", *x) : "-"; }

}  // namespace fa
