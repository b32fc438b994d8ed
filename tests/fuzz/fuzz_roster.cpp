// The roster loader (config::load_text) on arbitrary text, and, when a roster loads, the
// scheduler on it: occurrences from 2025 to 2027 and their sends, as the daemon plans.
// Properties: never throws (the loader's contract), never crashes; every diagnostic
// formats; a roster with no error has a configuration, one with an error has none.
//
// Inputs naming other files are set aside (return -1): `include` and `data_dir` would
// read whatever path the fuzzer spells (/dev/zero, a FIFO), and \u escapes could spell
// those keys. That reading is the administrator's own choice, not an attack surface.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.hpp"
#include "daemon/engine.hpp"
#include "fuzz_check.hpp"

using namespace dondoc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (std::string_view banned : {"include", "data_dir", "\\u", "\\U"})
    if (text.find(banned) != std::string_view::npos) return -1;
  config::load_options lo;
  lo.credentials_directory = "/nonexistent-dondoc-fuzz/credentials";
  const auto res = config::load_text(text, "/nonexistent-dondoc-fuzz/dondoc.toml", lo);
  std::size_t errors = 0;
  for (const auto& d : res.diagnostics) {
    FUZZ_CHECK(!config::format(d).empty(), "a diagnostic formats");
    errors += d.severity == config::diagnostic::severity_t::error;
  }
  FUZZ_CHECK((errors == 0) == res.ok(), "ok() exactly when there is no error");
  if (!res.ok()) return 0;
  const daemon::runtime_config rt(res.cfg);
  const auto from = date::sys_days{date::year{2025} / 1 / 1}, to = date::sys_days{date::year{2027} / 12 / 31};
  for (std::size_t r = 0; r < res.cfg->reports.size(); ++r) {
    const auto& report = res.cfg->reports[r];
    auto occs = rt.planner.occurrences_between(static_cast<std::int32_t>(r), from, to);
    if (occs.size() > 40) occs.resize(40);
    std::vector<scheduler::row> rows;
    for (const auto& o : occs) {
      FUZZ_CHECK(o.last_day <= date::floor<date::days>(o.deadline) + date::days{1}, "L is not after T's day");
      const auto sends = rt.planner.schedule(report, o.last_day, o.deadline);
      for (std::size_t u = 0; u < o.units.size() && u < 8; ++u) rt.planner.unit_rows(o, 0, o.units[u], sends, rows);
      for (const auto& row : rows) (void)rt.planner.key_text(o, row);
      rows.clear();
    }
  }
  return 0;
}
