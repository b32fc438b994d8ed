// The digest's Vietnamese text. Like the reminders (compose.cpp), the message is a list
// of blocks — paragraphs, label/value fields, tables — rendered twice, as text/plain
// and as simple inline-styled HTML, so both alternatives say the same thing. A digest is
// read on a phone over breakfast: the overdue units come first, counts are one line,
// and empty lists are left out rather than printed as "(none)".
#include "notifiers/digest.hpp"

#include "notifiers/blocks.hpp"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>

#include "notifiers/local_time.hpp"
#include "notifiers/mime.hpp"
#include "text/text.hpp"
#include "text/vn_format.hpp"

namespace dondoc::notifiers {
namespace {

using std::chrono::minutes;

std::string when(const config::config& cfg, config::sys_seconds t) {
  const auto lt = to_local(cfg, t);
  return text::date_time_vn(lt.day, lt.tod);
}

using text::html_escape;

// Status ids in the order a coordinator reads them: the problems first.
constexpr std::array<std::string_view, 7> status_order{"overdue",   "pending",        "acknowledged", "submitted",
                                                       "submitted_late", "exempted", "untracked"};

std::string reason_vi(std::string_view r, std::string_view channel) {
  if (r == "permanent") return "bị từ chối";
  if (r == "retries_exhausted") return "gửi lại nhiều lần không được";
  if (r == "past_deadline") return "không gửi được trước hạn";
  if (r == "delivery_failed") return "không đến được người nhận";
  if (r == "no_recipient") return "đơn vị không có người giữ vai trò này";
  if (r == "no_address") return channel == "sms" ? "người nhận không có số di động" : "người nhận không có địa chỉ email";
  return std::string(r);
}

std::string channel_vi(std::string_view c) { return c == "sms" ? "SMS" : std::string(c); }

std::string days_text(const digest_input& in, const digest_section& s) {
  const auto today = to_local(*in.cfg, in.now).day;
  const auto left = (s.last_day - today).count();
  if (in.now >= s.deadline) {
    const auto over = (today - s.last_day).count();
    return over > 0 ? "đã quá hạn " + std::to_string(over) + " ngày" : "đã quá hạn";
  }
  if (left == 0) return "hôm nay là hạn cuối";
  return "còn " + std::to_string(left) + " ngày";
}

// "thứ Sáu, 14/06/2019", plus ", trước 17:00" when T is a time of day rather than the
// end of L.
std::string deadline_text(const digest_input& in, const digest_section& s) {
  std::string out = text::long_date_vn(s.last_day);
  const auto t = to_local(*in.cfg, s.deadline);
  if (!(t.day == s.last_day + date::days{1} && t.tod == minutes{0})) {
    const auto hm = when(*in.cfg, s.deadline);
    out += ", trước " + hm.substr(11);
    if (t.day != s.last_day) out += " ngày " + hm.substr(0, 10);
  }
  return out;
}

block unit_table(const digest_input& in, const std::vector<digest_unit>& units) {
  block b;
  b.kind = block::kind_t::table;
  b.header = {"STT", "Đơn vị", "Tình trạng", "Đã nhận lúc"};
  std::int64_t n = 0;
  for (const auto& u : units) {
    std::string status = digest_status_vi(u.status);
    if (u.extended_to) status += " (gia hạn đến " + text::date_vn(*u.extended_to) + ")";
    b.rows.push_back({std::to_string(++n), u.name, status, u.acknowledged_at ? when(*in.cfg, *u.acknowledged_at) : "—"});
  }
  return b;
}

std::int64_t count_of(const digest_section& s, std::string_view status) {
  const auto it = s.counts.find(std::string(status));
  return it == s.counts.end() ? 0 : it->second;
}

}  // namespace

std::string digest_status_vi(std::string_view s) {
  if (s == "pending") return "chưa nhận";
  if (s == "acknowledged") return "đã nhận";
  if (s == "overdue") return "quá hạn";
  if (s == "submitted") return "đã nộp";
  if (s == "submitted_late") return "nộp muộn";
  if (s == "exempted") return "miễn";
  if (s == "untracked") return "không theo dõi";
  return std::string(s);
}

composed_email compose_digest(const digest_input& in) {
  const auto& cfg = *in.cfg;
  std::int64_t overdue = 0, outstanding = 0;
  for (const auto& s : in.sections) {
    overdue += static_cast<std::int64_t>(s.overdue.size());
    outstanding += static_cast<std::int64_t>(s.outstanding.size());
  }
  const std::string day = text::date_vn(in.day);
  composed_email out;
  out.template_id = "digest";
  out.subject = "[Tổng hợp] Tình hình nộp báo cáo ngày " + day + ": ";
  if (overdue + outstanding == 0) {
    out.subject += "các đơn vị đã nộp đủ";
  } else {
    std::vector<std::string> parts;
    if (overdue > 0) parts.push_back(std::to_string(overdue) + " đơn vị quá hạn");
    if (outstanding > 0) parts.push_back(std::to_string(outstanding) + " đơn vị chưa nộp");
    out.subject += parts.size() == 2 ? parts[0] + ", " + parts[1] : parts[0];
  }

  std::vector<block> blocks;
  auto para = [&](std::string t) {
    block b;
    b.text = std::move(t);
    blocks.push_back(std::move(b));
  };
  if (in.recipient != nullptr) {
    std::string who = in.recipient->name;
    if (!in.recipient->title.empty()) who += " – " + in.recipient->title;
    para("Kính gửi: " + who + ".");
  }
  const auto now = to_local(cfg, in.now);
  std::string intro = "Tình hình nộp báo cáo đến " + when(cfg, in.now).substr(11) + " " + text::long_date_vn(now.day) +
                      ": " + std::to_string(in.sections.size()) + " kỳ báo cáo";
  if (overdue + outstanding == 0) {
    intro += ", tất cả đơn vị đã nộp hoặc được miễn.";
  } else {
    if (overdue > 0) intro += ", " + std::to_string(overdue) + " đơn vị quá hạn";
    if (outstanding > 0) intro += ", " + std::to_string(outstanding) + " đơn vị chưa đến hạn nhưng chưa nộp";
    intro += ".";
  }
  para(intro);

  std::int64_t n = 0;
  for (const auto& s : in.sections) {
    block h;
    h.kind = block::kind_t::heading;
    h.text = std::to_string(++n) + ". " + s.title;
    blocks.push_back(std::move(h));
    block f;
    f.kind = block::kind_t::fields;
    f.fields.emplace_back("Mã kỳ báo cáo", s.occurrence);
    f.fields.emplace_back("Hạn nộp", deadline_text(in, s) + " (" + days_text(in, s) + ")");
    f.fields.emplace_back("Số đơn vị", std::to_string(s.total));
    std::string counts;
    for (const auto st : status_order) {
      const auto c = count_of(s, st);
      if (c == 0) continue;
      if (!counts.empty()) counts += ", ";
      counts += digest_status_vi(st) + " " + std::to_string(c);
    }
    f.fields.emplace_back("Tình hình", counts.empty() ? "—" : counts);
    blocks.push_back(std::move(f));
    if (!s.overdue.empty()) {
      para("Đơn vị quá hạn, chưa nộp (" + std::to_string(s.overdue.size()) + "):");
      blocks.push_back(unit_table(in, s.overdue));
    }
    if (!s.outstanding.empty()) {
      para("Đơn vị chưa nộp, chưa đến hạn (" + std::to_string(s.outstanding.size()) + "):");
      blocks.push_back(unit_table(in, s.outstanding));
    }
    if (s.overdue.empty() && s.outstanding.empty()) para("Tất cả đơn vị đã nộp hoặc được miễn.");
    if (!s.failed.empty()) {
      para("Tin nhắn gửi không thành công (" + std::to_string(s.failed.size()) + "):");
      block t;
      t.kind = block::kind_t::table;
      t.header = {"STT", "Đơn vị", "Người nhận", "Kênh", "Lý do", "Lúc"};
      std::int64_t k = 0;
      for (const auto& x : s.failed) {
        std::string reason = reason_vi(x.reason, x.channel);
        if (!x.error.empty()) reason += " (" + x.error + ")";
        t.rows.push_back({std::to_string(++k), x.unit_name.empty() ? "(thư tổng hợp)" : x.unit_name, x.recipient,
                          channel_vi(x.channel), reason, x.at ? when(cfg, *x.at) : "—"});
      }
      blocks.push_back(std::move(t));
    }
    if (!s.skipped.empty()) {
      para("Tin nhắn không gửi được vì thiếu người nhận hoặc địa chỉ (" + std::to_string(s.skipped.size()) +
           " trường hợp), đối chiếu với danh sách hiện hành:");
      block t;
      t.kind = block::kind_t::table;
      t.header = {"STT", "Đơn vị", "Người nhận", "Kênh", "Lý do", "Số tin", "Danh sách hiện hành"};
      std::int64_t k = 0;
      for (const auto& x : s.skipped)
        t.rows.push_back({std::to_string(++k), x.unit_name.empty() ? "(thư tổng hợp)" : x.unit_name, x.recipient,
                          channel_vi(x.channel), reason_vi(x.reason, x.channel), std::to_string(x.messages),
                          x.fixed_now ? "đã bổ sung" : "vẫn thiếu"});
      blocks.push_back(std::move(t));
    }
  }
  para("Đây là thư tổng hợp tự động của hệ thống đôn đốc báo cáo dondoc, gửi vào đầu giờ làm việc các ngày làm "
       "việc khi còn đơn vị chưa nộp hoặc khi tình hình thay đổi. Chi tiết từng đơn vị xem trên trang quản trị dondoc.");
  out.text = render_text(blocks);
  out.html = render_html(blocks);
  return out;
}

outgoing_email make_digest_email(const digest_input& in, const composed_email& body) {
  const auto& cfg = *in.cfg;
  const std::string domain = message_id_domain(cfg);
  mime_input mi;
  mailbox from{"dondoc", "dondoc@" + domain};
  if (cfg.channels.email && !cfg.channels.email->from.empty()) {
    const std::string& f = cfg.channels.email->from;
    const auto lt = f.find('<');
    const auto gt = f.rfind('>');
    if (lt != std::string::npos && gt != std::string::npos && gt > lt) {
      from.address = f.substr(lt + 1, gt - lt - 1);
      std::string name = f.substr(0, lt);
      while (!name.empty() && (name.back() == ' ' || name.back() == '"')) name.pop_back();
      while (!name.empty() && (name.front() == ' ' || name.front() == '"')) name.erase(name.begin());
      from.name = name;
    } else {
      from = {"", f};
    }
  }
  mi.from = from;
  if (in.recipient != nullptr) mi.to.push_back({in.recipient->name, in.recipient->email});
  mi.subject = body.subject;
  mi.text = body.text;
  mi.html = body.html;
  mi.message_id = in.key + "@" + domain;
  mi.date = in.now;
  mi.utc_offset = to_local(cfg, in.now).offset;
  mi.extra_headers.emplace_back("X-Dondoc-Key", in.key);
  mi.extra_headers.emplace_back("X-Dondoc-Kind", "digest");
  mi.extra_headers.emplace_back("X-Auto-Response-Suppress", "All");
  outgoing_email e;
  e.meta.key = in.key;
  e.meta.at = scheduler::rfc3339(in.now, cfg.service.zone);
  e.meta.kind = "digest";
  if (in.recipient != nullptr) e.meta.contact = in.recipient->id;
  e.envelope_from = mi.from.address;
  e.rcpt = in.recipient != nullptr ? in.recipient->email : std::string();
  e.data = build_mime(mi);
  return e;
}

}  // namespace dondoc::notifiers
