// Sending throughput: N composed Vietnamese reminder emails to an SMTP sink and N SMS
// to an HTTP gateway through dondoc's own transports (smtp_transport, esms_gateway) on
// one io_context thread, as the daemon runs them. Messages are composed just in time,
// a bounded window ahead of the transport, as the daemon's dispatch loop does, so memory
// does not grow with N. Prints throughput, CPU time and peak RSS.
//
//   send_bench --smtp-port P --gateway-port G [--emails 10000] [--sms 10000]
//              [--email-concurrency 8] [--sms-concurrency 16]
//   send_bench --dump-email FILE      writes one composed message (for smtp_blast.py)
// bench/send_bench.sh starts the sinks, runs this, and the comparisons (RESULTS.md).
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "config/config.hpp"
#include "notifiers/compose.hpp"
#include "notifiers/sms_gateways.hpp"
#include "notifiers/smtp.hpp"
#include "notifiers/worker.hpp"

using namespace dondoc;
using namespace dondoc::notifiers;
using namespace std::chrono;

namespace {

const char* roster = R"toml(
[service]
timezone = "Asia/Ho_Chi_Minh"
state_dir = "/tmp/dondoc-bench"
public_url = "https://dondoc.snv.example"

[channels.email]
url = "smtp://127.0.0.1:2525"
from = "Sở Nội vụ tỉnh Quảng Ngãi <dondoc@snv.example>"
reply_to = "dondoc-replies@snv.example"
tls = "none"

[[contacts]]
id = "snv-lan"
name = "Nguyễn Thị Lan"
title = "Chuyên viên Phòng Xây dựng chính quyền, Sở Nội vụ"
email = "lan.nt@snv.example"
phone = "0905 000 001"
roles = ["coordinator"]

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

[[reports]]
id = "dan-van-6-thang"
title = "Báo cáo 6 tháng kết quả thực hiện Kết luận số 43-KL/TW của Ban Bí thư về công tác dân vận"
short_name = "BC 6 thang KL43"
basis = "Công văn số 1639/UBND-NC ngày 08/4/2019 của UBND tỉnh Quảng Ngãi"
submit_to = "UBND tỉnh (qua Sở Nội vụ)"
period = { from = "12-15", to = "06-14" }
units = ["kind:so"]
deadline = { every = "year", date = "06-15", before = true }
first = 2019-06-15
coordinators = ["snv-lan"]
reminders = [ { before = "3wd", to = ["focal"], channels = ["email"] } ]
)toml";

long peak_rss_kb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

std::string key_of(std::int64_t i, char tag) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%c%025lld", tag, static_cast<long long>(i));
  return buf;
}

struct phase {
  std::int64_t total = 0;
  std::int64_t submitted = 0;
  std::int64_t done = 0;
  std::int64_t ok = 0;
  std::int64_t failed = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int smtp_port = 0, gw_port = 0;
  std::string dump;
  std::int64_t emails = 10000, sms = 10000, email_conc = 8, sms_conc = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--smtp-port") smtp_port = std::atoi(v);
    else if (a == "--gateway-port") gw_port = std::atoi(v);
    else if (a == "--emails") emails = std::atoll(v);
    else if (a == "--sms") sms = std::atoll(v);
    else if (a == "--email-concurrency") email_conc = std::atoll(v);
    else if (a == "--sms-concurrency") sms_conc = std::atoll(v);
    else if (a == "--dump-email") dump = v;
  }
  auto loaded = config::load_text(roster, "bench.toml");
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", config::format(d).c_str());
    return 1;
  }
  const auto& cfg = *loaded.cfg;
  const auto* report = cfg.find_report("dan-van-6-thang");
  compose_input base;
  base.cfg = &cfg;
  base.report = report;
  base.occurrence = "dan-van-6-thang@2019-06-15";
  base.nominal = date::sys_days{date::year{2019} / 6 / 15};
  base.last_day = date::sys_days{date::year{2019} / 6 / 14};
  base.deadline = config::sys_seconds{date::sys_days{date::year{2019} / 6 / 15}} - hours{7};
  base.unit = cfg.find_unit("so-tai-chinh");
  base.total_units = 1;
  base.recipient = cfg.find_contact("stc-binh");
  base.step = &report->reminders[0];
  base.reply_code = "ABC234";
  base.link = "https://dondoc.snv.example/a/tok123";
  base.reply_to = "dondoc-replies+tok123@snv.example";
  base.now = base.due = config::sys_seconds{date::sys_days{date::year{2019} / 6 / 11}};

  if (!dump.empty()) {  // one composed message, for the plain-client baseline
    compose_input in = base;
    in.key = key_of(0, 'e');
    std::ofstream(dump, std::ios::binary) << make_email(in, compose_email(in)).data;
    return 0;
  }

  boost::asio::io_context io;
  const double cpu0 = cpu_seconds();

  // ---- email ------------------------------------------------------------------------
  double email_s = 0;
  phase pe;
  pe.total = emails;
  if (emails > 0 && smtp_port > 0) {
    config::email_settings es = *cfg.channels.email;
    es.url = "smtp://127.0.0.1:" + std::to_string(smtp_port);
    es.concurrency = email_conc;
    smtp_transport smtp(io, es, "");
    // As the daemon does: the email is composed on the worker thread and handed back to
    // the io_context thread, which only drives the transport.
    worker_thread composer;
    std::function<void()> pump = [&] {
      // Keep a window of two messages per connection being composed or sent.
      while (pe.submitted < pe.total && pe.submitted - pe.done < 2 * email_conc) {
        compose_input in = base;
        in.key = key_of(pe.submitted++, 'e');
        composer.post([&, in = std::move(in)] {
          auto email = make_email(in, compose_email(in));
          boost::asio::post(io, [&, email = std::move(email)]() mutable {
            smtp.send(std::move(email), [&](send_result r) {
              ++pe.done;
              (r.kind == outcome::ok ? pe.ok : pe.failed)++;
              if (r.kind != outcome::ok && pe.failed < 5) std::fprintf(stderr, "email failed: %s\n", r.reason.c_str());
              pump();
            });
          });
        });
      }
    };
    const auto t0 = steady_clock::now();
    // Composed emails arrive from the worker: keep run_one() waiting for them.
    auto busy = boost::asio::make_work_guard(io);
    pump();
    while (pe.done < pe.total) io.run_one();
    busy.reset();
    email_s = duration<double>(steady_clock::now() - t0).count();
  }
  const double cpu1 = cpu_seconds();

  // ---- SMS --------------------------------------------------------------------------
  double sms_s = 0;
  phase ps;
  ps.total = sms;
  if (sms > 0 && gw_port > 0) {
    const char* dir = "/tmp/dondoc-bench-secrets";
    std::filesystem::create_directories(dir);
    std::ofstream(std::string(dir) + "/k") << "KEY\n";
    std::ofstream(std::string(dir) + "/s") << "SECRET\n";
    config::sms_settings ss;
    ss.provider = config::sms_provider::esms;
    ss.url = "http://127.0.0.1:" + std::to_string(gw_port) + "/MainService.svc/json/SendMultipleMessage_V4_post_json/";
    ss.api_key_file = "k";
    ss.secret_key_file = "s";
    ss.brandname = "SNV-QNGAI";
    ss.sms_type = "2";
    ss.concurrency = sms_conc;
    gateway_options go;
    go.secrets_dir = dir;
    go.public_url = cfg.service.public_url;
    esms_gateway gw(io, ss, go);
    std::function<void()> pump = [&] {
      while (ps.submitted < ps.total && ps.submitted - ps.done < 2 * sms_conc) {
        compose_input in = base;
        in.key = key_of(ps.submitted++, 's');
        const auto text = compose_sms(in);
        gw.send(make_sms(in, text), [&](send_result r) {
          ++ps.done;
          (r.kind == outcome::ok ? ps.ok : ps.failed)++;
          if (r.kind != outcome::ok && ps.failed < 5) std::fprintf(stderr, "sms failed: %s\n", r.reason.c_str());
          pump();
        });
      }
    };
    const auto t0 = steady_clock::now();
    pump();
    while (ps.done < ps.total) io.run_one();
    sms_s = duration<double>(steady_clock::now() - t0).count();
  }
  const double cpu2 = cpu_seconds();

  std::printf("email: %lld sent, %lld failed, %.2f s, %.0f msg/s, cpu %.2f s (concurrency %lld)\n",
              static_cast<long long>(pe.ok), static_cast<long long>(pe.failed), email_s,
              email_s > 0 ? static_cast<double>(pe.ok) / email_s : 0.0, cpu1 - cpu0, static_cast<long long>(email_conc));
  std::printf("sms:   %lld sent, %lld failed, %.2f s, %.0f msg/s, cpu %.2f s (concurrency %lld)\n",
              static_cast<long long>(ps.ok), static_cast<long long>(ps.failed), sms_s,
              sms_s > 0 ? static_cast<double>(ps.ok) / sms_s : 0.0, cpu2 - cpu1, static_cast<long long>(sms_conc));
  std::printf("peak RSS: %.1f MB\n", static_cast<double>(peak_rss_kb()) / 1024.0);
  return pe.failed + ps.failed == 0 ? 0 : 1;
}
