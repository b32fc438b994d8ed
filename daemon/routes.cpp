// Public and admin routes. Public: GET /healthz (no detail), GET/POST /a/{token} (only
// POST records: mail scanners open every link), /hooks/sms/{provider} (signature checked
// before anything is read). Admin: /api/v1/… for `dondoc`, /metrics, /calendar/R.ics.
#include "daemon/routes.hpp"

#include <algorithm>

#include <date/tz.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include "config/values.hpp"
#include "daemon/forget.hpp"
#include "daemon/metrics.hpp"
#include "notifiers/secrets.hpp"
#include "replies/router.hpp"
#include "scheduler/ics.hpp"
#include "text/vn_format.hpp"
#include "web/html.hpp"

namespace dondoc::daemon {

using nlohmann::ordered_json;
using web::request;
using web::response;

namespace {

page_router& pages() {
  static page_router r;
  return r;
}

std::string iso(sys_seconds t, const config::config& cfg) { return scheduler::rfc3339(t, cfg.service.zone); }

ordered_json opt_time(const std::optional<sys_seconds>& t, const config::config& cfg) {
  return t ? ordered_json(iso(*t, cfg)) : ordered_json(nullptr);
}

// --- the link page -----------------------------------------------------------------------

struct link_target {
  store::outbox_rec row;
  store::item_rec item;
  store::occurrence_rec occ;
};

enum class link_check { ok, not_found, expired };

link_check resolve_token(app_state& app, const std::string& token, link_target& out) {
  const auto row_id = replies::token_codec::row_of(token);
  if (!row_id) return link_check::not_found;
  auto row = app.db->row_by_id(*row_id);
  if (!row || !row->item) return link_check::not_found;
  if (!app.tokens->verify(token, std::to_string(row->occurrence), row->unit_id, row->contact_id))
    return link_check::not_found;
  auto item = app.db->item_by_id(*row->item);
  auto occ = item ? app.db->occurrence_by_id(item->occurrence) : std::nullopt;
  if (!item || !occ) return link_check::not_found;
  const auto now = app.clock();
  if (item->closed_at && *item->closed_at + app.eng->cfg().service.token_ttl < now) return link_check::expired;
  out = {std::move(*row), std::move(*item), std::move(*occ)};
  return link_check::ok;
}

std::string link_page(app_state& app, const link_target& t, const std::string& token, const std::string& done) {
  const auto& cfg = app.eng->cfg();
  const auto now = app.clock();
  const auto status = app.eng->status(t.item, now);
  const auto [l, deadline] = app.eng->effective_deadline(t.item);
  const config::unit* unit = cfg.find_unit(t.item.unit_id);
  const std::string unit_name = unit ? unit->name : t.item.unit_name;
  std::string body;
  body += "<h1>Xác nhận báo cáo</h1>\n";
  if (done == "ack") body += "<p class=\"card ok\">Đã ghi nhận: đơn vị đã nhận được yêu cầu báo cáo. Xin cảm ơn.</p>\n";
  if (done == "submit") body += "<p class=\"card ok\">Đã ghi nhận: đơn vị báo đã nộp báo cáo. Sở Nội vụ sẽ đối chiếu và xác nhận.</p>\n";
  if (done == "closed") body += "<p class=\"card warn\">Báo cáo này đã được ghi nhận trước đó; không có thay đổi.</p>\n";
  body += "<div class=\"card\"><dl>\n";
  body += fmt::format("<dt>Đơn vị</dt><dd>{}</dd>\n", web::escape(unit_name));
  body += fmt::format("<dt>Báo cáo</dt><dd>{}</dd>\n", web::escape(t.occ.title));
  if (!t.occ.basis.empty()) body += fmt::format("<dt>Căn cứ</dt><dd>{}</dd>\n", web::escape(t.occ.basis));
  if (!t.occ.submit_to.empty()) body += fmt::format("<dt>Nơi nhận</dt><dd>{}</dd>\n", web::escape(t.occ.submit_to));
  body += fmt::format("<dt>Hạn nộp</dt><dd>{}</dd>\n", web::escape(text::long_date_vn(l)));
  body += fmt::format("<dt>Trạng thái</dt><dd><strong>{}</strong></dd>\n", web::escape(label_vi(status)));
  if (t.item.acknowledged_at) {
    const auto [d, tod] = app.eng->rt().planner.sys_to_local(*t.item.acknowledged_at);
    body += fmt::format("<dt>Đã nhận lúc</dt><dd>{}</dd>\n", text::date_time_vn(d, tod));
  }
  if (t.item.submitted_at) {
    const auto [d, tod] = app.eng->rt().planner.sys_to_local(*t.item.submitted_at);
    body += fmt::format("<dt>Báo đã nộp lúc</dt><dd>{}</dd>\n", text::date_time_vn(d, tod));
  }
  body += fmt::format("<dt>Mã trả lời</dt><dd><code>{}</code></dd>\n", web::escape(t.item.reply_code));
  body += "</dl></div>\n";
  if (t.item.state == store::item_state::open) {
    body += fmt::format("<form method=\"post\" action=\"/a/{}\">\n", web::escape(token));
    if (!t.item.acknowledged_at)
      body += "<button type=\"submit\" name=\"action\" value=\"ack\">Đã nhận</button>\n";
    body += "<button type=\"submit\" name=\"action\" value=\"submit\">Đã nộp báo cáo</button>\n</form>\n";
    body += "<p class=\"muted\">Bấm <em>Đã nhận</em> để xác nhận đã nhận yêu cầu; bấm <em>Đã nộp báo cáo</em> khi đơn vị "
            "đã gửi văn bản báo cáo qua hệ thống quản lý văn bản. Trang này không dùng để gửi báo cáo.</p>\n";
  }
  return web::page("Xác nhận báo cáo — " + unit_name, body);
}

// --- SMS hooks ---------------------------------------------------------------------------

std::string b64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

bool equal_ct(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// A JSON body. Text from a request (an unknown id in an error, a reply's raw text) may be
// invalid UTF-8: replaced (U+FFFD), never a throw that turns a 404 into a 500.
template <typename Json>
std::string body_of(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// eSMS: sign = Base64(MD5(cpid + smsid + content + receiverTime + key)); a lower-case hex
// digest is accepted too (eSMS's own documentation shows both forms).
bool esms_sign_ok(const std::map<std::string, std::string>& q, const std::string& key, const std::string& middle) {
  auto get = [&](const char* k) {
    auto it = q.find(k);
    return it == q.end() ? std::string() : it->second;
  };
  // A '+' of the Base64 sign sent without percent-encoding reads as a space in a query
  // string; Base64 and hex have no spaces, so each space is a '+'.
  std::string sign = get("sign");
  std::replace(sign.begin(), sign.end(), ' ', '+');
  if (sign.empty() || key.empty()) return false;
  const std::string msg = get("cpid") + get("smsid") + middle + get("receiverTime") + key;
  unsigned char d[16];
  unsigned int len = 0;
  EVP_Digest(msg.data(), msg.size(), d, &len, EVP_md5(), nullptr);
  std::string hex;
  for (unsigned char c : d) hex += fmt::format("{:02x}", c);
  return equal_ct(sign, b64(d, 16)) || equal_ct(sign, hex);
}

bool hmac_header_ok(const request& req, const std::string& key) {
  auto h = req.header("x-dondoc-signature");
  if (!h || key.empty()) return false;
  std::string_view v = *h;
  if (v.rfind("sha256=", 0) != 0) return false;
  v.remove_prefix(7);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(req.body.data()),
       req.body.size(), out, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", out[i]);
  std::string given(v);
  for (auto& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return equal_ct(given, hex);
}

// Applies a routed SMS reply inside the write batch.
std::string apply_sms_reply(app_state& app, const std::string& provider, const std::string& sender,
                            const std::string& text, sys_seconds now) {
  const auto& cfg = app.eng->cfg();
  auto routed = replies::route_sms(*app.db, cfg, sender, text, now);
  const std::string raw = fmt::format("sms from {} via {}: {}", sender, provider, text);
  ++app.stats.replies;
  const std::string reply_number = cfg.channels.sms ? cfg.channels.sms->reply_number : "";
  const std::string keyword = cfg.channels.sms ? cfg.channels.sms->mo_keyword : "";
  if (routed.result == replies::routed_reply::verdict::apply && routed.item) {
    if (routed.what == replies::intent::acknowledge)
      app.eng->acknowledge(routed.item->id, routed.who, "sms", raw, now);
    else
      app.eng->submit(routed.item->id, now, "unit", routed.who, "sms", "", raw, now);
    return routed.what == replies::intent::acknowledge ? "Da ghi nhan: don vi da nhan yeu cau bao cao. Cam on."
                                                        : "Da ghi nhan: don vi bao da nop bao cao. Cam on.";
  }
  store::audit_rec a;
  a.at = now;
  a.who = routed.who;
  a.how = "sms";
  a.action = routed.result == replies::routed_reply::verdict::audit_only ? std::string(replies::to_string(routed.what))
                                                                         : "reply_rejected";
  if (routed.item) {
    a.item = routed.item->id;
    a.unit_id = routed.item->unit_id;
  }
  a.detail = routed.reason;
  a.raw = raw;
  app.db->audit(a);
  if (routed.result == replies::routed_reply::verdict::audit_only) return "Bao cao nay da duoc ghi nhan truoc do.";
  ++app.stats.replies_rejected;
  spdlog::info("sms reply not applied sender={} reason={}", config::mask_phone(sender), routed.reason);
  return replies::help_text(reply_number, keyword);
}

std::string esms_answer(const std::string& message, const std::string& smsid, const std::string& receiver) {
  return fmt::format("<ClientResponse><Message>{}</Message><Smsid>{}</Smsid><Receiver>{}</Receiver></ClientResponse>",
                     web::escape(message), web::escape(smsid), web::escape(receiver));
}

std::string normalise_sender(const std::string& s) {
  auto p = config::parse_mobile(s);
  return p.value ? *p.value : std::string();
}

void handle_sms_hook(app_state& app, request&& req, web::reply_fn reply) {
  const auto& cfg = app.eng->cfg();
  const std::string provider = req.path.substr(std::string("/hooks/sms/").size());
  if (!cfg.channels.sms) return reply(response::text(404, "no SMS gateway is configured\n"));
  std::string key;
  try {
    if (!cfg.channels.sms->mo_secret_file.empty())
      key = notifiers::read_secret(cfg.service.secrets_dir, cfg.channels.sms->mo_secret_file, "mo_secret_file");
  } catch (const std::exception& e) {
    spdlog::error("cannot read mo_secret_file: {}", e.what());
    return reply(response::text(503, "unavailable\n"));
  }
  if (provider != std::string(config::to_string(cfg.channels.sms->provider)))
    return reply(response::text(404, "unknown provider\n"));
  std::string sender, text, dlr_id, dlr_status, esms_smsid;
  bool is_dlr = false;
  if (provider == "esms") {
    const auto& q = req.query.empty() && req.method == "POST" ? web::parse_query(req.body) : req.query;
    auto get = [&](const char* k) {
      auto it = q.find(k);
      return it == q.end() ? std::string() : it->second;
    };
    if (q.count("content")) {
      if (!esms_sign_ok(q, key, get("content"))) return reply(response::text(403, "bad signature\n"));
      sender = get("sender");
      text = get("content");
      esms_smsid = get("smsid");
    } else {
      const std::string status = !get("SendStatus").empty() ? get("SendStatus") : get("status");
      if (!esms_sign_ok(q, key, status)) return reply(response::text(403, "bad signature\n"));
      is_dlr = true;
      dlr_id = !get("SMSID").empty() ? get("SMSID") : get("smsid");
      dlr_status = status;
    }
  } else {
    // speedsms and http: a JSON POST signed with X-Dondoc-Signature (HMAC-SHA256 of the body).
    // SpeedSMS signs nothing and sends no header of ours: its callback URL is registered
    // with the MO secret as `?token=`, checked in constant time (docs/SECURITY.md, T3).
    const bool token_ok = provider == "speedsms" && !key.empty() && req.query.count("token") != 0 &&
                          equal_ct(req.query.at("token"), key);
    if (!token_ok && !hmac_header_ok(req, key)) return reply(response::text(403, "bad signature\n"));
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return reply(response::text(400, "expected a JSON object\n"));
    auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
    if (j.contains("status") && !j.contains("text") && !j.contains("content")) {
      is_dlr = true;
      dlr_id = !str("key").empty() ? str("key") : str("id");
      dlr_status = str("status");
    } else {
      sender = !str("from").empty() ? str("from") : str("phone");
      text = !str("text").empty() ? str("text") : str("content");
    }
  }
  if (req.body.size() > 8192 || text.size() > 2000) return reply(response::text(413, "too large\n"));
  auto& app_ref = app;
  if (is_dlr) {
    app.writes->submit(
        [&app_ref, dlr_id, dlr_status](sys_seconds now) {
          auto row = app_ref.db->row_by_provider_id(dlr_id);
          if (!row) row = app_ref.db->row_by_key(dlr_id);
          if (!row) return;
          std::string s = dlr_status;
          for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (s == "2" || s == "delivered" || s == "delivrd" || s == "success") app_ref.db->mark_delivered(row->id, now);
          else if (s == "3" || s == "failed" || s == "undeliv" || s == "rejected" || s == "expired")
            app_ref.db->mark_failed(row->id, now, "delivery_failed", "delivery report: " + dlr_status);
        },
        [reply](bool committed) {
          reply(committed ? response::text(200, "ok\n") : response::text(503, "unavailable\n"));
        });
    return;
  }
  const std::string e164 = normalise_sender(sender);
  auto answer = std::make_shared<std::string>();
  app.writes->submit(
      [&app_ref, provider, e164, sender, text, answer](sys_seconds now) {
        *answer = apply_sms_reply(app_ref, provider, e164.empty() ? sender : e164, text, now);
      },
      [reply, answer, provider, esms_smsid, sender](bool committed) {
        if (!committed) return reply(response::text(503, "unavailable\n"));
        if (provider == "esms") return reply(response{200, "application/xml; charset=utf-8", {}, esms_answer(*answer, esms_smsid, sender)});
        ordered_json j;
        j["ok"] = true;
        j["reply"] = *answer;
        reply(response::json(200, body_of(j)));
      });
  if (app.wake_dispatch) app.wake_dispatch();
}

// --- admin API -----------------------------------------------------------------------------

ordered_json health_json(app_state& app) {
  const auto now = app.clock();
  const auto& cfg = app.eng->cfg();
  ordered_json j;
  const bool ok = app.health.ready && app.health.database_ok && !app.health.stopping;
  j["status"] = ok ? "ok" : "degraded";
  j["ready"] = app.health.ready;
  j["stopping"] = app.health.stopping;
  j["version"] = DONDOC_VERSION_STRING;
  j["now"] = iso(now, cfg);
  j["started_at"] = iso(app.health.started_at, cfg);
  ordered_json c;
  c["ok"] = !app.health.last_reload || app.health.last_reload->ok;
  c["files"] = app.health.config_files;
  c["loaded_at"] = iso(app.health.config_loaded_at, cfg);
  if (app.health.last_reload) {
    ordered_json r;
    r["at"] = iso(app.health.last_reload->at, cfg);
    r["ok"] = app.health.last_reload->ok;
    r["errors"] = app.health.last_reload->errors;
    c["last_reload"] = std::move(r);
  } else {
    c["last_reload"] = nullptr;
  }
  j["config"] = std::move(c);
  ordered_json d;
  d["ok"] = app.health.database_ok;
  d["error"] = app.health.database_error;
  j["database"] = std::move(d);
  ordered_json p;
  p["at"] = iso(app.health.last_plan_at, cfg);
  p["ok"] = app.health.last_plan_ok;
  p["error"] = app.health.last_plan_error;
  j["plan"] = std::move(p);
  try {
    const auto counts = app.db->counts(now);
    ordered_json o;
    o["planned"] = counts.planned;
    o["sending"] = counts.sending;
    o["sent"] = counts.sent;
    o["delivered"] = counts.delivered;
    o["failed"] = counts.failed;
    o["cancelled"] = counts.cancelled;
    o["skipped"] = counts.skipped;
    o["depth"] = counts.planned + counts.sending;
    o["oldest_due_age_seconds"] = counts.oldest_due ? (now - *counts.oldest_due).count() : 0;
    j["outbox"] = std::move(o);
  } catch (const std::exception& e) {
    j["outbox"] = nullptr;
    j["database"]["ok"] = false;
    j["database"]["error"] = e.what();
  }
  j["clock_jumps"] = app.health.clock_jumps;
  j["imap"] = app.health.imap_error.empty() ? "ok" : app.health.imap_error;
  j["sms_gateway"] = app.health.sms_gateway_error.empty() ? "ok" : app.health.sms_gateway_error;
  return j;
}

ordered_json item_json(app_state& app, const store::item_rec& it, sys_seconds now) {
  const auto& cfg = app.eng->cfg();
  ordered_json u;
  u["unit"] = it.unit_id;
  const config::unit* unit = cfg.find_unit(it.unit_id);
  u["name"] = unit ? unit->name : it.unit_name;
  u["kind"] = it.unit_kind;
  const auto st = app.eng->status(it, now);
  u["status"] = to_string(st);
  u["status_vi"] = label_vi(st);
  u["reply_code"] = it.reply_code;
  const auto [l, t] = app.eng->effective_deadline(it);
  u["last_day"] = store::iso_day(l);
  u["deadline"] = iso(t, cfg);
  u["extended"] = it.ext_last_day.has_value();
  u["acknowledged_at"] = opt_time(it.acknowledged_at, cfg);
  u["acknowledged_by"] = it.acknowledged_by;
  u["submitted_at"] = opt_time(it.submitted_at, cfg);
  u["submit_source"] = it.submit_source;
  u["submit_confirmed"] = it.submit_confirmed;
  u["exempted_at"] = opt_time(it.exempted_at, cfg);
  u["note"] = it.note;
  u["tracked"] = it.tracked;
  if (it.last_message_at) {
    ordered_json m;
    m["at"] = iso(*it.last_message_at, cfg);
    m["channel"] = it.last_message_channel;
    m["state"] = it.last_message_state;
    u["last_message"] = std::move(m);
  } else {
    u["last_message"] = nullptr;
  }
  return u;
}

ordered_json status_json(app_state& app, const std::string& report, const std::string& occurrence) {
  const auto now = app.clock();
  const auto& cfg = app.eng->cfg();
  const auto today = app.eng->rt().planner.sys_to_local(now).first;
  ordered_json j;
  j["now"] = iso(now, cfg);
  auto occs = ordered_json::array();
  std::vector<store::occurrence_rec> list;
  if (!occurrence.empty()) {
    if (auto o = app.db->occurrence_by_name(occurrence)) list.push_back(*o);
  } else {
    list = app.db->occurrences_since(today - date::days{120});
  }
  for (const auto& o : list) {
    if (!report.empty() && o.report_id != report) continue;
    ordered_json oj;
    oj["occurrence"] = o.name;
    oj["report"] = o.report_id;
    oj["title"] = o.title;
    oj["last_day"] = store::iso_day(o.last_day);
    oj["deadline"] = iso(o.deadline, cfg);
    oj["in_roster"] = o.in_roster;
    std::map<std::string, std::int64_t> counts;
    auto units = ordered_json::array();
    for (const auto& it : app.db->items_of_occurrence(o.id)) {
      if (!it.in_plan) continue;
      auto u = item_json(app, it, now);
      ++counts[u["status"].get<std::string>()];
      units.push_back(std::move(u));
    }
    oj["counts"] = counts;
    oj["units"] = std::move(units);
    occs.push_back(std::move(oj));
  }
  j["occurrences"] = std::move(occs);
  return j;
}

response json_error(int status, const std::string& msg) {
  ordered_json j;
  j["ok"] = false;
  j["error"] = msg;
  return response::json(status, body_of(j));
}

std::optional<sys_seconds> parse_instant(const std::string& s, const config::config& cfg) {
  // RFC 3339, or a local "YYYY-MM-DD HH:MM" / "YYYY-MM-DD" (end of that day is not implied).
  if (s.size() == 10) {
    auto d = config::parse_iso_date(s);
    if (!d) return std::nullopt;
    return date::floor<std::chrono::seconds>(
        cfg.service.zone->to_sys(date::local_seconds{d->time_since_epoch()} + std::chrono::hours{12}, date::choose::earliest));
  }
  if (s.size() < 16) return std::nullopt;
  auto d = config::parse_iso_date(s.substr(0, 10));
  if (!d || (s[10] != 'T' && s[10] != ' ') || s[13] != ':') return std::nullopt;
  auto two = [&](std::size_t p) { return (s[p] - '0') * 10 + (s[p + 1] - '0'); };
  for (std::size_t p : {11u, 12u, 14u, 15u})
    if (s[p] < '0' || s[p] > '9') return std::nullopt;
  int sec = 0;
  std::size_t rest = 16;
  if (s.size() >= 19 && s[16] == ':') {
    sec = two(17);
    rest = 19;
  }
  const auto local = std::chrono::sys_seconds{*d} + std::chrono::hours{two(11)} + std::chrono::minutes{two(14)} +
                     std::chrono::seconds{sec};
  const std::string tz = s.substr(rest);
  if (tz.empty())
    return date::floor<std::chrono::seconds>(
        cfg.service.zone->to_sys(date::local_seconds{local.time_since_epoch()}, date::choose::earliest));
  if (tz == "Z") return local;
  if (tz.size() == 6 && (tz[0] == '+' || tz[0] == '-') && tz[3] == ':') {
    const auto off = std::chrono::minutes{((tz[1] - '0') * 10 + (tz[2] - '0')) * 60 + (tz[4] - '0') * 10 + (tz[5] - '0')};
    return tz[0] == '+' ? local - off : local + off;
  }
  return std::nullopt;
}

void handle_action(app_state& app, request&& req, web::reply_fn reply) {
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return reply(json_error(400, "expected a JSON object"));
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  const std::string action = str("action"), unit = str("unit"), occurrence = str("occurrence"), code = str("code");
  const std::string by = str("by").empty() ? "cli" : str("by");
  const std::string note = str("note"), at_text = str("at"), to_text = str("to");
  static const std::vector<std::string> actions{"ack", "submit", "exempt", "extend", "reopen", "confirm"};
  if (std::find(actions.begin(), actions.end(), action) == actions.end())
    return reply(json_error(400, "unknown action \"" + action + "\""));
  const auto& cfg = app.eng->cfg();
  std::optional<sys_seconds> at;
  if (!at_text.empty()) {
    at = parse_instant(at_text, cfg);
    if (!at) return reply(json_error(400, "\"at\" is not a time (RFC 3339 or YYYY-MM-DD HH:MM)"));
  }
  std::optional<config::sys_days> to;
  if (action == "extend") {
    to = config::parse_iso_date(to_text);
    if (!to) return reply(json_error(400, "\"to\" must be a date YYYY-MM-DD"));
  }
  // Find the item now (read-only); apply in the batch.
  std::optional<store::item_rec> item;
  if (!code.empty()) {
    std::string c = code;
    for (auto& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    c.erase(std::remove(c.begin(), c.end(), ' '), c.end());
    item = app.db->item_by_code(c);
    if (!item) return reply(json_error(404, "no item has reply code " + code));
  } else {
    auto occ = app.db->occurrence_by_name(occurrence);
    if (!occ) return reply(json_error(404, "unknown occurrence \"" + occurrence + "\""));
    item = app.db->item(occ->id, unit);
    if (!item) return reply(json_error(404, "unit \"" + unit + "\" has no item in " + occurrence));
  }
  const std::int64_t item_id = item->id;
  auto result = std::make_shared<action_result>();
  auto& app_ref = app;
  const std::string who = "cli:" + by;
  app.writes->submit(
      [&app_ref, result, action, item_id, who, note, at, to](sys_seconds now) {
        auto& e = *app_ref.eng;
        if (action == "ack") *result = e.acknowledge(item_id, who, "cli", "", now);
        else if (action == "submit") *result = e.submit(item_id, at.value_or(now), "coordinator", who, "cli", note, "", now);
        else if (action == "exempt") *result = e.exempt(item_id, who, "cli", note, now);
        else if (action == "reopen") *result = e.reopen(item_id, who, "cli", note, now);
        else if (action == "confirm") *result = e.confirm(item_id, who, "cli", now);
        else if (action == "extend") *result = e.extend(item_id, *to, who, "cli", now);
      },
      [&app_ref, reply, result](bool committed) {
        if (!committed) return reply(json_error(503, "the database cannot be written now"));
        ordered_json out;
        out["ok"] = !result->refused;
        if (result->refused) out["error"] = result->message;  // 409: `dondoc` exits 1
        out["changed"] = result->changed;
        out["message"] = result->message;
        if (result->item) out["item"] = item_json(app_ref, *result->item, app_ref.clock());
        reply(response::json(result->refused ? 409 : 200, body_of(out)));
      });
  if (app.wake_dispatch) app.wake_dispatch();
}

ordered_json history_json(app_state& app, const std::string& unit) {
  const auto now = app.clock();
  const auto& cfg = app.eng->cfg();
  ordered_json j;
  j["unit"] = unit;
  auto items = ordered_json::array();
  for (const auto& it : app.db->items_of_unit(unit)) {
    auto occ = app.db->occurrence_by_id(it.occurrence);
    auto u = item_json(app, it, now);
    u["occurrence"] = occ ? occ->name : "";
    u["title"] = occ ? occ->title : "";
    auto events = ordered_json::array();
    for (const auto& a : app.db->audit_of_item(it.id)) {
      ordered_json e;
      e["at"] = iso(a.at, cfg);
      e["who"] = a.who;
      e["how"] = a.how;
      e["action"] = a.action;
      e["detail"] = a.detail;
      events.push_back(std::move(e));
    }
    u["events"] = std::move(events);
    items.push_back(std::move(u));
  }
  j["items"] = std::move(items);
  return j;
}

bool authorised(app_state& app, const request& req) {
  if (!app.admin_requires_password) return true;
  auto h = req.header("authorization");
  if (h && h->rfind("Basic ", 0) == 0) {
    const std::string_view enc = h->substr(6);
    std::string dec(enc.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(dec.data()),
                                  reinterpret_cast<const unsigned char*>(enc.data()), static_cast<int>(enc.size()));
    if (n > 0) {
      dec.resize(static_cast<std::size_t>(n));
      while (!dec.empty() && dec.back() == '\0') dec.pop_back();
      const auto colon = dec.find(':');
      const std::string pw = colon == std::string::npos ? dec : dec.substr(colon + 1);
      if (equal_ct(pw, app.admin_password)) return true;
    }
  }
  return false;
}

}  // namespace

void set_page_router(page_router r) { pages() = std::move(r); }

web::handler make_public_handler(app_state& app) {
  return [&app](request&& req, web::reply_fn reply) {
    try {
      if (req.path == "/healthz") {
        const bool ok = app.health.ready && app.health.database_ok && !app.health.stopping;
        return reply(ok ? response::text(200, "ok") : response::text(503, "unavailable\n"));
      }
      if (req.path.rfind("/a/", 0) == 0) {
        const std::string token = req.path.substr(3);
        link_target t;
        const auto check = resolve_token(app, token, t);
        if (check == link_check::not_found)
          return reply(response::html(404, web::page("Không tìm thấy", "<h1>Không tìm thấy</h1><p>Đường dẫn không hợp lệ.</p>")));
        if (check == link_check::expired)
          return reply(response::html(410, web::page("Đã hết hạn", "<h1>Đường dẫn đã hết hạn</h1><p>Kỳ báo cáo này đã đóng. "
                                                                    "Xin liên hệ Sở Nội vụ nếu cần.</p>")));
        if (req.method == "GET" || req.method == "HEAD") {
          auto done = req.query.count("done") ? req.query.at("done") : std::string();
          return reply(response::html(200, link_page(app, t, token, done)));
        }
        if (req.method != "POST") return reply(response::text(405, "method not allowed\n"));
        const auto form = req.form();
        const auto action = form.count("action") ? form.at("action") : std::string();
        if (action != "ack" && action != "submit") return reply(response::text(400, "action must be ack or submit\n"));
        const std::int64_t item_id = t.item.id;
        const std::string who = t.row.contact_id;
        const std::string raw = fmt::format("link {} from {}", action, req.peer);
        auto closed = std::make_shared<bool>(false);
        app.writes->submit(
            [&app, item_id, who, raw, action, closed](sys_seconds now) {
              action_result r = action == "ack" ? app.eng->acknowledge(item_id, who, "link", raw, now)
                                                : app.eng->submit(item_id, now, "unit", who, "link", "", raw, now);
              *closed = !r.changed && r.item && r.item->state != store::item_state::open;
            },
            [reply, token, action, closed](bool committed) {
              if (!committed) return reply(response::text(503, "unavailable\n"));
              reply(response::redirect("/a/" + token + "?done=" + (*closed ? std::string("closed") : action)));
            });
        if (app.wake_dispatch) app.wake_dispatch();
        return;
      }
      if (req.path.rfind("/hooks/sms/", 0) == 0) return handle_sms_hook(app, std::move(req), std::move(reply));
      reply(response::text(404, "not found\n"));
    } catch (const std::exception& e) {
      spdlog::error("public request failed path={} error=\"{}\"", req.path.substr(0, 64), e.what());
      reply(response::text(500, "internal error\n"));
    }
  };
}

web::handler make_admin_handler(app_state& app) {
  return [&app](request&& req, web::reply_fn reply) {
    try {
      if (!authorised(app, req)) {
        // The pages log people in with a form and a session cookie (daemon/pages.cpp): they
        // answer their own paths; every other path still needs HTTP Basic.
        if (pages() && pages()(app, req, reply)) return;
        response r = response::text(401, "authentication required\n");
        r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"dondoc\", charset=\"UTF-8\"");
        return reply(std::move(r));
      }
      const auto q = [&](const char* k) { return req.query.count(k) ? req.query.at(k) : std::string(); };
      if (req.path == "/healthz") {
        const bool ok = app.health.ready && app.health.database_ok && !app.health.stopping;
        return reply(ok ? response::text(200, "ok") : response::text(503, "unavailable\n"));
      }
      if (req.path == "/api/v1/health") {
        auto j = health_json(app);
        const bool ok = j["status"] == "ok";
        return reply(response::json(ok ? 200 : 503, body_of(j)));
      }
      if (req.path == "/api/v1/status") {
        if (!q("occurrence").empty() && !app.db->occurrence_by_name(q("occurrence")))
          return reply(json_error(404, "unknown occurrence \"" + q("occurrence") + "\""));
        if (!q("report").empty() && !app.eng->cfg().find_report(q("report")))
          return reply(json_error(404, "unknown report \"" + q("report") + "\""));
        return reply(response::json(200, body_of(status_json(app, q("report"), q("occurrence")))));
      }
      if (req.path == "/api/v1/actions") {
        if (req.method != "POST") return reply(json_error(405, "POST only"));
        return handle_action(app, std::move(req), std::move(reply));
      }
      if (req.path == "/api/v1/history") {
        const std::string unit = q("unit");
        if (unit.empty()) return reply(json_error(400, "give ?unit=ID"));
        if (!app.eng->cfg().find_unit(unit) && app.db->items_of_unit(unit).empty())
          return reply(json_error(404, "unknown unit \"" + unit + "\""));
        return reply(response::json(200, body_of(history_json(app, unit))));
      }
      if (req.path == "/api/v1/forget") {
        if (req.method != "POST") return reply(json_error(405, "POST only"));
        auto j = nlohmann::json::parse(req.body, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("contact") || !j["contact"].is_string())
          return reply(json_error(400, "expected {\"contact\": \"ID\"}"));
        const std::string contact = j["contact"].get<std::string>();
        const std::string by = j.contains("by") && j["by"].is_string() ? j["by"].get<std::string>() : "cli";
        auto result = std::make_shared<forget_result>();
        auto& app_ref = app;
        app.writes->submit([&app_ref, contact, by, result](sys_seconds now) { *result = forget_contact(app_ref, contact, "cli:" + by, now); },
                           [reply, result](bool committed) {
                             if (!committed) return reply(json_error(503, "the database cannot be written now"));
                             if (!result->known) return reply(json_error(404, "no message was ever sent to that contact and it is not in the roster"));
                             ordered_json out;
                             out["ok"] = true;
                             out["rows"] = result->rows;
                             out["files"] = result->files;
                             out["audit_entries"] = result->audit_entries;
                             reply(response::json(200, body_of(out)));
                           });
        return;
      }
      if (req.path == "/metrics") return reply(response{200, "text/plain; version=0.0.4; charset=utf-8", {}, render_metrics(app)});
      if (req.path.rfind("/calendar/", 0) == 0 && req.path.size() > 14 && req.path.substr(req.path.size() - 4) == ".ics") {
        const std::string rid = req.path.substr(10, req.path.size() - 14);
        const auto& cfg = app.eng->cfg();
        const auto* r = cfg.find_report(rid);
        if (r == nullptr) return reply(response::text(404, "unknown report\n"));
        const auto today = app.eng->rt().planner.sys_to_local(app.clock()).first;
        const auto ics = scheduler::plan_ics(app.eng->rt().planner, today - date::days{31}, today + date::days{400},
                                             static_cast<std::int32_t>(r - cfg.reports.data()), std::nullopt);
        return reply(response{200, "text/calendar; charset=utf-8", {}, ics});
      }
      if (pages() && pages()(app, req, reply)) return;
      reply(response::text(404, "not found\n"));
    } catch (const std::exception& e) {
      spdlog::error("admin request failed path={} error=\"{}\"", req.path.substr(0, 64), e.what());
      reply(response::text(500, "internal error\n"));
    }
  };
}

}  // namespace dondoc::daemon
