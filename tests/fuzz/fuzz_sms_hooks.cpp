// The SMS gateway hooks (/hooks/sms/esms and /hooks/sms/http): the public handler of
// daemon/routes.cpp, unchanged, over a real store (fuzz_app), for incoming replies (MO)
// and delivery reports. Input: a flag byte, then the payload with @C/@K/@P/@T markers for
// a real reply code, row key, provider id or link token (fuzz_app.hpp).
//   bit 0: the generic provider (JSON body, HMAC header) instead of eSMS (query string)
//   bit 1: sign the request correctly, as the gateway would (else: as sent)
//   bit 2: eSMS: POST the query as a form body instead of GET
// The signing is what lets the fuzzer past the signature check, into the parsing and
// the routing behind it. Properties: the handler answers exactly once, with one of the
// statuses it documents; never 500 (an exception inside the handler).
#include <cstddef>
#include <cstdint>
#include <string>

#include <spdlog/spdlog.h>

#include "fuzz_app.hpp"
#include "fuzz_check.hpp"
#include "web/http.hpp"

using namespace dondoc;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz::fuzz_app* esms = [] {
    spdlog::set_level(spdlog::level::critical);
    return new fuzz::fuzz_app(fuzz::provider::esms);
  }();
  static fuzz::fuzz_app* http = new fuzz::fuzz_app(fuzz::provider::http);
  static std::uint64_t runs = 0;
  if (size == 0) return 0;
  if (++runs % 50000 == 0) {
    esms->reset();
    http->reset();
  }
  const std::uint8_t flags = data[0];
  fuzz::fuzz_app& a = (flags & 1) != 0 ? *http : *esms;
  const std::string payload =
      fuzz::substitute(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), a);

  web::request req;
  req.peer = "127.0.0.1";
  if ((flags & 1) != 0) {
    req.method = "POST";
    req.target = req.path = "/hooks/sms/http";
    req.body = payload;
    req.headers.emplace_back("content-type", "application/json");
    if ((flags & 2) != 0) req.headers.emplace_back("x-dondoc-signature", "sha256=" + fuzz::hmac_sha256_hex(a.mo_secret, payload));
  } else {
    std::string query = payload;
    if ((flags & 2) != 0) {
      auto q = web::parse_query(payload);
      auto get = [&](const char* k) { return q.count(k) ? q.at(k) : std::string(); };
      const std::string middle =
          q.count("content") ? get("content") : (!get("SendStatus").empty() ? get("SendStatus") : get("status"));
      q["sign"] = fuzz::esms_sign(middle, get("cpid"), get("smsid"), get("receiverTime"), a.mo_secret);
      query.clear();
      for (const auto& [k, v] : q) query += (query.empty() ? "" : "&") + web::url_encode(k) + "=" + web::url_encode(v);
    }
    req.path = "/hooks/sms/esms";
    if ((flags & 4) != 0) {
      req.method = "POST";
      req.target = req.path;
      req.body = query;
      req.headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    } else {
      req.method = "GET";
      req.target = req.path + "?" + query;
      req.query = web::parse_query(query);
    }
  }
  int answers = 0, status = 0;
  a.handler(std::move(req), [&](web::response r) {
    ++answers;
    status = r.status;
  });
  a.run_writes();
  FUZZ_CHECK(answers == 1, "the handler answers exactly once");
  FUZZ_CHECK(status == 200 || status == 400 || status == 403 || status == 404 || status == 413 || status == 503,
             "a documented status (not 500: an exception escaped into the handler)");
  return 0;
}
