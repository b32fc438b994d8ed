// CSV and XLSX writers for the export of an occurrence's table. libxlsxwriter 1.1.4 (the
// Debian 12 version) writes only to a file, so the workbook goes to a private temporary
// file that is read back and removed; its temporary parts go to the same directory.
#include "web/export.hpp"

#include <xlsxwriter.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

namespace dondoc::web {
namespace {

std::string csv_field(const cell& c) {
  std::string s;
  switch (c.kind) {
    case cell::kind_t::empty: return {};
    case cell::kind_t::number: return std::to_string(c.number);
    case cell::kind_t::date: return date::format("%F", c.day);
    case cell::kind_t::date_time: {
      const auto m = c.time_of_day.count();
      char buf[8];
      std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(m / 60), static_cast<int>(m % 60));
      return date::format("%F", c.day) + " " + buf;
    }
    case cell::kind_t::text:
      s = c.text;
      if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
        s.insert(s.begin(), '\'');
      break;
  }
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) {
    if (ch == '"') q.push_back('"');
    q.push_back(ch);
  }
  return q + "\"";
}

lxw_datetime to_lxw(const cell& c) {
  const date::year_month_day ymd{c.day};
  lxw_datetime d{};
  d.year = static_cast<int>(ymd.year());
  d.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  d.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  d.hour = static_cast<int>(c.time_of_day.count() / 60);
  d.min = static_cast<int>(c.time_of_day.count() % 60);
  d.sec = 0;
  return d;
}

void check(lxw_error e, const char* what) {
  if (e != LXW_NO_ERROR) throw std::runtime_error(std::string("xlsx: ") + what + ": " + lxw_strerror(e));
}

// Removes the temporary file whatever happens.
struct temp_file {
  std::filesystem::path path;
  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

}  // namespace

std::string to_csv(const export_table& t) {
  std::string out = "\xEF\xBB\xBF";
  auto line = [&](const std::vector<cell>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) out.push_back(',');
      out += csv_field(cells[i]);
    }
    out += "\r\n";
  };
  std::vector<cell> head;
  for (const auto& h : t.header) head.push_back(cell::of(h));
  line(head);
  for (const auto& r : t.rows) line(r);
  return out;
}

std::string to_xlsx(const export_table& t) {
  const auto dir = std::filesystem::temp_directory_path();
  temp_file file;
  {
    std::random_device rd;
    file.path = dir / ("dondoc-export-" + std::to_string(::getpid()) + "-" + std::to_string(rd()) + ".xlsx");
  }
  std::string tmpdir = dir.string();
  lxw_workbook_options options{};
  options.tmpdir = tmpdir.data();
  lxw_workbook* wb = workbook_new_opt(file.path.c_str(), &options);
  if (wb == nullptr) throw std::runtime_error("xlsx: cannot create " + file.path.string());
  bool closed = false;
  try {
    lxw_format* title = workbook_add_format(wb);
    format_set_bold(title);
    format_set_font_size(title, 13);
    lxw_format* head = workbook_add_format(wb);
    format_set_bold(head);
    format_set_text_wrap(head);
    format_set_bg_color(head, 0xE8ECF1);
    format_set_border(head, LXW_BORDER_THIN);
    format_set_align(head, LXW_ALIGN_VERTICAL_CENTER);
    lxw_format* text = workbook_add_format(wb);
    format_set_text_wrap(text);
    format_set_border(text, LXW_BORDER_THIN);
    format_set_align(text, LXW_ALIGN_VERTICAL_TOP);
    lxw_format* number = workbook_add_format(wb);
    format_set_border(number, LXW_BORDER_THIN);
    format_set_align(number, LXW_ALIGN_VERTICAL_TOP);
    lxw_format* day = workbook_add_format(wb);
    format_set_num_format(day, "dd/mm/yyyy");
    format_set_border(day, LXW_BORDER_THIN);
    format_set_align(day, LXW_ALIGN_VERTICAL_TOP);
    lxw_format* when = workbook_add_format(wb);
    format_set_num_format(when, "dd/mm/yyyy hh:mm");
    format_set_border(when, LXW_BORDER_THIN);
    format_set_align(when, LXW_ALIGN_VERTICAL_TOP);

    lxw_worksheet* ws = workbook_add_worksheet(wb, t.sheet.c_str());
    if (ws == nullptr) throw std::runtime_error("xlsx: cannot add the worksheet \"" + t.sheet + "\"");
    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, 9);  // A4
    worksheet_fit_to_pages(ws, 1, 0);
    lxw_row_t row = 0;
    for (const auto& line : t.title) check(worksheet_write_string(ws, row++, 0, line.c_str(), title), "title");
    if (!t.title.empty()) ++row;
    const lxw_row_t header_row = row;
    for (std::size_t c = 0; c < t.header.size(); ++c)
      check(worksheet_write_string(ws, row, static_cast<lxw_col_t>(c), t.header[c].c_str(), head), "header");
    ++row;
    for (const auto& r : t.rows) {
      for (std::size_t c = 0; c < r.size(); ++c) {
        const auto col = static_cast<lxw_col_t>(c);
        const cell& v = r[c];
        switch (v.kind) {
          case cell::kind_t::empty: check(worksheet_write_blank(ws, row, col, text), "cell"); break;
          case cell::kind_t::text: check(worksheet_write_string(ws, row, col, v.text.c_str(), text), "cell"); break;
          case cell::kind_t::number:
            check(worksheet_write_number(ws, row, col, static_cast<double>(v.number), number), "cell");
            break;
          case cell::kind_t::date: {
            auto d = to_lxw(v);
            check(worksheet_write_datetime(ws, row, col, &d, day), "cell");
            break;
          }
          case cell::kind_t::date_time: {
            auto d = to_lxw(v);
            check(worksheet_write_datetime(ws, row, col, &d, when), "cell");
            break;
          }
        }
      }
      ++row;
    }
    for (std::size_t c = 0; c < t.widths.size(); ++c)
      check(worksheet_set_column(ws, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), t.widths[c], nullptr),
            "width");
    if (!t.header.empty()) {
      worksheet_freeze_panes(ws, header_row + 1, 0);
      check(worksheet_autofilter(ws, header_row, 0, row > header_row + 1 ? row - 1 : header_row,
                                 static_cast<lxw_col_t>(t.header.size() - 1)),
            "autofilter");
      check(worksheet_repeat_rows(ws, header_row, header_row), "repeat rows");
    }

    if (!t.summary.empty()) {
      lxw_worksheet* sum = workbook_add_worksheet(wb, t.summary_sheet.c_str());
      if (sum == nullptr) throw std::runtime_error("xlsx: cannot add the summary sheet");
      lxw_row_t r = 0;
      for (const auto& line : t.title) check(worksheet_write_string(sum, r++, 0, line.c_str(), title), "title");
      if (!t.title.empty()) ++r;
      for (const auto& [label, value] : t.summary) {
        check(worksheet_write_string(sum, r, 0, label.c_str(), text), "summary");
        check(worksheet_write_number(sum, r, 1, static_cast<double>(value), number), "summary");
        ++r;
      }
      check(worksheet_set_column(sum, 0, 0, 28, nullptr), "width");
      check(worksheet_set_column(sum, 1, 1, 10, nullptr), "width");
    }
    closed = true;
    check(workbook_close(wb), "close");
  } catch (...) {
    if (!closed) workbook_close(wb);
    throw;
  }
  std::ifstream in(file.path, std::ios::binary);
  if (!in) throw std::runtime_error("xlsx: cannot read back " + file.path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace dondoc::web
