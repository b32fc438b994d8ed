// Vietnamese text handling shared by every layer: NFC normalisation of all input,
// folding to ASCII for SMS and keyword matching, and sorting in Vietnamese order.
// Backed by ICU; the transliterator and collator are built once per thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dondoc::text {

// Length in bytes (1 to 4) of the well-formed UTF-8 sequence that starts at s[i], or 0
// when it is malformed: a stray or invalid lead byte, a truncated sequence, an overlong
// form, a surrogate or a code point past U+10FFFF. Requires i < s.size().
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool valid_utf8(std::string_view s);

// Number of Unicode code points in well-formed UTF-8 (bytes that do not start a
// sequence are not counted).
std::size_t code_points(std::string_view s);

// NFC form of `s`. Cheap when `s` is already NFC (the common case). Invalid UTF-8 is
// returned unchanged; callers validate first where it matters.
std::string nfc(std::string_view s);

// ASCII folding for SMS (không dấu): NFC, then ICU Latin-ASCII (which maps Đ/đ to D/d,
// unlike a plain diacritic strip), then every remaining non-ASCII or control character
// is dropped; no-break and other spaces become a plain space.
std::string fold_ascii(std::string_view s);

// Matching key: fold_ascii, upper case, every non-alphanumeric removed.
// "Đã nhận" -> "DANHAN", "da  nop" -> "DANOP".
std::string match_key(std::string_view s);

// Escapes & < > " ' for HTML text and attribute values.
std::string html_escape(std::string_view s);

// Vietnamese collation (ICU "vi"): negative, zero or positive like strcmp.
int compare_vi(std::string_view a, std::string_view b);

// ICU sort key for Vietnamese order, comparable bytewise.
std::string sort_key_vi(std::string_view s);

// SMS encoding facts: true when every byte is in the GSM 03.38 basic set that we emit
// (printable ASCII minus a few characters that need escapes or are absent).
bool gsm_safe(std::string_view s);

}  // namespace dondoc::text
