// An email body as a short list of blocks (headings, paragraphs, label/value fields,
// tables), rendered twice — as text/plain with aligned columns and as simple HTML — so
// the two alternatives of a message always say the same thing. Used by the reminder and
// escalation composer and by the coordinators' digest.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dondoc::notifiers {

struct block {
  enum class kind_t { heading, para, fields, table };
  kind_t kind = kind_t::para;
  std::string text;                                         // heading, para
  std::vector<std::pair<std::string, std::string>> fields;  // fields
  std::vector<std::string> header;                          // table
  std::vector<std::vector<std::string>> rows;               // table
};

std::string render_text(const std::vector<block>& blocks);
std::string render_html(const std::vector<block>& blocks);

// HTML-escapes text, turning http(s) URLs into links and newlines into <br>.
std::string html_text(std::string_view s);
// Pads with spaces to `width` code points.
std::string pad(std::string s, std::size_t width);

}  // namespace dondoc::notifiers
