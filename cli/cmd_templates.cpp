// `dondoc templates`: every SMS template exactly as it must be registered with the
// operators — operators deliver only texts that match a registered template, so what
// this prints and what the daemon sends come from the same notifiers::sms_templates().
// Built-ins are shown unless the roster replaces them ([[sms_templates]] of the same id).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "notifiers/sms_text.hpp"

namespace dondoc::cli {
namespace {

std::string_view meaning(std::string_view name) {
  for (const auto& p : notifiers::sms_placeholders())
    if (p.name == name) return p.meaning;
  return {};
}

void print_text(const std::vector<notifiers::sms_template_spec>& ts, bool builtins_only) {
  std::string out = "# Mẫu tin nhắn SMS cần đăng ký với nhà mạng: nội dung đúng nguyên văn (không dấu),\n"
                    "# mỗi {tham số} được thay bằng giá trị không dấu, không dài hơn mức tối đa.\n";
  if (builtins_only) out += "# (chỉ các mẫu có sẵn: không đọc được tệp cấu hình)\n";
  for (const auto& t : ts) {
    out += fmt::format("\n[{}] {}\n", t.id, t.builtin ? "mẫu có sẵn" : "mẫu trong cấu hình, " + t.origin);
    out += fmt::format("nội dung: {}\n", t.text);
    for (const auto& name : t.placeholders)
      out += fmt::format("  {{{}}} tối đa {} ký tự: {}\n", name, t.max.at(name), meaning(name));
    out += fmt::format("độ dài: tối đa {} / {} ký tự ({} tin)\n", t.max_length, t.limit(), t.parts);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void print_json(const std::vector<notifiers::sms_template_spec>& ts) {
  for (const auto& t : ts) {
    nlohmann::ordered_json j;
    j["id"] = t.id;
    j["builtin"] = t.builtin;
    j["origin"] = t.origin;
    j["text"] = t.text;
    auto ps = nlohmann::ordered_json::array();
    for (const auto& name : t.placeholders) ps.push_back({{"name", name}, {"max", t.max.at(name)}});
    j["placeholders"] = std::move(ps);
    j["max_length"] = t.max_length;
    j["limit"] = t.limit();
    j["parts"] = t.parts;
    std::printf("%s\n", j.dump().c_str());
  }
}

}  // namespace

void add_templates(CLI::App& app, registry& reg) {
  auto* cmd = app.add_subcommand("templates", "Print the SMS templates to register with the operators");
  auto path = std::make_shared<std::string>(default_config_path);
  auto format = std::make_shared<std::string>("text");
  auto* opt = cmd->add_option("--config", *path, "Configuration file")->capture_default_str();
  cmd->add_option("--format", *format, "text or json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  reg.add(cmd, [path, format, opt] {
    std::shared_ptr<const config::config> cfg;
    // Without --config and without the default file, the built-ins alone are printed.
    const bool builtins_only = opt->count() == 0 && !std::filesystem::exists(*path);
    if (!builtins_only) {
      cfg = load_or_report(*path);
      if (!cfg) return static_cast<int>(exit_invalid);
    }
    const auto ts = notifiers::sms_templates(cfg.get());
    if (*format == "json") print_json(ts);
    else print_text(ts, builtins_only);
    return static_cast<int>(exit_ok);
  });
}

}  // namespace dondoc::cli
