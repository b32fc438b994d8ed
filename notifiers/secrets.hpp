// Secrets (SMTP password, gateway keys) live in files in service.secrets_dir (systemd
// LoadCredential). They are read once, at construction of a transport; a missing or
// empty file is a start-up error naming the path.
#pragma once

#include <stdexcept>
#include <string>

namespace dondoc::notifiers {

// A start-up error: the message names the file (never its content).
struct secret_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads `name` (relative to `secrets_dir` unless absolute), trailing whitespace and
// newlines removed. Throws secret_error when it cannot be read or is empty.
std::string read_secret(const std::string& secrets_dir, const std::string& name, const std::string& what);

}  // namespace dondoc::notifiers
