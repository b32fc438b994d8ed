// Forgetting: the addresses a contact had are found in the roster (if still there) and in
// the file outbox (the .eml of each of its email rows, the sms.jsonl lines of its SMS
// rows); each is then replaced in the outbox files and in the audit log's raw text.
#include "daemon/forget.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "config/values.hpp"

namespace dondoc::daemon {
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool write_file_atomic(const fs::path& p, const std::string& data) {
  const std::string tmp = p.string() + ".forget";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (ok) ok = std::rename(tmp.c_str(), p.c_str()) == 0;
  return ok;
}

std::size_t replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return 0;
  std::size_t n = 0;
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
    ++n;
  }
  return n;
}

}  // namespace

forget_result forget_contact(app_state& app, const std::string& contact_id, const std::string& who, sys_seconds now) {
  forget_result res;
  const auto& cfg = app.eng->cfg();
  std::set<std::string> emails, phones;
  if (const auto* c = cfg.find_contact(contact_id)) {
    res.known = true;
    if (!c->email.empty()) emails.insert(c->email);
    if (!c->phone.empty()) phones.insert(c->phone);
  }
  // Rows of the contact: their keys lead to the outbox files.
  auto& st = app.db->db();
  std::set<std::string> email_keys, sms_keys;
  {
    auto q = st.prepare("SELECT key, channel FROM outbox WHERE contact_id=?");
    q.bind(1, contact_id);
    while (q.step()) {
      ++res.rows;
      (q.get_text(1) == "sms" ? sms_keys : email_keys).insert(q.get_text(0));
    }
  }
  if (res.rows > 0) res.known = true;
  if (!res.known) return res;
  const fs::path outbox = cfg.channels.outbox.dir;
  // SMS lines: learn the numbers, then mask them.
  const fs::path sms_path = outbox / "sms.jsonl";
  std::error_code ec;
  if (fs::exists(sms_path, ec)) {
    std::string data = read_file(sms_path);
    std::istringstream in(data);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("key") && j["key"].is_string() && sms_keys.count(j["key"].get<std::string>()) &&
          j.contains("to") && j["to"].is_string())
        phones.insert(j["to"].get<std::string>());
    }
  }
  // Emails: learn the To address from each .eml of the contact.
  std::vector<fs::path> eml_files;
  for (const char* sub : {"mail/new", "mail/cur"})
    for (const auto& k : email_keys) {
      const fs::path p = outbox / sub / (k + ".eml");
      if (fs::exists(p, ec)) eml_files.push_back(p);
    }
  for (const auto& p : eml_files) {
    const std::string data = read_file(p);
    const auto to = data.find("\r\nTo: ");
    if (to == std::string::npos) continue;
    const auto lt = data.find('<', to), gt = data.find('>', to), eol = data.find("\r\n", to + 2);
    if (lt != std::string::npos && gt != std::string::npos && gt < eol) emails.insert(data.substr(lt + 1, gt - lt - 1));
  }
  auto scrub = [&](std::string& data) {
    std::size_t n = 0;
    for (const auto& e : emails) n += replace_all(data, e, "removed@invalid");
    for (const auto& p : phones) {
      n += replace_all(data, p, config::mask_phone(p));
      if (p.rfind("+84", 0) == 0) {
        std::string local(1, '0');
        local.append(p, 3, std::string::npos);
        n += replace_all(data, local, config::mask_phone(p));
      }
    }
    return n;
  };
  for (const auto& p : eml_files) {
    std::string data = read_file(p);
    if (scrub(data) > 0 && write_file_atomic(p, data)) ++res.files;
  }
  if (fs::exists(sms_path, ec)) {
    std::string data = read_file(sms_path);
    if (scrub(data) > 0) {
      // Through the running outbox when there is one: it holds sms.jsonl open for appends.
      const bool ok = app.rewrite_sms_log ? app.rewrite_sms_log([&](std::string current) {
        scrub(current);
        return current;
      })
                                          : write_file_atomic(sms_path, data);
      if (ok) ++res.files;
    }
  }
  for (const auto& e : emails) res.audit_entries += app.db->forget_text(e, "removed@invalid");
  for (const auto& p : phones) res.audit_entries += app.db->forget_text(p, config::mask_phone(p));
  store::audit_rec a;
  a.at = now;
  a.who = who;
  a.how = "cli";
  a.action = "forget";
  a.detail = fmt::format("contact {}: {} addresses removed from {} outbox files and {} audit entries", contact_id,
                         emails.size() + phones.size(), res.files, res.audit_entries);
  app.db->audit(a);
  spdlog::info("forgot contact={} files={} audit_entries={}", contact_id, res.files, res.audit_entries);
  return res;
}

}  // namespace dondoc::daemon
