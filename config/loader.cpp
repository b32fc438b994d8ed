// The roster loader: TOML files -> one validated, immutable config, or every problem at
// once with its exact place. An administrator fixes a roster by reading this output, so
// the messages and positions are the product: a syntax error ends the reading of its
// file; every semantic error of the files that parsed is reported; nothing throws.
//
// Shape: each file is parsed by toml++ into a tree (positions in code points, as
// `check` promises). Reading then goes in passes over the files in include order:
// settings first ([service], [sending], [calendar], [channels], [[sms_templates]]), so
// that the roster is judged against the effective office hours, zone and channels
// whichever file defines them; then the roster (contacts, units, reports), freeing each
// tree once read; then the cross-references. A table_reader walks one table, records
// which keys it used and reports the rest as unknown with a "did you mean". Settings
// tables may be split across files but a key may be defined only once; arrays of
// tables and day lists concatenate in include order.
//
// When a file cannot be read or parsed, the checks that need the whole roster (unknown
// unit ids, selectors that match nothing, roles nobody holds) are skipped: they would
// only report what is in the unreadable file. Each mistake is reported once, at its
// place; a bad value does not also produce "missing" or "unknown" follow-ups.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <date/tz.h>
#include <fmt/format.h>

#include "config/calendar_data.hpp"
#include "config/deadline.hpp"
#include "config/loader_internal.hpp"
#include "text/text.hpp"

namespace dondoc::config {
namespace detail {

constexpr std::uintmax_t max_file_size = 256u << 20;

// ---------------------------------------------------------------------------------------
// small helpers

std::string type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::optional<sys_days> to_sys_days(const toml::date& d) {
  const date::year_month_day ymd{date::year{d.year}, date::month{d.month}, date::day{d.day}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd};
}

std::string fmt_date(sys_days d) { return date::format("%F", d); }

std::string fmt_clock(minutes m) { return fmt::format("{:02}:{:02}", m.count() / 60, m.count() % 60); }

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) out += fmt::format("\\u{:04X}", static_cast<unsigned>(c));
        else out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

namespace {

bool contains(const std::vector<std::string_view>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// toml++ says "Error while parsing string: …"; `check` says "syntax error in string: …".
std::string syntax_message(std::string_view description) {
  constexpr std::string_view lead = "Error while parsing ";
  if (description.rfind(lead, 0) == 0) return fmt::format("syntax error in {}", description.substr(lead.size()));
  std::string out(description);
  if (out.size() > 1 && out[0] >= 'A' && out[0] <= 'Z' && out[1] >= 'a' && out[1] <= 'z')
    out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return "syntax error: " + out;
}

// The text before line `line` (1-based).
std::string_view lines_before(std::string_view text, std::uint32_t line) {
  std::size_t pos = 0;
  for (std::uint32_t l = 1; l < line; ++l) {
    pos = text.find('\n', pos);
    if (pos == std::string_view::npos) return text;
    ++pos;
  }
  return text.substr(0, pos);
}

// For "cannot redefine existing integer 'a.b'": where 'a.b' was first defined, found by
// parsing the lines before the error and taking the latest key whose path ends so.
std::optional<toml::source_position> first_definition(std::string_view text, const toml::source_position& err,
                                                      std::string_view description) {
  const auto existing = description.find("cannot redefine existing ");
  if (existing == std::string_view::npos) return std::nullopt;
  const auto open = description.find('\'', existing);
  const auto close = open == std::string_view::npos ? open : description.find('\'', open + 1);
  if (close == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> want;
  for (std::string_view name = description.substr(open + 1, close - open - 1);;) {
    const auto dot = name.find('.');
    want.push_back(name.substr(0, dot));
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  toml::table prefix;
  try {
    prefix = toml::parse(lines_before(text, err.line));
  } catch (const toml::parse_error&) {
    return std::nullopt;
  }
  std::optional<toml::source_position> best;
  std::vector<std::string_view> path;
  auto consider = [&](const toml::source_position& p) {
    if (path.size() < want.size() || !std::equal(want.begin(), want.end(), path.end() - static_cast<std::ptrdiff_t>(want.size())))
      return;
    if (!best || std::pair(p.line, p.column) > std::pair(best->line, best->column)) best = p;
  };
  auto walk = [&](auto&& self, const toml::node& n) -> void {
    if (const auto* t = n.as_table()) {
      for (auto&& [k, v] : *t) {
        path.push_back(k.str());
        consider(k.source().begin);
        self(self, v);
        path.pop_back();
      }
    } else if (const auto* a = n.as_array()) {
      for (const auto& e : *a) self(self, e);
    }
  };
  walk(walk, prefix);
  return best;
}

// The include list of a main file that does not parse, from the lines before the error.
std::vector<std::pair<std::string, toml::source_position>> includes_before(std::string_view text,
                                                                           std::uint32_t line) {
  std::vector<std::pair<std::string, toml::source_position>> out;
  try {
    toml::table prefix = toml::parse(lines_before(text, line));
    const toml::node* inc = prefix.at_path("service.include").node();
    if (inc == nullptr) return out;
    if (const auto* s = inc->as_string()) out.emplace_back(s->get(), s->source().begin);
    if (const auto* a = inc->as_array())
      for (const auto& e : *a)
        if (const auto* s = e.as_string()) out.emplace_back(s->get(), s->source().begin);
  } catch (const toml::parse_error&) {
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// table_reader

table_reader::table_reader(loader& l, const toml::table& t, std::string_view scope,
                           std::initializer_list<std::string_view> known)
    : l_(l), t_(t), scope_(scope) {
  for (std::string_view k : known)
    if (known_count_ < max_known) known_[known_count_++] = k;
}

bool table_reader::is_known(std::string_view key) const {
  return std::find(known_.begin(), known_.begin() + static_cast<std::ptrdiff_t>(known_count_), key) !=
         known_.begin() + static_cast<std::ptrdiff_t>(known_count_);
}

void table_reader::claim_keys(std::string_view prefix, std::initializer_list<std::string_view> except) {
  for (auto&& [k, v] : t_) {
    const std::string_view key = k.str();
    if (!is_known(key) || std::find(except.begin(), except.end(), key) != except.end()) continue;
    l_.claim(fmt::format("{}.{}", prefix, key), l_.where(k));
  }
}

bool table_reader::expect(const toml::node& n, toml::node_type t, std::string_view key) {
  if (n.type() == t) return true;
  l_.error(n, fmt::format("\"{}\" must be {}, not {}", key, type_name(t), type_name(n.type())));
  return false;
}

const toml::node* table_reader::node(std::string_view key) {
  if (!is_known(key) && known_count_ < max_known) known_[known_count_++] = key;
  auto it = t_.find(key);
  return it == t_.end() ? nullptr : &it->second;
}

const toml::node* table_reader::required(std::string_view key) {
  const toml::node* n = node(key);
  if (n == nullptr && !contains(missing_, key)) missing_.push_back(key);
  return n;
}

std::optional<std::string> table_reader::string(std::string_view key, bool req) {
  const toml::node* n = req ? required(key) : node(key);
  if (n == nullptr || !expect(*n, toml::node_type::string, key)) return std::nullopt;
  const std::string& s = n->as_string()->get();
  if (req && s.empty()) {
    l_.error(*n, fmt::format("\"{}\" must not be empty", key));
    return std::nullopt;
  }
  return l_.nfc(s);
}

std::optional<bool> table_reader::boolean(std::string_view key) {
  const toml::node* n = node(key);
  if (n == nullptr || !expect(*n, toml::node_type::boolean, key)) return std::nullopt;
  return n->as_boolean()->get();
}

std::optional<std::int64_t> table_reader::integer(std::string_view key, std::int64_t min, std::int64_t max,
                                                  bool req) {
  const toml::node* n = req ? required(key) : node(key);
  if (n == nullptr || !expect(*n, toml::node_type::integer, key)) return std::nullopt;
  const std::int64_t v = n->as_integer()->get();
  if (v < min || v > max) {
    l_.error(*n, fmt::format("{} = {}: must be between {} and {}", key, v, min, max));
    return std::nullopt;
  }
  return v;
}

std::optional<sys_days> table_reader::day(std::string_view key, bool req) {
  const toml::node* n = req ? required(key) : node(key);
  if (n == nullptr) return std::nullopt;
  if (const auto* d = n->as_date()) return to_sys_days(d->get());  // toml++ rejects impossible dates
  if (const auto* s = n->as_string()) {
    auto v = parse_iso_date(s->get());
    if (!v) l_.value_error(*n, key, "not a date; write YYYY-MM-DD, e.g. 2019-06-15");
    return v;
  }
  l_.error(*n, fmt::format("\"{}\" must be a date (YYYY-MM-DD), not {}", key, type_name(n->type())));
  return std::nullopt;
}

std::optional<std::vector<std::pair<std::string, const toml::node*>>> table_reader::strings(std::string_view key,
                                                                                            bool req) {
  const toml::node* n = req ? required(key) : node(key);
  if (n == nullptr) return std::nullopt;
  std::vector<std::pair<std::string, const toml::node*>> out;
  if (const auto* s = n->as_string()) {
    out.emplace_back(l_.nfc(s->get()), n);
    return out;
  }
  const auto* a = n->as_array();
  if (a == nullptr) {
    l_.error(*n, fmt::format("\"{}\" must be an array of strings, not {}", key, type_name(n->type())));
    return std::nullopt;
  }
  bool ok = true;
  out.reserve(a->size());
  for (const toml::node& e : *a) {
    if (const auto* s = e.as_string()) {
      out.emplace_back(l_.nfc(s->get()), &e);
    } else {
      l_.error(e, fmt::format("\"{}\" must contain only strings, not {}", key, type_name(e.type())));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

const toml::table* table_reader::sub_table(std::string_view key) {
  const toml::node* n = node(key);
  if (n == nullptr || !expect(*n, toml::node_type::table, key)) return nullptr;
  return n->as_table();
}

void table_reader::finish() {
  if (finished_) return;
  finished_ = true;
  std::vector<std::string_view> hinted;
  for (auto&& [k, v] : t_) {
    const std::string_view key = k.str();
    if (is_known(key)) continue;
    const std::vector<std::string_view> known(known_.begin(),
                                              known_.begin() + static_cast<std::ptrdiff_t>(known_count_));
    // A hint among the keys not written first: "nmae" next to "title" means "name".
    std::vector<std::string_view> absent;
    for (std::string_view c : known)
      if (t_.find(c) == t_.end()) absent.push_back(c);
    std::string hint = closest(key, absent);
    if (hint.empty()) hint = closest(key, known);
    if (hint.empty()) {
      l_.error(l_.where(k), fmt::format("unknown key \"{}\" {}", key, scope_));
    } else {
      l_.error(l_.where(k), fmt::format("unknown key \"{}\" {}; did you mean \"{}\"?", key, scope_, hint));
      for (std::string_view m : missing_)
        if (m == hint) hinted.push_back(m);
    }
  }
  for (std::string_view m : missing_)
    if (!contains(hinted, m)) l_.error(t_, fmt::format("missing required key \"{}\" {}", m, scope_));
}

// ---------------------------------------------------------------------------------------
// diagnostics

void loader::error(location loc, std::string msg) {
  diags_.push_back({severity::error, loc, std::move(msg)});
  ++error_count_;
}

void loader::warning(location loc, std::string msg) { diags_.push_back({severity::warning, loc, std::move(msg)}); }

void loader::value_error(const toml::node& n, std::string_view key, std::string_view reason, bool personal) {
  const auto* s = n.as_string();
  if (personal || s == nullptr) error(n, fmt::format("{}: {}", key, reason));
  else error(n, fmt::format("{} = {}: {}", key, quote(s->get()), reason));
}

void loader::value_warning(const toml::node& n, std::string_view key, std::string_view reason, bool personal) {
  const auto* s = n.as_string();
  if (personal || s == nullptr) warning(n, fmt::format("{}: {}", key, reason));
  else warning(n, fmt::format("{} = {}: {}", key, quote(s->get()), reason));
}

std::string loader::place(location loc) const {
  const std::string& name = (loc.file & extra_file_bit) ? extra_files_[loc.file & ~extra_file_bit] : files_[loc.file].name;
  return fmt::format("{}:{}:{}", name, loc.line, loc.column);
}

void loader::claim(std::string path, location loc) {
  auto [it, fresh] = defined_.emplace(std::move(path), loc);
  if (fresh) return;
  const std::string& p = it->first;
  const auto dot = p.rfind('.');
  error(loc, fmt::format("\"{}\" is defined twice in [{}]: first at {}", p.substr(dot + 1), p.substr(0, dot),
                         place(it->second)));
}

std::string loader::nfc(std::string_view s) const { return text::nfc(s); }

// ---------------------------------------------------------------------------------------
// files

bool loader::read_file(const std::string& name, std::optional<std::string_view> given_text,
                       std::optional<location> included_at,
                       std::vector<std::pair<std::string, location>>* recovered_includes) {
  const auto index = static_cast<std::uint32_t>(files_.size());
  files_.push_back({name, nullptr});
  const std::string from = included_at ? fmt::format(" (included from {})", place(*included_at)) : std::string();
  auto file_error = [&](std::string msg) {
    error(location{index, 0, 0}, msg + from);
    complete_ = false;
    return false;
  };
  // A file is parsed straight from its stream, so a big roster's text is never held
  // beside its tree; it is read in full only when a message needs it (or given).
  std::string owned;
  std::string_view text;
  std::ifstream in;
  if (given_text) {
    text = *given_text;
    if (text.size() > max_file_size) return file_error("cannot read: the file is too large");
  } else {
    std::error_code ec;
    const auto st = fs::status(name, ec);
    if (ec || !fs::exists(st)) return file_error("cannot read: no such file");
    if (fs::is_directory(st)) return file_error("cannot read: is a directory");
    if (!fs::is_regular_file(st)) return file_error("cannot read: not a regular file");
    const auto size = fs::file_size(name, ec);
    if (ec) return file_error(fmt::format("cannot read: {}", ec.message()));
    if (size > max_file_size)
      return file_error(fmt::format("cannot read: the file is too large ({} bytes; at most {})", size, max_file_size));
    in.open(name, std::ios::binary);
    if (!in) return file_error(fmt::format("cannot read: {}", std::strerror(errno)));
  }
  auto whole_text = [&]() -> bool {
    if (given_text) return true;
    std::ifstream again(name, std::ios::binary);
    std::ostringstream ss;
    ss << again.rdbuf();
    if (!again) return false;
    owned = std::move(ss).str();
    text = owned;
    return true;
  };
  // A binary file or invalid UTF-8 gets a message that says so, at the first bad byte;
  // toml++ stops there too but says little. The scan runs once toml++ has refused the
  // text (a NUL byte always makes it refuse).
  auto not_text = [&] {
    std::uint32_t line = 1, col = 1;
    for (std::size_t i = 0; i < text.size();) {
      const auto c = static_cast<unsigned char>(text[i]);
      const std::size_t len = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
                                                                       : (c >= 0xF0 && c <= 0xF4)   ? 4
                                                                                                   : 0;
      if (c == 0 || len == 0 || i + len > text.size() || !text::valid_utf8(text.substr(i, len))) break;
      if (c == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
      i += len;
    }
    error(location{index, line, col}, "not a TOML file: invalid UTF-8 or a NUL byte (is this a binary file?)");
    complete_ = false;
    return false;
  };
  try {
    auto root = std::make_shared<toml::table>(given_text ? toml::parse(text, std::string(name))
                                                         : toml::parse(in, std::string(name)));
    if (root->empty()) {
      if (index == 0) {
        error(location{index, 0, 0}, "nothing is defined in this file; a roster needs at least [[units]] and [[reports]]");
        main_empty_ = true;
      } else {
        warning(location{index, 0, 0}, "nothing is defined in this file" + from);
      }
    }
    files_[index].root = std::move(root);
    return true;
  } catch (const toml::parse_error& e) {
    if (!whole_text()) return file_error(fmt::format("cannot read: {}", std::strerror(errno)));
    if (text.find('\0') != std::string_view::npos || !text::valid_utf8(text)) return not_text();
    complete_ = false;
    const auto& b = e.source().begin;
    const location loc{index, std::max<std::uint32_t>(b.line, 1), std::max<std::uint32_t>(b.column, 1)};
    std::string msg = syntax_message(e.description());
    if (auto first = first_definition(text, b, e.description()))
      msg += fmt::format(" (first defined at {}:{}:{})", name, first->line, first->column);
    error(loc, std::move(msg));
    if (recovered_includes != nullptr)
      for (auto& [n, p] : includes_before(text, b.line))
        recovered_includes->emplace_back(n, location{index, p.line, p.column});
    return false;
  }
}

std::string loader::include_path(const std::string& name) const {
  const fs::path p = fs::path(name).is_absolute() ? fs::path(name) : fs::path(main_dir_) / name;
  return p.lexically_normal().string();
}

void loader::read_includes(const toml::table& root, const std::string& main_path) {
  const toml::table* svc = root.get("service") ? root.get("service")->as_table() : nullptr;
  const toml::node* inc = svc ? svc->get("include") : nullptr;
  if (inc == nullptr) return;
  current_file_ = 0;
  std::vector<std::pair<std::string, const toml::node*>> names;
  if (const auto* s = inc->as_string()) {
    names.emplace_back(s->get(), inc);
  } else if (const auto* a = inc->as_array()) {
    for (const auto& e : *a) {
      if (const auto* s2 = e.as_string()) names.emplace_back(s2->get(), &e);
      else error(e, fmt::format("\"include\" must contain only file names (strings), not {}", type_name(e.type())));
    }
  } else {
    error(*inc, fmt::format("\"include\" must be an array of file names, not {}", type_name(inc->type())));
    return;
  }
  std::error_code ec;
  std::set<std::string> seen;
  seen.insert(fs::weakly_canonical(main_path, ec).string());
  for (auto& [n, node] : names) {
    if (n.empty()) {
      error(*node, "include = \"\": an empty file name");
      continue;
    }
    const std::string display = include_path(n);
    std::string canon = fs::weakly_canonical(display, ec).string();
    if (ec) canon = display;
    if (!seen.insert(canon).second) {
      error(*node, fmt::format("include = {}: this file is already read (the main file or an earlier include)", quote(n)));
      continue;
    }
    read_file(display, std::nullopt, where(*node), nullptr);
  }
}

load_result loader::run(const std::string& main_path, std::optional<std::string_view> main_text) {
  main_dir_ = fs::path(main_path).parent_path().string();
  std::vector<std::pair<std::string, location>> recovered;
  if (!read_file(main_path, main_text, std::nullopt, &recovered)) {
    // The main file does not parse: its includes (when they come before the error) are
    // still checked for syntax, so one run shows every file that needs a fix.
    std::set<std::string> seen;
    for (auto& [n, loc] : recovered)
      if (!n.empty() && seen.insert(include_path(n)).second) read_file(include_path(n), std::nullopt, loc, nullptr);
    return result();
  }
  read_includes(*files_[0].root, main_path);
  for (std::uint32_t i = 0; i < files_.size(); ++i) {
    if (!files_[i].root) continue;
    current_file_ = i;
    read_settings(*files_[i].root, i == 0);
  }
  current_file_ = 0;
  settle_settings();
  for (std::uint32_t i = 0; i < files_.size(); ++i) {
    if (!files_[i].root) continue;
    current_file_ = i;
    read_roster(*files_[i].root);
    files_[i].root.reset();  // the largest part of the peak memory of a big roster
  }
  current_file_ = 0;
  cross_check();
  return result();
}

// ---------------------------------------------------------------------------------------
// cross-references

namespace {

bool before(const location& a, const location& b) {
  return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
}

// Pairs (later, first) of the entries whose key repeats an earlier entry's (earlier by
// place; empty keys are ignored). By sorting hashes rather than filling a hash map, so
// 200,000 contacts cost one sort of small pairs and no allocation per key.
std::vector<std::pair<std::size_t, std::size_t>> repeats(
    const std::vector<std::pair<std::string_view, location>>& keys) {
  std::vector<std::pair<std::size_t, std::size_t>> hashed;  // (hash, index)
  hashed.reserve(keys.size());
  const std::hash<std::string_view> hash;
  for (std::size_t i = 0; i < keys.size(); ++i)
    if (!keys[i].first.empty()) hashed.emplace_back(hash(keys[i].first), i);
  std::sort(hashed.begin(), hashed.end());
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::vector<std::size_t> group;
  for (std::size_t a = 0; a < hashed.size();) {
    std::size_t b = a + 1;
    while (b < hashed.size() && hashed[b].first == hashed[a].first) ++b;
    // Within one hash (almost always one key): group equal keys, earliest place first.
    for (std::size_t i = a; i < b; ++i) {
      const std::size_t ki = hashed[i].second;
      if (ki == static_cast<std::size_t>(-1)) continue;
      group.assign(1, ki);
      for (std::size_t j = i + 1; j < b; ++j)
        if (hashed[j].second != static_cast<std::size_t>(-1) && keys[hashed[j].second].first == keys[ki].first) {
          group.push_back(hashed[j].second);
          hashed[j].second = static_cast<std::size_t>(-1);
        }
      if (group.size() < 2) continue;
      std::stable_sort(group.begin(), group.end(),
                       [&](std::size_t x, std::size_t y) { return before(keys[x].second, keys[y].second); });
      for (std::size_t g = 1; g < group.size(); ++g) out.emplace_back(group[g], group[0]);
    }
    a = b;
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

void loader::cross_check() {
  // Ids are unique within their kind; the first definition in include order wins.
  std::vector<std::pair<std::string_view, location>> keys;
  auto report_ids = [&](std::string_view what) {
    for (const auto& [later, first] : repeats(keys))
      error(keys[later].second, fmt::format("duplicate {} id \"{}\"; first defined at {}", what, keys[later].first,
                                            place(keys[first].second)));
    keys.clear();
  };
  keys.reserve(cfg_.units.size());
  for (std::size_t i = 0; i < cfg_.units.size(); ++i) keys.emplace_back(cfg_.units[i].id, unit_id_locs_[i]);
  report_ids("unit");
  std::size_t k = 0;
  for (std::size_t i = 0; i < cfg_.contacts.size(); ++i) keys.emplace_back(cfg_.contacts[i].id, contact_sides_[i].id);
  for (const auto& u : cfg_.units)
    for (const auto& c : u.contacts) keys.emplace_back(c.id, unit_contact_sides_[k++].id);
  report_ids("contact");
  for (std::size_t i = 0; i < cfg_.reports.size(); ++i) keys.emplace_back(cfg_.reports[i].id, report_id_locs_[i]);
  report_ids("report");

  build_indexes(cfg_);

  // A day cannot be both an extra day off and an extra working day.
  {
    std::unordered_map<std::int64_t, location> off;
    for (const auto& [d, loc] : days_off_locs_) off.emplace(d.time_since_epoch().count(), loc);
    for (const auto& [d, loc] : working_days_locs_) {
      auto it = off.find(d.time_since_epoch().count());
      if (it != off.end())
        error(loc, fmt::format("{} is also listed in days_off ({}); a day is either off or working", fmt_date(d),
                               place(it->second)));
    }
  }

  // A mobile number shared by two contacts: both get the SMS, and a reply from it
  // cannot say which of them answered.
  {
    std::vector<const contact*> owners;
    for (std::size_t i = 0; i < cfg_.contacts.size(); ++i)
      if (!cfg_.contacts[i].phone.empty()) {
        keys.emplace_back(cfg_.contacts[i].phone, contact_sides_[i].phone);
        owners.push_back(&cfg_.contacts[i]);
      }
    k = 0;
    for (const auto& u : cfg_.units)
      for (const auto& c : u.contacts) {
        if (!c.phone.empty()) {
          keys.emplace_back(c.phone, unit_contact_sides_[k].phone);
          owners.push_back(&c);
        }
        ++k;
      }
    for (const auto& [later, first] : repeats(keys))
      warning(keys[later].second, fmt::format("phone: the same number as contact \"{}\" ({}); both get its SMS and a "
                                              "reply cannot tell them apart",
                                              owners[first]->id, place(keys[first].second)));
    keys.clear();
  }
  keys.shrink_to_fit();

  if (!complete_) return;

  auto unit_ids = [&] {
    std::vector<std::string_view> v;
    v.reserve(cfg_.units.size());
    for (const auto& u : cfg_.units) v.push_back(u.id);
    return v;
  };
  auto unknown_unit = [&](std::string_view what, const std::string& id) {
    const std::string hint = closest(id, unit_ids());
    return hint.empty() ? fmt::format("{}unknown unit \"{}\"", what, id)
                        : fmt::format("{}unknown unit \"{}\"; did you mean \"{}\"?", what, id, hint);
  };

  for (const auto& ref : successor_refs_) {
    if (cfg_.units[ref.owner].id == ref.id) error(ref.where, fmt::format("successor_of: a unit cannot succeed itself"));
    else if (cfg_.find_unit(ref.id) == nullptr) error(ref.where, unknown_unit("successor_of: ", ref.id));
  }
  for (const auto& ref : coordinator_refs_) {
    const contact* c = cfg_.find_contact(ref.id);
    if (c == nullptr) {
      std::vector<std::string_view> cands;
      for (const auto& rc : cfg_.contacts) cands.push_back(rc.id);
      const std::string hint = closest(ref.id, cands);
      error(ref.where, hint.empty() ? fmt::format("coordinators: unknown contact \"{}\"", ref.id)
                                    : fmt::format("coordinators: unknown contact \"{}\"; did you mean \"{}\"?", ref.id, hint));
    } else if (c->unit >= 0) {
      error(ref.where, fmt::format("coordinators: \"{}\" is a contact of unit \"{}\"; name roster-wide contacts "
                                   "([[contacts]])",
                                   ref.id, cfg_.units[static_cast<std::size_t>(c->unit)].id));
    }
  }

  // Selectors: an unknown id is an error; a kind or tag that matches nothing a warning
  // (a unit of that kind may come later).
  {
    std::vector<std::string_view> kinds, tags;
    for (const auto& u : cfg_.units) {
      if (!u.kind.empty() && !contains(kinds, u.kind)) kinds.push_back(u.kind);
      for (const auto& t : u.tags)
        if (!contains(tags, t)) tags.push_back(t);
    }
    for (const auto& ref : selector_refs_) {
      const selector& s = ref.sel;
      if (s.kind == selector::kind_t::all) continue;
      const report& r = cfg_.reports[ref.report];
      const std::string text = fmt::format("{}{}:{}", s.negated ? "!" : "",
                                           s.kind == selector::kind_t::kind ? "kind"
                                           : s.kind == selector::kind_t::tag ? "tag"
                                                                              : "id",
                                           s.value);
      if (s.kind == selector::kind_t::id) {
        const unit* u = cfg_.find_unit(s.value);
        if (u == nullptr) {
          error(ref.where, unknown_unit(fmt::format("unit selector \"{}\": ", text), s.value));
        } else if (ref.in_override && !s.negated && !selected(r.units, *u)) {
          warning(ref.where, fmt::format("unit selector \"{}\": report \"{}\" does not cover this unit, and an "
                                         "override can only narrow its units",
                                         text, r.id));
        }
        continue;
      }
      const bool any =
          std::any_of(cfg_.units.begin(), cfg_.units.end(), [&](const unit& u) { return selector_matches(s, u); });
      if (any) continue;
      const std::string hint = closest(s.value, s.kind == selector::kind_t::kind ? kinds : tags);
      if (hint.empty())
        warning(ref.where, fmt::format("unit selector \"{}\" matches no unit", text));
      else
        warning(ref.where, fmt::format("unit selector \"{}\" matches no unit; did you mean \"{}{}:{}\"?", text,
                                       s.negated ? "!" : "", s.kind == selector::kind_t::kind ? "kind" : "tag", hint));
    }
  }

  // Roster-wide roles of grouped steps.
  for (const auto& ref : role_refs_) {
    const std::string_view role_id = std::string_view(ref.id).substr(1);
    const report& r = cfg_.reports[ref.owner];
    bool held = role_id == "coordinator" && !r.coordinators.empty();
    for (const auto& c : cfg_.contacts)
      if (std::find(c.roles.begin(), c.roles.end(), role_id) != c.roles.end()) held = true;
    if (held) continue;
    if (role_id == "coordinator" || role_id == "leader")
      warning(ref.where, fmt::format("to: no roster-wide contact ([[contacts]]) has the role \"{}\"; this step "
                                     "sends nothing",
                                     role_id));
    else
      error(ref.where, fmt::format("to: no roster-wide contact ([[contacts]]) has the role \"{}\"", role_id));
  }

  // Per unit: the roles the steps name, and the addresses their channels need.
  static constexpr std::array<std::string_view, 3> role_names{"focal", "head", "deputy"};
  std::vector<std::uint8_t> warned_role(cfg_.units.size(), 0);
  std::unordered_set<const contact*> warned_email, warned_phone;
  for (const auto& r : cfg_.reports) {
    std::array<bool, 3> role{}, role_email{}, role_sms{};
    for (const auto* steps : {&r.reminders, &r.escalation})
      for (const auto& s : *steps) {
        if (s.grouped) continue;
        for (const auto& role_name : s.to) {
          const auto ri = static_cast<std::size_t>(
              std::find(role_names.begin(), role_names.end(), role_name) - role_names.begin());
          if (ri >= role_names.size()) continue;
          role[ri] = true;
          for (channel c : s.channels) (c == channel::email ? role_email : role_sms)[ri] = true;
        }
      }
    if (std::none_of(role.begin(), role.end(), [](bool b) { return b; })) continue;
    for (std::size_t ui = 0; ui < cfg_.units.size(); ++ui) {
      const unit& u = cfg_.units[ui];
      if (!selected(r.units, u)) continue;
      for (std::size_t ri = 0; ri < role_names.size(); ++ri) {
        if (!role[ri]) continue;
        bool has = false;
        for (const auto& c : u.contacts) {
          if (std::find(c.roles.begin(), c.roles.end(), role_names[ri]) == c.roles.end()) continue;
          has = true;
          if (role_email[ri] && c.email.empty() && warned_email.insert(&c).second)
            warning(c.where, fmt::format("contact \"{}\" has no email; email steps to {} skip them", c.id, role_names[ri]));
          if (role_sms[ri] && c.phone.empty() && warned_phone.insert(&c).second)
            warning(c.where, fmt::format("contact \"{}\" has no mobile phone; SMS steps to {} skip them", c.id,
                                         role_names[ri]));
        }
        if (!has && !(warned_role[ui] & (1u << ri))) {
          warned_role[ui] = static_cast<std::uint8_t>(warned_role[ui] | (1u << ri));
          warning(u.where, fmt::format("unit \"{}\" has no contact with role \"{}\"; steps to {} send it nothing", u.id,
                                       role_names[ri], role_names[ri]));
        }
      }
    }
  }

  // Only worth saying once the roster is otherwise right.
  if (main_empty_ || error_count_ > 0) return;
  if (cfg_.units.empty()) warning(location{0, 0, 0}, "no [[units]] in the roster: there is nobody to remind");
  if (cfg_.reports.empty()) warning(location{0, 0, 0}, "no [[reports]] in the roster: there is nothing to track");
}

void build_indexes(config& cfg) { cfg.reindex(); }

load_result loader::result() {
  load_result out;
  auto order = [&](const location& l) {
    const std::uint64_t file = (l.file & extra_file_bit) ? files_.size() + (l.file & ~extra_file_bit) : l.file;
    return std::tuple(file, l.line, l.column);
  };
  std::stable_sort(diags_.begin(), diags_.end(),
                   [&](const raw_diag& a, const raw_diag& b) { return order(a.where) < order(b.where); });
  out.diagnostics.reserve(diags_.size());
  for (auto& d : diags_) {
    diagnostic dg;
    dg.severity = d.sev;
    dg.file = (d.where.file & extra_file_bit) ? extra_files_[d.where.file & ~extra_file_bit] : files_[d.where.file].name;
    dg.line = d.where.line;
    dg.column = d.where.column;
    dg.message = std::move(d.message);
    out.diagnostics.push_back(std::move(dg));
  }
  if (error_count_ > 0) return out;
  for (const auto& f : files_) cfg_.files.push_back(f.name);
  if (cfg_.service.secrets_dir.empty()) {
    if (opts_.credentials_directory) cfg_.service.secrets_dir = *opts_.credentials_directory;
    else if (const char* cd = std::getenv("CREDENTIALS_DIRECTORY")) cfg_.service.secrets_dir = cd;
  }
  // Relative directories are read from the main file's directory, like includes.
  auto anchor = [&](std::string& dir) {
    if (!dir.empty() && fs::path(dir).is_relative()) dir = (fs::path(main_dir_) / dir).lexically_normal().string();
  };
  anchor(cfg_.service.state_dir);
  anchor(cfg_.service.secrets_dir);
  anchor(cfg_.channels.outbox.dir);
  if (cfg_.channels.outbox.dir.empty()) cfg_.channels.outbox.dir = (fs::path(cfg_.service.state_dir) / "outbox").string();
  // Shipped schedules fill the years the operator's data does not cover.
  if (opts_.builtin_schedules)
    for (const auto& ys : builtin_year_schedules()) cfg_.calendar.schedules.emplace(ys.year, ys);
  auto sort_unique = [](std::vector<sys_days>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  sort_unique(cfg_.calendar.days_off);
  sort_unique(cfg_.calendar.working_days);
  // The indexes (built by cross_check) hold string_views into the config's strings. A
  // move keeps them valid: moved vectors and maps hand over their buffers and nodes, so
  // no string moves (an SSO string lives inside its element, in the same buffer).
  out.cfg = std::make_shared<config>(std::move(cfg_));
  return out;
}

}  // namespace detail

load_result load(const std::string& path, const load_options& opts) {
  detail::loader l(opts);
  return l.run(path, std::nullopt);
}

load_result load_text(std::string_view text, const std::string& name, const load_options& opts) {
  detail::loader l(opts);
  return l.run(name, text);
}

}  // namespace dondoc::config
