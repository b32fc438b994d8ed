// Parsers for the small value languages inside the roster: offsets ("3wd"), durations
// ("15m"), times of day ("07:30"), windows ("07:30-11:30"), month-days ("06-15"),
// Vietnamese phone numbers and email addresses. Each returns a value or the reason it is
// not one, written to follow `key = "value": ` — the loader adds the key, the value as
// written and the place, so a reason never repeats them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace dondoc::config {

template <typename T>
struct parsed {
  std::optional<T> value;
  std::string error;    // set when !value
  std::string warning;  // a value with a remark (e.g. a corrected phone number)
  static parsed fail(std::string e) { return parsed{std::nullopt, std::move(e), {}}; }
  static parsed ok(T v, std::string w = {}) { return parsed{std::move(v), {}, std::move(w)}; }
};

// "3wd", "10d", "4h", "30m", "15s".
parsed<offset> parse_offset(std::string_view s);
// A duration: "15m", "60s", "4h", "30d" (d = 24 h here).
parsed<seconds> parse_duration(std::string_view s);
// "HH:MM" (00:00-23:59; "24:00" accepted only when allow_24).
parsed<minutes> parse_clock(std::string_view s, bool allow_24 = false);
// "HH:MM-HH:MM"; wrapping windows allowed only when allow_wrap.
parsed<clock_window> parse_window(std::string_view s, bool allow_wrap);
// Strict "YYYY-MM-DD" of a real date.
std::optional<sys_days> parse_iso_date(std::string_view s);

// "MM-DD" that exists in a leap year, optionally rejecting 02-29.
struct month_day {
  unsigned month = 0;
  unsigned day = 0;
};
parsed<month_day> parse_month_day(std::string_view s, bool allow_feb_29);

// A Vietnamese mobile number -> E.164 (+84xxxxxxxxx). Errors name the 2018 conversion
// for 11-digit 01… numbers and point landlines to office_phone.
parsed<std::string> parse_mobile(std::string_view s);
// A landline or any dialable number for office_phone (digits and separators only).
parsed<std::string> parse_office_phone(std::string_view s);
// addr-spec check: local@domain.tld, no spaces or angle brackets.
bool valid_email(std::string_view s);
// Why `s` is not an addr-spec ("has no @", …); empty when valid_email(s).
std::string email_problem(std::string_view s);
// "Name <addr>" or "addr"; returns the address part when valid.
std::optional<std::string> mailbox_address(std::string_view s);

// ASCII folding for SMS names: the same result as text::fold_ascii, with a fast path
// for text whose only non-ASCII characters are Vietnamese letters in NFC (ICU's
// transliterator costs ~30 µs a name, which a 50,000-unit roster notices).
std::string fold_sms(std::string_view s);

// Identifier for units, reports, contacts, steps, templates: [a-z0-9][a-z0-9._-]*.
bool valid_id(std::string_view s);

// Closest candidate by edit distance (a swap of neighbours counts one; at most a third
// of the word, at least 1, and less than the word's length), for "did you mean" hints;
// empty when none is close or the word is itself a candidate.
std::string closest(std::string_view word, const std::vector<std::string_view>& candidates);

// Masks a phone number for logs and audit: +84912***002.
std::string mask_phone(std::string_view e164);

}  // namespace dondoc::config
