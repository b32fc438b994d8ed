// Understanding what recipients write back: "DA NHAN K7Q2AB", "Đã nộp", "ok", "xong
// k7q 2ab"… A reply is NFC-normalised, stripped of the SMS keyword, folded, and read as a
// keyword and an optional 6-character reply code. Pure: no store, no clock.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dondoc::replies {

enum class intent : std::uint8_t { none, acknowledge, submit };
std::string_view to_string(intent i);

struct parsed_reply {
  intent what = intent::none;
  std::optional<std::string> code;  // upper case, 6 characters of the code alphabet
};

// The reply-code alphabet: no 0/O, 1/I/L, U (read aloud, typed on phones).
inline constexpr std::string_view code_alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
bool valid_code(std::string_view code);

// Reads one SMS or one email line. `mo_keyword` (e.g. "SNV") is stripped when it leads.
parsed_reply parse_reply(std::string_view text, std::string_view mo_keyword = {});

// The first lines of an email body that are not quoted ("> …"), up to the first
// attribution line ("Vào … đã viết:", "On … wrote:", "-----Original Message-----") or
// signature marker; joined by newlines.
std::string unquoted_head(std::string_view body, std::size_t max_lines = 5);

// The short help text sent back (không dấu, one SMS) when a reply is not understood.
std::string help_text(std::string_view reply_number, std::string_view mo_keyword);

}  // namespace dondoc::replies
