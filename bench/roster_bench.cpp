// Roster loading at national scale: how long config::load takes and how much memory it
// needs for 10,000 units / 40,000 contacts and for 50,000 units / 200,000 contacts, next
// to toml++'s toml::parse alone on the same file (the floor the loader builds on).
//
// Each measurement runs in a fresh child process (this binary re-executed with a mode
// flag), so its peak RSS is its own: the parent reads it from wait4()'s rusage of that
// child, which is what getrusage(RUSAGE_CHILDREN) would report for a single child
// without mixing in the others. The child times its own work with a steady clock and
// reports over a pipe.
//
//   roster_bench                  # both sizes, 3 runs each, a Markdown table on stdout
//   roster_bench --runs 5 --keep DIR
//   roster_bench --generate FILE UNITS CONTACTS_PER_UNIT
//   roster_bench --child load|toml|baseline FILE   (internal)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/config.hpp"

namespace fs = std::filesystem;
using namespace dondoc;

namespace {

// --- the generator -----------------------------------------------------------------------

constexpr std::array<std::string_view, 16> family{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ",
                                                  "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"};
constexpr std::array<std::string_view, 10> middle{"Văn", "Thị", "Hữu", "Đức", "Minh",
                                                  "Ngọc", "Thanh", "Quốc", "Thu", "Kim"};
constexpr std::array<std::string_view, 20> given{"An", "Bình", "Cúc", "Dũng", "Hùng", "Lan", "Mai",
                                                 "Nam", "Oanh", "Phúc", "Quang", "Sơn", "Tâm", "Uyên",
                                                 "Vinh", "Xuân", "Yến", "Hương", "Hà", "Long"};
constexpr std::array<std::string_view, 12> places{"Bình Sơn", "Sơn Tịnh", "Tư Nghĩa", "Nghĩa Hành", "Mộ Đức",
                                                  "Đức Phổ", "Ba Tơ", "Minh Long", "Sơn Hà", "Sơn Tây",
                                                  "Trà Bồng", "Lý Sơn"};
constexpr std::array<std::string_view, 4> titles{"Chủ tịch UBND", "Phó Chủ tịch UBND", "Công chức Văn phòng - Thống kê",
                                                 "Chánh Văn phòng"};
constexpr std::array<std::string_view, 4> roles{"head", "deputy", "focal", "focal"};
constexpr std::array<std::string_view, 3> kinds{"xa", "phuong", "so"};

// A roster of `units` units with `per_unit` contacts each, two roster-wide contacts and
// four reports; every phone and email distinct, so it loads with no warning but the
// channel ones.
std::string generate(std::size_t units, std::size_t per_unit) {
  std::string s;
  s.reserve(units * (160 + per_unit * 190) + 4096);
  s += R"([service]
timezone = "Asia/Ho_Chi_Minh"
state_dir = "/var/lib/dondoc"

[sending]
office_hours = ["07:30-11:30", "13:30-17:00"]

[[contacts]]
id = "snv-coordinator"
name = "Nguyễn Thị Lan"
title = "Chuyên viên Sở Nội vụ"
email = "lan.nt@snv.example"
roles = ["coordinator"]

[[contacts]]
id = "ubnd-leader"
name = "Phạm Văn Trường"
title = "Phó Chủ tịch UBND tỉnh"
email = "truong.pv@ubnd.example"
roles = ["leader"]
)";
  const char* steps = R"(reminders = [
  { before = "10wd", to = ["focal"], channels = ["email"] },
  { before = "3wd", to = ["focal"], channels = ["email", "sms"] },
  { before = "0wd", to = ["focal", "head"], channels = ["email", "sms"], repeat = { every = "4h", max = 1 } },
]
escalation = [
  { after = "1wd", to = ["head"], channels = ["email", "sms"] },
  { after = "3wd", to = ["@coordinator"], channels = ["email"] },
  { after = "5wd", to = ["@leader"], channels = ["email"] },
]
)";
  const std::pair<const char*, const char*> reports[] = {
      {"bao-cao-nam", "deadline = { every = \"year\", date = \"11-15\", before = true }\nfirst = 2019-11-15\n"},
      {"bao-cao-6-thang", "deadline = { every = \"half-year\", date = \"06-15\", before = true }\nfirst = 2019-06-15\n"},
      {"bao-cao-quy", "deadline = { every = \"quarter\", month = 3, day = 20 }\nfirst = 2019-03-20\n"},
      {"bao-cao-thang", "deadline = { every = \"month\", day = 25 }\nfirst = 2019-01-25\non_day_off = \"previous_working_day\"\n"},
  };
  for (const auto& [id, deadline] : reports) {
    s += fmt::format("\n[[reports]]\nid = \"{}\"\ntitle = \"Báo cáo {} về công tác dân vận\"\n", id, id);
    s += "basis = \"Công văn số 1639/UBND-NC ngày 08/4/2019 của UBND tỉnh Quảng Ngãi\"\n";
    s += "units = [\"kind:xa\", \"kind:phuong\", \"kind:so\"]\ncoordinators = [\"snv-coordinator\"]\n";
    s += deadline;
    s += steps;
  }
  std::size_t person = 0;
  for (std::size_t u = 0; u < units; ++u) {
    const std::string_view kind = kinds[u % kinds.size()];
    const std::string_view place = places[u % places.size()];
    const std::string_view prefix = kind == "xa" ? "Ủy ban nhân dân xã" : kind == "phuong" ? "Ủy ban nhân dân phường" : "Sở";
    s += fmt::format("\n[[units]]\nid = \"{}-{}\"\nname = \"{} {} {}\"\nkind = \"{}\"\ntags = [\"vung-{}\"]\n", kind, u,
                     prefix, place, u, kind, u % 7);
    s += fmt::format("office_phone = \"0255 3{:03} {:03}\"\n", (u / 1000) % 1000, u % 1000);
    for (std::size_t c = 0; c < per_unit; ++c, ++person) {
      const std::string_view f = family[person % family.size()];
      const std::string_view m = middle[(person / 3) % middle.size()];
      const std::string_view g = given[(person / 7) % given.size()];
      s += fmt::format("\n[[units.contacts]]\nid = \"{}-{}-c{}\"\nname = \"{} {} {}\"\ntitle = \"{}\"\n", kind, u, c, f, m,
                       g, titles[c % titles.size()]);
      s += fmt::format("roles = [\"{}\"]\nemail = \"cb{}@{}{}.example\"\n", roles[c % roles.size()], c, kind, u);
      s += fmt::format("phone = \"09{:02} {:03} {:03}\"\n", (person / 1000000) % 100, (person / 1000) % 1000, person % 1000);
    }
  }
  return s;
}

// --- children ---------------------------------------------------------------------------

// CPU seconds of this process so far (user + system).
double cpu_now() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

int child(std::string_view mode, const std::string& file) {
  const double cpu0 = cpu_now();
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t units = 0, contacts = 0, errors = 0, warnings = 0;
  if (mode == "load") {
    config::load_options opts;
    opts.credentials_directory = "/run/credentials/dondoc.service";
    const auto r = config::load(file, opts);
    errors = r.errors();
    warnings = r.warnings();
    if (r.ok()) {
      units = r.cfg->units.size();
      contacts = r.cfg->contacts.size();
      for (const auto& u : r.cfg->units) contacts += u.contacts.size();
    } else {
      for (std::size_t i = 0; i < r.diagnostics.size() && i < 5; ++i)
        std::fprintf(stderr, "%s\n", config::format(r.diagnostics[i]).c_str());
    }
  } else if (mode == "toml") {
    const toml::table t = toml::parse_file(file);
    if (const auto* a = t["units"].as_array()) {
      units = a->size();
      for (const auto& u : *a)
        if (const auto* c = u.as_table() ? (*u.as_table())["contacts"].as_array() : nullptr) contacts += c->size();
    }
  } else if (mode != "baseline") {
    std::fprintf(stderr, "unknown mode %.*s\n", static_cast<int>(mode.size()), mode.data());
    return 2;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_now() - cpu0;
  std::printf("%.6f %.6f %zu %zu %zu %zu\n", secs, cpu, units, contacts, errors, warnings);
  return 0;
}

struct sample {
  double seconds = 0;  // wall
  double cpu = 0;      // user + system
  long max_rss_kb = 0;
  std::size_t units = 0, contacts = 0, errors = 0, warnings = 0;
};

// Runs this binary as `--child MODE FILE` and collects its report and its own peak RSS.
sample run_child(const char* mode, const std::string& file) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl("/proc/self/exe", "roster_bench", "--child", mode, file.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  ::close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  struct rusage ru {};
  ::wait4(pid, &status, 0, &ru);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error(fmt::format("child {} failed", mode));
  sample s;
  if (std::sscanf(out.c_str(), "%lf %lf %zu %zu %zu %zu", &s.seconds, &s.cpu, &s.units, &s.contacts, &s.errors,
                  &s.warnings) != 6)
    throw std::runtime_error("bad child report: " + out);
  s.max_rss_kb = ru.ru_maxrss;  // kilobytes on Linux
  return s;
}

sample median_of(const char* mode, const std::string& file, int runs) {
  std::vector<sample> v;
  for (int i = 0; i < runs; ++i) v.push_back(run_child(mode, file));
  std::sort(v.begin(), v.end(), [](const sample& a, const sample& b) { return a.cpu < b.cpu; });
  sample m = v[v.size() / 2];
  for (const auto& s : v) m.max_rss_kb = std::max(m.max_rss_kb, s.max_rss_kb);  // the worst peak
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 3 && args[0] == "--child") return child(args[1], args[2]);
  if (args.size() == 4 && args[0] == "--generate") {
    std::ofstream(args[1], std::ios::binary) << generate(std::stoul(args[2]), std::stoul(args[3]));
    return 0;
  }
  int runs = 3;
  std::string keep;
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--runs") runs = std::max(1, std::stoi(args[i + 1]));
    else if (args[i] == "--keep") keep = args[i + 1];
  }
  const fs::path dir = keep.empty() ? fs::temp_directory_path() / fmt::format("roster-bench-{}", ::getpid()) : fs::path(keep);
  fs::create_directories(dir);
  struct size_case {
    std::size_t units, per_unit;
    const char* label;
  };
  const size_case cases[] = {{10000, 4, "10k units / 40k contacts"}, {50000, 4, "50k units / 200k contacts"}};
  const sample base = median_of("baseline", "-", runs);
  std::printf("| roster | file | toml::parse alone: CPU (wall) | config::load: CPU (wall) | load / parse (CPU) | "
              "peak RSS toml++ | peak RSS load | RSS load / toml++ |\n|---|---|---|---|---|---|---|---|\n");
  for (const auto& c : cases) {
    const fs::path file = dir / fmt::format("roster-{}.toml", c.units);
    {
      std::ofstream out(file, std::ios::binary);
      out << generate(c.units, c.per_unit);
    }
    const sample t = median_of("toml", file.string(), runs);
    const sample l = median_of("load", file.string(), runs);
    if (l.errors != 0 || l.units != c.units || l.contacts != c.units * c.per_unit + 2) {
      std::fprintf(stderr, "the generated roster did not load as expected: %zu errors, %zu units, %zu contacts\n",
                   l.errors, l.units, l.contacts);
      return 1;
    }
    std::printf("| %s | %.1f MB | %.2f s (%.2f s) | %.2f s (%.2f s) | %.2f× | %.0f MB | %.0f MB | %.2f× |\n", c.label,
                static_cast<double>(fs::file_size(file)) / 1e6, t.cpu, t.seconds, l.cpu, l.seconds, l.cpu / t.cpu,
                static_cast<double>(t.max_rss_kb) / 1024, static_cast<double>(l.max_rss_kb) / 1024,
                static_cast<double>(l.max_rss_kb) / static_cast<double>(t.max_rss_kb));
    std::fflush(stdout);
    if (keep.empty()) fs::remove(file);
  }
  std::printf("\nMedian of %d runs per cell (by CPU time); peak RSS is the worst run's, of a fresh process (an idle "
              "child peaks at %.1f MB). Times are measured inside the child around the call: CPU is user + system "
              "time, which a busy machine inflates far less than wall time (in parentheses).\n",
              runs, static_cast<double>(base.max_rss_kb) / 1024);
  if (keep.empty()) fs::remove_all(dir);
  return 0;
}
