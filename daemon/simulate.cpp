// The virtual clock: jump from event to event (the next due row, the next scripted
// reply, the next local midnight for the daily reconciliation), process everything due
// at that instant, and repeat. File-outbox sends complete synchronously, so one round
// settles every row it claims. Bounded: a round always advances the clock or empties
// what is due, and the number of rounds is capped.
#include "daemon/simulate.hpp"

#include <algorithm>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string_view>

#include <date/tz.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "config/values.hpp"
#include "daemon/engine.hpp"
#include "daemon/messages.hpp"
#include "notifiers/file_outbox.hpp"
#include "replies/tokens.hpp"
#include "store/store.hpp"

namespace dondoc::daemon {
namespace fs = std::filesystem;

namespace {

std::optional<std::chrono::sys_seconds> parse_at(const std::string& s, const config::config& cfg) {
  // RFC 3339 with offset or Z.
  if (s.size() >= 19 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == ' ') && s[13] == ':') {
    auto day = config::parse_iso_date(s.substr(0, 10));
    if (!day) return std::nullopt;
    auto num = [&](std::size_t p) {
      if (p + 2 > s.size() || s[p] < '0' || s[p] > '9' || s[p + 1] < '0' || s[p + 1] > '9') return -1;
      return (s[p] - '0') * 10 + (s[p + 1] - '0');
    };
    const int hh = num(11), mm = num(14);
    int ss = 0;
    std::size_t rest = 16;
    if (s.size() > 16 && s[16] == ':') {
      ss = num(17);
      rest = 19;
    }
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60) return std::nullopt;
    const auto local = std::chrono::sys_seconds{*day} + std::chrono::hours{hh} + std::chrono::minutes{mm} +
                       std::chrono::seconds{ss};
    const std::string tz = s.substr(rest);
    if (tz.empty()) {
      const date::local_seconds ls{local.time_since_epoch()};
      return date::floor<std::chrono::seconds>(cfg.service.zone->to_sys(ls, date::choose::earliest));
    }
    if (tz == "Z") return local;
    if (tz.size() == 6 && (tz[0] == '+' || tz[0] == '-') && tz[3] == ':') {
      const int oh = (tz[1] - '0') * 10 + (tz[2] - '0'), om = (tz[4] - '0') * 10 + (tz[5] - '0');
      const auto off = std::chrono::minutes{oh * 60 + om};
      return tz[0] == '+' ? local - off : local + off;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<scripted_reply>> parse_replies(const std::string& text, const config::config& cfg,
                                                         std::vector<std::string>& errors) {
  std::vector<scripted_reply> out;
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    auto err = [&](const std::string& m) { errors.push_back(fmt::format("replies:{}: {}", line_no, m)); };
    if (j.is_discarded() || !j.is_object()) {
      err("not a JSON object");
      continue;
    }
    scripted_reply r;
    r.line = line_no;
    for (const char* k : {"at", "unit", "occurrence", "action"})
      if (!j.contains(k) || !j[k].is_string()) err(fmt::format("\"{}\" must be a string", k));
    if (!j.contains("at") || !j["at"].is_string() || !j.contains("unit") || !j["unit"].is_string() ||
        !j.contains("occurrence") || !j["occurrence"].is_string() || !j.contains("action") || !j["action"].is_string())
      continue;
    auto at = parse_at(j["at"].get<std::string>(), cfg);
    if (!at) {
      err(fmt::format("\"at\" = \"{}\" is not a time (RFC 3339, e.g. 2019-06-12T09:00:00+07:00)",
                      j["at"].get<std::string>()));
      continue;
    }
    r.at = *at;
    r.unit = j["unit"].get<std::string>();
    r.occurrence = j["occurrence"].get<std::string>();
    r.action = j["action"].get<std::string>();
    if (cfg.find_unit(r.unit) == nullptr) err(fmt::format("unknown unit \"{}\"", r.unit));
    const auto atpos = r.occurrence.find('@');
    if (atpos == std::string::npos || cfg.find_report(r.occurrence.substr(0, atpos)) == nullptr ||
        !config::parse_iso_date(r.occurrence.substr(atpos + 1)))
      err(fmt::format("\"occurrence\" = \"{}\" is not REPORT@YYYY-MM-DD of a known report", r.occurrence));
    if (r.action != "ack" && r.action != "submit" && r.action != "exempt")
      err(fmt::format("\"action\" must be ack, submit or exempt, not \"{}\"", r.action));
    out.push_back(std::move(r));
  }
  if (!errors.empty()) return std::nullopt;
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  return out;
}

namespace {
void fresh_directory(const fs::path& dir, std::string_view option) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) throw std::invalid_argument(fmt::format("{} {}: not a directory", option, dir.string()));
    if (!fs::is_empty(dir, ec))
      throw std::invalid_argument(
          fmt::format("{} {}: the directory is not empty; a simulation starts from a fresh store", option, dir.string()));
    return;
  }
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
}
}  // namespace

simulation_result simulate(std::shared_ptr<const config::config> cfg, const simulation_options& opts) {
  simulation_result result;
  const bool temporary = opts.store_dir.empty();
  fs::path dir = opts.store_dir;
  if (temporary) {
    std::random_device rd;
    dir = fs::temp_directory_path() / fmt::format("dondoc-simulate-{:x}", (static_cast<std::uint64_t>(rd()) << 32) | rd());
  }
  // A simulation starts from nothing: a kept store or outbox goes into a new or empty
  // directory (never mixed with an earlier run's); only a directory made here is made 0700.
  fresh_directory(dir, "--keep-store");
  if (!opts.outbox_dir.empty()) fresh_directory(opts.outbox_dir, "--outbox");
  struct cleanup {
    fs::path p;
    bool on;
    ~cleanup() {
      std::error_code ec;
      if (on) fs::remove_all(p, ec);
    }
  } guard{dir, temporary};

  // A private copy of the configuration: the store and outbox live in the simulation's
  // directory, never in the configured state_dir. No gateway is ever used (every message
  // goes to the file outbox below), but the channels' settings stay: the messages carry
  // the sender, Reply-To, reply number and keyword the daemon would give them.
  auto sim_cfg = std::make_shared<config::config>(*cfg);
  sim_cfg->service.state_dir = dir.string();
  sim_cfg->channels.outbox.dir = opts.outbox_dir.empty() ? (dir / "outbox").string() : opts.outbox_dir;
  result.outbox_dir = sim_cfg->channels.outbox.dir;
  std::shared_ptr<const config::config> shared = sim_cfg;

  store::store st((dir / "dondoc.db").string());
  auto rt = std::make_shared<const runtime_config>(shared);
  engine eng(st, rt, 0x5eed);
  replies::token_codec tokens(replies::load_or_create_token_key("", dir.string()));
  message_builder builder(eng, tokens);
  notifiers::file_outbox outbox(sim_cfg->channels.outbox.dir);

  const auto& planner = rt->planner;
  const auto start = planner.local_to_sys(opts.from, std::chrono::minutes{0});
  const auto end = planner.local_to_sys(opts.to + date::days{1}, std::chrono::minutes{0});
  auto now = start;
  {
    store::store::first_load_scope first_load(st);
    store::transaction tx(st.db());
    eng.reconcile(now);
    tx.commit();
  }
  st.checkpoint_after_bulk_load();
  auto next_midnight = [&](std::chrono::sys_seconds t) {
    return planner.local_to_sys(planner.sys_to_local(t).first + date::days{1}, std::chrono::minutes{0});
  };
  auto midnight = next_midnight(now);
  std::size_t reply_index = 0;
  constexpr std::int64_t max_rounds = 5'000'000;
  while (result.rounds < max_rounds) {
    ++result.rounds;
    // Everything due now.
    for (int inner = 0; inner < 100000; ++inner) {
      store::transaction tx(st.db());
      auto jobs = eng.take_due(now, 500, 500);
      for (auto& j : jobs) {
        auto msg = builder.build(j, now);
        notifiers::send_result res;
        if (msg.email) {
          outbox.send(std::move(*msg.email), [&](notifiers::send_result r) { res = std::move(r); });
          ++result.emails;
        } else if (msg.sms) {
          outbox.send(std::move(*msg.sms), [&](notifiers::send_result r) { res = std::move(r); });
          ++result.sms;
        } else {
          res = {notifiers::outcome::permanent, msg.error, {}, std::nullopt};
        }
        eng.record(j, res, now);
      }
      tx.commit();
      if (jobs.empty()) break;
    }
    // The next event.
    auto next = end;
    if (auto w = eng.next_wake(); w && *w > now && *w < next) next = *w;
    if (auto w = eng.next_wake(); w && *w <= now) next = now + std::chrono::seconds{1};  // deferred work
    if (reply_index < opts.replies.size() && opts.replies[reply_index].at < next)
      next = std::max(opts.replies[reply_index].at, now);
    if (midnight < next) next = midnight;
    if (next >= end) break;
    now = std::max(next, now);
    // Replies due by now.
    while (reply_index < opts.replies.size() && opts.replies[reply_index].at <= now) {
      const auto& r = opts.replies[reply_index++];
      store::transaction tx(st.db());
      auto occ = st.occurrence_by_name(r.occurrence);
      auto it = occ ? st.item(occ->id, r.unit) : std::nullopt;
      if (!it) {
        result.warnings.push_back(fmt::format("replies:{}: {} has no item for unit {} (not planned in this range)",
                                              r.line, r.occurrence, r.unit));
        continue;
      }
      const std::string raw = fmt::format("simulated {} from {}", r.action, r.unit);
      if (r.action == "ack") eng.acknowledge(it->id, r.unit, "simulate", raw, now);
      else if (r.action == "submit") eng.submit(it->id, now, "unit", r.unit, "simulate", "", raw, now);
      else eng.exempt(it->id, "simulate", "simulate", "", now);
      tx.commit();
    }
    if (now >= midnight) {
      store::transaction tx(st.db());
      eng.reconcile(now);
      eng.housekeeping(now);
      tx.commit();
      st.checkpoint_after_bulk_load();  // when that reconciliation bulk-loaded an empty outbox
      midnight = next_midnight(now);
    }
  }
  // The summary at the end instant.
  for (const auto& occ : st.occurrences_since(date::sys_days{} + date::days{0})) {
    occurrence_summary s;
    s.occurrence = occ.name;
    s.report = occ.report_id;
    s.last_day = store::iso_day(occ.last_day);
    s.deadline = scheduler::rfc3339(occ.deadline, shared->service.zone);
    for (const auto& it : st.items_of_occurrence(occ.id)) {
      if (!it.in_plan) continue;
      ++s.units[std::string(to_string(eng.status(it, end)))];
    }
    for (const auto& [k, n] : st.row_counts_of_occurrence(occ.id)) s.rows[k.first][k.second] += n;
    result.occurrences.push_back(std::move(s));
  }
  return result;
}

}  // namespace dondoc::daemon
