// See fuzz_app.hpp. The roster mirrors tests/replies/email_route_test.cpp's, with SMS.
#include "fuzz_app.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "config/config.hpp"
#include "daemon/routes.hpp"
#include "tests/support/fixtures.hpp"

namespace dondoc::fuzz {
namespace {

using test_support::vn;

std::string roster(const std::string& dir, provider p) {
  const std::string sms =
      p == provider::esms
          ? "[channels.sms]\nprovider = \"esms\"\napi_key_file = \"esms-api-key\"\nsecret_key_file = "
            "\"esms-secret-key\"\nbrandname = \"SNV-QNGAI\"\nreply_number = \"8077\"\nmo_keyword = \"SNV\"\n"
            "mo_secret_file = \"sms-mo-secret\"\n"
          : "[channels.sms]\nprovider = \"http\"\nurl = \"http://127.0.0.1:9/send\"\n"
            "body = '{\"to\": \"{to}\", \"text\": \"{text}\", \"key\": \"{key}\"}'\nreply_number = \"8077\"\n"
            "mo_secret_file = \"sms-mo-secret\"\n";
  return fmt::format(R"([service]
timezone = "Asia/Ho_Chi_Minh"
state_dir = "{0}"
secrets_dir = "{0}/secrets"
public_url = "https://dondoc.snv.example"

[sending]
office_hours = ["07:30-17:00"]
sms_per_recipient_per_day = 50

[calendar]
weekend = ["saturday", "sunday"]
holidays = "none"

[channels.email]
url = "smtp://127.0.0.1:2525"
tls = "none"
from = "Sở Nội vụ tỉnh Quảng Ngãi <dondoc@snv.example>"
reply_to = "dondoc-replies@snv.example"

{1}
[[contacts]]
id = "coord"
name = "Nguyễn Thị Lan"
email = "lan.nt@snv.example"
roles = ["coordinator"]

[[units]]
id = "so-tai-chinh"
name = "Sở Tài chính"
kind = "so"
[[units.contacts]]
id = "stc-binh"
name = "Trần Văn Bình"
roles = ["focal"]
email = "binh.tv@stc.example"
phone = "0912000002"
[[units.contacts]]
id = "stc-cuc"
name = "Lê Thị Cúc"
roles = ["head"]
email = "cuc.lt@stc.example"
phone = "0912000003"

[[units]]
id = "so-y-te"
name = "Sở Y tế"
kind = "so"
[[units.contacts]]
id = "syt-hoa"
name = "Phạm Thị Hoa"
roles = ["focal"]
email = "hoa.pt@syt.example"
phone = "0912000004"

[[units]]
id = "ubnd-ba-to"
name = "UBND huyện Ba Tơ"
kind = "huyen"
[[units.contacts]]
id = "bt-nam"
name = "Đinh Văn Nam"
roles = ["focal", "head"]
email = "nam.dv@bato.example"
phone = "0912000005"

[[units]]
id = "so-noi-vu"
name = "Sở Nội vụ"
kind = "so"
[[units.contacts]]
id = "snv-an"
name = "Võ Văn An"
roles = ["focal"]
phone = "0912000006"

[[reports]]
id = "kl43"
title = "Báo cáo 6 tháng kết quả thực hiện Kết luận số 43-KL/TW"
units = ["all"]
deadline = {{ date = 2026-12-11 }}
reminders = [
  {{ before = "5wd", to = ["focal"], channels = ["email", "sms"], repeat = {{ every = "4h", max = 1 }} }},
  {{ before = "2wd", to = ["focal"], channels = ["email", "sms"] }},
  {{ before = "0wd", to = ["focal"], channels = ["email", "sms"] }},
]
escalation = [
  {{ after = "1wd", to = ["head"], channels = ["email", "sms"] }},
  {{ after = "2wd", to = ["@coordinator"], channels = ["email"] }},
]
)",
                     dir, sms);
}

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text << '\n';
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string hex(const unsigned char* d, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", d[i]);
  return out;
}

// The fuzz targets keep their apps for the whole process (never destroyed, as libFuzzer
// exits without unwinding): their directories are removed when the process exits.
struct directory_sweeper {
  std::vector<std::filesystem::path> dirs;
  ~directory_sweeper() {
    for (const auto& d : dirs) {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  }
};

}  // namespace

fuzz_app::fuzz_app(provider p) : provider_(p) {
  const std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  dir_ = base / fmt::format("dondoc-fuzz-{}-{}", getpid(), p == provider::esms ? "esms" : "http");
  static directory_sweeper sweeper;
  sweeper.dirs.push_back(dir_);
  mo_secret = "mo-secret-for-the-fuzzer";
  open();
}

fuzz_app::~fuzz_app() { close(); }

void fuzz_app::close() {
  handler = nullptr;
  batcher_.reset();
  env_.reset();  // the engine, the store, then the directory
}

void fuzz_app::reset() {
  close();
  app = daemon::app_state{};
  codes.clear();
  keys.clear();
  provider_ids.clear();
  tokens.clear();
  open();
}

void fuzz_app::open() {
  env_ = std::make_unique<test_support::app_env>(dir_, 7, std::string(32, 'k'));
  std::filesystem::create_directories(dir_ / "secrets");
  write_file(dir_ / "secrets" / "sms-mo-secret", mo_secret);
  write_file(dir_ / "secrets" / "esms-api-key", "api-key");
  write_file(dir_ / "secrets" / "esms-secret-key", "secret-key");
  config::load_options lo;
  lo.credentials_directory = (dir_ / "secrets").string();
  auto res = config::load_text(roster(dir_.string(), provider_), (dir_ / "dondoc.toml").string(), lo);
  if (!res.ok()) {
    std::string all;
    for (const auto& d : res.diagnostics) all += config::format(d) + "\n";
    throw std::runtime_error("the fuzz roster does not load:\n" + all);
  }
  env_->start(res.cfg);
  batcher_ = std::make_unique<daemon::write_batcher>([this] {
    if (on_write) on_write();
  });
  env_->reconcile(vn(2026, 12, 1, 8, 0));
  int n = 0;
  env_->send_due_with(vn(2026, 12, 4, 7, 31), [&](const daemon::job& j) {
    const notifiers::send_result sent{notifiers::outcome::ok, "", fmt::format("test-{:06d}", ++n), std::nullopt};
    provider_ids.push_back(sent.provider_id);
    keys.push_back(j.row.key);
    tokens.push_back(env_->token(j.row));
    return sent;
  });
  if (auto occ = env_->st->occurrence_by_name("kl43@2026-12-11"))
    for (const auto& it : env_->st->items_of_occurrence(occ->id)) codes.push_back(it.reply_code);
  if (codes.empty() || keys.empty()) throw std::runtime_error("the fuzz store has no items or rows");
  now = vn(2026, 12, 4, 9, 0);
  app.config_path = (dir_ / "dondoc.toml").string();
  env_->wire(app);
  app.writes = batcher_.get();
  app.clock = [this] { return now; };
  app.health.ready = true;
  handler = daemon::make_public_handler(app);
}

bool fuzz_app::run_writes() { return batcher_->run(*env_->st, now); }

std::string substitute(std::string_view in, const fuzz_app& a) {
  std::string out;
  out.reserve(in.size() + 32);
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '@' && i + 1 < in.size()) {
      const char kind = in[i + 1];
      const std::vector<std::string>* list = kind == 'C' ? &a.codes
                                             : kind == 'K' ? &a.keys
                                             : kind == 'P' ? &a.provider_ids
                                             : kind == 'T' ? &a.tokens
                                                           : nullptr;
      if (list != nullptr && !list->empty()) {
        const std::size_t pick = i + 2 < in.size() ? static_cast<unsigned char>(in[i + 2]) % list->size() : 0;
        out += (*list)[pick];
        i += i + 2 < in.size() ? 2 : 1;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

std::string esms_sign(const std::string& middle, const std::string& cpid, const std::string& smsid,
                      const std::string& receiver_time, const std::string& key) {
  const std::string msg = cpid + smsid + middle + receiver_time + key;
  unsigned char d[16];
  unsigned int len = 0;
  EVP_Digest(msg.data(), msg.size(), d, &len, EVP_md5(), nullptr);
  return hex(d, len);
}

std::string hmac_sha256_hex(const std::string& key, const std::string& body) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(body.data()),
       body.size(), out, &len);
  return hex(out, len);
}

}  // namespace dondoc::fuzz
