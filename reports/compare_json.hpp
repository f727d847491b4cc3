#pragma once
// The machine-readable verdict of `fa-bench compare --json FILE`:
//   {"schema": "fa-bench/compare", "schema_version": 1, "verdict": "pass" | "fail", "exit_code",
//    "options", "evidence" (baseline runs, confirm rounds), "baseline" / "current": {source, device,
//    metadata}, "counts",
//    "points": [every matched point: key, label, kernel, pass, verdict, status, time (medians,
//               change_pct, raw change, clock, regression line, noise allowance, method, p_value,
//               sample counts, significant, note), hbm_bytes, tracked and device memory
//               (baseline, current, change_pct), correctness, findings with reasons, confirmation
//               (re-measured changes, why), dismissed findings],
//    "only_in_baseline" / "only_in_current": [{key, label, kernel, pass, status}], "notes"}
// Changes are percentages; a change from 0 is the string "inf" (JSON has no infinity).
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reports/compare.hpp"

namespace fa {

inline constexpr std::string_view kCompareSchema = "fa-bench/compare";
inline constexpr int kCompareSchemaVersion = 1;

nlohmann::json compare_json(const CompareOutcome& outcome);
// Pretty-printed, ending in a line break.
std::string compare_json_text(const CompareOutcome& outcome);

}  // namespace fa
