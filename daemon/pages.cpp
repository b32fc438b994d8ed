// The page router: authentication (session cookie from a password login, HTTP Basic for
// the CLI, nothing on a loopback listener), the CSRF check of every form, and the
// coordinator's actions. Actions go through the engine inside the write batcher, like
// the API's, so each is one audited transaction; the browser then gets a 303 to the
// item's page (post/redirect/get: a reload never repeats an action).
//
// Every page view carries a session (created on the first view when there is none, also
// on a loopback listener) so that forms have a per-session CSRF token; the cookie is
// HttpOnly and SameSite=Strict, and a POST whose Origin is another site is refused too.
#include "daemon/pages.hpp"

#include <algorithm>
#include <cctype>
#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "config/values.hpp"
#include "daemon/page_data.hpp"
#include "daemon/sessions.hpp"
#include "text/text.hpp"
#include "text/vn_format.hpp"
#include "web/export.hpp"
#include "web/html.hpp"
#include "web/views.hpp"

namespace dondoc::daemon {
namespace {

using web::request;
using web::response;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool equal_ct(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool basic_ok(const app_state& app, const request& req) {
  auto h = req.header("authorization");
  if (!h || !starts_with(*h, "Basic ")) return false;
  const std::string_view enc = h->substr(6);
  if (enc.size() > 1024) return false;
  std::string dec(enc.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(dec.data()),
                                reinterpret_cast<const unsigned char*>(enc.data()), static_cast<int>(enc.size()));
  if (n <= 0) return false;
  dec.resize(static_cast<std::size_t>(n));
  while (!dec.empty() && dec.back() == '\0') dec.pop_back();
  const auto colon = dec.find(':');
  return equal_ct(colon == std::string::npos ? dec : dec.substr(colon + 1), app.admin_password);
}

// A POST must come from our own pages: a cross-site Origin (or Sec-Fetch-Site) is refused.
bool same_origin(const request& req) {
  if (auto site = req.header("sec-fetch-site"); site && *site == "cross-site") return false;
  auto origin = req.header("origin");
  if (!origin) return true;
  auto host = req.header("host");
  if (!host) return false;
  return *origin == "http://" + std::string(*host) || *origin == "https://" + std::string(*host);
}

// Only local paths: "/x" but not "//host" or "/\host".
std::string safe_next(const std::string& next) {
  if (next.empty() || next[0] != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\'))) return "/";
  if (next.find_first_of("\r\n") != std::string::npos) return "/";
  return next;
}

std::string clean_text(const std::string& s, std::size_t max_points) {
  if (!text::valid_utf8(s)) return {};
  std::string t = text::nfc(s);
  for (auto& c : t)
    if (c == '\r' || c == '\t') c = ' ';
  const auto first = t.find_first_not_of(" \n");
  if (first == std::string::npos) return {};
  t = t.substr(first, t.find_last_not_of(" \n") - first + 1);
  if (text::code_points(t) > max_points) {
    std::size_t cut = 0, n = 0;
    while (cut < t.size() && n < max_points) {
      ++cut;
      while (cut < t.size() && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80) ++cut;
      ++n;
    }
    t.resize(cut);
  }
  return t;
}

// "YYYY-MM-DDTHH:MM[:SS]" (an <input type="datetime-local">) in the service zone.
std::optional<sys_seconds> parse_local(const std::string& s, const engine& e) {
  if (s.size() < 16 || (s[10] != 'T' && s[10] != ' ') || s[13] != ':') return std::nullopt;
  auto d = config::parse_iso_date(s.substr(0, 10));
  if (!d) return std::nullopt;
  for (std::size_t p : {11u, 12u, 14u, 15u})
    if (s[p] < '0' || s[p] > '9') return std::nullopt;
  const int hh = (s[11] - '0') * 10 + (s[12] - '0');
  const int mm = (s[14] - '0') * 10 + (s[15] - '0');
  if (hh > 23 || mm > 59) return std::nullopt;
  return e.rt().planner.local_to_sys(*d, std::chrono::minutes{hh * 60 + mm});
}

response html(int status, std::string body) { return response::html(status, std::move(body)); }

struct router {
  std::shared_ptr<session_store> sessions = std::make_shared<session_store>();

  bool operator()(app_state& app, request& req, web::reply_fn& reply) {
    const std::string& p = req.path;
    const bool mine = p == "/" || p == "/login" || p == "/logout" || starts_with(p, "/o/") || starts_with(p, "/u/") ||
                      starts_with(p, "/export/");
    if (!mine) return false;
    const session* s = sessions->find(req.cookie(session_cookie_name).value_or(""));
    if (p == "/login") {
      login(app, req, reply, s);
      return true;
    }
    if (p == "/logout") {
      logout(app, req, reply, s);
      return true;
    }
    const bool basic = app.admin_requires_password && basic_ok(app, req);
    const bool authed = !app.admin_requires_password || basic || (s != nullptr && s->logged_in);
    if (!authed) {
      if (req.method == "GET" || req.method == "HEAD") {
        reply(response::redirect("/login?next=" + web::url_encode(req.target)));
      } else {
        reply(html(403, web::page("Cần đăng nhập", "<h1>Cần đăng nhập</h1><p>Phiên làm việc đã hết hạn. <a href=\"/login\">"
                                                     "Đăng nhập lại</a>.</p>")));
      }
      return true;
    }
    std::string set_cookie;
    if (s == nullptr) {
      s = &sessions->create(app.admin_requires_password ? "admin" : "local", false);
      set_cookie = session_cookie(*s, sessions->lifetime());
    }
    web::page_context ctx;
    ctx.user = s->logged_in ? s->user : "";
    ctx.can_logout = app.admin_requires_password && s->logged_in;
    ctx.csrf = s->csrf;
    const auto now = app.clock();
    {
      const auto [d, tod] = app.eng->rt().planner.sys_to_local(now);
      ctx.now_text = text::long_date_vn(d) + " " + text::date_time_vn(d, tod).substr(11);
    }
    web::reply_fn answer = [reply, set_cookie](response r) {
      if (!set_cookie.empty()) r.headers.emplace_back("Set-Cookie", set_cookie);
      r.headers.emplace_back("X-Frame-Options", "DENY");
      r.headers.emplace_back("Content-Security-Policy",
                             "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
                             "frame-ancestors 'none'; base-uri 'none'");
      r.headers.emplace_back("Referrer-Policy", "same-origin");
      reply(std::move(r));
    };
    const std::string who = s->logged_in ? s->user : (basic ? "admin" : "local");
    route(app, req, answer, *s, ctx, who, now);
    return true;
  }

  void route(app_state& app, request& req, web::reply_fn& reply, const session& s, const web::page_context& ctx,
             const std::string& who, sys_seconds now) {
    const std::string& p = req.path;
    const bool get = req.method == "GET" || req.method == "HEAD";
    const auto q = [&](const char* k) { return req.query.count(k) ? req.query.at(k) : std::string(); };
    auto not_found = [&](std::string_view what) {
      reply(html(404, web::render_error(ctx, "Không tìm thấy", what)));
    };
    std::string filter = q("status");
    if (filter != "outstanding" && filter != "reported" &&
        std::find(std::begin(web::status_ids), std::end(web::status_ids), filter) == std::end(web::status_ids))
      filter.clear();

    if (p == "/") {
      if (!get) return reply(response::text(405, "method not allowed\n"));
      return reply(html(200, web::render_overview(ctx, build_overview(app, now, q("all") == "1"))));
    }
    if (starts_with(p, "/u/")) {
      if (!get) return reply(response::text(405, "method not allowed\n"));
      auto v = build_unit(app, p.substr(3), now);
      if (!v) return not_found("Không có đơn vị này trong danh sách hay trong lịch sử.");
      return reply(html(200, web::render_unit(ctx, *v)));
    }
    if (starts_with(p, "/export/")) {
      if (!get) return reply(response::text(405, "method not allowed\n"));
      std::string name = p.substr(8);
      const bool xlsx = name.size() > 5 && name.substr(name.size() - 5) == ".xlsx";
      const bool csv = name.size() > 4 && name.substr(name.size() - 4) == ".csv";
      if (!xlsx && !csv) return not_found("Chỉ xuất được .xlsx hoặc .csv.");
      name.resize(name.size() - (xlsx ? 5 : 4));
      auto t = build_export(app, name, filter, now);
      if (!t) return not_found("Không có kỳ báo cáo này.");
      std::string file = "dondoc-" + name;
      for (auto& c : file)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
      response r;
      r.status = 200;
      if (xlsx) {
        r.content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        r.body = web::to_xlsx(*t);
        file += ".xlsx";
      } else {
        r.content_type = "text/csv; charset=utf-8";
        r.body = web::to_csv(*t);
        file += ".csv";
      }
      r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file + "\"");
      return reply(std::move(r));
    }
    // /o/{occurrence} and /o/{occurrence}/{unit}
    const std::string rest = p.substr(3);
    const auto slash = rest.find('/');
    const std::string occ = rest.substr(0, slash);
    if (slash == std::string::npos) {
      if (!get) return reply(response::text(405, "method not allowed\n"));
      auto v = build_occurrence(app, occ, filter, now);
      if (!v) return not_found("Không có kỳ báo cáo này.");
      return reply(html(200, web::render_occurrence(ctx, *v)));
    }
    const std::string unit = rest.substr(slash + 1);
    if (get) {
      auto v = build_item(app, occ, unit, now);
      if (!v) return not_found("Đơn vị này không thuộc kỳ báo cáo này.");
      v->done = q("done");
      v->changed = q("changed") != "0";
      return reply(html(200, web::render_item(ctx, *v)));
    }
    if (req.method != "POST") return reply(response::text(405, "method not allowed\n"));
    act(app, req, reply, s, ctx, who, now, occ, unit);
  }

  void act(app_state& app, request& req, web::reply_fn& reply, const session& s, const web::page_context& ctx,
           const std::string& who, sys_seconds now, const std::string& occ_name, const std::string& unit) {
    const auto form = req.form();
    const auto f = [&](const char* k) { return form.count(k) ? form.at(k) : std::string(); };
    if (!session_store::csrf_ok(s, f("csrf")) || !same_origin(req)) {
      spdlog::warn("page action refused: bad CSRF token or origin path={} peer={}", req.path.substr(0, 80), req.peer);
      return reply(html(403, web::render_error(ctx, "Yêu cầu không hợp lệ",
                                               "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này. Xin mở lại trang "
                                               "và thử lại.")));
    }
    auto occ = app.db->occurrence_by_name(occ_name);
    auto item = occ ? app.db->item(occ->id, unit) : std::nullopt;
    if (!item) return reply(html(404, web::render_error(ctx, "Không tìm thấy", "Đơn vị này không thuộc kỳ báo cáo này.")));
    const std::string action = f("action");
    static const std::vector<std::string> actions{"submit", "exempt", "ack", "confirm", "reopen", "extend"};
    std::string error;
    if (std::find(actions.begin(), actions.end(), action) == actions.end()) error = "Thao tác không hợp lệ.";
    const std::string note = clean_text(f("note"), 500);
    std::optional<sys_seconds> at;
    if (error.empty() && action == "submit" && !f("at").empty()) {
      at = parse_local(f("at"), *app.eng);
      if (!at) error = "Thời điểm nộp không hợp lệ (cần ngày và giờ).";
      else if (*at > now + engine::submit_clock_slack) error = "Thời điểm nộp không thể ở tương lai.";
    }
    std::optional<config::sys_days> to;
    if (error.empty() && action == "extend") {
      to = config::parse_iso_date(f("to"));
      if (!to) error = "Cần chọn ngày hạn nộp mới.";
      else if (*to < occ->last_day) error = "Hạn nộp mới không thể trước hạn chung " + text::date_vn(occ->last_day) + ".";
    }
    if (error.empty() && action == "exempt" && note.empty()) error = "Cần ghi lý do miễn nộp.";
    if (!error.empty()) {
      auto v = build_item(app, occ_name, unit, now);
      if (!v) return reply(html(404, web::render_error(ctx, "Không tìm thấy", "")));
      v->error = error;
      return reply(html(400, web::render_item(ctx, *v)));
    }
    const std::int64_t item_id = item->id;
    const std::string by = "web:" + who;
    const std::string raw = "web " + action + " from " + req.peer;
    auto changed = std::make_shared<bool>(false);
    auto& app_ref = app;
    const std::string back = web::item_path(occ_name, unit);
    app.writes->submit(
        [&app_ref, changed, action, item_id, by, note, at, to, raw](sys_seconds when) {
          auto& e = *app_ref.eng;
          action_result r;
          bool note_in_audit = true;  // the engine records the note itself for these
          if (action == "submit") {
            r = e.submit(item_id, at.value_or(when), "coordinator", by, "web", note, raw, when);
          } else if (action == "exempt") {
            r = e.exempt(item_id, by, "web", note, when);
          } else if (action == "reopen") {
            r = e.reopen(item_id, by, "web", note, when);
          } else {
            note_in_audit = false;  // confirm, extend and ack take no note: it is audited beside them
            if (action == "confirm") r = e.confirm(item_id, by, "web", when);
            else if (action == "extend") r = e.extend(item_id, *to, by, "web", when);
            else r = e.acknowledge(item_id, by, "web", raw, when);
          }
          *changed = r.changed;
          if (!note_in_audit && !note.empty() && r.item) {
            store::audit_rec a;
            a.at = when;
            a.who = by;
            a.how = "web";
            a.action = "note";
            a.item = item_id;
            a.unit_id = r.item->unit_id;
            if (auto o = app_ref.db->occurrence_by_id(r.item->occurrence)) a.occurrence = o->name;
            a.detail = action + ": " + note;
            app_ref.db->audit(a);
          }
        },
        [reply, back, action, changed](bool committed) {
          if (!committed)
            return reply(response::html(503, web::page("Chưa ghi được", "<h1>Chưa ghi được</h1><p>Cơ sở dữ liệu tạm thời "
                                                                         "không ghi được. Xin thử lại sau ít phút.</p>")));
          reply(response::redirect(back + "?done=" + action + "&changed=" + (*changed ? "1" : "0")));
        });
    if (app.wake_dispatch) app.wake_dispatch();
  }

  void login(app_state& app, request& req, web::reply_fn& reply, const session* s) {
    if (!app.admin_requires_password) return reply(response::redirect("/"));
    if (req.method == "GET" || req.method == "HEAD") {
      if (s != nullptr && s->logged_in) return reply(response::redirect("/"));
      const std::string next = req.query.count("next") ? safe_next(req.query.at("next")) : "/";
      return reply(html(200, web::render_login(next, "", "")));
    }
    if (req.method != "POST") return reply(response::text(405, "method not allowed\n"));
    const auto form = req.form();
    const auto f = [&](const char* k) { return form.count(k) ? form.at(k) : std::string(); };
    const std::string next = safe_next(f("next"));
    const std::string name = clean_text(f("name"), 64);
    if (!same_origin(req)) return reply(html(403, web::render_login(next, "Yêu cầu không hợp lệ.", name)));
    if (!sessions->login_allowed(req.peer))
      return reply(html(429, web::render_login(next, "Nhập sai mật khẩu quá nhiều lần. Xin thử lại sau 15 phút.", name)));
    if (!equal_ct(f("password"), app.admin_password)) {
      sessions->login_failed(req.peer);
      spdlog::warn("page login failed peer={}", req.peer);
      return reply(html(401, web::render_login(next, "Mật khẩu không đúng.", name)));
    }
    if (name.empty()) return reply(html(400, web::render_login(next, "Xin nhập họ tên người dùng.", name)));
    sessions->login_succeeded(req.peer);
    if (s != nullptr) sessions->remove(s->id);  // a fresh id at login (no session fixation)
    const session& fresh = sessions->create(name, true);
    spdlog::info("page login user=\"{}\" peer={}", name, req.peer);
    response r = response::redirect(next);
    r.headers.emplace_back("Set-Cookie", session_cookie(fresh, sessions->lifetime()));
    reply(std::move(r));
  }

  void logout(app_state& app, request& req, web::reply_fn& reply, const session* s) {
    if (req.method != "POST") return reply(response::text(405, "method not allowed\n"));
    const auto form = req.form();
    const std::string token = form.count("csrf") ? form.at("csrf") : std::string();
    if (s == nullptr || !session_store::csrf_ok(*s, token) || !same_origin(req))
      return reply(html(403, web::page("Yêu cầu không hợp lệ", "<h1>Yêu cầu không hợp lệ</h1>")));
    sessions->remove(s->id);
    response r = response::redirect(app.admin_requires_password ? "/login" : "/");
    r.headers.emplace_back("Set-Cookie", clear_session_cookie());
    reply(std::move(r));
  }
};

}  // namespace

page_router make_page_router() {
  auto r = std::make_shared<router>();
  return [r](app_state& app, web::request& req, web::reply_fn& reply) -> bool {
    try {
      return (*r)(app, req, reply);
    } catch (const std::exception& e) {
      spdlog::error("page failed path={} error=\"{}\"", req.path.substr(0, 80), e.what());
      reply(response::html(500, web::page("Lỗi", "<h1>Lỗi</h1><p>Trang chưa hiển thị được; lỗi đã được ghi vào nhật ký "
                                                 "hệ thống.</p>")));
      return true;
    }
  };
}

}  // namespace dondoc::daemon
