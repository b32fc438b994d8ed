// The commands that talk to the running daemon over its admin listener: status, ack,
// submit, exempt, extend, reopen, confirm, history, forget. Exit 0 on success, 1 when the
// daemon refuses (unknown unit, bad date, …), 2 for usage errors, 3 when the daemon cannot
// be reached. Tables for people, --format json for scripts.
#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <pwd.h>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "text/text.hpp"

namespace dondoc::cli {
namespace {

struct client_args {
  std::string config = default_config_path;
  std::string admin;          // host:port or unix:/path; default: the config's admin_listen
  std::string password_file;  // when the admin listener is not loopback
  std::string by;             // recorded as who; default: the Unix user
  std::string format = "table";
};

struct http_answer {
  bool reached = false;
  long status = 0;
  std::string body;
  std::string error;
};

std::size_t collect(char* p, std::size_t size, std::size_t n, void* userdata) {
  static_cast<std::string*>(userdata)->append(p, size * n);
  return size * n;
}

std::string unix_user() {
  if (const passwd* pw = getpwuid(getuid())) return pw->pw_name;
  if (const char* u = std::getenv("USER")) return u;
  return "unknown";
}

// Where the admin listener is: --admin, else the configuration's admin_listen.
std::optional<std::string> admin_address(const client_args& a, int& exit_code) {
  if (!a.admin.empty()) return a.admin;
  auto cfg = load_or_report(a.config);
  if (!cfg) {
    exit_code = exit_invalid;
    return std::nullopt;
  }
  std::string addr = cfg->service.admin_listen;
  if (addr.rfind("0.0.0.0:", 0) == 0) addr = "127.0.0.1:" + addr.substr(8);
  if (addr.rfind("[::]:", 0) == 0) addr = "[::1]:" + addr.substr(5);
  return addr;
}

http_answer call(const client_args& a, const std::string& address, const std::string& method, const std::string& path,
                 const std::string& body) {
  http_answer out;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURL* c = curl_easy_init();
  if (c == nullptr) {
    out.error = "curl_easy_init failed";
    return out;
  }
  std::string url;
  if (address.rfind("unix:", 0) == 0) {
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, address.substr(5).c_str());
    url = "http://localhost" + path;
  } else {
    url = "http://" + address + path;
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out.body);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  if (method == "POST") {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  std::string userpwd;
  if (!a.password_file.empty()) {
    std::ifstream in(a.password_file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string pw = ss.str();
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
    userpwd = "admin:" + pw;
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd.c_str());
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    out.reached = true;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  } else {
    out.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return out;
}

// Runs one request; prints errors; returns the exit code and the parsed body.
int request(const client_args& a, const std::string& method, const std::string& path, const std::string& body,
            nlohmann::json& out) {
  int code = exit_ok;
  auto address = admin_address(a, code);
  if (!address) return code;
  auto ans = call(a, *address, method, path, body);
  if (!ans.reached) {
    std::fprintf(stderr, "dondoc: cannot reach the daemon at %s: %s\n", address->c_str(), ans.error.c_str());
    return exit_unreachable;
  }
  out = nlohmann::json::parse(ans.body, nullptr, false);
  if (ans.status == 401) {
    std::fprintf(stderr, "dondoc: the daemon asks for the admin password (--password-file)\n");
    return exit_invalid;
  }
  if (ans.status < 200 || ans.status >= 300) {
    std::string msg = out.is_object() && out.contains("error") && out["error"].is_string() ? out["error"].get<std::string>()
                                                                                          : ans.body;
    std::fprintf(stderr, "dondoc: %s (HTTP %ld)\n", msg.c_str(), ans.status);
    return exit_invalid;
  }
  if (out.is_discarded()) {
    std::fprintf(stderr, "dondoc: the daemon answered something that is not JSON\n");
    return exit_invalid;
  }
  return exit_ok;
}

std::string str(const nlohmann::json& j, const char* k) {
  return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
}

std::string short_time(const nlohmann::json& j, const char* k) {
  const std::string s = str(j, k);
  if (s.size() < 16) return s.empty() ? "—" : s;
  return s.substr(8, 2) + "/" + s.substr(5, 2) + " " + s.substr(11, 5);
}

void print_rows(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w;
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (w.size() <= i) w.push_back(0);
      w[i] = std::max(w[i], text::code_points(r[i]));
    }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(w[i] - text::code_points(r[i]) + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

void print_status(const nlohmann::json& j) {
  for (const auto& o : j["occurrences"]) {
    std::printf("%s — %s (hạn chót %s)\n", str(o, "occurrence").c_str(), str(o, "title").c_str(), str(o, "deadline").c_str());
    std::vector<std::vector<std::string>> rows{{"Đơn vị", "Trạng thái", "Mã", "Đã nhận", "Đã nộp", "Tin cuối"}};
    for (const auto& u : o["units"]) {
      std::string last = "—";
      if (u["last_message"].is_object())
        last = short_time(u["last_message"], "at") + " " + str(u["last_message"], "channel") + " " +
               str(u["last_message"], "state");
      std::string submitted = short_time(u, "submitted_at");
      if (str(u, "submit_source") == "unit" && !(u.contains("submit_confirmed") && u["submit_confirmed"].get<bool>()))
        submitted += " (đơn vị báo)";
      rows.push_back({str(u, "unit"), str(u, "status_vi"), str(u, "reply_code"), short_time(u, "acknowledged_at"),
                      submitted, last});
    }
    print_rows(rows);
    std::string counts;
    for (auto it = o["counts"].begin(); it != o["counts"].end(); ++it)
      counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", it.value().get<std::int64_t>(), it.key());
    std::printf("%s\n\n", counts.c_str());
  }
}

void add_client_options(CLI::App* cmd, client_args& a, bool with_by) {
  cmd->add_option("--config", a.config, "Configuration file (for the admin address)")->capture_default_str();
  cmd->add_option("--admin", a.admin, "Admin listener: HOST:PORT or unix:/path (default: the config's admin_listen)");
  cmd->add_option("--password-file", a.password_file, "Admin password file (admin listener not on loopback)");
  cmd->add_option("--format", a.format, "table or json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
  if (with_by) cmd->add_option("--by", a.by, "Who is acting (default: the Unix user)");
}

int print_action(const client_args& a, const nlohmann::json& j) {
  if (a.format == "json") {
    std::printf("%s\n", j.dump().c_str());
    return exit_ok;
  }
  std::string line = str(j, "message");
  if (j.contains("item") && j["item"].is_object())
    line += fmt::format(": {} — {}", str(j["item"], "unit"), str(j["item"], "status_vi"));
  std::printf("%s\n", line.c_str());
  return exit_ok;
}

}  // namespace

void add_admin_commands(CLI::App& app, registry& reg) {
  {
    auto a = std::make_shared<client_args>();
    auto report = std::make_shared<std::string>(), occurrence = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("status", "Units per occurrence and their status (from the running daemon)");
    add_client_options(cmd, *a, false);
    cmd->add_option("--report", *report, "Only this report");
    cmd->add_option("--occurrence", *occurrence, "Only this occurrence (REPORT@YYYY-MM-DD)");
    reg.add(cmd, [a, report, occurrence] {
      std::string path = "/api/v1/status";
      std::string sep = "?";
      if (!report->empty()) path += sep + "report=" + *report, sep = "&";
      if (!occurrence->empty()) path += sep + "occurrence=" + *occurrence;
      nlohmann::json j;
      const int rc = request(*a, "GET", path, "", j);
      if (rc != exit_ok) return rc;
      if (a->format == "json") std::printf("%s\n", j.dump().c_str());
      else print_status(j);
      return static_cast<int>(exit_ok);
    });
  }
  // Actions on one unit of one occurrence (or, for ack, a reply code).
  struct action_spec {
    const char* name;
    const char* help;
  };
  for (const action_spec& spec : {action_spec{"ack", "Record that a unit acknowledged (by reply code, or UNIT OCCURRENCE)"},
                                  action_spec{"submit", "Record that a unit submitted its report"},
                                  action_spec{"exempt", "Exempt a unit from an occurrence"},
                                  action_spec{"extend", "Extend one unit's deadline (--to DATE)"},
                                  action_spec{"reopen", "Undo a submission or exemption"},
                                  action_spec{"confirm", "Confirm a submission the unit reported"}}) {
    auto a = std::make_shared<client_args>();
    auto args = std::make_shared<std::vector<std::string>>();
    auto at = std::make_shared<std::string>(), note = std::make_shared<std::string>(), to = std::make_shared<std::string>();
    const std::string name = spec.name;
    auto* cmd = app.add_subcommand(name, spec.help);
    add_client_options(cmd, *a, true);
    if (name == "ack")
      cmd->add_option("args", *args, "CODE, or UNIT OCCURRENCE")->required()->expected(1, 2);
    else
      cmd->add_option("args", *args, "UNIT OCCURRENCE")->required()->expected(2, 2);
    if (name == "submit") cmd->add_option("--at", *at, "When it was submitted (RFC 3339 or \"YYYY-MM-DD HH:MM\"; default now)");
    if (name == "submit" || name == "exempt" || name == "reopen") cmd->add_option("--note", *note, "A note for the record");
    if (name == "extend") cmd->add_option("--to", *to, "The new last day (YYYY-MM-DD)")->required();
    reg.add(cmd, [a, args, at, note, to, name] {
      nlohmann::json body;
      body["action"] = name;
      if (args->size() == 1) {
        body["code"] = args->front();
      } else {
        body["unit"] = (*args)[0];
        body["occurrence"] = (*args)[1];
      }
      if (!at->empty()) body["at"] = *at;
      if (!note->empty()) body["note"] = *note;
      if (!to->empty()) {
        if (!parse_date(*to)) {
          std::fprintf(stderr, "dondoc %s: --to must be a date YYYY-MM-DD\n", name.c_str());
          return static_cast<int>(exit_usage);
        }
        body["to"] = *to;
      }
      body["by"] = a->by.empty() ? unix_user() : a->by;
      nlohmann::json j;
      const int rc = request(*a, "POST", "/api/v1/actions", body.dump(), j);
      if (rc != exit_ok) return rc;
      return print_action(*a, j);
    });
  }
  {
    auto a = std::make_shared<client_args>();
    auto unit = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("history", "A unit's occurrences and everything recorded about them");
    add_client_options(cmd, *a, false);
    cmd->add_option("unit", *unit, "Unit id")->required();
    reg.add(cmd, [a, unit] {
      nlohmann::json j;
      const int rc = request(*a, "GET", "/api/v1/history?unit=" + *unit, "", j);
      if (rc != exit_ok) return rc;
      if (a->format == "json") {
        std::printf("%s\n", j.dump().c_str());
        return static_cast<int>(exit_ok);
      }
      for (const auto& it : j["items"]) {
        std::printf("%s  %s  (mã %s)\n", str(it, "occurrence").c_str(), str(it, "status_vi").c_str(),
                    str(it, "reply_code").c_str());
        for (const auto& e : it["events"])
          std::printf("  %s  %-8s %-7s %s %s\n", short_time(e, "at").c_str(), str(e, "action").c_str(),
                      str(e, "how").c_str(), str(e, "who").c_str(), str(e, "detail").c_str());
      }
      return static_cast<int>(exit_ok);
    });
  }
  {
    auto a = std::make_shared<client_args>();
    auto contact = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("forget", "Remove a departed official's addresses from the store and the outbox files");
    add_client_options(cmd, *a, true);
    cmd->add_option("contact", *contact, "Contact id")->required();
    reg.add(cmd, [a, contact] {
      nlohmann::json body;
      body["contact"] = *contact;
      body["by"] = a->by.empty() ? unix_user() : a->by;
      nlohmann::json j;
      const int rc = request(*a, "POST", "/api/v1/forget", body.dump(), j);
      if (rc != exit_ok) return rc;
      if (a->format == "json") std::printf("%s\n", j.dump().c_str());
      else
        std::printf("forgot %s: %lld outbox files and %lld audit entries cleaned\n", contact->c_str(),
                    static_cast<long long>(j.value("files", 0)), static_cast<long long>(j.value("audit_entries", 0)));
      return static_cast<int>(exit_ok);
    });
  }
}

}  // namespace dondoc::cli
