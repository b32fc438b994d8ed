// File outbox: see file_outbox.hpp for the layout. Durability: a message is reported
// sent only after its bytes are fsynced (and, for mail, the rename is fsynced through
// the directory), so a crash right after "ok" loses nothing.
#include "notifiers/file_outbox.hpp"

#include <sstream>

#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "config/values.hpp"

namespace dondoc::notifiers {
namespace {

void make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    throw std::system_error(errno, std::generic_category(), "cannot create outbox directory " + path);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw std::system_error(ENOTDIR, std::generic_category(), "outbox path is not a directory: " + path);
  if ((st.st_mode & 07777) != 0700) ::chmod(path.c_str(), 0700);
}

bool write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

bool valid_key(const std::string& k) {
  if (k.empty() || k.size() > 64) return false;
  for (char c : k)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

send_result failed(outcome k, std::string reason) {
  send_result r;
  r.kind = k;
  r.reason = std::move(reason);
  return r;
}

}  // namespace

file_outbox::file_outbox(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  make_dir(dir_);
  make_dir(dir_ + "/mail");
  for (const char* sub : {"/mail/tmp", "/mail/new", "/mail/cur"}) make_dir(dir_ + sub);
  const std::string sms = sms_path();
  sms_fd_ = ::open(sms.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (sms_fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + sms);
  ::fchmod(sms_fd_, 0600);
  const std::string nd = dir_ + "/mail/new";
  new_dir_fd_ = ::open(nd.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (new_dir_fd_ < 0) {
    const int e = errno;
    ::close(sms_fd_);
    throw std::system_error(e, std::generic_category(), "cannot open " + nd);
  }
}

file_outbox::~file_outbox() {
  if (sms_fd_ >= 0) ::close(sms_fd_);
  if (new_dir_fd_ >= 0) ::close(new_dir_fd_);
}

bool file_outbox::rewrite_sms_log(const std::function<std::string(std::string)>& edit) {
  std::lock_guard lock(mu_);
  const std::string path = sms_path(), tmp = path + ".rewrite";
  std::string data;
  {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    data = ss.str();
  }
  const std::string edited = edit(std::move(data));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const bool ok = write_all(fd, edited) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  const int nfd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
  if (nfd < 0) return false;
  ::close(sms_fd_);
  sms_fd_ = nfd;
  const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // the rename is durable
    ::close(dfd);
  }
  return true;
}

void file_outbox::send(outgoing_email msg, completion done) {
  send_result res;
  if (!valid_key(msg.meta.key)) {
    res = failed(outcome::permanent, "invalid message key for a file name");
  } else {
    std::lock_guard lock(mu_);
    const std::string tmp = dir_ + "/mail/tmp/" + msg.meta.key + ".eml";
    const std::string fin = mail_path(msg.meta.key);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      res = failed(outcome::retry, "cannot create " + tmp + ": " + std::strerror(errno));
    } else {
      const bool ok = write_all(fd, msg.data) && ::fsync(fd) == 0;
      const int e = errno;
      ::close(fd);
      if (!ok) {
        ::unlink(tmp.c_str());
        res = failed(outcome::retry, "cannot write " + tmp + ": " + std::strerror(e));
      } else if (::rename(tmp.c_str(), fin.c_str()) != 0) {
        res = failed(outcome::retry, "cannot rename to " + fin + ": " + std::strerror(errno));
      } else if (::fsync(new_dir_fd_) != 0) {
        res = failed(outcome::retry, "cannot fsync " + dir_ + "/mail/new: " + std::strerror(errno));
      }
    }
  }
  if (res.kind != outcome::ok) spdlog::error("outbox email not written key={} reason=\"{}\"", msg.meta.key, res.reason);
  if (done) done(std::move(res));
}

std::string file_outbox::sms_line(const outgoing_sms& msg) {
  nlohmann::ordered_json j;
  j["to"] = msg.to;
  j["text"] = msg.text;
  j["key"] = msg.meta.key;
  j["at"] = msg.meta.at;
  j["report"] = msg.meta.report;
  j["occurrence"] = msg.meta.occurrence;
  if (!msg.meta.unit.empty() || msg.meta.units.empty()) j["unit"] = msg.meta.unit;
  else j["units"] = msg.meta.units;
  j["kind"] = msg.meta.kind;
  j["step"] = msg.meta.step;
  j["repeat"] = msg.meta.repeat;
  j["contact"] = msg.meta.contact;
  j["segments"] = msg.segments;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void file_outbox::send(outgoing_sms msg, completion done) {
  send_result res;
  const std::string line = sms_line(msg) + "\n";
  {
    std::lock_guard lock(mu_);
    // One write() per line on an O_APPEND file: lines never interleave.
    if (!write_all(sms_fd_, line) || ::fsync(sms_fd_) != 0)
      res = failed(outcome::retry, "cannot append to " + sms_path() + ": " + std::strerror(errno));
  }
  if (res.kind != outcome::ok)
    spdlog::error("outbox sms not written key={} to={} reason=\"{}\"", msg.meta.key, config::mask_phone(msg.to),
                  res.reason);
  if (done) done(std::move(res));
}

}  // namespace dondoc::notifiers
