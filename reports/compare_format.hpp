#pragma once
// How `fa-bench compare` writes numbers for people (Markdown tables and the reasons in the JSON
// verdict): times to about four significant digits, byte counts in binary units, signed percent
// changes, p-values in two significant digits.
#include <optional>
#include <string>

namespace fa {

std::string compare_ms_text(double ms);          // "0.5500 ms", "12.35 ms"
std::string compare_bytes_text(double bytes);    // "512 B", "64.00 MiB", "1.50 GiB"
std::string compare_change_text(double change);  // fraction -> "+10.0%", "-3.2%", "+inf%"
std::string compare_p_text(double p);            // "3.1e-08", "0.21"
std::string compare_error_text(std::optional<double> x);  // "3.1e-04" or "-"

}  // namespace fa
