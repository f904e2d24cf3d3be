#pragma once

#include <filesystem>
#include <string>

#include "recrl/core/export.hpp"
#include "recrl/report/report_data.hpp"

namespace recrl::report {

// The report page: one self-contained HTML document (inline CSS and SVG, no script, nothing
// fetched: its Content-Security-Policy forbids it) with the experiment's facts, the comparison
// table, the learning curves, the final scores and, where the runs counted them, the chosen
// actions against the oracle's. The same data gives the same bytes: the only times in it are
// those the store holds.
RECRL_API std::string render_report(const ReportData& data);

// Writes `html` to `file` atomically (a temporary file and a rename), creating its folder.
// Throws recrl::Error naming the file when it cannot be written.
RECRL_API void save_report(const std::filesystem::path& file, const std::string& html);

}  // namespace recrl::report
