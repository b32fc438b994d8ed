// An occurrence's compliance table as a spreadsheet: XLSX (libxlsxwriter) for pasting into
// the summary report, and CSV (UTF-8 with a byte-order mark, so Excel shows Vietnamese
// letters) for everything else. The caller builds the table; these only write it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <date/date.h>

namespace dondoc::web {

// A cell: text, a whole number, a local date, or a local date and time. Times are
// written as real spreadsheet dates (sortable, formatted dd/mm/yyyy hh:mm) in XLSX and
// as "YYYY-MM-DD HH:MM" in CSV.
struct cell {
  enum class kind_t : std::uint8_t { empty, text, number, date, date_time };
  kind_t kind = kind_t::empty;
  std::string text;
  std::int64_t number = 0;
  date::sys_days day{};
  std::chrono::minutes time_of_day{0};

  static cell of(std::string s) { return {kind_t::text, std::move(s), 0, {}, {}}; }
  static cell of(std::int64_t n) { return {kind_t::number, {}, n, {}, {}}; }
  static cell of_date(date::sys_days d) { return {kind_t::date, {}, 0, d, {}}; }
  static cell of_time(date::sys_days d, std::chrono::minutes tod) { return {kind_t::date_time, {}, 0, d, tod}; }
};

struct export_table {
  std::string sheet = "Tình hình nộp";       // worksheet name (at most 31 characters)
  std::vector<std::string> title;            // lines above the table (XLSX only)
  std::vector<std::string> header;
  std::vector<double> widths;                // column widths in characters (XLSX)
  std::vector<std::vector<cell>> rows;
  std::string summary_sheet = "Tổng hợp";   // second sheet: label/value pairs (XLSX only)
  std::vector<std::pair<std::string, std::int64_t>> summary;
};

// RFC 4180 CSV with CRLF line ends and a UTF-8 BOM: the header, then the rows. A text
// cell that a spreadsheet would read as a formula (= + - @ at its start) is prefixed
// with an apostrophe.
std::string to_csv(const export_table& t);

// The workbook's bytes. Throws std::runtime_error when libxlsxwriter fails.
std::string to_xlsx(const export_table& t);

}  // namespace dondoc::web
