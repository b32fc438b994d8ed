// Link and Reply-To tokens (replies::token_codec). On arbitrary text: row_of and verify
// never crash, and verify accepts only the token make() gives for that row, occurrence,
// unit and contact (any letter case: base32 is read case-insensitively). Round trip:
// a token made from fuzzed fields names its row and verifies, and no longer verifies
// for another unit.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "replies/tokens.hpp"

using namespace dondoc;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const replies::token_codec codec(std::string(32, 'k'));
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  // Arbitrary text as a token.
  if (const auto row = replies::token_codec::row_of(in)) {
    FUZZ_CHECK(in.size() == 26, "a token has 26 characters");
    FUZZ_CHECK(*row >= 0 && *row < (std::int64_t{1} << 48), "a row id fits 48 bits");
    if (codec.verify(in, "12", "so-tai-chinh", "stc-binh"))
      FUZZ_CHECK(lower(in) == codec.make(*row, "12", "so-tai-chinh", "stc-binh"), "only make()'s token verifies");
  } else {
    FUZZ_CHECK(!codec.verify(in, "12", "so-tai-chinh", "stc-binh"), "a token without a row never verifies");
  }

  // Round trip from fuzzed fields: 6 bytes of row id, then occurrence/unit/contact.
  if (size < 6) return 0;
  std::int64_t row = 0;
  for (int i = 0; i < 6; ++i) row = (row << 8) | data[i];
  const std::string_view rest = in.substr(6);
  const auto c1 = rest.find('\0');
  const auto c2 = c1 == std::string_view::npos ? std::string_view::npos : rest.find('\0', c1 + 1);
  const std::string_view occ = rest.substr(0, c1);
  const std::string_view unit = c1 == std::string_view::npos ? std::string_view{} : rest.substr(c1 + 1, c2 - c1 - 1);
  const std::string_view contact = c2 == std::string_view::npos ? std::string_view{} : rest.substr(c2 + 1);
  const std::string token = codec.make(row, occ, unit, contact);
  FUZZ_CHECK(token.size() == 26, "make() gives 26 characters");
  FUZZ_CHECK(replies::token_codec::row_of(token) == row, "row_of(make(row)) == row");
  FUZZ_CHECK(codec.verify(token, occ, unit, contact), "make()'s token verifies");
  std::string upper = token;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  FUZZ_CHECK(codec.verify(upper, occ, unit, contact), "upper case verifies too");
  const std::string other_unit = std::string(unit) + "x";
  FUZZ_CHECK(!codec.verify(token, occ, other_unit, contact), "a token does not move to another unit");
  std::string altered = token;
  altered[25] = altered[25] == 'a' ? 'q' : 'a';
  FUZZ_CHECK(!codec.verify(altered, occ, unit, contact), "an altered token does not verify");
  return 0;
}
