// The small value languages of the roster (config/values.hpp): each case is one line
// with the reason it matters. Errors are checked by a phrase they must contain, so the
// wording can be improved without rewriting these tables; `check`'s exact output is
// pinned by the corpus (check_corpus_test).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "config/values.hpp"
#include "text/text.hpp"

using namespace dondoc::config;
using namespace std::chrono_literals;

namespace {

struct bad_case {
  const char* input;
  const char* phrase;  // the error must contain it
  const char* why;
};

}  // namespace

TEST_CASE("offsets are a whole number and a unit, kept as written for outbox keys") {
  struct row {
    const char* input;
    offset::unit_t unit;
    std::int64_t count;
    const char* why;
  };
  const row rows[] = {
      {"3wd", offset::unit_t::wd, 3, "working days, the usual reminder unit"},
      {"0wd", offset::unit_t::wd, 0, "0wd is the last working day itself"},
      {"10d", offset::unit_t::d, 10, "calendar days"},
      {"4h", offset::unit_t::h, 4, "hours, for repeats and short deadlines"},
      {"30m", offset::unit_t::m, 30, "m is minutes, not months"},
      {"15s", offset::unit_t::s, 15, "seconds"},
      {"999999d", offset::unit_t::d, 999999, "six digits are allowed"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    const auto p = parse_offset(r.input);
    REQUIRE(p.value);
    CHECK(p.value->unit == r.unit);
    CHECK(p.value->count == r.count);
    CHECK(p.value->text == r.input);
    CHECK(p.error.empty());
  }
}

TEST_CASE("malformed offsets are refused with a reason that says how to fix them") {
  const bad_case rows[] = {
      {"5wdd", "did you mean \"5wd\"?", "a doubled letter is a near miss of wd"},
      {"", "empty", "an empty string"},
      {"wd", "not an offset", "no number"},
      {"3 wd", "write \"3wd\"", "a space between number and unit"},
      {"03wd", "no leading zeros: write \"3wd\"", "03wd and 3wd would be two outbox keys for one step"},
      {"3WD", "lower case: \"3wd\"", "units are lower case"},
      {"1.5h", "whole numbers only", "fractions are written in a smaller unit"},
      {"-1d", "without a sign", "direction comes from before/after"},
      {"10", "the unit is missing", "a bare number"},
      {"3x", "unknown unit \"x\"", "an unknown one-letter unit gets no random hint"},
      {"1234567d", "too large", "more than six digits"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    const auto p = parse_offset(r.input);
    CHECK_FALSE(p.value);
    CHECK(p.error.find(r.phrase) != std::string::npos);
  }
  CHECK(parse_offset("3x").error.find("did you mean") == std::string::npos);
}

TEST_CASE("durations are offsets in d, h, m or s, never working days") {
  struct row {
    const char* input;
    seconds value;
    const char* why;
  };
  const row rows[] = {
      {"15m", 900s, "the default catch-up grace"},
      {"60s", 60s, "the default IMAP poll"},
      {"4h", 14400s, "a typical repeat"},
      {"2d", 172800s, "a day is 24 hours here"},
      {"0s", 0s, "zero is a duration (a grace of none)"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    const auto p = parse_duration(r.input);
    REQUIRE(p.value);
    CHECK(*p.value == r.value);
  }
  CHECK(parse_duration("2wd").error.find("not in working days") != std::string::npos);
  CHECK(parse_duration("2x").error.find("unknown unit") != std::string::npos);
  // offset::duration: exact for h/m/s, 24 h for d, nothing for wd (it needs a calendar).
  CHECK(parse_offset("2d").value->duration() == 172800s);
  CHECK(parse_offset("3wd").value->duration() == 0s);
}

TEST_CASE("times of day are HH:MM from 00:00 to 23:59") {
  CHECK(*parse_clock("07:30").value == 450min);
  CHECK(*parse_clock("00:00").value == 0min);
  CHECK(*parse_clock("23:59").value == 1439min);
  CHECK(*parse_clock("24:00", true).value == 1440min);  // only a window's end
  const bad_case rows[] = {
      {"24:00", "not a time of day", "midnight at the end of a day is not a time to send"},
      {"7:30", "two digits: \"07:30\"", "a one-digit hour gets the exact fix"},
      {"12:60", "minutes from 00 to 59", "no minute 60"},
      {"25:00", "hours go from 00 to 23", "no hour 25"},
      {"ab:cd", "write HH:MM", "not digits"},
      {"0730", "write HH:MM", "no colon"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    CHECK(parse_clock(r.input).error.find(r.phrase) != std::string::npos);
  }
}

TEST_CASE("windows are half-open and only quiet hours may wrap past midnight") {
  const auto office = parse_window("07:30-11:30", false);
  REQUIRE(office.value);
  CHECK(office.value->contains(450min));   // the start is inside
  CHECK_FALSE(office.value->contains(690min));  // the end is not
  const auto quiet = parse_window("22:00-07:00", true);
  REQUIRE(quiet.value);
  CHECK(quiet.value->contains(23h));
  CHECK(quiet.value->contains(6h + 59min));
  CHECK_FALSE(quiet.value->contains(7h));
  CHECK_FALSE(quiet.value->contains(21h + 59min));
  const auto until_midnight = parse_window("13:30-24:00", false);
  REQUIRE(until_midnight.value);
  CHECK(until_midnight.value->contains(23h + 59min));
  const auto wrap_to_midnight = parse_window("22:00-24:00", true);
  REQUIRE(wrap_to_midnight.value);
  CHECK(wrap_to_midnight.value->contains(23h));
  CHECK_FALSE(wrap_to_midnight.value->contains(1h));
  const bad_case rows[] = {
      {"22:00-07:00", "do not cross midnight", "office hours never wrap"},
      {"11:00-11:00", "empty", "an empty window"},
      {"07:30", "write HH:MM-HH:MM", "a time, not a window"},
      {"7:30-11:30", "the start \"7:30\"", "the bad half is named"},
      {"07:30-11:3", "the end \"11:3\"", "the bad half is named"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    CHECK(parse_window(r.input, false).error.find(r.phrase) != std::string::npos);
  }
}

TEST_CASE("month-days exist in a leap year and 02-29 only where allowed") {
  const auto md = parse_month_day("06-15", false);
  REQUIRE(md.value);
  CHECK(md.value->month == 6);
  CHECK(md.value->day == 15);
  CHECK(parse_month_day("12-31", false).value);
  CHECK(parse_month_day("02-29", true).value);  // a period bound may be 02-29
  const bad_case rows[] = {
      {"02-29", "only in leap years", "a yearly deadline on 02-29 would exist one year in four"},
      {"02-30", "February has no day 30", "no such day in any year"},
      {"04-31", "April has no day 31", "30-day months"},
      {"13-01", "the month comes first: \"01-13\"", "DD-MM written by habit"},
      {"00-10", "no month 0", "months start at 1"},
      {"6-15", "\"06-15\"", "one-digit month gets the exact fix"},
      {"June 15", "write MM-DD", "words"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    CHECK(parse_month_day(r.input, false).error.find(r.phrase) != std::string::npos);
  }
}

TEST_CASE("ISO dates are strict YYYY-MM-DD of real days") {
  CHECK(parse_iso_date("2019-06-15") == sys_days{date::year{2019} / 6 / 15});
  CHECK(parse_iso_date("2020-02-29"));
  CHECK_FALSE(parse_iso_date("2019-02-29"));  // not a leap year
  CHECK_FALSE(parse_iso_date("2019-6-15"));
  CHECK_FALSE(parse_iso_date("15/06/2019"));
}

TEST_CASE("Vietnamese mobile numbers in any common spelling become E.164") {
  struct row {
    const char* input;
    const char* e164;
    bool warns;
    const char* why;
  };
  const row rows[] = {
      {"0912 000 002", "+84912000002", false, "the domestic form with spaces"},
      {"+84 (912) 000.002", "+84912000002", false, "parentheses and dots are separators"},
      {"84912000002", "+84912000002", false, "country code without +"},
      {"+84912000002", "+84912000002", false, "already E.164"},
      {"0912-000-002", "+84912000002", false, "hyphens"},
      {"0084 912 000 002", "+84912000002", false, "the international prefix 00"},
      {"0321 234 567", "+84321234567", false, "03x (converted from 016x in 2018)"},
      {"0561 234 567", "+84561234567", false, "05x"},
      {"0701 234 567", "+84701234567", false, "07x"},
      {"0812 345 678", "+84812345678", false, "08x"},
      {"+84 0912 000 002", "+84912000002", true, "+840 is corrected, with a warning"},
      {"840912000002", "+84912000002", true, "840 likewise"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    const auto p = parse_mobile(r.input);
    REQUIRE(p.value);
    CHECK(*p.value == r.e164);
    CHECK(p.warning.empty() != r.warns);
  }
}

TEST_CASE("numbers that cannot receive SMS are refused with the reason") {
  const bad_case rows[] = {
      {"0162 345 6789", "converted to 10 digits in 2018 (0162… became 032…)", "11-digit Viettel number"},
      {"0123 456 7890", "(0123… became 083…)", "11-digit VinaPhone number"},
      {"+84 162 345 6789", "in 2018", "the same in the +84 form"},
      {"0191 234 5678", "in 2018; write the new number", "an 01 prefix not in the table still names 2018"},
      {"0255 3822 000", "put it in office_phone", "a landline"},
      {"+84 255 3822 000", "put it in office_phone", "a landline in the +84 form"},
      {"0912 000 00", "found 8", "one digit short"},
      {"0412 000 002", "start with 03, 05, 07, 08 or 09", "no mobile network uses 04"},
      {"+1 202 555 0100", "only Vietnamese numbers", "a foreign number"},
      {"0912 000 002 (nhà)", "unexpected character 'n'", "a note after the number"},
      {"0912 000 002 ở", "unexpected character 'ở'", "the whole code point is named, not one byte"},
      {"912 000 002", "expected 0, 84 or +84", "the leading 0 is missing"},
      {"", "no digits", "nothing"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    const auto p = parse_mobile(r.input);
    CHECK_FALSE(p.value);
    CHECK(p.error.find(r.phrase) != std::string::npos);
  }
}

TEST_CASE("office phones are any dialable number") {
  CHECK(parse_office_phone("0255 3822 000").value);
  CHECK(parse_office_phone("+84 255 3822 000").value);
  CHECK(parse_office_phone("0255/3822000").error.find("unexpected character '/'") != std::string::npos);
  CHECK_FALSE(parse_office_phone("12345").value);  // too few digits to dial
}

TEST_CASE("email addresses are checked and the reason is given") {
  for (const char* ok : {"binh.tv@stc.example", "lan+dondoc@snv.example", "a@b.example", "x_y-z@sub.snv.example"}) {
    CAPTURE(ok);
    CHECK(valid_email(ok));
    CHECK(email_problem(ok).empty());
  }
  const bad_case rows[] = {
      {"binh.tv@stc", "has no dot", "a domain without a dot is a typo here"},
      {"cuc lt@stc.example", "contains a space", "a space"},
      {"Bình <binh@stc.example>", "without a display name", "a display name where an address goes"},
      {"em.vt.stc.example", "has no @", "no @"},
      {"a@@b.example", "more than one @", "two @"},
      {"@b.example", "nothing before the @", "no local part"},
      {"a@", "nothing after the @", "no domain"},
      {".a@b.example", "misplaced dot", "a leading dot"},
      {"a@b..example", "malformed", "two dots in the domain"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    CHECK_FALSE(valid_email(r.input));
    CHECK(email_problem(r.input).find(r.phrase) != std::string::npos);
  }
}

TEST_CASE("a From mailbox is an address alone or a display name with one") {
  CHECK(mailbox_address("Sở Nội vụ <dondoc@snv.example>") == std::optional<std::string>("dondoc@snv.example"));
  CHECK(mailbox_address("dondoc@snv.example") == std::optional<std::string>("dondoc@snv.example"));
  CHECK_FALSE(mailbox_address("Sở Nội vụ <dondoc>"));
  CHECK_FALSE(mailbox_address("Sở Nội vụ <dondoc@snv.example> x"));
}

TEST_CASE("ids are lower-case ASCII identifiers") {
  for (const char* ok : {"so-tai-chinh", "a.b_c-1", "0wd", "x"}) CHECK(valid_id(ok));
  for (const char* bad : {"", "-x", ".x", "Sở", "So-Tai-Chinh", "a b", "a@b"}) CHECK_FALSE(valid_id(bad));
  CHECK(valid_id(std::string(64, 'a')));
  CHECK_FALSE(valid_id(std::string(65, 'a')));  // ids go into outbox keys and URLs
}

TEST_CASE("did-you-mean hints are close but never arbitrary") {
  struct row {
    const char* word;
    std::vector<std::string_view> candidates;
    const char* hint;
    const char* why;
  };
  const row rows[] = {
      {"nmae", {"name", "title"}, "name", "a swap of neighbours is one edit"},
      {"office_hour", {"office_hours", "sms_quiet_hours"}, "office_hours", "a missing letter"},
      {"yearly", {"year", "half-year", "quarter", "month"}, "year", "two edits in six letters"},
      {"SMS", {"email", "sms"}, "sms", "case alone"},
      {"x", {"d", "h", "m", "s"}, "", "one letter is not a near miss of another"},
      {"colour", {"id", "name", "kind"}, "", "nothing close"},
      {"name", {"name"}, "", "an exact match needs no hint"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.why);
    CHECK(closest(r.word, r.candidates) == r.hint);
  }
}

TEST_CASE("phone numbers are masked for logs") {
  CHECK(mask_phone("+84912000002") == "+84912***002");
  CHECK(mask_phone("123") == "***");
}

TEST_CASE("folding names for SMS agrees with ICU on every Vietnamese letter and defers to it otherwise") {
  // fold_sms is the loader's fast path for short names; text::fold_ascii is the reference.
  const char* bases[] = {"a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y",
                         "A", "Ă", "Â", "E", "Ê", "I", "O", "Ô", "Ơ", "U", "Ư", "Y"};
  const char* tones[] = {"", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"};
  for (const char* b : bases)
    for (const char* t : tones) {
      const std::string letter = dondoc::text::nfc(std::string(b) + t);
      CAPTURE(letter);
      CHECK(fold_sms(letter) == dondoc::text::fold_ascii(letter));
      CHECK(fold_sms(letter).size() == 1);
    }
  const char* texts[] = {
      "Đ", "đ", "Ủy ban nhân dân xã Nghĩa Hành", "Sở Lao động – Thương binh và Xã hội",  // – is not Vietnamese
      "Straße", "東京", "a\tb\nc\rd", "x\x01y\x7f", "Hòa Bình", "Khánh Hoà",
      "So\xCC\x9B\xCC\x89 Ta\xCC\x80i chi\xCC\x81nh",  // decomposed: falls back, same answer
  };
  for (const char* s : texts) {
    CAPTURE(s);
    CHECK(fold_sms(s) == dondoc::text::fold_ascii(s));
  }
  CHECK(fold_sms("Ủy ban nhân dân xã Nghĩa Hành") == "Uy ban nhan dan xa Nghia Hanh");
}
