// The `dondoc check` corpus: each tests/config/broken/NAME.expected pins down what the
// loader says about NAME.toml (a file, sometimes with includes under NAME.d/, sometimes
// a directory or missing on purpose): every diagnostic line exactly as `check` prints
// it, in order, and the exit code. The file starts with comment lines (# why this case
// exists), then `exit N`, then the diagnostics.
//
// The runner loads each case from inside the corpus directory, so file names in the
// diagnostics are the short relative ones an administrator would see. To regenerate
// the expectations after a deliberate change of wording, run the test with
// DONDOC_UPDATE_EXPECTED=1 and review the diff: the comments are kept.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace fs = std::filesystem;
using namespace dondoc;

namespace {

const fs::path corpus_dir = fs::path(DONDOC_SOURCE_DIR) / "tests" / "config" / "broken";

struct expectation {
  std::vector<std::string> comments;
  int exit_code = -1;
  std::vector<std::string> lines;
};

expectation read_expected(const fs::path& p) {
  expectation e;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    if (e.exit_code < 0 && line.rfind('#', 0) == 0) e.comments.push_back(line);
    else if (e.exit_code < 0 && line.rfind("exit ", 0) == 0) e.exit_code = std::stoi(line.substr(5));
    else if (e.exit_code >= 0) e.lines.push_back(line);
  }
  return e;
}

// Changes the working directory for one scope.
class in_directory {
 public:
  explicit in_directory(const fs::path& p) : saved_(fs::current_path()) { fs::current_path(p); }
  ~in_directory() { fs::current_path(saved_); }
  in_directory(const in_directory&) = delete;
  in_directory& operator=(const in_directory&) = delete;

 private:
  fs::path saved_;
};

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

}  // namespace

TEST_CASE("every roster of the broken corpus gives exactly its expected diagnostics and exit code") {
  REQUIRE(fs::is_directory(corpus_dir));
  std::vector<std::string> names;
  for (const auto& de : fs::directory_iterator(corpus_dir))
    if (de.path().extension() == ".expected") names.push_back(de.path().stem().string());
  std::sort(names.begin(), names.end());
  // The brief asks for at least 40 broken rosters; the corpus must not shrink silently.
  CHECK(names.size() >= 40);

  const bool update = std::getenv("DONDOC_UPDATE_EXPECTED") != nullptr;
  config::load_options opts;
  opts.credentials_directory = "/run/credentials/dondoc.service";
  const in_directory cd(corpus_dir);
  for (const auto& name : names) {
    CAPTURE(name);
    const expectation want = read_expected(name + ".expected");
    CHECK_MESSAGE(!want.comments.empty(), "each case says why it exists in a # line");
    const auto result = config::load(name + ".toml", opts);
    std::vector<std::string> got;
    for (const auto& d : result.diagnostics) got.push_back(config::format(d));
    const int exit_code = result.ok() ? 0 : 1;
    // The loader's verdict and its diagnostics agree: no config exactly when there is an error.
    CHECK(result.ok() == (result.errors() == 0));
    if (update) {
      std::ofstream out(name + ".expected", std::ios::trunc);
      for (const auto& c : want.comments) out << c << "\n";
      out << "exit " << exit_code << "\n" << joined(got);
      continue;
    }
    CHECK(exit_code == want.exit_code);
    CHECK(joined(got) == joined(want.lines));
  }
}

TEST_CASE("loading a corpus roster twice gives the same diagnostics") {
  // The loader keeps no state between runs (no caches keyed by file, no globals).
  const in_directory cd(corpus_dir);
  for (const char* name : {"many-files-order", "syntax-error-include", "phone-shared"}) {
    CAPTURE(name);
    const auto a = config::load(std::string(name) + ".toml");
    const auto b = config::load(std::string(name) + ".toml");
    REQUIRE(a.diagnostics.size() == b.diagnostics.size());
    for (std::size_t i = 0; i < a.diagnostics.size(); ++i)
      CHECK(config::format(a.diagnostics[i]) == config::format(b.diagnostics[i]));
  }
}
