#include "notifiers/blocks.hpp"

#include <algorithm>

#include "text/text.hpp"

namespace dondoc::notifiers {

std::string html_text(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto http = s.find("http", i);
    const bool url = http != std::string_view::npos &&
                     (s.substr(http, 7) == "http://" || s.substr(http, 8) == "https://");
    const std::size_t end_plain = url ? http : (http == std::string_view::npos ? s.size() : http + 4);
    for (char c : s.substr(i, end_plain - i)) {
      if (c == '\n') out += "<br>\n";
      else out += text::html_escape(std::string_view(&c, 1));
    }
    i = end_plain;
    if (url) {
      std::size_t e = http;
      while (e < s.size() && s[e] != ' ' && s[e] != '\n' && s[e] != '<' && s[e] != '>' && s[e] != '"') ++e;
      while (e > http && (s[e - 1] == '.' || s[e - 1] == ',' || s[e - 1] == ')')) --e;
      const std::string href = text::html_escape(s.substr(http, e - http));
      out += "<a href=\"" + href + "\">" + href + "</a>";
      i = e;
    }
  }
  return out;
}

std::string pad(std::string s, std::size_t width) {
  const std::size_t n = text::code_points(s);
  if (n < width) s.append(width - n, ' ');
  return s;
}

std::string render_text(const std::vector<block>& blocks) {
  std::string out;
  for (const auto& b : blocks) {
    switch (b.kind) {
      case block::kind_t::heading:
        out += b.text + "\n" + std::string(std::min<std::size_t>(text::code_points(b.text), 72), '=') + "\n\n";
        break;
      case block::kind_t::para:
        out += b.text;
        out += "\n\n";
        break;
      case block::kind_t::fields: {
        std::size_t w = 0;
        for (const auto& [k, v] : b.fields) w = std::max(w, text::code_points(k) + 1);
        for (const auto& [k, v] : b.fields) out += pad(k + ":", w) + " " + v + "\n";
        out += "\n";
        break;
      }
      case block::kind_t::table: {
        std::vector<std::size_t> w(b.header.size(), 0);
        for (std::size_t c = 0; c < b.header.size(); ++c) w[c] = text::code_points(b.header[c]);
        for (const auto& r : b.rows)
          for (std::size_t c = 0; c < r.size() && c < w.size(); ++c) w[c] = std::max(w[c], text::code_points(r[c]));
        auto line = [&](const std::vector<std::string>& cells) {
          std::string l;
          for (std::size_t c = 0; c < cells.size() && c < w.size(); ++c) {
            if (c > 0) l += "  ";
            l += c + 1 < cells.size() ? pad(cells[c], w[c]) : cells[c];
          }
          while (!l.empty() && l.back() == ' ') l.pop_back();
          return l + "\n";
        };
        out += line(b.header);
        std::size_t total = 0;
        for (std::size_t c = 0; c < w.size(); ++c) total += w[c] + (c > 0 ? 2 : 0);
        out += std::string(total, '-') + "\n";
        for (const auto& r : b.rows) out += line(r);
        out += "\n";
        break;
      }
    }
  }
  while (out.size() > 1 && out.back() == '\n' && out[out.size() - 2] == '\n') out.pop_back();
  return out;
}

std::string render_html(const std::vector<block>& blocks) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"></head>\n"
      "<body style=\"font-family: Arial, sans-serif; font-size: 14px;\">\n";
  for (const auto& b : blocks) {
    switch (b.kind) {
      case block::kind_t::heading:
        out += "<h2 style=\"font-size: 16px; margin: 18px 0 6px;\">" + text::html_escape(b.text) + "</h2>\n";
        break;
      case block::kind_t::para:
        out += "<p>" + html_text(b.text) + "</p>\n";
        break;
      case block::kind_t::fields:
        out += "<table cellpadding=\"3\">\n";
        for (const auto& [k, v] : b.fields)
          out += "<tr><th align=\"left\" valign=\"top\">" + text::html_escape(k) + "</th><td>" + html_text(v) +
                 "</td></tr>\n";
        out += "</table>\n";
        break;
      case block::kind_t::table:
        out += "<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\" style=\"border-collapse: collapse;\">\n<tr>";
        for (const auto& h : b.header) out += "<th align=\"left\">" + text::html_escape(h) + "</th>";
        out += "</tr>\n";
        for (const auto& r : b.rows) {
          out += "<tr>";
          for (const auto& c : r) out += "<td>" + text::html_escape(c) + "</td>";
          out += "</tr>\n";
        }
        out += "</table>\n";
        break;
    }
  }
  out += "</body></html>\n";
  return out;
}

}  // namespace dondoc::notifiers
