// dondocd: reads the roster, reminds, records, escalates. Foreground, logs to stderr
// (journald adds timestamps), Type=notify. SIGHUP reloads; SIGTERM stops gracefully.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>

#include "daemon/service.hpp"

int main(int argc, char** argv) {
  dondoc::daemon::service_options opts;
  std::string level = "info";
  CLI::App cli{"dondocd — the dondoc daemon"};
  cli.set_version_flag("--version", DONDOC_VERSION_STRING);
  cli.add_option("--config", opts.config_path, "Configuration file")->capture_default_str();
  cli.add_option("--state-dir", opts.state_dir, "Override [service] state_dir");
  cli.add_option("--log-level", level, "trace, debug, info, warn, error")->capture_default_str();
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;
  }
  auto logger = spdlog::stderr_logger_mt("dondocd");
  logger->set_pattern("%l: %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);

  boost::asio::io_context io(1);
  dondoc::daemon::service svc(io, opts);
  try {
    svc.start();
  } catch (const dondoc::daemon::startup_error& e) {
    for (const auto& line : e.lines) spdlog::error("{}", line);
    spdlog::error("dondocd did not start");
    return 1;
  } catch (const std::exception& e) {
    spdlog::error("dondocd did not start: {}", e.what());
    return 1;
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        spdlog::info("SIGHUP: reloading");
        svc.reload();
        wait_signal();
        return;
      }
      spdlog::info("{}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      svc.stop([&] {
        signals.cancel();
        io.stop();  // everything is closed and recorded by now; drop what curl may still hold
      });
    });
  };
  wait_signal();
  io.run();
  return 0;
}
