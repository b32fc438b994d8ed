// Vietnamese public holidays from the rules, merged with published schedules.
//
// The rules (Bộ luật Lao động 2012, in force 2013; Bộ luật Lao động 2019, Điều 112, from
// 2021): Tết Dương lịch 1/1; Tết Âm lịch five days, which the Prime Minister places each
// year — without a published schedule we take the last day of the lunar year and mùng
// 1-4; Giỗ Tổ Hùng Vương 10/3 âm lịch; 30/4; 1/5; Quốc khánh 2/9, from 2021 with a second
// day: whichever of 1/9 and 3/9 is a working day, if both are the one next to a weekend,
// and 3/9 when neither is (2/9 on a Wednesday). This reproduces 2024 (31/8-3/9) and 2025
// (30/8-2/9). Điều 111(3): a holiday on a weekly rest day gives the next working day off.
//
// A year's published schedule names holidays; a named holiday's days replace its
// computed ones (compensatory days included), the other holidays are still computed.
// Compensatory days of computed holidays skip every day already off, whatever its source.
#include <algorithm>
#include <map>
#include <set>

#include "scheduler/lunar.hpp"
#include "scheduler/working_calendar.hpp"
#include "text/vn_format.hpp"

namespace dondoc::scheduler {
namespace {

using config::day_kind;

struct known_holiday {
  std::string_view id;
  std::string_view name;
};

constexpr known_holiday known_holidays[] = {
    {"tet_duong_lich", "Tết Dương lịch"},
    {"tet_am_lich", "Tết Nguyên đán"},
    {"gio_to", "Giỗ Tổ Hùng Vương"},
    {"giai_phong", "Ngày Giải phóng miền Nam, thống nhất đất nước"},
    {"quoc_te_lao_dong", "Ngày Quốc tế Lao động"},
    {"quoc_khanh", "Quốc khánh"},
};

constexpr int rules_first_year = 2013;  // Bộ luật Lao động 2012 in force
constexpr int law_2019_first_year = 2021;

bool on_weekend(sys_days d, const std::array<bool, 7>& weekend) { return weekend[date::weekday{d}.c_encoding()]; }

sys_days ymd(int y, unsigned m, unsigned d) { return sys_days{date::year{y} / date::month{m} / date::day{d}}; }

// "thứ Hai 29/04/2024", for use inside a sentence.
std::string weekday_and_date(sys_days d) { return text::weekday_vn(d) + " " + text::date_vn(d); }

struct statutory_day {
  std::string_view id;
  sys_days date;
};

// The statutory days of `year` by the rules, in no particular order.
std::vector<statutory_day> statutory_days(int year, const std::array<bool, 7>& weekend) {
  std::vector<statutory_day> out;
  if (year < rules_first_year || year > lunar_max_year) return out;
  out.push_back({"tet_duong_lich", ymd(year, 1, 1)});
  if (auto tet = from_lunar({1, 1, year, false})) {
    for (int i = -1; i <= 3; ++i) out.push_back({"tet_am_lich", *tet + date::days{i}});
  }
  if (auto gio_to = from_lunar({10, 3, year, false})) out.push_back({"gio_to", *gio_to});
  out.push_back({"giai_phong", ymd(year, 4, 30)});
  out.push_back({"quoc_te_lao_dong", ymd(year, 5, 1)});
  const sys_days national = ymd(year, 9, 2);
  out.push_back({"quoc_khanh", national});
  if (year >= law_2019_first_year) {
    const sys_days before = national - date::days{1}, after = national + date::days{1};
    const bool before_works = !on_weekend(before, weekend), after_works = !on_weekend(after, weekend);
    sys_days second = after;
    if (before_works && !after_works) {
      second = before;
    } else if (before_works && after_works) {
      const bool before_touches_weekend = on_weekend(before - date::days{1}, weekend);
      const bool after_touches_weekend = on_weekend(after + date::days{1}, weekend);
      if (before_touches_weekend && !after_touches_weekend) second = before;
    }
    out.push_back({"quoc_khanh", second});
  }
  return out;
}

std::string holiday_name(const config::holiday_schedule& h) {
  if (!h.name.empty()) return h.name;
  if (auto n = builtin_holiday_name(h.id)) return std::string{*n};
  return h.id;
}

std::string default_reason(const config::holiday_schedule& h, const config::schedule_day& day) {
  const std::string name = holiday_name(h);
  auto only = [&](day_kind k) -> std::optional<sys_days> {
    std::optional<sys_days> found;
    for (const auto& d : h.days) {
      if (d.kind != k) continue;
      if (found) return std::nullopt;
      found = d.date;
    }
    return found;
  };
  switch (day.kind) {
    case day_kind::holiday:
      return name;
    case day_kind::compensatory:
      return "Nghỉ bù " + name;
    case day_kind::swapped_off:
      if (auto w = only(day_kind::swapped_working)) return "Nghỉ hoán đổi, làm bù " + weekday_and_date(*w);
      return "Nghỉ hoán đổi (" + name + ")";
    case day_kind::swapped_working:
      if (auto o = only(day_kind::swapped_off)) return "Làm bù cho " + weekday_and_date(*o);
      return "Làm bù (" + name + ")";
    default:
      return name;
  }
}

// Which of two entries of the same day shows: a day off beats a working day.
int strength(day_kind k) {
  switch (k) {
    case day_kind::holiday:
      return 4;
    case day_kind::compensatory:
      return 3;
    case day_kind::swapped_off:
      return 2;
    default:
      return 1;
  }
}

}  // namespace

std::optional<std::string_view> builtin_holiday_name(std::string_view id) {
  for (const auto& k : known_holidays)
    if (k.id == id) return k.name;
  return std::nullopt;
}

std::vector<calendar_entry> holidays_of_year(int year, const std::array<bool, 7>& weekend,
                                             const config::year_schedule* schedule, bool with_rules) {
  std::map<sys_days, calendar_entry> days;
  auto add = [&](calendar_entry e) {
    auto [it, inserted] = days.try_emplace(e.date, e);
    if (inserted) return;
    calendar_entry& cur = it->second;
    if (cur.reason != e.reason && cur.reason.find(e.reason) == std::string::npos) {
      // Two holidays on one day: keep both names, the stronger kind.
      cur.reason = strength(e.kind) > strength(cur.kind) ? e.reason + "; " + cur.reason : cur.reason + "; " + e.reason;
    }
    if (strength(e.kind) > strength(cur.kind)) {
      cur.kind = e.kind;
      cur.working = e.working;
    }
  };

  std::set<std::string_view> replaced;
  if (schedule != nullptr) {
    for (const auto& h : schedule->holidays) {
      replaced.insert(h.id);
      for (const auto& d : h.days) {
        add({d.date, d.kind == day_kind::swapped_working, d.kind, d.reason.empty() ? default_reason(h, d) : d.reason});
      }
    }
  }

  std::vector<statutory_day> rule_days;
  if (with_rules) {
    for (const auto& s : statutory_days(year, weekend))
      if (!replaced.contains(s.id)) rule_days.push_back(s);
  }
  std::sort(rule_days.begin(), rule_days.end(), [](const auto& a, const auto& b) { return a.date < b.date; });
  for (const auto& s : rule_days) add({s.date, false, day_kind::holiday, std::string{*builtin_holiday_name(s.id)}});

  // Điều 111(3): one compensatory day per statutory day on a weekly rest day, on the next
  // day that is neither a rest day nor already off.
  auto is_off = [&](sys_days d) {
    auto it = days.find(d);
    return it != days.end() && !it->second.working;
  };
  for (const auto& s : rule_days) {
    if (!on_weekend(s.date, weekend)) continue;
    sys_days c = s.date + date::days{1};
    int guard = 0;
    while ((on_weekend(c, weekend) || is_off(c)) && ++guard < 60) c += date::days{1};
    if (guard >= 60) continue;  // a week without working days: nothing to compensate with
    add({c, false, day_kind::compensatory, "Nghỉ bù " + std::string{*builtin_holiday_name(s.id)}});
  }

  std::vector<calendar_entry> out;
  out.reserve(days.size());
  for (auto& [d, e] : days) out.push_back(std::move(e));
  return out;
}

std::vector<calendar_entry> rule_holidays(int year, const std::array<bool, 7>& weekend) {
  return holidays_of_year(year, weekend, nullptr);
}

}  // namespace dondoc::scheduler
