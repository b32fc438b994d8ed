// HTML of the coordinator's pages. Strings are built by hand (a page is a few tables and
// forms; a template engine would be the larger dependency) and every value goes through
// escape(). Each table cell carries data-label so that, on a phone, CSS can show the
// table as a list of cards with the column name above each value.
#include "web/views.hpp"

#include <algorithm>

#include "text/text.hpp"
#include "web/html.hpp"
#include "web/http.hpp"

namespace dondoc::web {
namespace {

std::string esc(std::string_view s) { return escape(s); }

std::string segment(std::string_view s) {
  static constexpr char hexd[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~' || c == '@' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hexd[c >> 4]);
      out.push_back(hexd[c & 15]);
    }
  }
  return out;
}

std::string badge(std::string_view status) {
  return "<span class=\"badge st-" + esc(status) + "\">" + esc(status_label(status)) + "</span>";
}

std::string reported_badge() { return " <span class=\"badge st-reported\">đơn vị báo đã nộp</span>"; }

std::string td(std::string_view label, std::string_view html, std::string_view cls = {}) {
  std::string out = "<td data-label=\"" + esc(label) + "\"";
  if (!cls.empty()) out += " class=\"" + esc(cls) + "\"";
  return out + ">" + std::string(html) + "</td>";
}

std::string or_dash(std::string_view s) { return s.empty() ? "—" : esc(s); }

std::string csrf_field(const page_context& ctx) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + esc(ctx.csrf) + "\">";
}

// The bar above every page: where one is, who is logged in, and the logout button.
std::string top(const page_context& ctx, const std::vector<std::pair<std::string, std::string>>& crumbs) {
  std::string out = "<nav class=\"top\"><div class=\"crumbs\"><a href=\"/\">Tổng quan</a>";
  for (const auto& [href, text] : crumbs) {
    out += " <span aria-hidden=\"true\">›</span> ";
    out += href.empty() ? "<span>" + esc(text) + "</span>" : "<a href=\"" + esc(href) + "\">" + esc(text) + "</a>";
  }
  out += "</div><div class=\"who\">";
  if (!ctx.user.empty()) out += "<span class=\"muted\">" + esc(ctx.user) + "</span>";
  if (ctx.can_logout)
    out += " <form method=\"post\" action=\"/logout\" class=\"inline\">" + csrf_field(ctx) +
           "<button type=\"submit\" class=\"link\">Đăng xuất</button></form>";
  out += "</div></nav>\n";
  if (!ctx.now_text.empty()) out += "<p class=\"muted small\">Số liệu đến " + esc(ctx.now_text) + ".</p>\n";
  return out;
}

std::string message_state_label(std::string_view s) {
  if (s == "planned") return "chờ gửi";
  if (s == "sending") return "đang gửi";
  if (s == "sent") return "đã gửi";
  if (s == "delivered") return "đã đến";
  if (s == "failed") return "lỗi";
  if (s == "cancelled") return "đã hủy";
  if (s == "skipped") return "bỏ qua";
  return std::string(s);
}

std::string reason_label(std::string_view r) {
  if (r == "submitted") return "đơn vị đã nộp";
  if (r == "exempted") return "được miễn";
  if (r == "acknowledged") return "đơn vị đã nhận";
  if (r == "roster_changed") return "danh sách thay đổi";
  if (r == "no_recipient") return "không có người nhận";
  if (r == "no_address") return "thiếu địa chỉ";
  if (r == "quiet_hours") return "giờ không nhắn tin";
  if (r == "sms_cap") return "vượt số SMS trong ngày";
  if (r == "before_tracking") return "trước khi bắt đầu theo dõi";
  if (r == "catch_up") return "lỡ lúc hệ thống ngừng";
  if (r == "past_deadline") return "đã qua hạn";
  if (r == "permanent") return "bị từ chối";
  if (r == "retries_exhausted") return "gửi lại không được";
  if (r == "delivery_failed") return "không đến được";
  if (r == "nothing_outstanding") return "không còn đơn vị chưa nộp";
  return std::string(r);
}

std::string channel_label(std::string_view c) { return c == "sms" ? "SMS" : std::string(c); }

std::string action_label(std::string_view a) {
  if (a == "ack") return "đã nhận";
  if (a == "submit") return "đã nộp";
  if (a == "exempt") return "miễn";
  if (a == "reopen") return "mở lại";
  if (a == "confirm") return "xác nhận đã nộp";
  if (a == "extend") return "gia hạn";
  if (a == "note") return "ghi chú";
  if (a == "reply_rejected") return "trả lời không hợp lệ";
  return std::string(a);
}

std::string how_label(std::string_view h) {
  if (h == "sms") return "SMS";
  if (h == "email") return "email";
  if (h == "link") return "liên kết";
  if (h == "cli") return "dòng lệnh";
  if (h == "web") return "trang quản trị";
  if (h == "daemon") return "hệ thống";
  return std::string(h);
}

std::string last_message(const unit_row& r) {
  if (r.last_message_at.empty()) return "—";
  std::string cls = r.last_message_state == "failed" ? "bad" : (r.last_message_state == "delivered" ? "ok" : "");
  return esc(r.last_message_at) + "<br><span class=\"muted\">" + esc(channel_label(r.last_message_channel)) +
         "</span> · <span class=\"" + cls + "\">" + esc(message_state_label(r.last_message_state)) + "</span>";
}

std::string flash_text(std::string_view done, bool changed) {
  std::string what;
  if (done == "submit") what = "Đã ghi nhận: đơn vị đã nộp báo cáo.";
  else if (done == "exempt") what = "Đã ghi nhận: đơn vị được miễn nộp.";
  else if (done == "ack") what = "Đã ghi nhận: đơn vị đã nhận yêu cầu.";
  else if (done == "confirm") what = "Đã xác nhận: đơn vị đã nộp báo cáo.";
  else if (done == "reopen") what = "Đã mở lại: đơn vị trở về trạng thái chưa nộp.";
  else if (done == "extend") what = "Đã gia hạn cho đơn vị.";
  else return {};
  if (!changed) what = "Không có thay đổi: yêu cầu đã được ghi vào nhật ký nhưng trạng thái vẫn như cũ.";
  return what;
}

}  // namespace

std::string_view status_label(std::string_view id) {
  if (id == "pending") return "chưa nhận";
  if (id == "acknowledged") return "đã nhận";
  if (id == "overdue") return "quá hạn";
  if (id == "submitted") return "đã nộp";
  if (id == "submitted_late") return "nộp muộn";
  if (id == "exempted") return "miễn";
  if (id == "untracked") return "không theo dõi";
  return id;
}

std::string kind_label(std::string_view k) {
  if (k == "so") return "Sở";
  if (k == "ban") return "Ban";
  if (k == "nganh") return "Ngành";
  if (k == "huyen") return "Huyện";
  if (k == "thi_xa") return "Thị xã";
  if (k == "thanh_pho") return "Thành phố";
  if (k == "xa") return "Xã";
  if (k == "phuong") return "Phường";
  if (k == "thi_tran") return "Thị trấn";
  if (k == "dac_khu") return "Đặc khu";
  return std::string(k);
}

std::string occurrence_path(std::string_view occurrence) { return "/o/" + segment(occurrence); }
std::string item_path(std::string_view occurrence, std::string_view unit) {
  return "/o/" + segment(occurrence) + "/" + segment(unit);
}
std::string unit_path(std::string_view unit) { return "/u/" + segment(unit); }

std::string days_text(std::int64_t days_left, bool past_deadline, bool complete) {
  if (complete) return "đã xong";
  if (past_deadline) return days_left < 0 ? "quá hạn " + std::to_string(-days_left) + " ngày" : "đã quá hạn";
  if (days_left == 0) return "hôm nay là hạn cuối";
  if (days_left < 0) return "quá hạn " + std::to_string(-days_left) + " ngày";
  return "còn " + std::to_string(days_left) + " ngày";
}

bool row_matches(const unit_row& r, std::string_view filter) {
  if (filter.empty()) return true;
  if (filter == "outstanding") return r.status == "pending" || r.status == "acknowledged" || r.status == "overdue";
  if (filter == "reported") return r.unit_reported;
  for (auto id : status_ids)
    if (filter == id) return r.status == id;
  return true;
}

std::string_view filter_label(std::string_view filter) {
  if (filter.empty()) return "Tất cả";
  if (filter == "outstanding") return "Chưa nộp";
  if (filter == "reported") return "Đơn vị báo đã nộp, chờ xác nhận";
  return status_label(filter);
}

void sort_vi(std::vector<unit_row>& rows) {
  std::vector<std::pair<std::string, std::size_t>> keys;
  keys.reserve(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) keys.emplace_back(text::sort_key_vi(rows[i].name), i);
  std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return rows[a.second].unit_id < rows[b.second].unit_id;
  });
  std::vector<unit_row> out;
  out.reserve(rows.size());
  for (const auto& k : keys) out.push_back(std::move(rows[k.second]));
  rows = std::move(out);
}

// --- overview -------------------------------------------------------------------------------

std::string render_overview(const page_context& ctx, const overview_view& v) {
  static constexpr std::string_view cols[] = {"pending", "acknowledged", "submitted", "submitted_late", "overdue",
                                              "exempted"};
  std::string b = top(ctx, {});
  b += "<h1>Tình hình nộp báo cáo</h1>\n";
  b += v.all ? "<p class=\"no-print\">Đang xem mọi kỳ báo cáo đã lưu. <a href=\"/\">Chỉ xem kỳ đang mở và gần đây</a></p>\n"
             : "<p class=\"no-print\">Các kỳ báo cáo đang mở và gần đây (120 ngày). <a href=\"/?all=1\">Xem mọi kỳ báo "
               "cáo</a></p>\n";
  if (v.rows.empty()) {
    b += "<p class=\"card\">Chưa có kỳ báo cáo nào.</p>\n";
    return page("Tình hình nộp báo cáo — dondoc", b);
  }
  b += "<div class=\"scroll\"><table class=\"cards overview\">\n<thead><tr><th>Kỳ báo cáo</th><th>Hạn nộp</th>"
       "<th>Thời hạn</th>";
  for (auto c : cols) b += "<th class=\"num\">" + esc(status_label(c)) + "</th>";
  b += "<th class=\"num\">Tổng</th></tr></thead>\n<tbody>\n";
  for (const auto& r : v.rows) {
    const bool late = r.past_deadline && !r.complete;
    b += "<tr data-occurrence=\"" + esc(r.occurrence) + "\"" + (late ? " class=\"late\"" : "") + ">";
    std::string name = "<a href=\"" + esc(occurrence_path(r.occurrence)) + "\">" + esc(r.title) + "</a><br><span " +
                       "class=\"muted small\">" + esc(r.occurrence) + "</span>";
    if (!r.in_roster) name += " <span class=\"badge st-untracked\">không còn trong danh sách</span>";
    b += td("Kỳ báo cáo", name);
    b += td("Hạn nộp", esc(r.last_day_text));
    b += td("Thời hạn", "<span class=\"" + std::string(late ? "bad" : (r.complete ? "ok" : "")) + "\">" +
                            esc(days_text(r.days_left, r.past_deadline, r.complete)) + "</span>");
    for (auto c : cols) {
      const auto it = r.counts.find(std::string(c));
      const std::int64_t n = it == r.counts.end() ? 0 : it->second;
      std::string cell = n == 0 ? "<span class=\"muted\">0</span>"
                                : "<a class=\"count st-" + std::string(c) + "\" href=\"" +
                                      esc(occurrence_path(r.occurrence)) + "?status=" + std::string(c) + "\">" +
                                      std::to_string(n) + "</a>";
      b += td(status_label(c), cell, "num c-" + std::string(c));
    }
    b += td("Tổng", std::to_string(r.total), "num");
    b += "</tr>\n";
  }
  b += "</tbody></table></div>\n";
  return page("Tình hình nộp báo cáo — dondoc", b);
}

// --- occurrence -------------------------------------------------------------------------------

std::string render_occurrence(const page_context& ctx, const occurrence_view& v) {
  const std::string path = occurrence_path(v.occurrence);
  std::string b = top(ctx, {{"", v.occurrence}});
  b += "<h1>" + esc(v.title) + "</h1>\n<div class=\"card\"><dl>\n";
  b += "<dt>Kỳ báo cáo</dt><dd><code>" + esc(v.occurrence) + "</code></dd>\n";
  if (!v.basis.empty()) b += "<dt>Căn cứ</dt><dd>" + esc(v.basis) + "</dd>\n";
  if (!v.submit_to.empty()) b += "<dt>Nơi nhận</dt><dd>" + esc(v.submit_to) + "</dd>\n";
  bool complete = true;
  std::map<std::string, std::int64_t> counts;
  std::int64_t reported = 0;
  for (const auto& r : v.rows) {
    ++counts[r.status];
    if (r.unit_reported) ++reported;
    if (r.status == "pending" || r.status == "acknowledged" || r.status == "overdue") complete = false;
  }
  b += "<dt>Hạn nộp</dt><dd>" + esc(v.last_day_text) + " <span class=\"" +
       std::string(v.past_deadline && !complete ? "bad" : "muted") + "\">(" +
       esc(days_text(v.days_left, v.past_deadline, complete)) + ")</span></dd>\n";
  b += "<dt>Số đơn vị</dt><dd>" + std::to_string(v.rows.size()) + "</dd>\n</dl></div>\n";

  // Filters: links for a tap, and a GET form; both work without JavaScript.
  auto chip = [&](std::string_view filter, std::int64_t n) {
    const bool active = filter == v.filter;
    std::string href = path + (filter.empty() ? "" : "?status=" + std::string(filter));
    return "<a class=\"chip" + std::string(active ? " active" : "") + (filter.empty() ? "" : " st-" + std::string(filter)) +
           "\" href=\"" + esc(href) + "\"" + (active ? " aria-current=\"true\"" : "") + ">" + esc(filter_label(filter)) +
           " <b>" + std::to_string(n) + "</b></a>";
  };
  std::int64_t outstanding = counts["pending"] + counts["acknowledged"] + counts["overdue"];
  b += "<div class=\"chips\" role=\"navigation\" aria-label=\"Lọc theo trạng thái\">";
  b += chip("", static_cast<std::int64_t>(v.rows.size()));
  b += chip("outstanding", outstanding);
  for (auto id : status_ids)
    if (counts[std::string(id)] > 0 || v.filter == id) b += chip(id, counts[std::string(id)]);
  if (reported > 0 || v.filter == "reported") b += chip("reported", reported);
  b += "</div>\n";
  b += "<form method=\"get\" action=\"" + esc(path) + "\" class=\"filter\"><label class=\"inline\" for=\"status\">Lọc "
       "theo trạng thái</label> <select id=\"status\" name=\"status\">";
  std::vector<std::string_view> filters{"", "outstanding"};
  for (auto id : status_ids) filters.push_back(id);
  filters.push_back("reported");
  for (auto f : filters)
    b += "<option value=\"" + esc(f) + "\"" + (f == v.filter ? " selected" : "") + ">" + esc(filter_label(f)) +
         "</option>";
  b += "</select> <button type=\"submit\" class=\"small\">Lọc</button></form>\n";
  b += "<p class=\"export\">Xuất bảng: <a href=\"/export/" + esc(segment(v.occurrence)) +
       ".xlsx\">Excel (.xlsx)</a> · <a href=\"/export/" + esc(segment(v.occurrence)) + ".csv\">CSV</a></p>\n";

  std::vector<const unit_row*> shown;
  for (const auto& r : v.rows)
    if (row_matches(r, v.filter)) shown.push_back(&r);
  if (!v.filter.empty())
    b += "<p class=\"muted\">Đang lọc: <strong>" + esc(filter_label(v.filter)) + "</strong> — " +
         std::to_string(shown.size()) + "/" + std::to_string(v.rows.size()) + " đơn vị. <a href=\"" + esc(path) +
         "\" class=\"no-print\">Bỏ lọc</a></p>\n";
  if (shown.empty()) {
    b += "<p class=\"card\">Không có đơn vị nào ở trạng thái này.</p>\n";
    return page(v.title + " — dondoc", b);
  }
  b += "<div class=\"scroll\"><table class=\"cards units\">\n<thead><tr><th class=\"num\">STT</th><th>Đơn vị</th>"
       "<th>Trạng thái</th><th>Tin nhắn gần nhất</th><th>Đã nhận lúc</th><th>Đã nộp lúc</th><th>Ghi chú</th>"
       "<th class=\"no-print\"></th></tr></thead>\n<tbody>\n";
  std::int64_t n = 0;
  for (const auto* r : shown) {
    b += "<tr data-unit=\"" + esc(r->unit_id) + "\" data-status=\"" + esc(r->status) + "\"" +
         (r->unit_reported ? " data-reported=\"1\"" : "") + ">";
    b += td("STT", std::to_string(++n), "num");
    std::string name = "<a href=\"" + esc(unit_path(r->unit_id)) + "\">" + esc(r->name) + "</a>";
    name += "<br><span class=\"muted small\">" + esc(kind_label(r->kind)) + "</span>";
    if (!r->in_roster) name += " <span class=\"muted small\">(không còn trong danh sách)</span>";
    b += td("Đơn vị", name);
    std::string st = badge(r->status);
    if (r->unit_reported) st += reported_badge();
    if (!r->extended_to.empty()) st += "<br><span class=\"small\">gia hạn đến " + esc(r->extended_to) + "</span>";
    b += td("Trạng thái", st);
    b += td("Tin nhắn gần nhất", last_message(*r));
    b += td("Đã nhận lúc", or_dash(r->acknowledged_at));
    b += td("Đã nộp lúc", or_dash(r->submitted_at));
    b += td("Ghi chú", or_dash(r->note));
    b += td("", "<a href=\"" + esc(item_path(v.occurrence, r->unit_id)) + "\">Cập nhật</a>", "no-print");
    b += "</tr>\n";
  }
  b += "</tbody></table></div>\n";
  return page(v.title + " — dondoc", b);
}

// --- item ---------------------------------------------------------------------------------------

std::string render_item(const page_context& ctx, const item_view& v) {
  const std::string path = item_path(v.occurrence, v.unit_id);
  std::string b = top(ctx, {{occurrence_path(v.occurrence), v.occurrence}, {"", v.unit_name}});
  b += "<h1>" + esc(v.unit_name) + "</h1>\n<p class=\"muted\">" + esc(v.title) + "</p>\n";
  if (!v.error.empty()) b += "<p class=\"card bad\" role=\"alert\">" + esc(v.error) + "</p>\n";
  if (const auto f = flash_text(v.done, v.changed); !f.empty())
    b += "<p class=\"card " + std::string(v.changed ? "ok" : "warn") + "\" role=\"status\">" + esc(f) + "</p>\n";
  b += "<div class=\"card\"><dl>\n";
  b += "<dt>Đơn vị</dt><dd><a href=\"" + esc(unit_path(v.unit_id)) + "\">" + esc(v.unit_name) + "</a></dd>\n";
  b += "<dt>Trạng thái</dt><dd id=\"status\" data-status=\"" + esc(v.status) + "\">" + badge(v.status) +
       (v.unit_reported ? reported_badge() : "") + "</dd>\n";
  b += "<dt>Hạn nộp</dt><dd>" + esc(v.last_day_text) +
       (v.extended_to.empty() ? "" : " <strong>(đã gia hạn đến " + esc(v.extended_to) + ")</strong>") + "</dd>\n";
  b += "<dt>Mã trả lời</dt><dd><code>" + esc(v.reply_code) + "</code></dd>\n";
  b += "<dt>Đã nhận lúc</dt><dd>" + or_dash(v.acknowledged_at) +
       (v.acknowledged_by.empty() ? "" : " <span class=\"muted\">(" + esc(v.acknowledged_by) + ")</span>") + "</dd>\n";
  if (!v.submitted_at.empty()) b += "<dt>Đã nộp lúc</dt><dd>" + esc(v.submitted_at) + "</dd>\n";
  if (!v.exempted_at.empty()) b += "<dt>Miễn từ</dt><dd>" + esc(v.exempted_at) + "</dd>\n";
  b += "<dt>Ghi chú</dt><dd>" + or_dash(v.note) + "</dd>\n</dl></div>\n";

  auto form = [&](std::string_view action, std::string_view heading, std::string_view fields, std::string_view button,
                  bool secondary = false) {
    return "<form method=\"post\" action=\"" + esc(path) + "\" class=\"card\" id=\"f-" + std::string(action) + "\">" +
           "<h3>" + esc(heading) + "</h3>" + csrf_field(ctx) + "<input type=\"hidden\" name=\"action\" value=\"" +
           std::string(action) + "\">" + std::string(fields) + "<button type=\"submit\"" +
           (secondary ? " class=\"secondary\"" : "") + ">" + esc(button) + "</button></form>\n";
  };
  auto note = [](bool required) {
    return std::string("<label>Ghi chú") + (required ? "" : " (không bắt buộc)") +
           "<textarea name=\"note\" maxlength=\"500\"" + (required ? " required" : "") + "></textarea></label>";
  };
  b += "<h2>Cập nhật</h2>\n<div class=\"actions\">\n";
  if (v.open) {
    b += form("submit", "Ghi nhận đã nộp",
              "<label>Thời điểm nộp (để trống: bây giờ)<input type=\"datetime-local\" name=\"at\"></label>" + note(false),
              "Ghi nhận đã nộp");
    if (v.acknowledged_at.empty()) b += form("ack", "Đánh dấu đã nhận", note(false), "Đánh dấu đã nhận", true);
    b += form("extend", "Gia hạn cho đơn vị",
              "<label>Hạn nộp mới (ngày cuối cùng)<input type=\"date\" name=\"to\" required" +
                  (v.min_extend.empty() ? std::string() : " min=\"" + esc(v.min_extend) + "\"") + "></label>" +
                  note(false),
              "Gia hạn", true);
    b += form("exempt", "Miễn nộp", note(true), "Miễn nộp", true);
  } else {
    if (v.unit_reported) b += form("confirm", "Xác nhận đơn vị đã nộp", note(false), "Xác nhận đã nộp");
    b += form("reopen", "Mở lại (đưa về chưa nộp)", note(false), "Mở lại", true);
  }
  b += "</div>\n";

  b += "<h2>Tin nhắn</h2>\n";
  if (v.messages.empty()) {
    b += "<p class=\"muted\">Chưa có tin nhắn nào.</p>\n";
  } else {
    b += "<div class=\"scroll\"><table class=\"cards messages\"><thead><tr><th>Lúc</th><th>Bước</th><th>Kênh</th>"
         "<th>Người nhận</th><th>Kết quả</th></tr></thead><tbody>\n";
    for (const auto& m : v.messages) {
      std::string st = esc(message_state_label(m.state));
      if (!m.reason.empty()) st += " <span class=\"muted small\">(" + esc(reason_label(m.reason)) + ")</span>";
      b += "<tr>" + td("Lúc", esc(m.at)) + td("Bước", esc(m.step)) + td("Kênh", esc(channel_label(m.channel))) +
           td("Người nhận", or_dash(m.recipient)) + td("Kết quả", st, m.state == "failed" ? "bad" : "") + "</tr>\n";
    }
    b += "</tbody></table></div>\n";
  }
  b += "<h2>Nhật ký thay đổi</h2>\n";
  if (v.audit.empty()) {
    b += "<p class=\"muted\">Chưa có thay đổi nào.</p>\n";
  } else {
    b += "<div class=\"scroll\"><table class=\"cards audit\"><thead><tr><th>Lúc</th><th>Việc</th><th>Người thực hiện"
         "</th><th>Qua</th><th>Chi tiết</th></tr></thead><tbody>\n";
    for (const auto& a : v.audit)
      b += "<tr data-action=\"" + esc(a.action) + "\">" + td("Lúc", esc(a.at)) + td("Việc", esc(action_label(a.action))) +
           td("Người thực hiện", esc(a.who)) + td("Qua", esc(how_label(a.how))) + td("Chi tiết", or_dash(a.detail)) +
           "</tr>\n";
    b += "</tbody></table></div>\n";
  }
  return page(v.unit_name + " — " + v.occurrence + " — dondoc", b);
}

// --- unit ----------------------------------------------------------------------------------------

std::string render_unit(const page_context& ctx, const unit_view& v) {
  std::string b = top(ctx, {{"", v.name}});
  b += "<h1>" + esc(v.name) + "</h1>\n";
  if (!v.in_roster)
    b += "<p class=\"card warn\">Đơn vị này không còn trong danh sách hiện hành; lịch sử dưới đây được giữ lại.</p>\n";
  b += "<div class=\"card\"><dl>\n<dt>Mã đơn vị</dt><dd><code>" + esc(v.id) + "</code></dd>\n";
  if (!v.kind.empty()) b += "<dt>Loại</dt><dd>" + esc(kind_label(v.kind)) + "</dd>\n";
  if (!v.valid_from.empty() || !v.valid_to.empty())
    b += "<dt>Thời gian hoạt động</dt><dd>" + (v.valid_from.empty() ? std::string("…") : esc(v.valid_from)) + " – " +
         (v.valid_to.empty() ? std::string("nay") : esc(v.valid_to)) + "</dd>\n";
  if (!v.office_phone.empty()) b += "<dt>Điện thoại cơ quan</dt><dd>" + esc(v.office_phone) + "</dd>\n";
  auto links = [](const std::vector<unit_link>& l) {
    std::string out;
    for (const auto& u : l) {
      if (!out.empty()) out += ", ";
      out += "<a href=\"" + esc(unit_path(u.id)) + "\">" + esc(u.name) + "</a>";
    }
    return out;
  };
  if (!v.predecessors.empty()) b += "<dt>Kế thừa từ</dt><dd class=\"predecessors\">" + links(v.predecessors) + "</dd>\n";
  if (!v.successors.empty()) b += "<dt>Đơn vị kế thừa</dt><dd class=\"successors\">" + links(v.successors) + "</dd>\n";
  b += "</dl></div>\n<h2>Người liên hệ</h2>\n";
  if (v.contacts.empty()) {
    b += "<p class=\"muted\">Không có người liên hệ trong danh sách hiện hành.</p>\n";
  } else {
    b += "<div class=\"scroll\"><table class=\"cards contacts\"><thead><tr><th>Họ tên</th><th>Chức vụ</th><th>Vai trò"
         "</th><th>Email</th><th>Điện thoại</th></tr></thead><tbody>\n";
    for (const auto& c : v.contacts)
      b += "<tr>" + td("Họ tên", esc(c.name)) + td("Chức vụ", or_dash(c.title)) + td("Vai trò", or_dash(c.roles)) +
           td("Email", or_dash(c.email)) + td("Điện thoại", or_dash(c.phone), "phone") + "</tr>\n";
    b += "</tbody></table></div>\n";
  }
  b += "<h2>Lịch sử nộp báo cáo</h2>\n";
  if (v.history.empty()) {
    b += "<p class=\"muted\">Chưa có kỳ báo cáo nào.</p>\n";
  } else {
    b += "<div class=\"scroll\"><table class=\"cards history\"><thead><tr><th>Kỳ báo cáo</th><th>Hạn nộp</th>"
         "<th>Trạng thái</th><th>Đã nhận lúc</th><th>Đã nộp lúc</th><th>Ghi chú</th></tr></thead><tbody>\n";
    for (const auto& h : v.history) {
      std::string occ = "<a href=\"" + esc(item_path(h.occurrence, v.id)) + "\">" + esc(h.title) +
                        "</a><br><span class=\"muted small\">" + esc(h.occurrence) + "</span>";
      if (!h.name_then.empty()) occ += "<br><span class=\"small\">khi đó: " + esc(h.name_then) + "</span>";
      b += "<tr data-occurrence=\"" + esc(h.occurrence) + "\" data-status=\"" + esc(h.status) + "\">" +
           td("Kỳ báo cáo", occ) + td("Hạn nộp", esc(h.last_day_text)) +
           td("Trạng thái", badge(h.status) + (h.unit_reported ? reported_badge() : "")) +
           td("Đã nhận lúc", or_dash(h.acknowledged_at)) + td("Đã nộp lúc", or_dash(h.submitted_at)) +
           td("Ghi chú", or_dash(h.note)) + "</tr>\n";
    }
    b += "</tbody></table></div>\n";
  }
  return page(v.name + " — dondoc", b);
}

// --- login and errors -----------------------------------------------------------------------------

std::string render_login(std::string_view next, std::string_view error, std::string_view name) {
  std::string b = "<h1>Đăng nhập</h1>\n";
  b += "<p class=\"muted\">Trang theo dõi nộp báo cáo của Sở Nội vụ. Mật khẩu do quản trị hệ thống cấp.</p>\n";
  if (!error.empty()) b += "<p class=\"card bad\" role=\"alert\">" + esc(error) + "</p>\n";
  b += "<form method=\"post\" action=\"/login\" class=\"card login\">\n<input type=\"hidden\" name=\"next\" value=\"" +
       esc(next) + "\">\n<label>Họ tên người dùng (ghi vào nhật ký)<input type=\"text\" name=\"name\" maxlength=\"64\" "
       "autocomplete=\"name\" required value=\"" +
       esc(name) + "\"></label>\n<label>Mật khẩu<input type=\"password\" name=\"password\" "
                   "autocomplete=\"current-password\" required></label>\n"
                   "<button type=\"submit\">Đăng nhập</button>\n</form>\n";
  return page("Đăng nhập — dondoc", b);
}

std::string render_error(const page_context& ctx, std::string_view title, std::string_view message) {
  std::string b = top(ctx, {});
  b += "<h1>" + esc(title) + "</h1>\n<p class=\"card\">" + esc(message) + "</p>\n";
  return page(std::string(title) + " — dondoc", b);
}

}  // namespace dondoc::web
