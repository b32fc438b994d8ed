// The file outbox: the embedded default channel and the only one `dondoc simulate` uses.
// Emails become maildir files (DIR/mail/new/KEY.eml, written to tmp/, fsynced, renamed,
// the directory fsynced); SMS become JSON lines in DIR/sms.jsonl, each fsynced.
// Directories are 0700 and files 0600 (they hold addresses and numbers).
//
// Sending the same key twice rewrites the .eml (idempotent) but appends a second SMS
// line: delivery is at-least-once and the reliability tests count duplicates by key.
// send() completes synchronously, before it returns: there is nothing to wait for.
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "notifiers/notifier.hpp"

namespace dondoc::notifiers {

class file_outbox final : public email_transport, public sms_transport {
 public:
  // Creates DIR, DIR/mail/{tmp,new,cur} and DIR/sms.jsonl. Throws std::system_error
  // naming the path when it cannot (a start-up error).
  explicit file_outbox(std::string dir);
  ~file_outbox() override;
  file_outbox(const file_outbox&) = delete;
  file_outbox& operator=(const file_outbox&) = delete;

  void send(outgoing_email msg, completion done) override;
  void send(outgoing_sms msg, completion done) override;
  std::string name() const override { return "outbox"; }

  const std::string& dir() const { return dir_; }
  std::string sms_path() const { return dir_ + "/sms.jsonl"; }
  std::string mail_path(const std::string& key) const { return dir_ + "/mail/new/" + key + ".eml"; }

  // The JSON line written for an SMS (without the newline).
  static std::string sms_line(const outgoing_sms& msg);

  // Rewrites sms.jsonl through `edit` (write, fsync, rename, reopen), for `dondoc forget`.
  // Returns false when it could not; the old file is then untouched.
  bool rewrite_sms_log(const std::function<std::string(std::string)>& edit);

 private:
  std::string dir_;
  int sms_fd_ = -1;
  int new_dir_fd_ = -1;
  std::mutex mu_;  // one io_context thread normally; the CLI may share an outbox across threads
};

}  // namespace dondoc::notifiers
