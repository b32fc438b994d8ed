// Token layout: 6 bytes of row id (big-endian) + 10 bytes of HMAC-SHA256, base32 (RFC 4648
// alphabet, lower case, no padding) = 26 characters. 80 bits of MAC make guessing
// pointless; the row id keeps the token short enough for a Reply-To local part.
#include "replies/tokens.hpp"

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace dondoc::replies {
namespace {

constexpr std::string_view b32 = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::size_t id_bytes = 6, mac_bytes = 10;

std::string encode(const std::array<unsigned char, id_bytes + mac_bytes>& raw) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char b : raw) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(b32[(buffer >> (bits - 5)) & 31u]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(b32[(buffer << (5 - bits)) & 31u]);
  return out;
}

std::optional<std::array<unsigned char, id_bytes + mac_bytes>> decode(std::string_view s) {
  if (s.size() != 26) return std::nullopt;
  std::array<unsigned char, id_bytes + mac_bytes> raw{};
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t n = 0;
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const auto p = b32.find(c);
    if (p == std::string_view::npos) return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(p);
    bits += 5;
    if (bits >= 8) {
      if (n >= raw.size()) return std::nullopt;
      raw[n++] = static_cast<unsigned char>((buffer >> (bits - 8)) & 0xFFu);
      bits -= 8;
    }
  }
  if (n != raw.size()) return std::nullopt;
  // 26 characters carry 130 bits for 128: the 2 left over must be zero, so that each
  // token has exactly one spelling (an altered last character is not the same token).
  if ((buffer & ((1u << bits) - 1u)) != 0) return std::nullopt;
  return raw;
}

}  // namespace

token_codec::token_codec(std::string key) : key_(std::move(key)) {
  if (key_.size() < 16) throw std::invalid_argument("token key must have at least 16 bytes");
}

std::string token_codec::mac(std::int64_t row_id, std::string_view occurrence, std::string_view unit,
                             std::string_view contact) const {
  std::string msg = "dondoc-token-v1/" + std::to_string(row_id) + "/" + std::string(occurrence) + "/" +
                    std::string(unit) + "/" + std::string(contact);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(msg.data()),
       msg.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), mac_bytes);
}

std::string token_codec::make(std::int64_t row_id, std::string_view occurrence, std::string_view unit,
                              std::string_view contact) const {
  std::array<unsigned char, id_bytes + mac_bytes> raw{};
  for (std::size_t i = 0; i < id_bytes; ++i)
    raw[i] = static_cast<unsigned char>((static_cast<std::uint64_t>(row_id) >> (8 * (id_bytes - 1 - i))) & 0xFFu);
  const std::string m = mac(row_id, occurrence, unit, contact);
  std::copy(m.begin(), m.end(), raw.begin() + id_bytes);
  return encode(raw);
}

std::optional<std::int64_t> token_codec::row_of(std::string_view token) {
  auto raw = decode(token);
  if (!raw) return std::nullopt;
  std::uint64_t id = 0;
  for (std::size_t i = 0; i < id_bytes; ++i) id = (id << 8) | (*raw)[i];
  return static_cast<std::int64_t>(id);
}

bool token_codec::verify(std::string_view token, std::string_view occurrence, std::string_view unit,
                         std::string_view contact) const {
  auto raw = decode(token);
  if (!raw) return false;
  std::uint64_t id = 0;
  for (std::size_t i = 0; i < id_bytes; ++i) id = (id << 8) | (*raw)[i];
  const std::string m = mac(static_cast<std::int64_t>(id), occurrence, unit, contact);
  return CRYPTO_memcmp(m.data(), raw->data() + id_bytes, mac_bytes) == 0;
}

std::string load_or_create_token_key(const std::string& secrets_dir, const std::string& state_dir) {
  namespace fs = std::filesystem;
  auto read_all = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  if (!secrets_dir.empty()) {
    fs::path p = fs::path(secrets_dir) / "token-key";
    if (!fs::exists(p) && fs::exists(fs::path(secrets_dir) / "secrets_token-key"))
      p = fs::path(secrets_dir) / "secrets_token-key";  // systemd LoadCredential=secrets:DIR
    if (fs::exists(p)) {
      std::string k = read_all(p);
      while (!k.empty() && (k.back() == '\n' || k.back() == '\r')) k.pop_back();
      if (k.size() < 16) throw std::runtime_error(p.string() + ": the token key must have at least 16 bytes");
      return k;
    }
  }
  const fs::path p = fs::path(state_dir) / "token.key";
  if (fs::exists(p)) {
    std::string k = read_all(p);
    if (k.size() >= 16) return k;
  }
  std::string k(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(k.data()), static_cast<int>(k.size())) != 1)
    throw std::runtime_error("cannot generate a token key");
  const std::string tmp = p.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp);
  const bool ok = ::write(fd, k.data(), k.size()) == static_cast<ssize_t>(k.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), p.c_str()) != 0) throw std::runtime_error("cannot write " + p.string());
  return k;
}

}  // namespace dondoc::replies
