// Vietnamese message text. An email is built as a short list of blocks (paragraphs,
// label/value fields, a table) rendered twice, as text/plain and as simple HTML, so the
// two alternatives always say the same thing. A report may replace the subject and/or
// body with its own text and {placeholders}. SMS text comes from templates only
// (sms_text.cpp); here its values are computed.
#include "notifiers/compose.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <map>

#include "config/values.hpp"
#include "notifiers/blocks.hpp"
#include "notifiers/local_time.hpp"
#include "notifiers/sms_text.hpp"
#include "text/text.hpp"
#include "text/vn_format.hpp"

namespace dondoc::notifiers {
namespace {

using std::chrono::minutes;

std::string hhmm(minutes tod) {
  const auto m = tod.count();
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(m / 60 % 24), static_cast<int>(m % 60));
  return buf;
}

// "12-15" -> "15/12"
std::string month_day(std::string_view md) {
  if (md.size() != 5 || md[2] != '-') return std::string(md);
  auto strip = [](std::string_view s) { return std::string(s.front() == '0' ? s.substr(1) : s); };
  return strip(md.substr(3, 2)) + "/" + strip(md.substr(0, 2));
}

using text::html_escape;

std::string status_vn(std::string_view s) {
  if (s == "pending") return "chưa nộp";
  if (s == "acknowledged") return "đã nhận thông báo, chưa nộp";
  if (s == "overdue") return "quá hạn, chưa nộp";
  if (s == "untracked") return "chưa theo dõi";
  if (s == "submitted") return "đã nộp";
  if (s == "submitted_late") return "nộp muộn";
  if (s == "exempted") return "được miễn";
  return std::string(s);
}

mailbox parse_mailbox(std::string_view s) {
  mailbox m;
  const auto lt = s.find('<');
  const auto gt = s.rfind('>');
  if (lt == std::string_view::npos || gt == std::string_view::npos || gt < lt) {
    m.address = std::string(s);
    return m;
  }
  m.address = std::string(s.substr(lt + 1, gt - lt - 1));
  std::string name(s.substr(0, lt));
  while (!name.empty() && name.back() == ' ') name.pop_back();
  while (!name.empty() && name.front() == ' ') name.erase(name.begin());
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
  m.name = name;
  return m;
}

mailbox sender(const config::config& cfg) {
  if (cfg.channels.email && !cfg.channels.email->from.empty()) return parse_mailbox(cfg.channels.email->from);
  return {"dondoc", "dondoc@" + message_id_domain(cfg)};
}

// Everything a message says, computed once; used by the built-in texts, by report
// templates ({placeholders}) and by SMS values.
struct facts {
  std::string unit_name, unit_short, report_title, report_short, basis, submit_to, period;
  std::string deadline_long;    // "thứ Sáu, 14/06/2019" (+ ", trước 17:00" when T has a time)
  std::string last_day_long;    // "thứ Sáu, 14/06/2019"
  std::string last_day;         // "14/06/2019"
  std::string deadline_sms;     // "15/06/2019" or "17:00 14/06/2019"
  std::int64_t days_left = 0;   // L - today
  std::int64_t days_over = 0;   // today - L
  std::string days_text;
  std::string recipient;
  std::string reply_instructions;
  std::string contacts;         // one line per contact
  std::vector<std::pair<std::string, std::string>> contact_lines;
  std::string reply_number;
  bool grouped = false;
  bool escalation = false;
};

std::vector<const config::contact*> coordinators(const config::config& cfg, const config::report& r) {
  std::vector<const config::contact*> out;
  for (const auto& id : r.coordinators)
    if (const auto* c = cfg.find_contact(id)) out.push_back(c);
  if (out.empty())
    for (const auto& c : cfg.contacts)
      if (std::find(c.roles.begin(), c.roles.end(), "coordinator") != c.roles.end()) out.push_back(&c);
  return out;
}

facts gather(const compose_input& in) {
  const auto& cfg = *in.cfg;
  const auto& r = *in.report;
  facts f;
  f.grouped = in.unit == nullptr;
  f.escalation = in.kind == scheduler::step_kind::escalation;
  if (in.unit != nullptr) {
    f.unit_name = in.unit->name;
    f.unit_short = in.unit->short_name.empty() ? in.unit->name : in.unit->short_name;
  }
  f.report_title = r.title.empty() ? r.id : r.title;
  f.report_short = r.short_name.empty() ? f.report_title : r.short_name;
  f.basis = r.basis;
  f.submit_to = r.submit_to;
  if (!r.period_from.empty() && !r.period_to.empty())
    f.period = month_day(r.period_from) + " – " + month_day(r.period_to);

  f.last_day = text::date_vn(in.last_day);
  f.last_day_long = text::long_date_vn(in.last_day);
  const local_time t = to_local(cfg, in.deadline);
  f.deadline_long = f.last_day_long;
  if (t.tod != minutes{0}) {
    f.deadline_long += ", trước " + hhmm(t.tod);
    if (t.day != in.last_day) f.deadline_long += " ngày " + text::date_vn(t.day);
    f.deadline_sms = hhmm(t.tod) + " " + text::date_vn(t.day);
  } else {
    f.deadline_sms = text::date_vn(t.day);
  }
  const config::sys_days today = to_local(cfg, in.now).day;
  f.days_left = (in.last_day - today).count();
  f.days_over = (today - in.last_day).count();
  if (f.escalation || f.days_left < 0) {
    f.days_text = f.days_over > 0 ? "đã quá hạn " + std::to_string(f.days_over) + " ngày" : "đã quá hạn";
  } else if (f.days_left == 0) {
    f.days_text = "hôm nay là ngày cuối cùng";
  } else {
    f.days_text = "còn " + std::to_string(f.days_left) + " ngày";
  }

  if (in.recipient != nullptr) {
    f.recipient = in.recipient->name;
    if (!in.recipient->title.empty()) f.recipient += " – " + in.recipient->title;
    if (in.unit != nullptr) f.recipient += ", " + in.unit->name;
  }
  if (cfg.channels.sms) f.reply_number = cfg.channels.sms->reply_number;

  if (!f.grouped) {
    f.reply_instructions = "Trả lời email này với nội dung ĐÃ NHẬN hoặc ĐÃ NỘP (mã trả lời " + in.reply_code + ").";
    if (!f.reply_number.empty()) {
      std::string kw = cfg.channels.sms->mo_keyword.empty() ? "" : sms_clean(cfg.channels.sms->mo_keyword) + " ";
      f.reply_instructions += "\nHoặc nhắn tin " + kw + "DA NHAN " + in.reply_code + " (hoặc " + kw + "DA NOP " +
                              in.reply_code + ") gửi " + f.reply_number + ".";
    }
    if (!in.link.empty()) f.reply_instructions += "\nHoặc mở liên kết: " + in.link;
  }
  for (const auto* c : coordinators(cfg, r)) {
    std::string line = c->name;
    if (!c->title.empty()) line += ", " + c->title;
    std::string how;
    if (!c->email.empty()) how += "email " + c->email;
    if (!c->phone.empty()) how += (how.empty() ? "" : ", ") + std::string("điện thoại ") + phone_local_display(c->phone);
    f.contact_lines.emplace_back(line, how);
    f.contacts += "- " + line + (how.empty() ? "" : " (" + how + ")") + "\n";
  }
  if (!f.contacts.empty()) f.contacts.pop_back();
  return f;
}

block units_table(const compose_input& in) {
  block b;
  b.kind = block::kind_t::table;
  b.header = {"STT", "Đơn vị", "Tình trạng", "Xác nhận lúc"};
  std::int64_t n = 0;
  for (const auto& u : in.outstanding) {
    std::string ack = "—";
    if (u.acknowledged_at) {
      const auto lt = to_local(*in.cfg, *u.acknowledged_at);
      ack = text::date_time_vn(lt.day, lt.tod);
    }
    b.rows.push_back({std::to_string(++n), u.name, status_vn(u.status), ack});
  }
  return b;
}

std::string units_table_text(const compose_input& in) {
  if (in.outstanding.empty()) return {};
  return render_text({units_table(in)});
}

std::string builtin_subject(const compose_input& in, const facts& f) {
  const std::string tag = f.escalation ? "[Quá hạn]" : "[Nhắc hạn]";
  if (f.grouped)
    return tag + " " + std::to_string(in.outstanding.size()) + "/" + std::to_string(in.total_units) +
           " đơn vị chưa nộp — " + f.report_title + " — hạn " + f.last_day_long;
  return tag + " " + f.unit_name + " — " + f.report_title + " — hạn " + f.last_day_long;
}

std::vector<block> builtin_body(const compose_input& in, const facts& f) {
  std::vector<block> blocks;
  auto para = [&](std::string t) {
    block b;
    b.text = std::move(t);
    blocks.push_back(std::move(b));
  };
  if (!f.recipient.empty()) para("Kính gửi: " + f.recipient + ".");
  if (in.catch_up) para("(Thư này được gửi bù: hệ thống tạm ngừng hoạt động vào thời điểm lẽ ra phải gửi.)");
  if (in.repeat > 0) para("Nhắc lại lần " + std::to_string(in.repeat) + ".");

  if (f.grouped) {
    const std::string count = std::to_string(in.outstanding.size()) + "/" + std::to_string(in.total_units);
    if (f.escalation)
      para("Báo cáo \"" + f.report_title + "\" đã quá hạn nộp (" + f.deadline_long + "). Còn " + count +
           " đơn vị chưa nộp, danh sách dưới đây.");
    else
      para("Báo cáo \"" + f.report_title + "\" có hạn nộp " + f.deadline_long + " (" + f.days_text + "). Còn " + count +
           " đơn vị chưa nộp, danh sách dưới đây.");
  } else if (f.escalation) {
    para("Đến nay " + f.unit_name + " chưa nộp báo cáo \"" + f.report_title + "\", hạn nộp " + f.deadline_long + " (" +
         f.days_text + "). Đề nghị đơn vị khẩn trương hoàn thành và gửi báo cáo.");
  } else {
    para("Hệ thống đôn đốc báo cáo xin nhắc " + f.unit_name + " về thời hạn gửi báo cáo \"" + f.report_title + "\".");
  }

  block fields;
  fields.kind = block::kind_t::fields;
  fields.fields.emplace_back("Báo cáo", f.report_title);
  if (!f.basis.empty()) fields.fields.emplace_back("Căn cứ", f.basis);
  if (!f.period.empty()) fields.fields.emplace_back("Kỳ số liệu", f.period);
  if (!f.submit_to.empty()) fields.fields.emplace_back("Nơi nhận báo cáo", f.submit_to);
  fields.fields.emplace_back("Hạn nộp", f.deadline_long);
  fields.fields.emplace_back(f.escalation || f.days_left < 0 ? "Tình trạng" : "Thời gian còn lại", f.days_text);
  if (!f.grouped) {
    if (!in.unit_status.empty()) fields.fields.emplace_back("Trạng thái", status_vn(in.unit_status));
    if (in.acknowledged_at) {
      const auto lt = to_local(*in.cfg, *in.acknowledged_at);
      fields.fields.emplace_back("Đã xác nhận nhận thông báo lúc", text::date_time_vn(lt.day, lt.tod));
    }
    fields.fields.emplace_back("Mã trả lời", in.reply_code);
  } else if (!in.link.empty()) {
    fields.fields.emplace_back("Tình hình chi tiết", in.link);
  }
  blocks.push_back(std::move(fields));

  if (f.grouped) {
    if (!in.outstanding.empty()) blocks.push_back(units_table(in));
  } else {
    para("Cách trả lời:\n" + f.reply_instructions +
         "\nĐÃ NHẬN: đơn vị đã nhận được thông báo này; ĐÃ NỘP: đơn vị đã gửi báo cáo.");
  }
  if (!f.contacts.empty()) para("Mọi thắc mắc xin liên hệ:\n" + f.contacts);
  para("Đây là thư tự động của hệ thống đôn đốc báo cáo dondoc (mã kỳ báo cáo " + in.occurrence + ").");
  return blocks;
}

std::map<std::string, std::string, std::less<>> template_values(const compose_input& in, const facts& f) {
  std::map<std::string, std::string, std::less<>> v;
  v["unit"] = f.unit_name;
  v["unit_short"] = f.unit_short;
  v["report"] = f.report_title;
  v["report_short"] = f.report_short;
  v["basis"] = f.basis;
  v["submit_to"] = f.submit_to;
  v["period"] = f.period;
  v["deadline"] = f.deadline_long;
  v["last_day"] = f.last_day;
  v["days"] = std::to_string(f.escalation || f.days_left < 0 ? std::max<std::int64_t>(f.days_over, 0) : f.days_left);
  v["days_text"] = f.days_text;
  v["code"] = in.reply_code;
  v["link"] = in.link;
  v["reply_instructions"] = f.reply_instructions;
  v["contacts"] = f.contacts;
  v["occurrence"] = in.occurrence;
  v["recipient"] = f.recipient;
  v["units_table"] = units_table_text(in);
  v["count"] = std::to_string(in.outstanding.size());
  v["total"] = std::to_string(in.total_units);
  return v;
}

constexpr std::array<std::string_view, 20> email_placeholder_names{
    "unit",      "unit_short",         "report",   "report_short", "basis",      "submit_to", "period",
    "deadline",  "last_day",           "days",     "days_text",    "code",       "link",      "reply_instructions",
    "contacts",  "occurrence",         "recipient", "units_table", "count",      "total"};

std::string fill(std::string_view tpl, const std::map<std::string, std::string, std::less<>>& v,
                 const std::string& report_id) {
  std::string out;
  for (std::size_t i = 0; i < tpl.size();) {
    if (tpl[i] == '{') {
      const auto close = tpl.find('}', i);
      if (close != std::string_view::npos) {
        const auto it = v.find(tpl.substr(i + 1, close - i - 1));
        if (it != v.end()) {
          out += it->second;
          i = close + 1;
          continue;
        }
        spdlog::warn("unknown placeholder in an email template, kept as written report={} placeholder={}", report_id,
                     tpl.substr(i, close - i + 1));
      }
    }
    out.push_back(tpl[i++]);
  }
  return out;
}

}  // namespace

std::span<const std::string_view> email_placeholders() { return email_placeholder_names; }

std::string phone_local_display(std::string_view e164) {
  if (e164.size() == 12 && e164.substr(0, 3) == "+84") {
    const std::string local = "0" + std::string(e164.substr(3));
    return local.substr(0, 4) + " " + local.substr(4, 3) + " " + local.substr(7);
  }
  return std::string(e164);
}

std::string message_id_domain(const config::config& cfg) {
  if (cfg.channels.email) {
    const mailbox m = parse_mailbox(cfg.channels.email->from);
    const auto at = m.address.rfind('@');
    if (at != std::string::npos && at + 1 < m.address.size()) return m.address.substr(at + 1);
  }
  std::string_view u = cfg.service.public_url;
  if (const auto p = u.find("://"); p != std::string_view::npos) {
    u = u.substr(p + 3);
    u = u.substr(0, u.find_first_of(":/"));
    if (!u.empty()) return std::string(u);
  }
  return "dondoc.invalid";
}

std::string thread_root_id(const compose_input& in) {
  const std::string who = in.unit != nullptr ? in.unit->id : "@" + (in.recipient != nullptr ? in.recipient->id : "");
  return "t-" + scheduler::make_key("thread|" + in.occurrence + "|" + who).str() + "@" + message_id_domain(*in.cfg);
}

composed_email compose_email(const compose_input& in) {
  const facts f = gather(in);
  composed_email out;
  out.template_id = in.step != nullptr && !in.step->email_template.empty()
                        ? in.step->email_template
                        : (f.grouped ? "grouped" : std::string(scheduler::to_string(in.kind)));
  const config::email_template* tpl = nullptr;
  if (const auto it = in.report->email_templates.find(out.template_id); it != in.report->email_templates.end())
    tpl = &it->second;
  out.from_report_template = tpl != nullptr;
  const auto values = tpl != nullptr ? template_values(in, f) : std::map<std::string, std::string, std::less<>>{};
  out.subject = tpl != nullptr && !tpl->subject.empty() ? fill(text::nfc(tpl->subject), values, in.report->id)
                                                       : builtin_subject(in, f);
  if (tpl != nullptr && !tpl->body.empty()) {
    out.text = fill(text::nfc(tpl->body), values, in.report->id);
    out.html = "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\"></head>\n"
               "<body style=\"font-family: Arial, sans-serif; font-size: 14px;\">\n<div style=\"white-space: pre-wrap\">" +
               html_text(out.text) + "</div>\n</body></html>\n";
  } else {
    const auto blocks = builtin_body(in, f);
    out.text = render_text(blocks);
    out.html = render_html(blocks);
  }
  return out;
}

message_meta make_meta(const compose_input& in) {
  message_meta m;
  m.key = in.key;
  m.at = scheduler::rfc3339(in.due, in.cfg->service.zone);
  m.kind = std::string(scheduler::to_string(in.kind));
  m.report = in.report->id;
  m.occurrence = in.occurrence;
  if (in.unit != nullptr) m.unit = in.unit->id;
  else
    for (const auto& u : in.outstanding) m.units.push_back(u.id);
  m.step = in.step_index;
  m.repeat = in.repeat;
  if (in.recipient != nullptr) m.contact = in.recipient->id;
  return m;
}

outgoing_email make_email(const compose_input& in, const composed_email& body) {
  const auto& cfg = *in.cfg;
  const std::string domain = message_id_domain(cfg);
  mime_input mi;
  mi.from = sender(cfg);
  if (in.recipient != nullptr) mi.to.push_back({in.recipient->name, in.recipient->email});
  if (!in.reply_to.empty()) mi.reply_to = {mi.from.name, in.reply_to};
  mi.subject = body.subject;
  mi.text = body.text;
  mi.html = body.html;
  mi.message_id = in.key + "@" + domain;
  mi.references.push_back(thread_root_id(in));
  for (const auto& r : in.thread_references) mi.references.push_back(r);
  mi.in_reply_to = mi.references.back();
  mi.date = in.now;
  mi.utc_offset = to_local(cfg, in.now).offset;
  mi.extra_headers.emplace_back("X-Dondoc-Key", in.key);
  mi.extra_headers.emplace_back("X-Auto-Response-Suppress", "All");
  outgoing_email e;
  e.meta = make_meta(in);
  e.envelope_from = mi.from.address;
  e.rcpt = in.recipient != nullptr ? in.recipient->email : std::string();
  e.data = build_mime(mi);
  return e;
}

composed_sms compose_sms(const compose_input& in) {
  composed_sms out;
  const facts f = gather(in);
  out.template_id = in.step != nullptr && !in.step->sms_template.empty()
                        ? in.step->sms_template
                        : (f.grouped ? "grouped" : std::string(scheduler::to_string(in.kind)));
  const auto spec = find_sms_template(in.cfg, out.template_id);
  if (!spec) {
    out.error = "unknown SMS template \"" + out.template_id + "\"";
    return out;
  }
  std::map<std::string, std::string, std::less<>> v;
  v["unit"] = f.unit_short;
  v["report"] = f.report_short;
  v["deadline"] = f.deadline_sms;
  v["last_day"] = f.last_day;
  v["code"] = in.reply_code;
  v["reply_number"] = f.reply_number;
  v["count"] = std::to_string(in.outstanding.size());
  v["total"] = std::to_string(in.total_units);
  v["days"] = std::to_string(f.escalation || f.days_left < 0 ? std::max<std::int64_t>(f.days_over, 0) : f.days_left);
  v["occurrence"] = in.occurrence;
  auto r = render_sms(*spec, v);
  out.ok = r.ok;
  out.text = std::move(r.text);
  out.segments = r.segments;
  out.error = std::move(r.error);
  return out;
}

outgoing_sms make_sms(const compose_input& in, const composed_sms& sms) {
  outgoing_sms o;
  o.meta = make_meta(in);
  o.to = in.recipient != nullptr ? in.recipient->phone : std::string();
  o.text = sms.text;
  o.segments = sms.segments;
  return o;
}

}  // namespace dondoc::notifiers
