// The roster loader's behaviour beyond single messages (those are pinned by the corpus):
// include order, defaults, anchoring of paths, NFC, lookups, the shipped examples, and
// robustness against truncated and random input (a bounded fuzz loop with a fixed seed).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "config/config.hpp"

namespace fs = std::filesystem;
using namespace dondoc::config;
using namespace std::chrono_literals;

namespace {

// A fresh directory under the system temp dir, removed at the end of the test.
class temp_dir {
 public:
  temp_dir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("dondoc-loader-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const fs::path& path() const { return path_; }
  std::string write(const std::string& rel, const std::string& text) const {
    const fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

 private:
  fs::path path_;
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string all_diagnostics(const load_result& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += format(d) + "\n";
  return out;
}

load_options test_options() {
  load_options o;
  o.credentials_directory = "/run/credentials/dondoc.service";
  return o;
}

const std::string unit_a = R"(
[[units]]
id = "a"
name = "Đơn vị A"
[[units.contacts]]
id = "a-focal"
name = "Người A"
roles = ["focal"]
email = "a@a.example"
)";

const std::string report_r = R"(
[[reports]]
id = "r"
title = "Báo cáo"
deadline = { every = "year", date = "06-15", before = true, time = "16:00" }
first = 2019-06-15
reminders = [{ before = "3wd", to = ["focal"], channels = ["email"] }, { before = "0wd", id = "cuoi", at = "08:00", to = ["focal"], channels = ["email"] }]
escalation = [{ after = "1wd", to = ["@coordinator"], channels = ["email"] }]
coordinators = ["lan"]
)";

const std::string coordinator = R"(
[[contacts]]
id = "lan"
name = "Nguyễn Thị Lan"
roles = ["coordinator"]
email = "lan@snv.example"
)";

}  // namespace

TEST_CASE("arrays of tables concatenate in include order and files are listed main first") {
  temp_dir d;
  const std::string main = d.write("dondoc.toml", "[service]\ninclude = [\"b.toml\", \"sub/c.toml\"]\n" + unit_a +
                                                      coordinator + report_r);
  d.write("b.toml", "[[units]]\nid = \"b1\"\nname = \"B1\"\n[[units]]\nid = \"b2\"\nname = \"B2\"\n");
  d.write("sub/c.toml", "[[units]]\nid = \"c\"\nname = \"C\"\n[[contacts]]\nid = \"leader\"\nname = \"L\"\nroles = [\"leader\"]\n");
  const auto r = load(main, test_options());
  REQUIRE_MESSAGE(r.ok(), all_diagnostics(r));
  const auto& cfg = *r.cfg;
  REQUIRE(cfg.units.size() == 4);
  CHECK(cfg.units[0].id == "a");  // the main file first
  CHECK(cfg.units[1].id == "b1");
  CHECK(cfg.units[2].id == "b2");
  CHECK(cfg.units[3].id == "c");  // then each include, in the order listed
  REQUIRE(cfg.contacts.size() == 2);
  CHECK(cfg.contacts[0].id == "lan");
  CHECK(cfg.contacts[1].id == "leader");
  REQUIRE(cfg.files.size() == 3);
  CHECK(cfg.files[0] == main);
  CHECK(cfg.files[1] == (d.path() / "b.toml").string());
  CHECK(cfg.files[2] == (d.path() / "sub/c.toml").string());
  // Places point into the file they came from.
  CHECK(cfg.units[3].where.file == 2);
  CHECK(cfg.units[3].where.line == 1);
}

TEST_CASE("day lists concatenate across files, sorted and without repeats") {
  temp_dir d;
  const std::string main = d.write("dondoc.toml", "[service]\ninclude = [\"more.toml\"]\n[calendar]\n"
                                                  "days_off = [2019-09-03, 2019-04-29]\nworking_days = [2019-05-04]\n" +
                                                      unit_a + report_r + coordinator);
  d.write("more.toml", "[calendar]\ndays_off = [2019-04-29, \"2019-05-02\"]\nworking_days = [2019-04-27]\n");
  const auto r = load(main, test_options());
  REQUIRE_MESSAGE(r.ok(), all_diagnostics(r));
  using date::year;
  const std::vector<sys_days> off{year{2019} / 4 / 29, year{2019} / 5 / 2, year{2019} / 9 / 3};
  const std::vector<sys_days> on{year{2019} / 4 / 27, year{2019} / 5 / 4};
  CHECK(r.cfg->calendar.days_off == off);
  CHECK(r.cfg->calendar.working_days == on);
}

TEST_CASE("a roster without settings gets the documented defaults") {
  const auto r = load_text(unit_a + coordinator + report_r, "dondoc.toml", test_options());
  REQUIRE_MESSAGE(r.ok(), all_diagnostics(r));
  const auto& c = *r.cfg;
  CHECK(c.service.timezone == "Asia/Ho_Chi_Minh");
  CHECK(c.service.zone != nullptr);  // never null in a loaded config
  CHECK(c.service.state_dir == "/var/lib/dondoc");
  CHECK(c.channels.outbox.dir == "/var/lib/dondoc/outbox");  // the outbox lives under state_dir
  CHECK(c.service.listen == "0.0.0.0:8080");
  CHECK(c.service.admin_listen == "127.0.0.1:8081");
  CHECK(c.service.horizon_days == 400);
  CHECK(c.service.token_ttl == seconds{30 * 86400});
  REQUIRE(c.sending.office_hours.size() == 1);  // one season, all year
  const auto& hours = c.sending.office_hours[0].hours;
  REQUIRE(hours.size() == 2);
  CHECK(hours[0].start == 450min);
  CHECK(hours[0].end == 690min);
  CHECK(hours[1].start == 810min);
  CHECK(hours[1].end == 1020min);
  CHECK(c.sending.sms_quiet_hours.start == 22h);
  CHECK(c.sending.sms_quiet_hours.end == 7h);
  CHECK(c.sending.sms_per_recipient_per_day == 3);
  CHECK(c.sending.catch_up_grace == 15min);
  CHECK(c.sending.catch_up_max_age.text == "2wd");
  CHECK(c.calendar.vn_holidays);
  CHECK(c.calendar.weekend[0]);  // Sunday
  CHECK(c.calendar.weekend[6]);  // Saturday
  CHECK_FALSE(c.channels.email);
  CHECK_FALSE(c.channels.sms);
  CHECK(c.service.secrets_dir == "/run/credentials/dondoc.service");  // from load_options
}

TEST_CASE("relative directories are anchored at the main file's directory") {
  temp_dir d;
  const std::string main = d.write("etc/dondoc.toml", "[service]\nstate_dir = \"state\"\nsecrets_dir = \"../secrets\"\n" +
                                                          unit_a + coordinator + report_r);
  const auto r = load(main, test_options());
  REQUIRE_MESSAGE(r.ok(), all_diagnostics(r));
  CHECK(r.cfg->service.state_dir == (d.path() / "etc/state").string());
  CHECK(r.cfg->service.secrets_dir == (d.path() / "secrets").string());
  CHECK(r.cfg->channels.outbox.dir == (d.path() / "etc/state/outbox").string());
  const std::string with_outbox =
      d.write("etc/two.toml", "[channels.outbox]\ndir = \"out\"\n" + unit_a + coordinator + report_r);
  const auto r2 = load(with_outbox, test_options());
  REQUIRE_MESSAGE(r2.ok(), all_diagnostics(r2));
  CHECK(r2.cfg->channels.outbox.dir == (d.path() / "etc/out").string());
}

TEST_CASE("the secrets directory defaults to $CREDENTIALS_DIRECTORY unless the roster or the caller says") {
  const std::string roster = unit_a + coordinator + report_r;
  ::setenv("CREDENTIALS_DIRECTORY", "/run/credentials/from-env", 1);
  const auto from_env = load_text(roster, "dondoc.toml");
  const auto from_opts = load_text(roster, "dondoc.toml", test_options());
  const auto from_file = load_text("[service]\nsecrets_dir = \"/etc/dondoc/secrets\"\n" + roster, "dondoc.toml",
                                   test_options());
  ::unsetenv("CREDENTIALS_DIRECTORY");
  const auto from_nothing = load_text(roster, "dondoc.toml");
  REQUIRE(from_env.ok());
  REQUIRE(from_opts.ok());
  REQUIRE(from_file.ok());
  REQUIRE(from_nothing.ok());
  CHECK(from_env.cfg->service.secrets_dir == "/run/credentials/from-env");  // systemd LoadCredential
  CHECK(from_opts.cfg->service.secrets_dir == "/run/credentials/dondoc.service");  // tests pass it explicitly
  CHECK(from_file.cfg->service.secrets_dir == "/etc/dondoc/secrets");  // the roster wins
  CHECK(from_nothing.cfg->service.secrets_dir.empty());
}

TEST_CASE("decomposed Vietnamese input is stored in NFC") {
  // "Sở Tài chính" typed with combining marks, as older input methods produce it.
  const std::string decomposed_name = "So\xCC\x9B\xCC\x89 Ta\xCC\x80i chi\xCC\x81nh";
  const std::string decomposed_person = "Tra\xCC\x82\xCC\x80n Va\xCC\x86n Bi\xCC\x80nh";
  const std::string roster = "[[units]]\nid = \"stc\"\nname = \"" + decomposed_name +
                             "\"\n[[units.contacts]]\nid = \"stc-binh\"\nname = \"" + decomposed_person +
                             "\"\nroles = [\"focal\"]\nemail = \"b@stc.example\"\n" + coordinator + report_r;
  const auto r = load_text(roster, "dondoc.toml", test_options());
  REQUIRE_MESSAGE(r.ok(), all_diagnostics(r));
  CHECK(r.cfg->units[0].name == "Sở Tài chính");
  CHECK(r.cfg->units[0].contacts[0].name == "Trần Văn Bình");
  CHECK(r.cfg->units[0].short_name == "So Tai chinh");  // folded for SMS
  CHECK(r.cfg->reports[0].short_name == "Bao cao");
}

TEST_CASE("the loaded config answers lookups by id") {
  const auto r = load_text(unit_a + coordinator + report_r +
                               "[[sms_templates]]\nid = \"ngan\"\ntext = \"SNV: {unit} nop {report}. Ma {code}\"\n",
                           "dondoc.toml", test_options());
  REQUIRE_MESSAGE(r.ok(), all_diagnostics(r));
  const config& c = *r.cfg;
  REQUIRE(c.find_unit("a") != nullptr);
  CHECK(c.find_unit("a")->name == "Đơn vị A");
  CHECK(c.find_unit("zz") == nullptr);
  CHECK(c.unit_index("a") == 0);
  CHECK(c.unit_index("zz") == -1);
  const contact* focal = c.find_contact("a-focal");
  REQUIRE(focal != nullptr);
  CHECK(focal->unit == 0);  // a unit contact knows its unit
  const contact* lan = c.find_contact("lan");
  REQUIRE(lan != nullptr);
  CHECK(lan->unit == -1);  // a roster-wide contact has none
  CHECK(c.find_contact("nobody") == nullptr);
  REQUIRE(c.find_report("r") != nullptr);
  CHECK(c.find_report("r")->title == "Báo cáo");
  REQUIRE(c.find_sms_template("ngan") != nullptr);
  CHECK(c.find_sms_template("reminder") == nullptr);  // built-ins are not roster templates
}

TEST_CASE("reports, deadlines and steps are read into their typed form") {
  const auto r = load_text(unit_a + coordinator + report_r, "dondoc.toml", test_options());
  REQUIRE_MESSAGE(r.ok(), all_diagnostics(r));
  const report& rep = r.cfg->reports.at(0);
  CHECK(rep.deadline.every == deadline_rule::every_t::year);
  CHECK(rep.deadline.month == 6);
  CHECK(rep.deadline.day == 15);
  CHECK(rep.deadline.before);
  CHECK(rep.deadline.time == std::optional<minutes>(16h));
  CHECK(rep.first == std::optional<sys_days>(date::year{2019} / 6 / 15));
  REQUIRE(rep.reminders.size() == 2);
  CHECK(rep.reminders[0].key_name == "r:3wd");  // the offset as written names the step
  CHECK(rep.reminders[1].key_name == "r:cuoi");  // or its id
  CHECK(rep.reminders[1].at == std::optional<minutes>(8h));
  REQUIRE(rep.escalation.size() == 1);
  CHECK(rep.escalation[0].grouped);
  CHECK(rep.escalation[0].key_name == "e:1wd");

  const auto at = load_text(unit_a + "[[reports]]\nid = \"x\"\ntitle = \"X\"\ndeadline = { at = 2026-12-01T17:00:00+07:00 }\n",
                            "dondoc.toml", test_options());
  REQUIRE_MESSAGE(at.ok(), all_diagnostics(at));
  const auto& rule = at.cfg->reports[0].deadline;
  CHECK(rule.every == deadline_rule::every_t::once_at);
  CHECK(rule.at == std::optional<sys_seconds>(sys_days{date::year{2026} / 12 / 1} + 10h));  // 17:00+07:00 is 10:00Z
}

TEST_CASE("phones are stored as E.164 and seasons sorted by their start") {
  const auto r = load_text(R"(
[sending]
office_hours = [
  { from = "10-01", hours = ["07:30-12:00", "13:30-17:00"] },
  { from = "04-01", hours = ["07:00-11:30", "13:30-17:00"] },
]
[[units]]
id = "u"
name = "U"
[[units.contacts]]
id = "c"
name = "C"
roles = ["focal"]
phone = "+84 (912) 000.002"
)" + report_r + coordinator,
                           "dondoc.toml", test_options());
  REQUIRE_MESSAGE(r.ok(), all_diagnostics(r));
  CHECK(r.cfg->units[0].contacts[0].phone == "+84912000002");
  REQUIRE(r.cfg->sending.office_hours.size() == 2);
  CHECK(r.cfg->sending.office_hours[0].from_month == 4);
  CHECK(r.cfg->sending.office_hours[1].from_month == 10);
}

TEST_CASE("a step's at is judged against office hours set in a later file") {
  // The reminder at 07:00 is inside the 06:30 office hours of the include; before the
  // settings pass existed it was judged against no office hours at all.
  temp_dir d;
  const std::string main =
      d.write("dondoc.toml", "[service]\ninclude = [\"sending.toml\"]\n" + unit_a + coordinator + R"(
[[reports]]
id = "r"
title = "R"
deadline = { every = "month", day = 5, time = "06:50" }
first = 2019-01-05
reminders = [{ before = "1wd", at = "07:00", to = ["focal"], channels = ["email"] }]
)");
  d.write("sending.toml", "[sending]\noffice_hours = [\"06:30-11:30\"]\n");
  const auto r = load(main, test_options());
  CHECK_MESSAGE(r.ok(), all_diagnostics(r));
}

TEST_CASE("the shipped examples load without errors") {
  for (const char* rel : {"examples/quang-ngai-2019/dondoc.toml", "examples/quang-ngai-2025/dondoc.toml"}) {
    const fs::path p = fs::path(DONDOC_SOURCE_DIR) / rel;
    const std::string name = rel;
    CAPTURE(name);
    if (!fs::exists(p)) {
      MESSAGE("not present yet: " << rel);
      continue;
    }
    const auto r = load(p.string(), test_options());
    CHECK_MESSAGE(r.ok(), all_diagnostics(r));
    CHECK(r.errors() == 0);
    if (r.ok()) {
      CHECK(r.cfg->units.size() >= 1);
      CHECK(r.cfg->reports.size() >= 1);
      CHECK(r.cfg->files.size() >= 1);
    }
  }
}

TEST_CASE("truncated, mutated and random input never crashes the loader") {
  // A small fuzz loop with a fixed seed: every outcome must be a result whose verdict
  // matches its diagnostics, with sane places. Bounded to a few thousand loads.
  const fs::path ex = fs::path(DONDOC_SOURCE_DIR) / "examples/quang-ngai-2019";
  std::vector<std::pair<std::string, std::string>> seeds;  // (name for includes, text)
  for (const char* f : {"dondoc.toml", "units.toml", "reports.toml"})
    if (fs::exists(ex / f)) seeds.emplace_back((ex / f).string(), read(ex / f));
  const fs::path broken = fs::path(DONDOC_SOURCE_DIR) / "tests/config/broken";
  for (const char* f : {"deadline-shapes.toml", "override-selectors.toml", "minimal-ok.toml", "role-errors.toml"})
    seeds.emplace_back((broken / f).string(), read(broken / f));
  REQUIRE(seeds.size() >= 4);

  std::mt19937 rng(20190408);  // the date of Công văn 1639
  const std::vector<std::string> tokens = {"[", "]", "[[", "]]", "=", "\"", "'", "{", "}", ",", "\n", "#", ".",
                                           "[[units]]\n", "[[reports]]\n", "id = \"x\"\n", "0wd", "-", ":",
                                           "\xff", "é", "\xcc\x81", "2019-02-29", "1e999", "\"\"\"", "\\u0000"};
  auto check_result = [](const load_result& r) {
    CHECK(r.ok() == (r.errors() == 0));
    for (const auto& d : r.diagnostics) {
      CHECK_FALSE(d.file.empty());
      CHECK_FALSE(d.message.empty());
      if (d.line > 0) CHECK(d.column >= 1);
    }
  };
  int loads = 0;
  for (int i = 0; i < 1500; ++i) {
    const auto& [name, text] = seeds[static_cast<std::size_t>(rng()) % seeds.size()];
    std::string t = text;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !t.empty(); ++e) {
      const std::size_t pos = rng() % t.size();
      switch (rng() % 5) {
        case 0: t.resize(pos); break;                                                      // truncate
        case 1: t[pos] = static_cast<char>(rng() % 256); break;                           // flip a byte
        case 2: t.insert(pos, tokens[rng() % tokens.size()]); break;                      // insert a token
        case 3: t.erase(pos, std::min<std::size_t>(t.size() - pos, 1 + rng() % 40)); break;  // delete a run
        default: {                                                                         // duplicate a line
          const auto start = t.rfind('\n', pos);
          const auto end = t.find('\n', pos);
          const auto a = start == std::string::npos ? 0 : start + 1;
          const auto b = end == std::string::npos ? t.size() : end + 1;
          t.insert(a, t.substr(a, b - a));
        }
      }
    }
    load_result r;
    CHECK_NOTHROW(r = load_text(t, name, test_options()));
    check_result(r);
    ++loads;
  }
  // Every prefix of the example's main file, at a stride.
  for (const auto& [name, text] : seeds)
    for (std::size_t n = 0; n < text.size(); n += 211) {
      load_result r;
      CHECK_NOTHROW(r = load_text(text.substr(0, n), name, test_options()));
      check_result(r);
      ++loads;
    }
  // Random bytes.
  for (int i = 0; i < 300; ++i) {
    std::string t(rng() % 512, '\0');
    for (char& ch : t) ch = static_cast<char>(rng() % 256);
    load_result r;
    CHECK_NOTHROW(r = load_text(t, "random.toml", test_options()));
    check_result(r);
    if (!t.empty() && t.find('\0') != std::string::npos) CHECK_FALSE(r.ok());
    ++loads;
  }
  CHECK(loads > 1800);
}
