// Times one year's plan of a national-size roster: N units (default 50 000), each with a
// focal official and a head, and 4 yearly reports of 5 steps (3 reminders, 2 escalations,
// one of them grouped), planned for 2026 the way `dondoc plan` does it (plan_range, then
// gather_sends). The roster is generated as TOML and read by config::load_text, so the
// figures include the real loader.
//
// Peak memory is measured honestly: the parent forks and execs this very binary with
// `--child`, so the measured process starts fresh, and reads the child's peak RSS from
// getrusage(RUSAGE_CHILDREN) (and wait4's per-child rusage for later children).
//
//   plan_bench [--units N]                 dondoc only
//   plan_bench --units N --remind          also `remind -s12` on the same deadlines
//   plan_bench --materialized              also plan_range + gather_sends (every row held)
//   plan_bench --print-roster N            the generated roster (TOML), to run `dondoc plan` on
//   plan_bench --print-remind N            the generated remind(1) script
//   plan_bench --child N                   (internal) one measured run, prints key=value
//
// With --remind the same year of deadlines is written as a remind(1) script — the global
// holidays of 2026 as OMITs, every step as a REM with its working-day back/delta and
// BEFORE/AFTER moves — and `remind -s12 FILE 1 Jan 2026` is timed in a child too. Prints
// figures; asserts nothing (see bench/RESULTS.md, "Plan").
#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "config/calendar_data.hpp"
#include "config/config.hpp"
#include "scheduler/plan_range.hpp"
#include "scheduler/working_calendar.hpp"

namespace {

using namespace dondoc;
using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

// CPU time of this process (the machine is shared: wall time alone is noisy).
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct yearly {
  const char* id;
  const char* date;  // nominal MM-DD
  bool before;
};
// Two reports of Công văn 1639 and two more on quarter ends.
constexpr yearly reports[] = {
    {"bao-cao-quy-1", "03-31", false},
    {"bao-cao-6-thang", "06-15", true},
    {"bao-cao-quy-3", "09-30", false},
    {"bao-cao-nam", "11-15", true},
};

std::string roster_toml(std::int64_t units) {
  std::string t;
  t.reserve(static_cast<std::size_t>(units) * 420 + 4096);
  t += R"([service]
timezone = "Asia/Ho_Chi_Minh"
state_dir = "/nonexistent/plan-bench"

[sending]
office_hours = ["07:30-11:30", "13:30-17:00"]
sms_quiet_hours = "22:00-07:00"

[calendar]
weekend = ["saturday", "sunday"]
holidays = "vn"

[[contacts]]
id = "snv-lan"
name = "Nguyễn Thị Lan"
email = "lan@snv.example"
phone = "0900 000 001"
roles = ["coordinator"]

[[contacts]]
id = "snv-viet"
name = "Trần Quốc Việt"
email = "viet@snv.example"
roles = ["coordinator"]
)";
  static constexpr const char* kinds[] = {"so", "huyen", "xa", "phuong"};
  for (std::int64_t u = 0; u < units; ++u) {
    fmt::format_to(std::back_inserter(t),
                   "\n[[units]]\nid = \"u{0:05}\"\nname = \"Đơn vị số {0}\"\nshort_name = \"DV {0}\"\nkind = \"{1}\"\n"
                   "[[units.contacts]]\nid = \"u{0:05}-f\"\nname = \"Cán bộ đầu mối {0}\"\nroles = [\"focal\"]\n"
                   "email = \"f{0}@u.example\"\nphone = \"09{2:08}\"\n"
                   "[[units.contacts]]\nid = \"u{0:05}-h\"\nname = \"Thủ trưởng {0}\"\nroles = [\"head\"]\n"
                   "email = \"h{0}@u.example\"\nphone = \"03{2:08}\"\n",
                   u, kinds[u % 4], u + 1);
  }
  for (const auto& r : reports) {
    fmt::format_to(std::back_inserter(t), R"(
[[reports]]
id = "{0}"
title = "Báo cáo {0}"
deadline = {{ every = "year", date = "{1}", before = {2} }}
first = 2025-{1}
reminders = [
  {{ before = "10wd", to = ["focal"], channels = ["email"] }},
  {{ before = "3wd", to = ["focal"], channels = ["email", "sms"] }},
  {{ before = "0wd", to = ["focal", "head"], channels = ["email", "sms"] }},
]
escalation = [
  {{ after = "1wd", to = ["head"], channels = ["email", "sms"] }},
  {{ after = "3wd", to = ["@coordinator"], channels = ["email"] }},
]
)",
                   r.id, r.date, r.before ? "true" : "false");
  }
  return t;
}

// The same deadlines for remind(1), checked to give the same date for every step as
// `dondoc plan` on the generated roster (bench/RESULTS.md, "Plan"). 2026's days off are
// global OMITs (the weekend, then the holidays of the working calendar). Reminders count
// back over the OMITs from A (L, or the working day before it): remind's back "-N" is
// dondoc's "Nwd" before; "BEFORE" gives 0wd. remind has no forward working-day count, so
// the escalations are written on the working day dondoc computes, with AFTER.
std::string remind_script(std::int64_t units) {
  config::calendar_settings settings;  // weekend Sat-Sun, Vietnamese holidays, shipped schedules
  for (const auto& ys : config::builtin_year_schedules()) settings.schedules.emplace(ys.year, ys);
  const scheduler::working_calendar cal(settings);
  std::string t = "OMIT Sat Sun\n";
  for (const auto& e : cal.year_listing(2026))
    if (!e.working && e.kind != config::day_kind::weekend) t += date::format("OMIT %F\n", e.date);
  static constexpr const char* month_names[] = {"", "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto day_month = [&](date::sys_days d) {
    const date::year_month_day ymd{d};
    return fmt::format("{} {}", static_cast<unsigned>(ymd.day()), month_names[static_cast<unsigned>(ymd.month())]);
  };
  struct dates {
    std::string a, l, e1, e3;
  };
  std::vector<dates> per_report;
  for (const auto& r : reports) {
    const date::sys_days nominal{date::year{2026} / std::atoi(r.date) / std::atoi(r.date + 3)};
    const date::sys_days l = nominal - date::days{r.before ? 1 : 0};
    const date::sys_days a = cal.is_working(l) ? l : cal.previous_working_on_or_before(l);
    per_report.push_back({day_month(a), day_month(l), day_month(l + date::days{1}), day_month(cal.add_working_days(l, 3))});
  }
  for (std::int64_t u = 0; u < units; ++u)
    for (std::size_t k = 0; k < std::size(reports); ++k) {
      const auto& d = per_report[k];
      fmt::format_to(std::back_inserter(t),
                     "REM {2} -10 AT 07:30 MSG %\"u{0:05} {1} r:10wd%\"\n"
                     "REM {2} -3 AT 07:30 MSG %\"u{0:05} {1} r:3wd%\"\n"
                     "REM {3} BEFORE AT 07:30 MSG %\"u{0:05} {1} r:0wd%\"\n"
                     "REM {4} AFTER AT 07:30 MSG %\"u{0:05} {1} e:1wd%\"\n"
                     "REM {5} AFTER AT 07:30 MSG %\"u{0:05} {1} e:3wd%\"\n",
                     u, reports[k].id, d.a, d.l, d.e1, d.e3);
    }
  return t;
}

// "VmHWM" (peak) or "VmRSS" (now) of this process in MiB, from /proc/self/status.
double proc_mib(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field, 0) == 0) return std::atof(line.c_str() + std::strlen(field) + 1) / 1024.0;
  return 0;
}

// One measured run (in a fresh process): key=value lines on stdout.
int child(std::int64_t units, bool materialized) {
  auto t = clock_type::now();
  double c = cpu_ms();
  const std::string text = roster_toml(units);
  const double gen_ms = ms_since(t);

  t = clock_type::now();
  c = cpu_ms();
  const auto loaded = config::load_text(text, "/nonexistent/plan-bench/dondoc.toml");
  const double load_ms = ms_since(t), load_cpu = cpu_ms() - c;
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", config::format(d).c_str());
    return 1;
  }
  const config::config& cfg = *loaded.cfg;
  const double load_peak = proc_mib("VmHWM");
  malloc_trim(0);  // what the configuration itself keeps
  const double after_load = proc_mib("VmRSS");

  t = clock_type::now();
  c = cpu_ms();
  const scheduler::working_calendar cal(cfg.calendar);
  const scheduler::planner p(cfg, cal);
  const auto from = p.local_to_sys(date::sys_days{date::year{2026} / 1 / 1}, std::chrono::minutes{0});
  const auto to = p.local_to_sys(date::sys_days{date::year{2027} / 1 / 1}, std::chrono::minutes{0});
  std::uint64_t checksum = 0;
  std::int64_t sends = 0, rows = 0;
  if (materialized) {
    // Every row of the year in memory, then grouped and sorted (the older path).
    const auto rp = scheduler::plan_range(p, from, to, {});
    const auto all = scheduler::gather_sends(p, rp);
    for (const auto& s : all) checksum = checksum * 31 + static_cast<unsigned char>(s.keys.front().chars[0]);
    sends = static_cast<std::int64_t>(all.size());
    rows = static_cast<std::int64_t>(rp.rows.size());
  } else {
    // What `dondoc plan` does: sends streamed in the contract's order.
    const auto stats = scheduler::for_each_send(
        p, from, to, {},
        [&](const scheduler::plan_send& s, const std::vector<scheduler::occurrence>&, const std::vector<scheduler::row>&) {
          checksum = checksum * 31 + static_cast<unsigned char>(s.keys.front().chars[0]);
        });
    sends = stats.sends;
    rows = stats.rows;
  }
  const double plan_ms = ms_since(t), plan_cpu = cpu_ms() - c;

  std::printf("units=%lld\npath=%s\nroster_bytes=%zu\ngenerate_ms=%.1f\nload_ms=%.1f\nload_cpu_ms=%.1f\n",
              static_cast<long long>(units), materialized ? "plan_range+gather_sends" : "for_each_send", text.size(),
              gen_ms, load_ms, load_cpu);
  std::printf("plan_ms=%.1f\nplan_cpu_ms=%.1f\nrows=%lld\nsends=%lld\nchecksum=%llu\n", plan_ms, plan_cpu,
              static_cast<long long>(rows), static_cast<long long>(sends), static_cast<unsigned long long>(checksum));
  std::printf("peak_after_load_mib=%.1f\nrss_after_load_mib=%.1f\npeak_mib=%.1f\n", load_peak, after_load,
              proc_mib("VmHWM"));
  return 0;
}

struct run_result {
  int status = -1;
  double wall_ms = 0;
  double cpu_ms = 0;  // user + system of the child
  long maxrss_kib = 0;
  std::string out;
};

double ms_of(const timeval& tv) { return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3; }

// fork + exec argv with stdout captured; the child's own rusage (wait4).
run_result run(const std::vector<std::string>& args) {
  int pipefd[2] = {-1, -1};
  if (pipe(pipefd) != 0) std::abort();
  const auto start = clock_type::now();
  const pid_t pid = fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    close(pipefd[0]);
    close(pipefd[1]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    std::perror("execv");
    _exit(127);
  }
  run_result r;
  close(pipefd[1]);
  char buf[65536];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) r.out.append(buf, static_cast<std::size_t>(n));
  close(pipefd[0]);
  struct rusage ru {};
  wait4(pid, &r.status, 0, &ru);
  r.wall_ms = ms_since(start);
  r.cpu_ms = ms_of(ru.ru_utime) + ms_of(ru.ru_stime);
  r.maxrss_kib = ru.ru_maxrss;
  return r;
}

bool ok(const run_result& r) { return WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0; }

std::string value_of(const std::string& out, const std::string& key) {
  const auto p = out.find(key + "=");
  if (p == std::string::npos) return "?";
  const auto e = out.find('\n', p);
  return out.substr(p + key.size() + 1, e - p - key.size() - 1);
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t units = 50000;
  bool with_remind = false, with_materialized = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--child" && i + 1 < argc) return child(std::atoll(argv[i + 1]), false);
    if (a == "--child-materialized" && i + 1 < argc) return child(std::atoll(argv[i + 1]), true);
    if (a == "--print-roster" && i + 1 < argc) return std::fputs(roster_toml(std::atoll(argv[i + 1])).c_str(), stdout) < 0;
    if (a == "--print-remind" && i + 1 < argc) return std::fputs(remind_script(std::atoll(argv[i + 1])).c_str(), stdout) < 0;
    if (a == "--units" && i + 1 < argc) units = std::atoll(argv[++i]);
    else if (a == "--remind") with_remind = true;
    else if (a == "--materialized") with_materialized = true;
    else {
      std::fprintf(stderr, "usage: plan_bench [--units N] [--materialized] [--remind] | --print-roster N | --print-remind N\n");
      return 2;
    }
  }
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return 1;
  path[n] = '\0';

  // The first child: its peak RSS is also what getrusage(RUSAGE_CHILDREN) reports now.
  const run_result d = run({path, "--child", std::to_string(units)});
  struct rusage children {};
  getrusage(RUSAGE_CHILDREN, &children);
  if (!ok(d)) {
    std::fprintf(stderr, "plan child failed\n");
    return 1;
  }
  std::fputs(d.out.c_str(), stdout);
  std::printf("child_wall_ms=%.1f\nchild_cpu_ms=%.1f\nchild_peak_rss_mib=%.1f\n", d.wall_ms, d.cpu_ms,
              static_cast<double>(children.ru_maxrss) / 1024.0);
  std::printf("summary: %lld units x %zu reports x 5 steps, one year: plan %s ms wall / %s ms CPU "
              "(loading the roster: %s ms wall / %s ms CPU), peak RSS %.1f MiB\n",
              static_cast<long long>(units), std::size(reports), value_of(d.out, "plan_ms").c_str(),
              value_of(d.out, "plan_cpu_ms").c_str(), value_of(d.out, "load_ms").c_str(),
              value_of(d.out, "load_cpu_ms").c_str(), static_cast<double>(children.ru_maxrss) / 1024.0);

  if (with_materialized) {
    const run_result m = run({path, "--child-materialized", std::to_string(units)});
    if (!ok(m)) {
      std::fprintf(stderr, "materialized child failed\n");
      return 1;
    }
    std::printf("materialized (plan_range + gather_sends): plan %s ms wall / %s ms CPU, peak RSS %.1f MiB, "
                "checksum %s\n",
                value_of(m.out, "plan_ms").c_str(), value_of(m.out, "plan_cpu_ms").c_str(),
                static_cast<double>(m.maxrss_kib) / 1024.0, value_of(m.out, "checksum").c_str());
  }

  if (with_remind) {
    const std::string file = fmt::format("/tmp/plan_bench_{}.rem", getpid());
    {
      std::ofstream f(file);
      f << remind_script(units);
    }
    const run_result r = run({"/usr/bin/remind", "-s12", file, "1", "Jan", "2026"});
    std::remove(file.c_str());
    if (!ok(r)) {
      std::fprintf(stderr, "remind failed (is Debian's remind installed?)\n");
      return 1;
    }
    std::size_t lines = 0;
    for (char c : r.out) lines += c == '\n';
    std::printf("remind -s12: %zu reminders in %.1f ms wall / %.1f ms CPU, peak RSS %.1f MiB\n", lines, r.wall_ms,
                r.cpu_ms, static_cast<double>(r.maxrss_kib) / 1024.0);
    const double plan_cpu = std::atof(value_of(d.out, "plan_cpu_ms").c_str());
    std::printf("ratio remind / dondoc, CPU of the whole process (generate + load + plan): %.1f\n", r.cpu_ms / d.cpu_ms);
    std::printf("ratio remind / dondoc, CPU of the plan alone: %.1f\n", r.cpu_ms / plan_cpu);
  }
  return 0;
}
