// Link and Reply-To tokens. A token names one outbox row (and through it one occurrence,
// unit and contact) and carries an HMAC-SHA256 over "row/occurrence/unit/contact" (the
// occurrence's store id, stable when a report's date is edited) with a key
// from the secrets directory, so it cannot be forged or moved to another unit. Lower-case
// base32, 26 characters: safe in URLs and in the local part of an email address.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dondoc::replies {

class token_codec {
 public:
  explicit token_codec(std::string key);  // at least 16 bytes of secret

  std::string make(std::int64_t row_id, std::string_view occurrence, std::string_view unit,
                   std::string_view contact) const;

  // The row id a token claims; verify() must still be called against that row.
  static std::optional<std::int64_t> row_of(std::string_view token);
  // Constant-time check of the token's MAC for this row's occurrence, unit and contact.
  bool verify(std::string_view token, std::string_view occurrence, std::string_view unit,
              std::string_view contact) const;

 private:
  std::string mac(std::int64_t row_id, std::string_view occurrence, std::string_view unit,
                  std::string_view contact) const;
  std::string key_;
};

// Reads the key from `secrets_dir/token-key`, or from `state_dir/token.key`, creating the
// latter (0600, 32 random bytes) on first start.
std::string load_or_create_token_key(const std::string& secrets_dir, const std::string& state_dir);

}  // namespace dondoc::replies
