// Builds the transports of a configuration; see channels.hpp.
#include "notifiers/channels.hpp"

namespace dondoc::notifiers {

channel_set::channel_set(boost::asio::io_context& io, const config::config& cfg, const channel_options& opts) {
  outbox_ = std::make_unique<file_outbox>(opts.outbox_dir.empty() ? cfg.channels.outbox.dir : opts.outbox_dir);
  if (opts.outbox_only) return;
  if (cfg.channels.email) {
    smtp_options so;
    so.ca_file = opts.ca_file;
    smtp_ = std::make_unique<smtp_transport>(io, *cfg.channels.email, cfg.service.secrets_dir, so);
  }
  if (cfg.channels.sms) {
    gateway_options go;
    go.secrets_dir = cfg.service.secrets_dir;
    go.public_url = cfg.service.public_url;
    go.ca_file = opts.ca_file;
    sms_ = make_sms_gateway(io, *cfg.channels.sms, go);
  }
}

channel_set::~channel_set() { shutdown(); }

void channel_set::shutdown() {
  if (smtp_) smtp_->shutdown();
  if (sms_) sms_->shutdown();
}

}  // namespace dondoc::notifiers
