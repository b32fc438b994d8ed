// Helpers for the notifier tests: a test roster, temporary directories, and the local
// Python servers (tests/servers/) started on 127.0.0.1 port 0 and killed at the end.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "notifiers/compose.hpp"

extern char** environ;

namespace dondoc::test {

// A roster with one email channel, an SMS channel (http provider), a coordinator, a
// leader, two units and three reports (one with a time of day, one with email templates).
inline std::string roster_toml(const std::string& extra = {}) {
  return R"toml(
[service]
timezone = "Asia/Ho_Chi_Minh"
state_dir = "/tmp/dondoc-notifier-test-state"
public_url = "https://dondoc.snv.example"
secrets_dir = "/tmp"

[channels.email]
url = "smtp://127.0.0.1:2525"
from = "Sở Nội vụ tỉnh Quảng Ngãi <dondoc@snv.example>"
reply_to = "dondoc-replies@snv.example"
tls = "none"

[channels.sms]
provider = "http"
url = "http://127.0.0.1:9/send"
body = '{"to":"{to}","text":"{text}"}'
reply_number = "8077"
mo_keyword = "SNV"

[[contacts]]
id = "snv-lan"
name = "Nguyễn Thị Lan"
title = "Chuyên viên Phòng Xây dựng chính quyền, Sở Nội vụ"
email = "lan.nt@snv.example"
phone = "0905 000 001"
roles = ["coordinator"]

[[contacts]]
id = "ubnd-pct"
name = "Phạm Văn Trường"
title = "Phó Chủ tịch UBND tỉnh"
email = "truong.pv@ubnd.example"
roles = ["leader"]

[[units]]
id = "so-tai-chinh"
name = "Sở Tài chính"
short_name = "So Tai chinh"
kind = "so"

[[units.contacts]]
id = "stc-binh"
name = "Trần Văn Bình"
title = "Chánh Văn phòng"
roles = ["focal"]
email = "binh.tv@stc.example"
phone = "0912 000 002"

[[units.contacts]]
id = "stc-cuc"
name = "Lê Thị Cúc"
title = "Giám đốc"
roles = ["head"]
email = "cuc.lt@stc.example"
phone = "0912 000 003"

[[units]]
id = "ubnd-duc-pho"
name = "UBND huyện Đức Phổ"
short_name = "UBND huyen Duc Pho"
kind = "huyen"

[[units.contacts]]
id = "dp-focal"
name = "Đặng Thị Hồng"
title = "Chánh Văn phòng HĐND và UBND huyện"
roles = ["focal"]
email = "hong.dt@ducpho.example"
phone = "0935 000 004"

[[reports]]
id = "dan-van-6-thang"
title = "Báo cáo 6 tháng kết quả thực hiện Kết luận số 43-KL/TW"
short_name = "BC 6 thang KL43"
basis = "Công văn số 1639/UBND-NC ngày 08/4/2019 của UBND tỉnh Quảng Ngãi"
submit_to = "UBND tỉnh (qua Sở Nội vụ)"
period = { from = "12-15", to = "06-14" }
units = ["kind:so", "kind:huyen"]
deadline = { every = "year", date = "06-15", before = true }
first = 2019-06-15
coordinators = ["snv-lan"]
reminders = [
  { before = "3wd", to = ["focal"], channels = ["email", "sms"] },
]
escalation = [
  { after = "1wd", to = ["head"], channels = ["email", "sms"] },
  { after = "3wd", to = ["@coordinator"], channels = ["email", "sms"] },
]

[[reports]]
id = "khan"
title = "Báo cáo đột xuất tình hình bão số 5"
short_name = "BC bao so 5"
basis = "Công điện số 12/CĐ-UBND"
units = ["id:so-tai-chinh"]
deadline = { date = 2019-09-03, time = "17:00" }
reminders = [ { before = "2h", to = ["focal"], channels = ["email", "sms"] } ]

[[reports]]
id = "co-mau"
title = "Báo cáo công tác cải cách hành chính quý"
short_name = "BC CCHC quy"
units = ["kind:so"]
deadline = { every = "quarter", month = 3, day = 15 }
first = 2019-06-15
reminders = [ { before = "3wd", to = ["focal"], channels = ["email"] } ]

[reports.email_templates.reminder]
subject = "Nhắc {unit}: {report_short}, hạn {deadline}"
body = """Kính gửi {recipient},
Đề nghị {unit} gửi {report} trước {deadline} ({days_text}).
Mã trả lời: {code}. {link}"""
)toml" + extra;
}

inline std::shared_ptr<const config::config> load_roster(const std::string& extra = {}) {
  config::load_options opts;
  opts.credentials_directory = "/tmp";
  auto r = config::load_text(roster_toml(extra), "test.toml", opts);
  for (const auto& d : r.diagnostics)
    if (d.severity == config::diagnostic::severity_t::error) MESSAGE(config::format(d));
  REQUIRE(r.ok());
  return r.cfg;
}

// The first reminder of "dan-van-6-thang" 2019 (L = 14/6, T = 15/6 00:00) to Sở Tài
// chính's focal official, composed on 11/6 at 07:30, Vietnam time.
inline notifiers::compose_input reminder_input(const config::config& cfg) {
  using namespace std::chrono;
  using date::operator""_y;
  const auto vn = [](date::year_month_day d, int h, int m) {
    return config::sys_seconds{date::sys_days{d}} + hours{h} + minutes{m} - hours{7};
  };
  notifiers::compose_input in;
  in.cfg = &cfg;
  in.report = cfg.find_report("dan-van-6-thang");
  in.occurrence = "dan-van-6-thang@2019-06-15";
  in.nominal = date::sys_days{2019_y / 6 / 15};
  in.last_day = date::sys_days{2019_y / 6 / 14};
  in.deadline = vn(2019_y / 6 / 15, 0, 0);
  in.unit = cfg.find_unit("so-tai-chinh");
  in.total_units = 2;
  in.recipient = cfg.find_contact("stc-binh");
  in.step = &in.report->reminders[0];
  in.step_index = 0;
  in.kind = scheduler::step_kind::reminder;
  in.reply_code = "ABC234";
  in.link = "https://dondoc.snv.example/a/tok123";
  in.reply_to = "dondoc-replies+tok123@snv.example";
  in.now = vn(2019_y / 6 / 11, 7, 30);
  in.due = in.now;
  in.key = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
  return in;
}

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string tpl = (std::filesystem::temp_directory_path() / "dondoc-notif-XXXXXX").string();
    if (::mkdtemp(tpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = tpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

// Runs a shell command, returns its stdout (stderr passes through); exit status in *rc.
inline std::string run(const std::string& cmd, int* rc = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int st = ::pclose(p);
  if (rc != nullptr) *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

inline std::string servers_dir() { return std::string(DONDOC_SOURCE_DIR) + "/tests/servers"; }

// A child process whose first stdout line is its port. Killed (SIGTERM, then SIGKILL
// after 3 s) when destroyed.
class server_process {
 public:
  explicit server_process(std::vector<std::string> args, std::chrono::seconds start_timeout = std::chrono::seconds(20)) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    if (rc != 0) {
      ::close(fds[0]);
      throw std::runtime_error("cannot start " + args[0]);
    }
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + start_timeout;
    while (line.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd pfd{fds[0], POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
      char c[256];
      const ssize_t n = ::read(fds[0], c, sizeof c);
      if (n <= 0) break;
      line.append(c, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    port_ = std::atoi(line.c_str());
    if (port_ <= 0) {
      stop();
      throw std::runtime_error("server did not report its port: " + args[1]);
    }
  }
  ~server_process() { stop(); }
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  int port() const { return port_; }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 300; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

inline std::unique_ptr<server_process> start_smtp(const std::string& outdir, std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"/usr/bin/python3", servers_dir() + "/smtp_server.py", "--outdir", outdir, "--lifetime", "300"};
  for (auto& e : extra) a.push_back(std::move(e));
  return std::make_unique<server_process>(std::move(a));
}

inline std::unique_ptr<server_process> start_gateway(const std::string& log, std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"/usr/bin/python3", servers_dir() + "/sms_gateway.py", "--log", log, "--lifetime", "300"};
  for (auto& e : extra) a.push_back(std::move(e));
  return std::make_unique<server_process>(std::move(a));
}

}  // namespace dondoc::test
