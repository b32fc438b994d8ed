// The reply parser: replies::parse_reply on any SMS or email line (with and without the
// SMS keyword) and replies::unquoted_head on any email body. Properties: no crash, no
// exception; the same answer twice; a code, when found, is 6 characters of the code
// alphabet; the head is well-formed UTF-8 when the body is, and has at most max_lines
// lines.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "replies/parse.hpp"
#include "text/text.hpp"

using namespace dondoc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  static constexpr std::string_view keywords[] = {"", "SNV", "DONDOC", "snv", "Đ"};
  const std::string_view keyword = keywords[mode % std::size(keywords)];

  const auto a = replies::parse_reply(text, keyword);
  const auto b = replies::parse_reply(text, keyword);
  FUZZ_CHECK(a.what == b.what && a.code == b.code, "parse_reply is deterministic");
  if (a.code) {
    FUZZ_CHECK(a.code->size() == 6 && replies::valid_code(*a.code), "a code is 6 characters of the alphabet");
  }
  (void)replies::to_string(a.what);

  const std::size_t max_lines = 1 + (mode >> 4);
  const std::string head = replies::unquoted_head(text, max_lines);
  FUZZ_CHECK(head == replies::unquoted_head(text, max_lines), "unquoted_head is deterministic");
  if (text::valid_utf8(text)) FUZZ_CHECK(text::valid_utf8(head), "the head of UTF-8 is UTF-8");
  FUZZ_CHECK(static_cast<std::size_t>(std::count(head.begin(), head.end(), '\n')) < max_lines,
             "at most max_lines lines");
  // The head is what the email router parses next.
  (void)replies::parse_reply(head, keyword);
  return 0;
}
