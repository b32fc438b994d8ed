#include "text/text.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace dondoc::text;

TEST_CASE("Đ and đ fold to D and d, which a diacritic strip would miss") {
  CHECK(fold_ascii("Đà Nẵng") == "Da Nang");
  CHECK(fold_ascii("đôn đốc") == "don doc");
}

TEST_CASE("every accented Vietnamese letter folds to its base letter") {
  // 12 vowels with tones or marks, upper and lower case: a ă â e ê i o ô ơ u ư y × 5 tones
  // (plus the bare marked letters), and đ. Each row: accented forms, expected base.
  struct row { const char* letters; char base; };
  const row rows[] = {
      {"àáảãạăằắẳẵặâầấẩẫậ", 'a'}, {"ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'A'},
      {"èéẻẽẹêềếểễệ", 'e'},       {"ÈÉẺẼẸÊỀẾỂỄỆ", 'E'},
      {"ìíỉĩị", 'i'},             {"ÌÍỈĨỊ", 'I'},
      {"òóỏõọôồốổỗộơờớởỡợ", 'o'}, {"ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ", 'O'},
      {"ùúủũụưừứửữự", 'u'},       {"ÙÚỦŨỤƯỪỨỬỮỰ", 'U'},
      {"ỳýỷỹỵ", 'y'},             {"ỲÝỶỸỴ", 'Y'},
      {"đ", 'd'},                 {"Đ", 'D'},
  };
  std::size_t total = 0;
  for (const auto& r : rows) {
    const std::string folded = fold_ascii(r.letters);
    const std::size_t n = code_points(r.letters);
    total += n;
    CHECK(folded == std::string(n, r.base));
  }
  CHECK(total == 134);
}

TEST_CASE("decomposed input folds and normalises like precomposed input") {
  const std::string decomposed = "Vie\xCC\xA3\xCC\x82t";  // e + dot below + circumflex
  CHECK(nfc(decomposed) == "Việt");
  CHECK(fold_ascii(decomposed) == "Viet");
}

TEST_CASE("a no-break space becomes a plain space so the SMS stays in GSM") {
  CHECK(fold_ascii("DA\xC2\xA0NHAN") == "DA NHAN");
  CHECK(gsm_safe(fold_ascii("DA\xC2\xA0NHAN")));
  CHECK_FALSE(gsm_safe("a{b}"));
}

TEST_CASE("match keys ignore case, marks and spaces") {
  CHECK(match_key("Đã nhận") == "DANHAN");
  CHECK(match_key("da  NOP") == "DANOP");
  CHECK(match_key(" ok ") == "OK");
}

TEST_CASE("malformed UTF-8 is detected") {
  CHECK(valid_utf8("Sở Nội vụ"));
  CHECK_FALSE(valid_utf8("\xC0\xAF"));
  CHECK_FALSE(valid_utf8("\xED\xA0\x80"));
  CHECK_FALSE(valid_utf8("abc\xE1\xBA"));
}

TEST_CASE("Vietnamese collation puts Đ after D and Ư after U, unlike byte order") {
  CHECK(compare_vi("Đức Phổ", "Duy Xuyên") > 0);
  CHECK(compare_vi("Đức Phổ", "Giang") < 0);
  CHECK(compare_vi("Ưng Hòa", "Uông Bí") > 0);
  CHECK(compare_vi("Ưng Hòa", "Vĩnh Yên") < 0);
  CHECK(sort_key_vi("Đức Phổ") > sort_key_vi("Duy Xuyên"));
}
