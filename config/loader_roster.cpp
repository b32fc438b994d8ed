// The roster half of the loader: [[contacts]], [[units]] with their [[units.contacts]],
// and [[reports]] with deadline, steps and overrides. Runs after every file's settings
// are read and settled, so steps are checked against the office hours, channels and SMS
// templates in force. References to other parts of the roster (selectors, successors,
// coordinators, roster-wide roles) are only recorded here, with their places, and checked
// in loader.cpp once every file is read. A contact, unit or report with a bad field is
// still kept, so that the cross-checks do not report it missing as well.
#include <algorithm>

#include <date/tz.h>
#include <fmt/format.h>

#include "config/deadline.hpp"
#include "config/loader_internal.hpp"

namespace dondoc::config::detail {
namespace {

constexpr std::string_view id_rule =
    "not an id: use lower-case ASCII letters, digits, \"-\", \"_\" and \".\", starting with a letter or digit";

bool is_unit_role(std::string_view r) { return r == "focal" || r == "head" || r == "deputy"; }

// "YYYY-06-15": what the nominal dates of `rule` look like, for a suggestion that does
// not depend on today.
std::string nominal_pattern(const deadline_rule& rule) {
  using e = deadline_rule::every_t;
  switch (rule.every) {
    case e::year: return fmt::format("YYYY-{:02}-{:02}", rule.month, rule.day);
    case e::half_year: {
      const unsigned other = (rule.month + 5) % 12 + 1;
      return fmt::format("YYYY-{:02}-{:02} or YYYY-{:02}-{:02}", std::min(rule.month, other), rule.day,
                         std::max(rule.month, other), rule.day);
    }
    case e::quarter:
      return fmt::format("YYYY-{:02}-{:02}, YYYY-{:02}-{:02}, YYYY-{:02}-{:02} or YYYY-{:02}-{:02}", rule.month, rule.day,
                         rule.month + 3, rule.day, rule.month + 6, rule.day, rule.month + 9, rule.day);
    case e::month: return fmt::format("YYYY-MM-{:02}", rule.day);
    default: return "YYYY-MM-DD";
  }
}

// The nominal date nearest to `d` (ties go to the earlier one).
std::optional<sys_days> nearest_nominal(const deadline_rule& rule, sys_days d, const date::time_zone* zone) {
  const auto n = next_nominal(rule, d, zone);
  const auto p = previous_nominal(rule, d, zone);
  if (p && (!n || (d - *p) <= (*n - d))) return p;
  return n;
}

// A short name for SMS: folded, at most 20 characters, cut at a word when possible.
std::string default_short_name(std::string_view name) {
  std::string s = fold_sms(name);
  if (s.size() > 20) {
    const auto cut = s.rfind(' ', 20);
    s.resize(cut != std::string::npos && cut >= 10 ? cut : 20);
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

void loader::read_roster(toml::table& root) {
  // Each table is emptied once read (nothing keeps a node): the tree shrinks while the
  // config grows, so a big roster peaks near the larger of the two, not their sum.
  auto consume = [](const toml::table& t) { const_cast<toml::table&>(t).clear(); };  // the tree is ours
  if (const toml::node* n = root.get("contacts"))
    each_table(*n, "contacts", [&](const toml::table& t) {
      read_contact(t, -1, nullptr);
      consume(t);
    });
  if (const toml::node* n = root.get("units"))
    each_table(*n, "units", [&](const toml::table& t) {
      read_unit(t);
      consume(t);
    });
  if (const toml::node* n = root.get("reports"))
    each_table(*n, "reports", [&](const toml::table& t) { read_report(t); });
}

// ---------------------------------------------------------------------------------------
// contacts and units

void loader::read_contact(const toml::table& t, std::int32_t unit_index, unit* owner) {
  const bool in_unit = owner != nullptr;
  table_reader tr(*this, t, in_unit ? "in [[units.contacts]]" : "in [[contacts]]",
                  {"id", "name", "title", "email", "phone", "roles"});
  contact c;
  c.unit = unit_index;
  c.where = where(t);
  contact_side side{c.where, c.where};
  if (auto v = tr.string("id", true)) {
    side.id = where(*tr.node("id"));
    if (!valid_id(*v)) value_error(*tr.node("id"), "id", id_rule);
    c.id = std::move(*v);
  }
  if (auto v = tr.string("name", true)) c.name = std::move(*v);
  if (auto v = tr.string("title")) c.title = std::move(*v);
  if (auto v = tr.string("email")) {
    if (!v->empty()) {
      // A bad address is kept as written: the load fails anyway, and the cross-checks
      // must not also report the contact as having none.
      if (const std::string why = email_problem(*v); !why.empty()) value_error(*tr.node("email"), "email", why, true);
      c.email = std::move(*v);
    }
  }
  if (auto v = tr.string("phone")) {
    if (!v->empty()) {
      const toml::node& pn = *tr.node("phone");
      auto p = parse_mobile(*v);
      if (!p.value) {
        value_error(pn, "phone", p.error, true);
        c.phone = std::move(*v);  // kept as written, like a bad email
        side.phone = where(pn);
      } else {
        if (!p.warning.empty()) value_warning(pn, "phone", p.warning, true);
        c.phone = std::move(*p.value);
        side.phone = where(pn);
      }
    }
  }
  if (auto v = tr.strings("roles")) {
    for (auto& [r, n] : *v) {
      if (in_unit && !is_unit_role(r)) {
        const std::string hint = closest(r, {"focal", "head", "deputy"});
        value_error(*n, "roles", hint.empty() ? "a unit contact's role is focal, head or deputy"
                                              : fmt::format("not a unit role; did you mean \"{}\"?", hint));
        continue;
      }
      if (!in_unit && is_unit_role(r)) {
        value_error(*n, "roles", "a unit role; put this contact under its unit, as [[units.contacts]]");
        continue;
      }
      if (!in_unit && !valid_id(r.rfind('@', 0) == 0 ? r.substr(1) : r)) {
        value_error(*n, "roles", "not a role name (lower-case letters, digits, - _ .)");
        continue;
      }
      std::string role = !in_unit && r.rfind('@', 0) == 0 ? r.substr(1) : r;
      if (std::find(c.roles.begin(), c.roles.end(), role) == c.roles.end()) c.roles.push_back(std::move(role));
    }
  }
  tr.finish();
  if (in_unit) {
    owner->contacts.push_back(std::move(c));
    unit_contact_sides_.push_back(side);
  } else {
    cfg_.contacts.push_back(std::move(c));
    contact_sides_.push_back(side);
  }
}

void loader::read_unit(const toml::table& t) {
  table_reader tr(*this, t, "in [[units]]",
                  {"id", "name", "short_name", "kind", "tags", "valid_from", "valid_to", "successor_of",
                   "office_phone", "contacts"});
  unit u;
  u.where = where(t);
  location id_loc = u.where;
  const auto index = static_cast<std::int32_t>(cfg_.units.size());
  if (auto v = tr.string("id", true)) {
    id_loc = where(*tr.node("id"));
    if (!valid_id(*v)) value_error(*tr.node("id"), "id", id_rule);
    u.id = std::move(*v);
  }
  if (auto v = tr.string("name", true)) u.name = std::move(*v);
  if (auto v = tr.string("short_name")) {
    std::string folded = fold_sms(*v);
    if (folded.size() > 20)
      value_error(*tr.node("short_name"), "short_name",
                  fmt::format("{} characters without diacritics; at most 20 fit the SMS templates", folded.size()));
    u.short_name = std::move(folded);
  } else if (!u.name.empty()) {
    u.short_name = default_short_name(u.name);
  }
  if (auto v = tr.string("kind")) {
    if (!v->empty() && !valid_id(*v)) value_error(*tr.node("kind"), "kind", "not a kind (an identifier such as so, huyen, xa)");
    u.kind = std::move(*v);
  }
  if (auto v = tr.strings("tags")) {
    for (auto& [tag, n] : *v) {
      if (!valid_id(tag)) value_error(*n, "tags", "not a tag (an identifier such as khoi-kinh-te)");
      u.tags.push_back(std::move(tag));
    }
  }
  u.valid_from = tr.day("valid_from");
  u.valid_to = tr.day("valid_to");
  if (u.valid_from && u.valid_to && *u.valid_to < *u.valid_from)
    error(*tr.node("valid_to"), fmt::format("valid_to = {}: before valid_from ({})", fmt_date(*u.valid_to),
                                            fmt_date(*u.valid_from)));
  if (auto v = tr.strings("successor_of")) {
    for (auto& [id, n] : *v) {
      successor_refs_.push_back({cfg_.units.size(), id, where(*n)});
      u.successor_of.push_back(std::move(id));
    }
  }
  if (auto v = tr.string("office_phone")) {
    if (!v->empty()) {
      auto p = parse_office_phone(*v);
      if (!p.value) value_error(*tr.node("office_phone"), "office_phone", p.error);
    }
    u.office_phone = std::move(*v);
  }
  if (const toml::node* n = tr.node("contacts"))
    each_table(*n, "contacts", [&](const toml::table& ct) { read_contact(ct, index, &u); });
  tr.finish();
  cfg_.units.push_back(std::move(u));
  unit_id_locs_.push_back(id_loc);
}

// ---------------------------------------------------------------------------------------
// reports

std::optional<std::vector<selector>> loader::read_selectors(table_reader& tr, std::string_view key, bool in_override) {
  auto v = tr.strings(key);
  if (!v) return std::nullopt;
  std::vector<selector> out;
  for (auto& [s, n] : *v) {
    selector sel;
    std::string_view body = s;
    if (!body.empty() && body[0] == '!') {
      sel.negated = true;
      body.remove_prefix(1);
    }
    const std::string_view neg = sel.negated ? "!" : "";
    if (body == "all") {
      sel.kind = selector::kind_t::all;
    } else {
      const auto colon = body.find(':');
      if (colon == std::string_view::npos) {
        value_error(*n, key,
                    valid_id(body) ? fmt::format("a selector needs a prefix: \"{0}id:{1}\", \"{0}kind:{1}\" or "
                                                 "\"{0}tag:{1}\"",
                                                 neg, body)
                                   : "not a unit selector; write all, kind:K, id:U or tag:T (! before one excludes)");
        continue;
      }
      const std::string_view prefix = body.substr(0, colon);
      sel.value = std::string(body.substr(colon + 1));
      if (prefix == "kind") sel.kind = selector::kind_t::kind;
      else if (prefix == "id") sel.kind = selector::kind_t::id;
      else if (prefix == "tag") sel.kind = selector::kind_t::tag;
      else {
        const std::string hint = closest(prefix, {"kind", "id", "tag"});
        value_error(*n, key, hint.empty() ? "not a unit selector; write all, kind:K, id:U or tag:T (! before one excludes)"
                                          : fmt::format("unknown selector; did you mean \"{}{}:{}\"?", neg, hint, sel.value));
        continue;
      }
      if (sel.value.empty()) {
        value_error(*n, key, "the selector names nothing after the colon");
        continue;
      }
    }
    selector_refs_.push_back({cfg_.reports.size(), in_override, sel, where(*n)});
    out.push_back(std::move(sel));
  }
  return out;
}

std::optional<deadline_rule> loader::read_deadline(const toml::node& n) {
  const auto* t = n.as_table();
  if (t == nullptr) {
    error(n, fmt::format("\"deadline\" must be a table such as {{ every = \"year\", date = \"06-15\", before = true }}, "
                         "not {}",
                         type_name(n.type())));
    return std::nullopt;
  }
  table_reader tr(*this, *t, "in deadline", {"every", "date", "month", "day", "at", "before", "time"});
  const auto errors_before = error_count_;
  deadline_rule d;
  using e = deadline_rule::every_t;
  const toml::node* every = tr.node("every");
  const toml::node* date_n = tr.node("date");
  const toml::node* at_n = tr.node("at");
  const toml::node* month_n = tr.node("month");
  const toml::node* day_n = tr.node("day");
  auto not_for = [&](const toml::node* x, std::string_view key, std::string_view why) {
    if (x != nullptr) error(*x, fmt::format("\"{}\" {}", key, why));
  };
  if (every != nullptr) {
    const auto* s = every->as_string();
    const std::string v = s ? s->get() : "";
    if (s == nullptr) {
      error(*every, fmt::format("\"every\" must be a string (\"year\", \"half-year\", \"quarter\" or \"month\"), not {}",
                                type_name(every->type())));
    } else if (v == "year") d.every = e::year;
    else if (v == "half-year") d.every = e::half_year;
    else if (v == "quarter") d.every = e::quarter;
    else if (v == "month") d.every = e::month;
    else {
      const std::string hint = closest(v, {"year", "half-year", "quarter", "month"});
      value_error(*every, "every", hint.empty() ? "must be \"year\", \"half-year\", \"quarter\" or \"month\""
                                                : fmt::format("must be \"year\", \"half-year\", \"quarter\" or \"month\"; "
                                                              "did you mean \"{}\"?",
                                                              hint));
    }
    const bool every_ok = error_count_ == errors_before;
    if (every_ok)
      not_for(at_n, "at", "is for one-off deadlines; a periodic deadline takes \"date\" or \"day\", and \"time\"");
    if (!every_ok) {
      // The shape depends on "every"; the keys every shape shares are still checked below.
    } else if (d.every == e::year || d.every == e::half_year) {
      if (date_n == nullptr) {
        error(*t, fmt::format("missing required key \"date\" in deadline: every = \"{}\" needs a month-day such as "
                              "date = \"06-15\"",
                              v));
      } else if (const auto* ds = date_n->as_string()) {
        auto md = parse_month_day(ds->get(), false);
        if (md.value) {
          d.month = md.value->month;
          d.day = md.value->day;
        } else {
          value_error(*date_n, "date", md.error);
        }
      } else if (const auto* dd = date_n->as_date()) {
        error(*date_n, fmt::format("date = {}: every = \"{}\" takes a month-day such as \"{:02}-{:02}\"; a full date "
                                   "makes a one-off deadline (without \"every\")",
                                   fmt_date(to_sys_days(dd->get()).value_or(sys_days{})), v, dd->get().month,
                                   dd->get().day));
      } else {
        error(*date_n, fmt::format("\"date\" must be a month-day string such as \"06-15\", not {}",
                                   type_name(date_n->type())));
      }
      not_for(month_n, "month", fmt::format("is for quarterly deadlines; every = \"{}\" takes \"date\"", v));
      not_for(day_n, "day", fmt::format("is for monthly and quarterly deadlines; every = \"{}\" takes \"date\"", v));
    } else {
      not_for(date_n, "date", fmt::format("is for yearly and half-yearly deadlines; every = \"{}\" takes \"day\"", v));
      if (d.every == e::quarter) {
        if (auto m = tr.integer("month", 1, 3, true)) d.month = static_cast<unsigned>(*m);
      } else {
        not_for(month_n, "month", "is for quarterly deadlines (the month within each quarter)");
      }
      if (auto dd = tr.integer("day", 1, 31, true)) d.day = static_cast<unsigned>(*dd);
    }
  } else if (at_n != nullptr) {
    d.every = e::once_at;
    not_for(date_n, "date", "and \"at\" both give the deadline; keep one");
    if (const auto* dt = at_n->as_date_time()) {
      const toml::date_time& v = dt->get();
      if (!v.offset) {
        error(*at_n, "\"at\" needs a UTC offset, e.g. 2026-12-01T17:00:00+07:00");
      } else if (auto day = to_sys_days(v.date)) {
        d.at = sys_seconds{*day} + std::chrono::hours{v.time.hour} + std::chrono::minutes{v.time.minute} +
               std::chrono::seconds{v.time.second} - std::chrono::minutes{v.offset->minutes};
      }
    } else if (at_n->is_string()) {
      value_error(*at_n, "at", "write the instant without quotes, e.g. at = 2026-12-01T17:00:00+07:00");
    } else {
      error(*at_n, fmt::format("\"at\" must be an RFC 3339 date-time such as 2026-12-01T17:00:00+07:00, not {}",
                               type_name(at_n->type())));
    }
    for (std::string_view k : {"before", "time", "month", "day"})
      not_for(t->get(k), k, "does not apply to a deadline given by \"at\" (an exact instant)");
  } else if (date_n != nullptr) {
    d.every = e::once_date;
    if (const auto* dv = date_n->as_date()) {
      d.date = to_sys_days(dv->get());
    } else if (const auto* ds = date_n->as_string()) {
      if (auto iso = parse_iso_date(ds->get())) d.date = iso;
      else if (parse_month_day(ds->get(), true).value)
        value_error(*date_n, "date", "a month-day needs every = \"year\" (or \"half-year\"); a one-off deadline takes a "
                                     "full date such as 2026-12-01");
      else
        value_error(*date_n, "date", "not a date; write YYYY-MM-DD (one-off) or add every = \"year\" with \"MM-DD\"");
    } else {
      error(*date_n, fmt::format("\"date\" must be a date, not {}", type_name(date_n->type())));
    }
    not_for(month_n, "month", "needs every = \"quarter\"");
    not_for(day_n, "day", "needs every = \"month\" or \"quarter\"");
  } else {
    error(*t, "a deadline needs \"every\" (with \"date\" or \"day\"), a one-off \"date\", or \"at\"");
  }
  if (d.every != e::once_at) {
    if (auto b = tr.boolean("before")) d.before = *b;
    if (auto tm = tr.parsed_value<minutes>("time", [](std::string_view x) { return parse_clock(x, false); })) d.time = *tm;
  }
  tr.finish();
  if (error_count_ != errors_before) return std::nullopt;
  return d;
}

std::optional<step> loader::read_step(const toml::node& n, bool reminder, const report& r,
                                      const std::optional<deadline_rule>& rule, location* offset_loc) {
  const auto* t = n.as_table();
  const std::string_view offset_key = reminder ? "before" : "after";
  const std::string_view wrong_key = reminder ? "after" : "before";
  if (t == nullptr) {
    error(n, fmt::format("every step of \"{}\" must be a table such as {{ {} = \"3wd\", to = [\"focal\"], channels = "
                         "[\"email\"] }}, not {}",
                         reminder ? "reminders" : "escalation", offset_key, type_name(n.type())));
    return std::nullopt;
  }
  table_reader tr(*this, *t, reminder ? "in a reminder" : "in an escalation step",
                  {offset_key, "to", "channels", "repeat", "id", "at", "urgent", "sms_template", "email_template"});
  const auto errors_before = error_count_;
  step s;
  s.where = where(*t);
  *offset_loc = s.where;
  const toml::node* wrong = tr.node(wrong_key);
  if (wrong != nullptr)
    error(*wrong, reminder ? "\"after\" is for escalation steps; a reminder comes \"before\" the deadline"
                           : "\"before\" is for reminders; an escalation step comes \"after\" the deadline");
  const toml::node* off_n = tr.node(offset_key);
  if (auto o = tr.parsed_value<offset>(offset_key, parse_offset, wrong == nullptr)) {
    *offset_loc = where(*off_n);
    if (!reminder && o->count < 1)
      value_error(*off_n, offset_key, "escalation starts at least 1wd, 1d or 1s after the deadline");
    else if (reminder && !o->day_based() && o->count < 1)
      value_error(*off_n, offset_key, "that is the deadline itself; a reminder must come before it");
    s.off = std::move(*o);
  }
  if (auto v = tr.string("id")) {
    if (!valid_id(*v)) value_error(*tr.node("id"), "id", id_rule);
    s.id = std::move(*v);
  }
  std::vector<name_ref> roles;  // checked once every contact is read, if the step is sound
  if (auto v = tr.strings("to", true)) {
    const toml::node* unit_role = nullptr;
    const toml::node* wide_role = nullptr;
    for (auto& [role_name, rn] : *v) {
      if (is_unit_role(role_name)) {
        unit_role = rn;
      } else if (role_name.size() > 1 && role_name[0] == '@' && valid_id(std::string_view(role_name).substr(1))) {
        wide_role = rn;
        roles.push_back({cfg_.reports.size(), role_name, where(*rn)});
      } else {
        const std::string hint = closest(role_name, {"focal", "head", "deputy", "@coordinator", "@leader"});
        value_error(*rn, "to", hint.empty() ? "not a role: unit roles are focal, head, deputy; roster-wide ones start "
                                              "with @ (@coordinator, @leader)"
                                            : fmt::format("not a role; did you mean \"{}\"?", hint));
        continue;
      }
      if (std::find(s.to.begin(), s.to.end(), role_name) == s.to.end()) s.to.push_back(role_name);
    }
    if (unit_role != nullptr && wide_role != nullptr)
      error(*wide_role, "to: a step names either unit roles (focal, head, deputy) or roster-wide roles (@…), not both; "
                        "split it into two steps");
    if (v->empty()) error(*tr.node("to"), "\"to\" must name at least one role");
    s.grouped = wide_role != nullptr;
  }
  if (auto v = tr.strings("channels", true)) {
    for (auto& [c, cn] : *v) {
      std::optional<channel> ch;
      if (c == "email") ch = channel::email;
      else if (c == "sms") ch = channel::sms;
      if (!ch) {
        const std::string hint = closest(c, {"email", "sms"});
        value_error(*cn, "channels", hint.empty() ? "not a channel (email or sms)"
                                                  : fmt::format("not a channel; did you mean \"{}\"?", hint));
        continue;
      }
      s.channels.push_back(*ch);
      const bool configured = *ch == channel::email ? cfg_.channels.email.has_value() : cfg_.channels.sms.has_value();
      const auto ci = static_cast<std::size_t>(*ch);
      if (!configured && complete_ && !warned_channel_[ci]) {
        warned_channel_[ci] = true;
        warning(*cn, fmt::format("channel \"{}\" is not configured ([channels.{}]); its messages go to the file outbox",
                                 c, c));
      }
    }
    std::sort(s.channels.begin(), s.channels.end());
    s.channels.erase(std::unique(s.channels.begin(), s.channels.end()), s.channels.end());
    if (v->empty()) error(*tr.node("channels"), "\"channels\" must name at least one channel (email, sms)");
  }
  if (const toml::node* rn = tr.node("repeat")) {
    if (const auto* rt = rn->as_table()) {
      table_reader rr(*this, *rt, "in repeat", {"every", "max"});
      repeat_rule rep;
      if (auto o = rr.parsed_value<offset>("every", parse_offset, true)) {
        if (o->count < 1) value_error(*rr.node("every"), "every", "must be more than zero");
        rep.every = std::move(*o);
      }
      if (auto mx = rr.integer("max", 1, 50, true)) rep.max = *mx;
      rr.finish();
      if (s.grouped)
        error(*rn, "\"repeat\" is not allowed on a grouped step (to roster-wide roles): it sends one list per "
                   "recipient, once");
      s.repeat = std::move(rep);
    } else {
      error(*rn, fmt::format("\"repeat\" must be a table such as {{ every = \"4h\", max = 1 }}, not {}",
                             type_name(rn->type())));
    }
  }
  if (auto at = tr.parsed_value<minutes>("at", [](std::string_view x) { return parse_clock(x, false); })) {
    const toml::node& an = *tr.node("at");
    if (!s.off.text.empty() && !s.off.day_based()) {
      error(an, fmt::format("\"at\" is for day-based steps (wd, d); \"{}\" fires at an exact time", s.off.text));
    } else {
      bool inside_all = true, inside_any = false;
      for (const auto& season : cfg_.sending.office_hours) {
        const bool in = std::any_of(season.hours.begin(), season.hours.end(),
                                    [&](const clock_window& w) { return w.contains(*at); });
        inside_all = inside_all && in;
        inside_any = inside_any || in;
      }
      if (!inside_any) value_error(an, "at", "outside office hours");
      else if (!inside_all) value_warning(an, "at", "outside the office hours of some season; it then waits for them");
      s.at = *at;
    }
  }
  if (auto v = tr.boolean("urgent")) s.urgent = *v;
  if (auto v = tr.string("sms_template")) {
    const bool builtin = *v == "reminder" || *v == "escalation" || *v == "grouped";
    if (!builtin && complete_ && cfg_.find_sms_template(*v) == nullptr) {
      std::vector<std::string_view> ids{"reminder", "escalation", "grouped"};
      for (const auto& st : cfg_.sms_templates) ids.push_back(st.id);
      const std::string hint = closest(*v, ids);
      value_error(*tr.node("sms_template"), "sms_template",
                  hint.empty() ? "no such SMS template ([[sms_templates]])"
                               : fmt::format("no such SMS template; did you mean \"{}\"?", hint));
    }
    s.sms_template = std::move(*v);
  }
  if (auto v = tr.string("email_template")) {
    if (r.email_templates.find(*v) == r.email_templates.end())
      value_error(*tr.node("email_template"), "email_template",
                  fmt::format("no such email template in this report (define [reports.email_templates.{}])", *v));
    s.email_template = std::move(*v);
  }
  tr.finish();
  // A reminder of the last day must come before T: with a deadline time (or an `at`
  // deadline), the first office-hours start of that day may already be too late.
  if (reminder && rule && off_n != nullptr && !s.off.text.empty() && s.off.day_based() && s.off.count == 0) {
    std::optional<minutes> deadline_time = rule->time;
    if (rule->every == deadline_rule::every_t::once_at && rule->at && cfg_.service.zone != nullptr) {
      const auto local = cfg_.service.zone->to_local(*rule->at);
      deadline_time = std::chrono::duration_cast<minutes>(local - date::floor<date::days>(local));
    }
    if (deadline_time) {
      minutes first_start{0};
      for (const auto& season : cfg_.sending.office_hours)
        if (!season.hours.empty()) first_start = std::max(first_start, season.hours.front().start);
      const minutes fire = s.at ? *s.at : first_start;
      if (fire >= *deadline_time)
        value_error(*off_n, offset_key,
                    fmt::format("this reminder fires at {} on the last day, not before the deadline at {}; {}",
                                fmt_clock(fire), fmt_clock(*deadline_time),
                                s.at && first_start < *deadline_time
                                    ? "give it an earlier \"at\""
                                    : "remind a working day earlier (\"1wd\") or by a duration such as \"2h\""));
    }
  }
  if (error_count_ != errors_before) return std::nullopt;
  role_refs_.insert(role_refs_.end(), roles.begin(), roles.end());
  s.key_name = std::string(reminder ? "r:" : "e:") + (s.id.empty() ? s.off.text : s.id);
  return s;
}

void loader::check_step_list(const std::vector<step>& steps, const std::vector<location>& offset_locs, bool reminder) {
  const std::string_view what = reminder ? "reminders" : "escalation steps";
  for (std::size_t i = 0; i < steps.size(); ++i)
    for (std::size_t j = 0; j < i; ++j) {
      const step& a = steps[j];
      const step& b = steps[i];
      const bool same_offset = a.off.unit == b.off.unit && a.off.count == b.off.count;
      if (same_offset && (a.id.empty() || b.id.empty())) {
        error(offset_locs[i], fmt::format("two {} share the offset \"{}\" (the other at {}); give each an \"id\"", what,
                                          b.off.text, place(offset_locs[j])));
        break;
      }
      if (a.key_name == b.key_name) {
        error(offset_locs[i], fmt::format("step id \"{}\" is used twice in {} (the other at {}); ids name steps in "
                                          "outbox keys and must differ",
                                          b.id.empty() ? b.off.text : b.id, what, place(offset_locs[j])));
        break;
      }
    }
}

void loader::read_overrides(const toml::node& n, report& r, const std::optional<deadline_rule>& rule) {
  std::vector<location> occurrence_locs;
  each_table(n, "overrides", [&](const toml::table& ot) {
    table_reader orr(*this, ot, "in [[reports.overrides]]", {"occurrence", "date", "time", "units"});
    const auto errors_before = error_count_;
    override_rule o;
    o.where = where(ot);
    location occ_loc = o.where;
    if (auto occ = orr.string("occurrence", true)) {
      const toml::node& on = *orr.node("occurrence");
      occ_loc = where(on);
      o.occurrence = *occ;
      const auto atpos = occ->find('@');
      const std::optional<sys_days> nominal =
          atpos == std::string::npos ? std::nullopt : parse_iso_date(std::string_view(*occ).substr(atpos + 1));
      if (!nominal) {
        value_error(on, "occurrence", fmt::format("write \"{}@YYYY-MM-DD\": the report id and a deadline date", r.id));
      } else if (occ->substr(0, atpos) != r.id) {
        value_error(on, "occurrence", fmt::format("names report \"{}\"; an override belongs to the report it is "
                                                  "written under (\"{}\")",
                                                  occ->substr(0, atpos), r.id));
      } else if (rule) {
        o.nominal = *nominal;
        const auto nn = next_nominal(*rule, *nominal, cfg_.service.zone);
        if (!nn || *nn != *nominal) {
          const auto near = nearest_nominal(*rule, *nominal, cfg_.service.zone);
          value_error(on, "occurrence",
                      near ? fmt::format("{} is not a deadline of this report; the nearest is {}", fmt_date(*nominal),
                                         fmt_date(*near))
                           : fmt::format("{} is not a deadline of this report", fmt_date(*nominal)));
        } else if (r.first && *nominal < *r.first) {
          value_error(on, "occurrence", fmt::format("before first = {}", fmt_date(*r.first)));
        } else if (r.last && *nominal > *r.last) {
          value_error(on, "occurrence", fmt::format("after last = {}", fmt_date(*r.last)));
        }
      }
    }
    o.date = orr.day("date");
    if (auto tm = orr.parsed_value<minutes>("time", [](std::string_view x) { return parse_clock(x, false); }))
      o.time = *tm;
    if (auto sel = read_selectors(orr, "units", true)) o.units = std::move(*sel);
    orr.finish();
    if (error_count_ != errors_before) return;
    if (!o.date && !o.time && o.units.empty()) warning(ot, "this override changes nothing (give date, time or units)");
    for (std::size_t i = 0; i < r.overrides.size(); ++i)
      if (r.overrides[i].occurrence == o.occurrence) {
        value_error(*orr.node("occurrence"), "occurrence",
                    fmt::format("this occurrence is already overridden at {}", place(occurrence_locs[i])));
        return;
      }
    r.overrides.push_back(std::move(o));
    occurrence_locs.push_back(occ_loc);
  });
}

void loader::read_report(const toml::table& t) {
  table_reader tr(*this, t, "in [[reports]]",
                  {"id", "title", "short_name", "basis", "submit_to", "period", "units", "deadline", "first", "last",
                   "on_day_off", "coordinators", "reminders", "escalation", "overrides", "email_templates"});
  const auto errors_before = error_count_;
  report r;
  r.where = where(t);
  location id_loc = r.where;
  const std::size_t report_index = cfg_.reports.size();
  if (auto v = tr.string("id", true)) {
    id_loc = where(*tr.node("id"));
    if (!valid_id(*v)) value_error(*tr.node("id"), "id", id_rule);
    r.id = std::move(*v);
  }
  if (auto v = tr.string("title", true)) r.title = std::move(*v);
  if (auto v = tr.string("short_name")) {
    std::string folded = fold_sms(*v);
    if (folded.size() > 20)
      value_error(*tr.node("short_name"), "short_name",
                  fmt::format("{} characters without diacritics; at most 20 fit the SMS templates", folded.size()));
    r.short_name = std::move(folded);
  } else {
    r.short_name = default_short_name(r.title);
  }
  if (auto v = tr.string("basis")) r.basis = std::move(*v);
  if (auto v = tr.string("submit_to")) r.submit_to = std::move(*v);
  if (const toml::node* pn = tr.node("period")) {
    if (const auto* pt = pn->as_table()) {
      table_reader pr(*this, *pt, "in period", {"from", "to"});
      for (auto [key, out] : {std::pair<std::string_view, std::string*>{"from", &r.period_from}, {"to", &r.period_to}})
        if (pr.parsed_value<month_day>(key, [](std::string_view x) { return parse_month_day(x, true); }, true))
          *out = pr.node(key)->as_string()->get();
      pr.finish();
    } else {
      error(*pn, fmt::format("\"period\" must be a table such as {{ from = \"12-15\", to = \"06-14\" }}, not {}",
                             type_name(pn->type())));
    }
  }
  if (auto sel = read_selectors(tr, "units", false)) r.units = std::move(*sel);
  if (auto v = tr.string("on_day_off")) {
    if (*v == "keep") r.day_off_policy = on_day_off::keep;
    else if (*v == "previous_working_day") r.day_off_policy = on_day_off::previous_working_day;
    else if (*v == "next_working_day") r.day_off_policy = on_day_off::next_working_day;
    else {
      const std::string hint = closest(*v, {"keep", "previous_working_day", "next_working_day"});
      value_error(*tr.node("on_day_off"), "on_day_off",
                  hint.empty() ? "must be \"keep\", \"previous_working_day\" or \"next_working_day\""
                               : fmt::format("must be \"keep\", \"previous_working_day\" or \"next_working_day\"; did you "
                                             "mean \"{}\"?",
                                             hint));
    }
  }
  std::optional<deadline_rule> rule;
  if (const toml::node* dn = tr.required("deadline")) rule = read_deadline(*dn);
  if (rule) r.deadline = *rule;
  if (rule && rule->every == deadline_rule::every_t::once_at && t.get("on_day_off") != nullptr)
    error(*t.get("on_day_off"), "\"on_day_off\" does not apply to a deadline given by \"at\" (an exact instant)");
  const toml::node* first_n = tr.node("first");
  r.first = tr.day("first");
  r.last = tr.day("last");
  const date::time_zone* zone = cfg_.service.zone;
  if (rule && rule->periodic()) {
    if (first_n == nullptr) {
      error(t, fmt::format("missing required key \"first\" in [[reports]]: the first deadline that counts (a date "
                           "of the form {})",
                           nominal_pattern(*rule)));
    } else if (r.first) {
      const auto n = next_nominal(*rule, *r.first, zone);
      if (!n || *n != *r.first) {
        const auto near = nearest_nominal(*rule, *r.first, zone);
        error(*first_n, near ? fmt::format("first = {}: not a deadline of this report; the nearest is {}",
                                           fmt_date(*r.first), fmt_date(*near))
                             : fmt::format("first = {}: not a deadline of this report", fmt_date(*r.first)));
      }
    }
    if (r.first && r.last && *r.last < *r.first)
      error(*tr.node("last"), fmt::format("last = {}: before first ({})", fmt_date(*r.last), fmt_date(*r.first)));
  } else if (rule) {
    for (std::string_view k : {"first", "last"})
      if (const toml::node* x = t.get(k)) warning(*x, fmt::format("\"{}\" has no effect on a one-off deadline", k));
  }
  if (auto v = tr.strings("coordinators")) {
    for (auto& [id, n] : *v) {
      coordinator_refs_.push_back({report_index, id, where(*n)});
      r.coordinators.push_back(std::move(id));
    }
  }
  if (const auto* et = tr.sub_table("email_templates")) {
    for (auto&& [k, v] : *et) {
      const auto* tt = v.as_table();
      if (tt == nullptr) {
        error(v, fmt::format("email template \"{}\" must be a table {{ subject = \"…\", body = \"…\" }}, not {}", k.str(),
                             type_name(v.type())));
        continue;
      }
      const std::string scope = fmt::format("in email template \"{}\"", k.str());
      table_reader etr(*this, *tt, scope, {"subject", "body"});
      email_template tpl;
      if (auto s = etr.string("subject")) tpl.subject = std::move(*s);
      if (auto b = etr.string("body")) tpl.body = std::move(*b);
      etr.finish();
      r.email_templates[std::string(k.str())] = std::move(tpl);
    }
  }
  auto read_steps = [&](std::string_view key, bool reminder, std::vector<step>& out) {
    const toml::node* n = tr.node(key);
    if (n == nullptr) return;
    const auto* a = n->as_array();
    if (a == nullptr) {
      error(*n, fmt::format("\"{}\" must be an array of steps, not {}", key, type_name(n->type())));
      return;
    }
    std::vector<location> offset_locs;
    for (const toml::node& e : *a) {
      location off_loc;
      if (auto s = read_step(e, reminder, r, rule, &off_loc)) {
        out.push_back(std::move(*s));
        offset_locs.push_back(off_loc);
      }
    }
    check_step_list(out, offset_locs, reminder);
  };
  read_steps("reminders", true, r.reminders);
  read_steps("escalation", false, r.escalation);
  if (const toml::node* on = tr.node("overrides")) read_overrides(*on, r, rule);
  tr.finish();
  if (r.reminders.empty() && r.escalation.empty() && error_count_ == errors_before)
    warning(t, fmt::format("report \"{}\" has no reminders and no escalation; dondoc will only track it", r.id));
  cfg_.reports.push_back(std::move(r));
  report_id_locs_.push_back(id_loc);
}

}  // namespace dondoc::config::detail
