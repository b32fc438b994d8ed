// Link and Reply-To tokens: made for one row, verified only for that row's occurrence,
// unit and contact, and no other spelling of a token verifies.
#include "replies/tokens.hpp"

#include <doctest/doctest.h>

#include <cctype>
#include <cstdint>

using dondoc::replies::token_codec;

TEST_CASE("a token verifies only for its row, and every altered character is refused") {
  const token_codec codec(std::string(32, 'k'));
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  for (std::int64_t row : {std::int64_t{1}, std::int64_t{2}, std::int64_t{5}, std::int64_t{4096}, std::int64_t{281474976710655}}) {
    const auto t = codec.make(row, "7", "so-tai-chinh", "stc-binh");
    REQUIRE(t.size() == 26);
    CHECK(token_codec::row_of(t) == row);
    CHECK(codec.verify(t, "7", "so-tai-chinh", "stc-binh"));
    CHECK_FALSE(codec.verify(t, "8", "so-tai-chinh", "stc-binh"));   // another occurrence
    CHECK_FALSE(codec.verify(t, "7", "so-y-te", "stc-binh"));        // another unit
    CHECK_FALSE(codec.verify(t, "7", "so-tai-chinh", "stc-cuc"));    // another contact
    CHECK_FALSE(token_codec(std::string(32, 'x')).verify(t, "7", "so-tai-chinh", "stc-binh"));  // another key
    for (std::size_t i = 0; i < t.size(); ++i)
      for (char c : alphabet) {
        if (c == t[i]) continue;
        std::string altered = t;
        altered[i] = c;
        CAPTURE(altered);
        // Another row's token may name a real row, but its MAC never verifies for this one.
        CHECK_FALSE(codec.verify(altered, "7", "so-tai-chinh", "stc-binh"));
      }
    std::string upper = t;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(codec.verify(upper, "7", "so-tai-chinh", "stc-binh"));  // case-insensitive, as in email addresses
  }
  CHECK_FALSE(token_codec::row_of(""));
  CHECK_FALSE(token_codec::row_of(std::string(25, 'a')));
  CHECK_FALSE(token_codec::row_of(std::string(27, 'a')));
  CHECK_FALSE(token_codec::row_of(std::string(25, 'a') + "0"));
}
