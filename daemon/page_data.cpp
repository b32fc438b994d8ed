// View models of the coordinator's pages, from the store and the engine. Statuses are
// the engine's (status(), effective_deadline()), so a page, the API, the export, the
// digest and /metrics agree on who is overdue.
#include "daemon/page_data.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "config/values.hpp"
#include "text/text.hpp"
#include "text/vn_format.hpp"

namespace dondoc::daemon {
namespace {

bool outstanding_status(unit_status s) {
  return s == unit_status::pending || s == unit_status::acknowledged || s == unit_status::overdue;
}

std::string opt_local(const engine& e, const std::optional<sys_seconds>& t) { return t ? local_text(e, *t) : ""; }

bool unit_reported(const store::item_rec& it) {
  return it.state == store::item_state::submitted && it.submit_source == "unit" && !it.submit_confirmed;
}

std::string unit_name(const config::config& cfg, const store::item_rec& it) {
  const auto* u = cfg.find_unit(it.unit_id);
  return u != nullptr ? u->name : it.unit_name;
}

std::string role_vi(std::string_view r) {
  if (r == "focal") return "đầu mối";
  if (r == "head") return "thủ trưởng";
  if (r == "deputy") return "cấp phó";
  if (r == "coordinator") return "điều phối";
  if (r == "leader") return "lãnh đạo";
  return std::string(r);
}

// "r:3wd" -> "Nhắc hạn, trước 3 ngày làm việc"; "e:1wd" -> "Quá hạn, sau 1 ngày làm việc";
// a step with an id keeps it.
std::string step_label(std::string_view kind, std::string_view name) {
  const bool reminder = kind == "reminder";
  std::string out = reminder ? "Nhắc hạn" : "Quá hạn";
  if (name.size() > 2 && name[1] == ':') name.remove_prefix(2);
  std::size_t digits = 0;
  while (digits < name.size() && name[digits] >= '0' && name[digits] <= '9') ++digits;
  const std::string_view n = name.substr(0, digits), unit = name.substr(digits);
  std::string unit_vi;
  if (unit == "wd") unit_vi = "ngày làm việc";
  else if (unit == "d") unit_vi = "ngày";
  else if (unit == "h") unit_vi = "giờ";
  else if (unit == "m") unit_vi = "phút";
  else if (unit == "s") unit_vi = "giây";
  if (digits == 0 || unit_vi.empty()) return out + " (" + std::string(name) + ")";
  if (reminder && n == "0") return out + ", " + (unit == "wd" || unit == "d" ? "ngày cuối" : "đúng hạn");
  return out + ", " + (reminder ? "trước " : "sau ") + std::string(n) + " " + unit_vi;
}

// Reminders have started (a unit got a message or answered) or the deadline has passed.
// Read from the items, which the overview loads anyway, rather than from the outbox.
bool started(const std::vector<store::item_rec>& items, const store::occurrence_rec& o, sys_seconds now) {
  if (now >= o.deadline) return true;
  return std::any_of(items.begin(), items.end(), [](const store::item_rec& it) {
    return it.last_message_at || it.acknowledged_at || it.state != store::item_state::open;
  });
}

web::unit_row make_row(app_state& app, const store::item_rec& it, sys_seconds now) {
  const auto& e = *app.eng;
  web::unit_row r;
  r.unit_id = it.unit_id;
  r.name = unit_name(e.cfg(), it);
  r.kind = it.unit_kind;
  r.status = std::string(to_string(app.eng->status(it, now)));
  r.unit_reported = unit_reported(it);
  if (it.ext_last_day) r.extended_to = text::date_vn(*it.ext_last_day);
  if (it.last_message_at) {
    r.last_message_at = local_text(e, *it.last_message_at);
    r.last_message_channel = it.last_message_channel;
    r.last_message_state = it.last_message_state;
  }
  r.acknowledged_at = opt_local(e, it.acknowledged_at);
  r.submitted_at = opt_local(e, it.submitted_at);
  r.note = it.note;
  r.in_roster = e.cfg().find_unit(it.unit_id) != nullptr;
  return r;
}

std::vector<web::unit_row> rows_of(app_state& app, const store::occurrence_rec& o, sys_seconds now,
                                   std::vector<store::item_rec>* items_out = nullptr) {
  std::vector<web::unit_row> rows;
  std::vector<store::item_rec> items;
  for (auto& it : app.db->items_of_occurrence(o.id)) {
    if (!it.in_plan) continue;
    rows.push_back(make_row(app, it, now));
    items.push_back(std::move(it));
  }
  web::sort_vi(rows);
  if (items_out != nullptr) *items_out = std::move(items);
  return rows;
}

}  // namespace

std::string local_text(const engine& e, sys_seconds t) {
  const auto [d, tod] = e.rt().planner.sys_to_local(t);
  return text::date_time_vn(d, tod);
}

std::string mask_any_phone(const std::string& phone) {
  if (phone.rfind("+84", 0) == 0) return config::mask_phone(phone);
  std::size_t digits = 0;
  for (char c : phone)
    if (c >= '0' && c <= '9') ++digits;
  std::string out;
  std::size_t seen = 0;
  for (char c : phone) {
    if (c >= '0' && c <= '9') {
      ++seen;
      out.push_back(seen <= 4 || seen + 3 > digits ? c : '*');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

web::overview_view build_overview(app_state& app, sys_seconds now, bool all) {
  web::overview_view v;
  v.all = all;
  auto& db = *app.db;
  const auto today = app.eng->rt().planner.sys_to_local(now).first;
  const auto occs = db.occurrences_since(all ? config::sys_days{} : today - date::days{120});
  std::set<std::string> upcoming_shown;
  for (const auto& o : occs) {
    const auto items = db.items_of_occurrence(o.id);
    if (!all && !started(items, o, now) && !upcoming_shown.insert(o.report_id).second) continue;
    web::overview_row r;
    r.occurrence = o.name;
    r.title = o.title.empty() ? o.report_id : o.title;
    r.last_day_text = text::long_date_vn(o.last_day);
    r.days_left = (o.last_day - today).count();
    r.past_deadline = now >= o.deadline;
    r.in_roster = o.in_roster;
    r.complete = true;
    for (const auto& it : items) {
      if (!it.in_plan) continue;
      const auto st = app.eng->status(it, now);
      ++r.counts[std::string(to_string(st))];
      ++r.total;
      if (outstanding_status(st)) r.complete = false;
    }
    v.rows.push_back(std::move(r));
  }
  return v;
}

std::optional<web::occurrence_view> build_occurrence(app_state& app, const std::string& occurrence,
                                                     const std::string& filter, sys_seconds now) {
  auto o = app.db->occurrence_by_name(occurrence);
  if (!o) return std::nullopt;
  const auto today = app.eng->rt().planner.sys_to_local(now).first;
  web::occurrence_view v;
  v.occurrence = o->name;
  v.title = o->title.empty() ? o->report_id : o->title;
  v.basis = o->basis;
  v.submit_to = o->submit_to;
  v.last_day_text = text::long_date_vn(o->last_day);
  v.deadline_text = local_text(*app.eng, o->deadline);
  v.days_left = (o->last_day - today).count();
  v.past_deadline = now >= o->deadline;
  v.filter = filter;
  v.rows = rows_of(app, *o, now);
  return v;
}

std::optional<web::item_view> build_item(app_state& app, const std::string& occurrence, const std::string& unit,
                                         sys_seconds now) {
  auto o = app.db->occurrence_by_name(occurrence);
  if (!o) return std::nullopt;
  auto it = app.db->item(o->id, unit);
  if (!it) return std::nullopt;
  const auto& e = *app.eng;
  const auto& cfg = e.cfg();
  web::item_view v;
  v.occurrence = o->name;
  v.title = o->title.empty() ? o->report_id : o->title;
  v.unit_id = it->unit_id;
  v.unit_name = unit_name(cfg, *it);
  v.status = std::string(to_string(app.eng->status(*it, now)));
  v.open = it->state == store::item_state::open;
  v.unit_reported = unit_reported(*it);
  const auto [l, t] = app.eng->effective_deadline(*it);
  v.last_day_text = text::long_date_vn(o->last_day);
  v.deadline_text = local_text(e, t);
  if (it->ext_last_day) v.extended_to = text::long_date_vn(l);
  v.reply_code = it->reply_code;
  v.acknowledged_at = opt_local(e, it->acknowledged_at);
  v.acknowledged_by = it->acknowledged_by;
  v.submitted_at = opt_local(e, it->submitted_at);
  v.exempted_at = opt_local(e, it->exempted_at);
  v.note = it->note;
  v.min_extend = store::iso_day(o->last_day);
  for (const auto& r : app.db->rows_of_item(it->id)) {
    web::message_line m;
    const sys_seconds at = r.sent_at ? *r.sent_at
                           : r.state == store::row_state::planned ? r.next_at
                           : r.first_attempt_at ? *r.first_attempt_at
                                                : r.due;
    m.at = local_text(e, at);
    m.step = step_label(r.kind, r.step_name);
    if (r.repeat > 0) m.step += " · nhắc lại lần " + std::to_string(r.repeat);
    m.channel = r.channel;
    const auto* c = cfg.find_contact(r.contact_id);
    m.recipient = c != nullptr ? c->name : r.contact_id;
    m.state = std::string(store::to_string(r.state));
    m.reason = r.reason;
    v.messages.push_back(std::move(m));
  }
  for (const auto& a : app.db->audit_of_item(it->id)) {
    web::audit_line l2;
    l2.at = local_text(e, a.at);
    l2.who = a.who;
    l2.how = a.how;
    l2.action = a.action;
    l2.detail = a.detail;
    v.audit.push_back(std::move(l2));
  }
  return v;
}

std::optional<web::unit_view> build_unit(app_state& app, const std::string& unit, sys_seconds now) {
  const auto& e = *app.eng;
  const auto& cfg = e.cfg();
  const config::unit* u = cfg.find_unit(unit);
  auto items = app.db->items_of_unit(unit);
  if (u == nullptr && items.empty()) return std::nullopt;
  web::unit_view v;
  v.id = unit;
  v.in_roster = u != nullptr;
  auto stored_name = [&](const std::string& id) {
    if (const auto* x = cfg.find_unit(id)) return x->name;
    const auto its = app.db->items_of_unit(id);
    return its.empty() ? id : its.back().unit_name;
  };
  if (u != nullptr) {
    v.name = u->name;
    v.kind = u->kind;
    if (u->valid_from) v.valid_from = text::date_vn(*u->valid_from);
    if (u->valid_to) v.valid_to = text::date_vn(*u->valid_to);
    if (!u->office_phone.empty()) v.office_phone = mask_any_phone(u->office_phone);
    for (const auto& p : u->successor_of) v.predecessors.push_back({p, stored_name(p)});
    for (const auto& c : u->contacts) {
      web::contact_line l;
      l.name = c.name;
      l.title = c.title;
      for (const auto& r : c.roles) l.roles += (l.roles.empty() ? "" : ", ") + role_vi(r);
      l.email = c.email;
      l.phone = c.phone.empty() ? "" : mask_any_phone(c.phone);
      v.contacts.push_back(std::move(l));
    }
  } else {
    v.name = items.back().unit_name;
    v.kind = items.back().unit_kind;
  }
  for (const auto& other : cfg.units)
    if (std::find(other.successor_of.begin(), other.successor_of.end(), unit) != other.successor_of.end())
      v.successors.push_back({other.id, other.name});
  std::vector<std::pair<config::sys_days, web::history_line>> hist;
  for (const auto& it : items) {
    auto o = app.db->occurrence_by_id(it.occurrence);
    if (!o) continue;
    web::history_line h;
    h.occurrence = o->name;
    h.title = o->title.empty() ? o->report_id : o->title;
    const auto l = app.eng->effective_deadline(it).first;
    h.last_day_text = text::date_vn(l);
    h.status = std::string(to_string(app.eng->status(it, now)));
    h.unit_reported = unit_reported(it);
    h.acknowledged_at = opt_local(e, it.acknowledged_at);
    h.submitted_at = opt_local(e, it.submitted_at);
    h.note = it.note;
    if (it.unit_name != v.name) h.name_then = it.unit_name;
    hist.emplace_back(o->last_day, std::move(h));
  }
  std::stable_sort(hist.begin(), hist.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& [_, h] : hist) v.history.push_back(std::move(h));
  return v;
}

std::optional<web::export_table> build_export(app_state& app, const std::string& occurrence,
                                              const std::string& filter, sys_seconds now) {
  auto o = app.db->occurrence_by_name(occurrence);
  if (!o) return std::nullopt;
  const auto& e = *app.eng;
  const auto& planner = e.rt().planner;
  std::vector<store::item_rec> items;
  auto rows = rows_of(app, *o, now, &items);
  std::map<std::string, const store::item_rec*> by_unit;
  for (const auto& it : items) by_unit[it.unit_id] = &it;

  web::export_table t;
  t.title.push_back(o->title.empty() ? o->report_id : o->title);
  t.title.push_back("Kỳ báo cáo: " + o->name + " — Hạn nộp: " + text::long_date_vn(o->last_day));
  t.title.push_back("Số liệu đến: " + local_text(e, now) +
                    (filter.empty() ? std::string() : " — Lọc: " + std::string(web::filter_label(filter))));
  t.header = {"STT",          "Mã đơn vị",     "Tên đơn vị",       "Loại đơn vị",    "Trạng thái",
              "Hạn nộp",      "Đã nhận lúc",   "Đã nộp lúc",       "Ghi nhận nộp",   "Tin nhắn gần nhất lúc",
              "Kênh",         "Kết quả gửi",   "Ghi chú"};
  t.widths = {5, 18, 34, 11, 14, 11, 16, 16, 24, 16, 7, 11, 30};
  auto time_cell = [&](const std::optional<sys_seconds>& at) {
    if (!at) return web::cell{};
    const auto [d, tod] = planner.sys_to_local(*at);
    return web::cell::of_time(d, tod);
  };
  std::map<std::string, std::int64_t> counts;
  std::int64_t n = 0;
  for (const auto& r : rows) {
    ++counts[r.status];
    if (!web::row_matches(r, filter)) continue;
    const store::item_rec& it = *by_unit.at(r.unit_id);
    std::vector<web::cell> c;
    c.push_back(web::cell::of(++n));
    c.push_back(web::cell::of(r.unit_id));
    c.push_back(web::cell::of(r.name));
    c.push_back(web::cell::of(web::kind_label(r.kind)));
    c.push_back(web::cell::of(std::string(web::status_label(r.status))));
    c.push_back(web::cell::of_date(app.eng->effective_deadline(it).first));
    c.push_back(time_cell(it.acknowledged_at));
    c.push_back(time_cell(it.state == store::item_state::submitted ? it.submitted_at : std::nullopt));
    std::string source;
    if (it.state == store::item_state::submitted)
      source = it.submit_source == "unit" ? (it.submit_confirmed ? "đơn vị báo, đã xác nhận" : "đơn vị báo, chờ xác nhận")
                                          : "Sở Nội vụ ghi nhận";
    else if (it.state == store::item_state::exempted)
      source = "miễn nộp";
    c.push_back(source.empty() ? web::cell{} : web::cell::of(source));
    c.push_back(time_cell(it.last_message_at));
    c.push_back(it.last_message_channel.empty() ? web::cell{}
                                                : web::cell::of(it.last_message_channel == "sms" ? "SMS" : "email"));
    std::string result;
    if (it.last_message_state == "sent") result = "đã gửi";
    else if (it.last_message_state == "delivered") result = "đã đến";
    else if (it.last_message_state == "failed") result = "lỗi";
    c.push_back(result.empty() ? web::cell{} : web::cell::of(result));
    c.push_back(it.note.empty() ? web::cell{} : web::cell::of(it.note));
    t.rows.push_back(std::move(c));
  }
  for (auto id : web::status_ids) {
    const auto it = counts.find(std::string(id));
    if (it != counts.end()) t.summary.emplace_back(std::string(web::status_label(id)), it->second);
  }
  t.summary.emplace_back("Tổng số đơn vị", static_cast<std::int64_t>(rows.size()));
  return t;
}

}  // namespace dondoc::daemon
