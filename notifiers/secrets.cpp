// Reading secret files: see secrets.hpp.
#include "notifiers/secrets.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dondoc::notifiers {

std::string read_secret(const std::string& secrets_dir, const std::string& name, const std::string& what) {
  namespace fs = std::filesystem;
  if (name.empty()) throw secret_error(what + ": no secret file is configured");
  fs::path p(name);
  if (p.is_relative()) {
    if (secrets_dir.empty())
      throw secret_error(what + ": \"" + name +
                         "\" is relative but no secrets directory is set (service.secrets_dir or $CREDENTIALS_DIRECTORY)");
    p = fs::path(secrets_dir) / p;
    // systemd's LoadCredential=secrets:/etc/dondoc/secrets (the shipped unit) names each
    // file of that directory "secrets_FILE" in $CREDENTIALS_DIRECTORY.
    std::error_code ec;
    if (!fs::exists(p, ec) && name.find('/') == std::string::npos) {
      const fs::path credential = fs::path(secrets_dir) / ("secrets_" + name);
      if (fs::exists(credential, ec)) p = credential;
    }
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) throw secret_error(what + ": cannot read secret file " + p.string() + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  if (s.empty()) throw secret_error(what + ": secret file " + p.string() + " is empty");
  return s;
}

}  // namespace dondoc::notifiers
