// Small value parsers shared by the loader and the tools. Hand-written because each is a
// few lines and their error messages are part of the product (`dondoc check`).
#include "config/values.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "text/text.hpp"

namespace dondoc::config {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

unsigned days_in_month(unsigned month, bool leap) {
  static constexpr unsigned d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap ? 29u : d[month - 1];
}

}  // namespace

seconds offset::duration() const {
  switch (unit) {
    case unit_t::h: return seconds{count * 3600};
    case unit_t::m: return seconds{count * 60};
    case unit_t::s: return seconds{count};
    case unit_t::d: return seconds{count * 86400};
    case unit_t::wd: break;
  }
  return seconds{0};
}

parsed<offset> parse_offset(std::string_view s) {
  using fail = parsed<offset>;
  if (s.empty()) return fail::fail("empty; write a whole number and a unit, e.g. \"3wd\"");
  if (s.front() == '-' || s.front() == '+')
    return fail::fail("write the number without a sign: reminders count back from the deadline with "
                      "\"before\", escalation forward with \"after\"");
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  const std::string_view num = s.substr(0, i);
  std::string_view suffix = s.substr(i);
  if (num.empty())
    return fail::fail("not an offset; write a whole number and a unit: wd (working days), d, h, m or s, "
                      "e.g. \"3wd\"");
  if (!suffix.empty() && (suffix.front() == '.' || suffix.front() == ','))
    return fail::fail("whole numbers only; write \"90m\" rather than \"1.5h\"");
  if (!suffix.empty() && suffix.front() == ' ') {
    const auto unit_start = suffix.find_first_not_of(' ');
    const std::string_view unit = unit_start == std::string_view::npos ? std::string_view{} : suffix.substr(unit_start);
    return fail::fail(fmt::format("no space between the number and the unit: write \"{}{}\"", num, unit));
  }
  if (num.size() > 1 && num.front() == '0') {
    const auto first = std::min(num.find_first_not_of('0'), num.size() - 1);
    return fail::fail(fmt::format("no leading zeros: write \"{}{}\"", num.substr(first), suffix));
  }
  if (num.size() > 6) return fail::fail("the number is too large");
  offset o;
  o.count = *to_int(num);
  o.text = std::string(s);
  if (suffix == "wd") o.unit = offset::unit_t::wd;
  else if (suffix == "d") o.unit = offset::unit_t::d;
  else if (suffix == "h") o.unit = offset::unit_t::h;
  else if (suffix == "m") o.unit = offset::unit_t::m;
  else if (suffix == "s") o.unit = offset::unit_t::s;
  else {
    if (suffix.empty())
      return fail::fail(fmt::format("the unit is missing: write \"{}wd\" (working days), \"{}d\", \"{}h\", \"{}m\" or "
                                    "\"{}s\"",
                                    num, num, num, num, num));
    std::string lower(suffix);
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (lower == "wd" || lower == "d" || lower == "h" || lower == "m" || lower == "s")
      return fail::fail(fmt::format("write the unit in lower case: \"{}{}\"", num, lower));
    const std::string hint = closest(suffix, {"wd", "d", "h", "m", "s"});
    return fail::fail(hint.empty() ? fmt::format("unknown unit \"{}\"; use wd (working days), d, h, m or s", suffix)
                                   : fmt::format("unknown unit \"{}\"; did you mean \"{}{}\"?", suffix, num, hint));
  }
  return parsed<offset>::ok(std::move(o));
}

parsed<seconds> parse_duration(std::string_view s) {
  auto o = parse_offset(s);
  if (!o.value) return parsed<seconds>::fail(std::move(o.error));
  if (o.value->unit == offset::unit_t::wd)
    return parsed<seconds>::fail("a duration is counted in d, h, m or s, not in working days");
  return parsed<seconds>::ok(o.value->duration());
}

parsed<minutes> parse_clock(std::string_view s, bool allow_24) {
  using fail = parsed<minutes>;
  const auto colon = s.find(':');
  if (colon == 1 && s.size() == 4 && all_digits(s.substr(0, 1)) && all_digits(s.substr(2, 2)))
    return fail::fail(fmt::format("write the hour with two digits: \"0{}\"", s));
  if (s.size() != 5 || s[2] != ':' || !all_digits(s.substr(0, 2)) || !all_digits(s.substr(3, 2)))
    return fail::fail("not a time of day; write HH:MM, e.g. \"07:30\"");
  const auto h = *to_int(s.substr(0, 2));
  const auto m = *to_int(s.substr(3, 2));
  if (h == 24 && m == 0 && allow_24) return parsed<minutes>::ok(minutes{24 * 60});
  if (m > 59 || h > 23)
    return fail::fail(fmt::format("not a time of day; hours go from 00 to 23 and minutes from 00 to 59{}",
                                  allow_24 ? " (24:00 may end a window)" : ""));
  return parsed<minutes>::ok(minutes{h * 60 + m});
}

parsed<clock_window> parse_window(std::string_view s, bool allow_wrap) {
  using fail = parsed<clock_window>;
  const auto dash = s.find('-');
  if (dash == std::string_view::npos)
    return fail::fail("not a time window; write HH:MM-HH:MM, e.g. \"07:30-11:30\"");
  auto a = parse_clock(s.substr(0, dash), false);
  if (!a.value)
    return fail::fail(fmt::format("the start \"{}\" is not a time of day; write HH:MM-HH:MM, e.g. \"07:30-11:30\"",
                                  s.substr(0, dash)));
  auto b = parse_clock(s.substr(dash + 1), true);
  if (!b.value)
    return fail::fail(fmt::format("the end \"{}\" is not a time of day; write HH:MM-HH:MM, e.g. \"07:30-11:30\"",
                                  s.substr(dash + 1)));
  if (*a.value == *b.value || (allow_wrap && *a.value == minutes{0} && *b.value == minutes{24 * 60}))
    return fail::fail("the window is empty (start and end are equal)");
  if (!allow_wrap && *b.value < *a.value)
    return fail::fail("the window ends before it starts; office hours do not cross midnight");
  clock_window w{*a.value, *b.value};
  // A wrapping window keeps end < start; "…-24:00" that wraps means "until midnight".
  if (allow_wrap && w.end == minutes{24 * 60}) w.end = minutes{0};
  return parsed<clock_window>::ok(w);
}

std::optional<sys_days> parse_iso_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s.substr(0, 4)) || !all_digits(s.substr(5, 2)) ||
      !all_digits(s.substr(8, 2)))
    return std::nullopt;
  const date::year_month_day ymd{date::year{static_cast<int>(*to_int(s.substr(0, 4)))},
                                 date::month{static_cast<unsigned>(*to_int(s.substr(5, 2)))},
                                 date::day{static_cast<unsigned>(*to_int(s.substr(8, 2)))}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd};
}

namespace {
constexpr const char* month_names[] = {"January", "February", "March",     "April",   "May",      "June",
                                       "July",    "August",   "September", "October", "November", "December"};
}

parsed<month_day> parse_month_day(std::string_view s, bool allow_feb_29) {
  using fail = parsed<month_day>;
  const auto dash = s.find('-');
  if (dash != std::string_view::npos && dash <= 2 && s.size() - dash - 1 <= 2 && s.size() < 5 &&
      all_digits(s.substr(0, dash)) && all_digits(s.substr(dash + 1)))
    return fail::fail(fmt::format("write the month and the day with two digits each: \"{:0>2}-{:0>2}\"",
                                  s.substr(0, dash), s.substr(dash + 1)));
  if (s.size() != 5 || s[2] != '-' || !all_digits(s.substr(0, 2)) || !all_digits(s.substr(3, 2)))
    return fail::fail("not a month-day; write MM-DD, e.g. \"06-15\"");
  const auto m = static_cast<unsigned>(*to_int(s.substr(0, 2)));
  const auto d = static_cast<unsigned>(*to_int(s.substr(3, 2)));
  if (m < 1 || m > 12) {
    if (d >= 1 && d <= 12 && m >= 13 && m <= 31)
      return fail::fail(fmt::format("there is no month {}; the month comes first: \"{:02}-{:02}\"", m, d, m));
    return fail::fail(fmt::format("there is no month {}", m));
  }
  if (d < 1 || d > days_in_month(m, true)) return fail::fail(fmt::format("{} has no day {}", month_names[m - 1], d));
  if (m == 2 && d == 29 && !allow_feb_29)
    return fail::fail("02-29 exists only in leap years; use \"02-28\" or \"03-01\"");
  return parsed<month_day>::ok(month_day{m, d});
}

namespace {

// The 2018 conversion of 11-digit mobile numbers (Bộ TT&TT, effective 15/9/2018 to
// 15/11/2018): old 4-digit prefix -> new 3-digit prefix.
constexpr std::pair<std::string_view, std::string_view> prefix_2018[] = {
    {"0120", "070"}, {"0121", "079"}, {"0122", "077"}, {"0123", "083"}, {"0124", "084"}, {"0125", "085"},
    {"0126", "076"}, {"0127", "081"}, {"0128", "078"}, {"0129", "082"}, {"0162", "032"}, {"0163", "033"},
    {"0164", "034"}, {"0165", "035"}, {"0166", "036"}, {"0167", "037"}, {"0168", "038"}, {"0169", "039"},
    {"0186", "056"}, {"0188", "058"}, {"0199", "059"},
};

std::string converted_2018(std::string_view national_with_0) {
  std::string out = "11-digit 01… numbers were converted to 10 digits in 2018";
  for (const auto& [from, to] : prefix_2018)
    if (national_with_0.substr(0, 4) == from) return out + fmt::format(" ({}… became {}…); write the new number", from, to);
  return out + "; write the new number";
}

// The code point starting at s[i] (for messages about an unexpected character).
std::string_view code_point_at(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  return s.substr(i, std::min(len, s.size() - i));
}

}  // namespace

parsed<std::string> parse_mobile(std::string_view s) {
  using fail = parsed<std::string>;
  std::string digits;
  bool plus = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') digits.push_back(c);
    else if (c == '+' && digits.empty() && !plus) plus = true;
    else if (c == ' ' || c == '.' || c == '-' || c == '(' || c == ')') continue;
    else
      return fail::fail(fmt::format("unexpected character '{}'; a phone number has digits, spaces, dots, hyphens "
                                    "and parentheses",
                                    code_point_at(s, i)));
  }
  if (digits.empty()) return fail::fail("no digits; write a mobile number such as \"0912 345 678\"");
  std::string warning;
  std::string national;  // the digits after the country code, without a trunk 0
  std::string_view after;  // how the prefix is described in messages
  if (!plus && digits.rfind("0084", 0) == 0) digits.erase(0, 2);  // international prefix 00
  if (plus || (digits.rfind("84", 0) == 0 && digits.size() >= 11)) {
    if (digits.rfind("84", 0) != 0) return fail::fail("only Vietnamese numbers (+84) can receive SMS here");
    national = digits.substr(2);
    after = plus ? "+84" : "84";
    if (national.size() == 10 && national[0] == '0') {
      national.erase(0, 1);
      warning = fmt::format("the 0 after {} is not dialled; read as +84{}", after, national);
    }
  } else if (digits[0] == '0') {
    national = digits.substr(1);
    after = "the leading 0";
  } else {
    return fail::fail("expected 0, 84 or +84 followed by 9 digits, e.g. \"0912 345 678\"");
  }
  if (national.size() == 10 && national[0] == '1') return fail::fail(converted_2018("0" + national));
  if (!national.empty() && national[0] == '2')
    return fail::fail("a landline (02…) cannot receive SMS; put it in office_phone");
  if (national.size() != 9)
    return fail::fail(fmt::format("expected 9 digits after {}, found {}", after, national.size()));
  if (std::string_view("35789").find(national[0]) == std::string_view::npos)
    return fail::fail("mobile numbers start with 03, 05, 07, 08 or 09");
  return parsed<std::string>::ok("+84" + national, std::move(warning));
}

parsed<std::string> parse_office_phone(std::string_view s) {
  std::size_t digits = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') ++digits;
    else if (!(c == ' ' || c == '.' || c == '-' || c == '(' || c == ')' || (c == '+' && i == 0)))
      return parsed<std::string>::fail(fmt::format(
          "unexpected character '{}'; a phone number has digits, spaces, dots, hyphens and parentheses",
          code_point_at(s, i)));
  }
  if (digits < 6 || digits > 15)
    return parsed<std::string>::fail(fmt::format("not a phone number ({} digits)", digits));
  return parsed<std::string>::ok(std::string(s));
}

std::string email_problem(std::string_view s) {
  if (s.empty()) return "empty";
  if (s.find('<') != std::string_view::npos || s.find('>') != std::string_view::npos)
    return "write the address alone (name@domain), without a display name or <>";
  for (unsigned char c : s) {
    if (c == ' ' || c == '\t') return "contains a space";
    if (c < ' ' || c == 0x7F) return "contains a control character";
    if (c == '(' || c == ')' || c == ',' || c == ';' || c == '"' || c == '\\' || c == '[' || c == ']' || c == ':')
      return fmt::format("contains '{}', which an address cannot have here", static_cast<char>(c));
  }
  const auto at = s.rfind('@');
  if (at == std::string_view::npos) return "has no @";
  if (s.find('@') != at) return "has more than one @";
  const std::string_view local = s.substr(0, at);
  const std::string_view domain = s.substr(at + 1);
  if (local.empty()) return "nothing before the @";
  if (domain.empty()) return "nothing after the @";
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return "misplaced dot before the @";
  if (domain.find('.') == std::string_view::npos)
    return fmt::format("the domain \"{}\" has no dot (e.g. {}.example)", domain, domain);
  if (domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos ||
      domain.front() == '-')
    return fmt::format("the domain \"{}\" is malformed", domain);
  return {};
}

bool valid_email(std::string_view s) { return email_problem(s).empty(); }

std::optional<std::string> mailbox_address(std::string_view s) {
  const auto lt = s.rfind('<');
  if (lt == std::string_view::npos) {
    if (valid_email(s)) return std::string(s);
    return std::nullopt;
  }
  const auto gt = s.find('>', lt);
  if (gt == std::string_view::npos || gt + 1 != s.size()) return std::nullopt;
  const std::string_view addr = s.substr(lt + 1, gt - lt - 1);
  if (!valid_email(addr)) return std::nullopt;
  return std::string(addr);
}

namespace {

// Vietnamese letters in NFC (the 12 vowels with the 5 tone marks, upper and lower case,
// and Đ/đ) -> the ASCII letter ICU's Latin-ASCII gives them. Sorted by code point.
constexpr std::pair<char32_t, char> vietnamese_ascii[] = {
    {0x00C0, 'A'}, {0x00C1, 'A'}, {0x00C2, 'A'}, {0x00C3, 'A'}, {0x00C8, 'E'}, {0x00C9, 'E'},
    {0x00CA, 'E'}, {0x00CC, 'I'}, {0x00CD, 'I'}, {0x00D2, 'O'}, {0x00D3, 'O'}, {0x00D4, 'O'},
    {0x00D5, 'O'}, {0x00D9, 'U'}, {0x00DA, 'U'}, {0x00DD, 'Y'}, {0x00E0, 'a'}, {0x00E1, 'a'},
    {0x00E2, 'a'}, {0x00E3, 'a'}, {0x00E8, 'e'}, {0x00E9, 'e'}, {0x00EA, 'e'}, {0x00EC, 'i'},
    {0x00ED, 'i'}, {0x00F2, 'o'}, {0x00F3, 'o'}, {0x00F4, 'o'}, {0x00F5, 'o'}, {0x00F9, 'u'},
    {0x00FA, 'u'}, {0x00FD, 'y'}, {0x0102, 'A'}, {0x0103, 'a'}, {0x0110, 'D'}, {0x0111, 'd'},
    {0x0128, 'I'}, {0x0129, 'i'}, {0x0168, 'U'}, {0x0169, 'u'}, {0x01A0, 'O'}, {0x01A1, 'o'},
    {0x01AF, 'U'}, {0x01B0, 'u'}, {0x1EA0, 'A'}, {0x1EA1, 'a'}, {0x1EA2, 'A'}, {0x1EA3, 'a'},
    {0x1EA4, 'A'}, {0x1EA5, 'a'}, {0x1EA6, 'A'}, {0x1EA7, 'a'}, {0x1EA8, 'A'}, {0x1EA9, 'a'},
    {0x1EAA, 'A'}, {0x1EAB, 'a'}, {0x1EAC, 'A'}, {0x1EAD, 'a'}, {0x1EAE, 'A'}, {0x1EAF, 'a'},
    {0x1EB0, 'A'}, {0x1EB1, 'a'}, {0x1EB2, 'A'}, {0x1EB3, 'a'}, {0x1EB4, 'A'}, {0x1EB5, 'a'},
    {0x1EB6, 'A'}, {0x1EB7, 'a'}, {0x1EB8, 'E'}, {0x1EB9, 'e'}, {0x1EBA, 'E'}, {0x1EBB, 'e'},
    {0x1EBC, 'E'}, {0x1EBD, 'e'}, {0x1EBE, 'E'}, {0x1EBF, 'e'}, {0x1EC0, 'E'}, {0x1EC1, 'e'},
    {0x1EC2, 'E'}, {0x1EC3, 'e'}, {0x1EC4, 'E'}, {0x1EC5, 'e'}, {0x1EC6, 'E'}, {0x1EC7, 'e'},
    {0x1EC8, 'I'}, {0x1EC9, 'i'}, {0x1ECA, 'I'}, {0x1ECB, 'i'}, {0x1ECC, 'O'}, {0x1ECD, 'o'},
    {0x1ECE, 'O'}, {0x1ECF, 'o'}, {0x1ED0, 'O'}, {0x1ED1, 'o'}, {0x1ED2, 'O'}, {0x1ED3, 'o'},
    {0x1ED4, 'O'}, {0x1ED5, 'o'}, {0x1ED6, 'O'}, {0x1ED7, 'o'}, {0x1ED8, 'O'}, {0x1ED9, 'o'},
    {0x1EDA, 'O'}, {0x1EDB, 'o'}, {0x1EDC, 'O'}, {0x1EDD, 'o'}, {0x1EDE, 'O'}, {0x1EDF, 'o'},
    {0x1EE0, 'O'}, {0x1EE1, 'o'}, {0x1EE2, 'O'}, {0x1EE3, 'o'}, {0x1EE4, 'U'}, {0x1EE5, 'u'},
    {0x1EE6, 'U'}, {0x1EE7, 'u'}, {0x1EE8, 'U'}, {0x1EE9, 'u'}, {0x1EEA, 'U'}, {0x1EEB, 'u'},
    {0x1EEC, 'U'}, {0x1EED, 'u'}, {0x1EEE, 'U'}, {0x1EEF, 'u'}, {0x1EF0, 'U'}, {0x1EF1, 'u'},
    {0x1EF2, 'Y'}, {0x1EF3, 'y'}, {0x1EF4, 'Y'}, {0x1EF5, 'y'}, {0x1EF6, 'Y'}, {0x1EF7, 'y'},
    {0x1EF8, 'Y'}, {0x1EF9, 'y'},
};

}  // namespace

std::string fold_sms(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\t' || c == '\n' || c == '\r') out.push_back(' ');
      else if (c >= 0x20 && c < 0x7F) out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    // Two- and three-byte sequences cover every Vietnamese letter.
    char32_t cp = 0;
    std::size_t len = 0;
    if (c >= 0xC2 && c <= 0xDF && i + 1 < s.size()) {
      cp = (c & 0x1Fu) << 6 | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF && i + 2 < s.size()) {
      cp = (c & 0x0Fu) << 12 | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6 |
           (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
      len = 3;
    }
    const auto it = std::lower_bound(std::begin(vietnamese_ascii), std::end(vietnamese_ascii), cp,
                                     [](const std::pair<char32_t, char>& e, char32_t x) { return e.first < x; });
    if (len == 0 || it == std::end(vietnamese_ascii) || it->first != cp) return text::fold_ascii(s);  // anything else
    out.push_back(it->second);
    i += len;
  }
  return out;
}

bool valid_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string closest(std::string_view word, const std::vector<std::string_view>& candidates) {
  // Optimal string alignment distance: like Levenshtein, with a swap of two neighbours
  // counted as one edit ("nmae" -> "name"). A hint must be closer than the word is long,
  // so that "x" does not suggest "d".
  const std::size_t limit = std::min(std::max<std::size_t>(1, word.size() / 3), word.size() > 0 ? word.size() - 1 : 0);
  std::string lower(word);
  for (char& ch : lower)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  if (lower != word)
    for (std::string_view c : candidates)
      if (c == lower) return std::string(c);
  std::string_view best;
  std::size_t best_d = limit + 1;
  std::vector<std::size_t> row0, row1, row2;
  for (std::string_view c : candidates) {
    const std::size_t n = c.size();
    if ((n > word.size() ? n - word.size() : word.size() - n) > limit) continue;
    row0.assign(n + 1, 0);  // i - 2
    row1.assign(n + 1, 0);  // i - 1
    row2.assign(n + 1, 0);  // i
    for (std::size_t j = 0; j <= n; ++j) row1[j] = j;
    for (std::size_t i = 1; i <= word.size(); ++i) {
      row2[0] = i;
      for (std::size_t j = 1; j <= n; ++j) {
        const std::size_t cost = word[i - 1] == c[j - 1] ? 0 : 1;
        row2[j] = std::min({row1[j] + 1, row2[j - 1] + 1, row1[j - 1] + cost});
        if (i > 1 && j > 1 && word[i - 1] == c[j - 2] && word[i - 2] == c[j - 1])
          row2[j] = std::min(row2[j], row0[j - 2] + 1);
      }
      std::swap(row0, row1);
      std::swap(row1, row2);
    }
    const std::size_t d = row1[n];
    if (d < best_d && d > 0) {
      best_d = d;
      best = c;
    }
  }
  return std::string(best);
}

std::string mask_phone(std::string_view e164) {
  if (e164.size() < 8) return std::string(e164.size(), '*');
  std::string out(e164);
  for (std::size_t i = 6; i + 3 < out.size(); ++i) out[i] = '*';
  return out;
}

// --- config.hpp out-of-line members -------------------------------------------------

std::string_view to_string(day_kind k) {
  switch (k) {
    case day_kind::weekend: return "weekend";
    case day_kind::holiday: return "holiday";
    case day_kind::compensatory: return "compensatory";
    case day_kind::swapped_off: return "swapped_off";
    case day_kind::swapped_working: return "swapped_working";
    case day_kind::extra_off: return "extra_off";
    case day_kind::extra_working: return "extra_working";
  }
  return "?";
}

std::string_view to_string(channel c) { return c == channel::email ? "email" : "sms"; }

std::string_view to_string(sms_provider p) {
  switch (p) {
    case sms_provider::esms: return "esms";
    case sms_provider::speedsms: return "speedsms";
    case sms_provider::http: return "http";
  }
  return "?";
}

std::string_view to_string(on_day_off p) {
  switch (p) {
    case on_day_off::keep: return "keep";
    case on_day_off::previous_working_day: return "previous_working_day";
    case on_day_off::next_working_day: return "next_working_day";
  }
  return "?";
}

std::string format(const diagnostic& d) {
  const char* sev = d.severity == diagnostic::severity_t::error ? "error" : "warning";
  if (d.line == 0) return fmt::format("{}: {}: {}", d.file, sev, d.message);
  return fmt::format("{}:{}:{}: {}: {}", d.file, d.line, d.column, sev, d.message);
}

std::size_t load_result::errors() const {
  return static_cast<std::size_t>(std::count_if(diagnostics.begin(), diagnostics.end(), [](const diagnostic& d) {
    return d.severity == diagnostic::severity_t::error;
  }));
}

std::size_t load_result::warnings() const { return diagnostics.size() - errors(); }

config::config(const config& o)
    : files(o.files),
      service(o.service),
      sending(o.sending),
      calendar(o.calendar),
      channels(o.channels),
      sms_templates(o.sms_templates),
      contacts(o.contacts),
      units(o.units),
      reports(o.reports) {
  reindex();
}

config& config::operator=(const config& o) {
  if (this != &o) {
    config copy(o);
    *this = std::move(copy);
  }
  return *this;
}

void config::reindex() {
  unit_by_id.clear();
  report_by_id.clear();
  contact_by_id.clear();
  std::size_t n = contacts.size();
  for (const auto& u : units) n += u.contacts.size();
  unit_by_id.reserve(units.size());
  contact_by_id.reserve(n);
  report_by_id.reserve(reports.size());
  for (std::size_t i = 0; i < units.size(); ++i) {
    auto& u = units[i];
    unit_by_id.emplace(u.id, static_cast<std::int32_t>(i));
    for (std::size_t j = 0; j < u.contacts.size(); ++j) {
      u.contacts[j].unit = static_cast<std::int32_t>(i);
      contact_by_id.emplace(u.contacts[j].id, std::pair{static_cast<std::int32_t>(i), static_cast<std::int32_t>(j)});
    }
  }
  for (std::size_t i = 0; i < contacts.size(); ++i)
    contact_by_id.emplace(contacts[i].id, std::pair{-1, static_cast<std::int32_t>(i)});
  for (std::size_t i = 0; i < reports.size(); ++i) report_by_id.emplace(reports[i].id, static_cast<std::int32_t>(i));
}

bool selector_matches(const selector& s, const unit& u) {
  switch (s.kind) {
    case selector::kind_t::all: return true;
    case selector::kind_t::kind: return u.kind == s.value;
    case selector::kind_t::id: return u.id == s.value;
    case selector::kind_t::tag: return std::find(u.tags.begin(), u.tags.end(), s.value) != u.tags.end();
  }
  return false;
}

bool selected(const std::vector<selector>& sels, const unit& u) {
  bool any_positive = false, in = false;
  for (const auto& s : sels) {
    if (s.negated) continue;
    any_positive = true;
    if (selector_matches(s, u)) in = true;
  }
  if (!any_positive) in = true;
  for (const auto& s : sels)
    if (s.negated && selector_matches(s, u)) return false;
  return in;
}

const unit* config::find_unit(std::string_view id) const {
  auto it = unit_by_id.find(id);
  return it == unit_by_id.end() ? nullptr : &units[static_cast<std::size_t>(it->second)];
}

std::int32_t config::unit_index(std::string_view id) const {
  auto it = unit_by_id.find(id);
  return it == unit_by_id.end() ? -1 : it->second;
}

const report* config::find_report(std::string_view id) const {
  auto it = report_by_id.find(id);
  return it == report_by_id.end() ? nullptr : &reports[static_cast<std::size_t>(it->second)];
}

const contact* config::find_contact(std::string_view id) const {
  auto it = contact_by_id.find(id);
  if (it == contact_by_id.end()) return nullptr;
  const auto [u, i] = it->second;
  if (u < 0) return &contacts[static_cast<std::size_t>(i)];
  return &units[static_cast<std::size_t>(u)].contacts[static_cast<std::size_t>(i)];
}

const sms_template* config::find_sms_template(std::string_view id) const {
  for (const auto& t : sms_templates)
    if (t.id == id) return &t;
  return nullptr;
}

}  // namespace dondoc::config
