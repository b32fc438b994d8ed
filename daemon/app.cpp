#include "daemon/app.hpp"

#include <spdlog/spdlog.h>

namespace dondoc::daemon {

void write_batcher::submit(work_fn work, done_fn done) {
  queue_.emplace_back(std::move(work), std::move(done));
  if (!scheduled_) {
    scheduled_ = true;
    schedule_();
  }
}

bool write_batcher::run(store::store& st, sys_seconds now) {
  scheduled_ = false;
  if (queue_.empty()) return true;
  auto batch = std::move(queue_);
  queue_.clear();
  bool committed = false;
  try {
    store::transaction tx(st.db());
    for (auto& [work, done] : batch) {
      (void)done;
      work(now);
    }
    tx.commit();
    committed = true;
  } catch (const std::exception& e) {
    spdlog::error("a batch of {} changes could not be committed: {}", batch.size(), e.what());
  }
  for (auto& [work, done] : batch)
    if (done) done(committed);
  return committed;
}

}  // namespace dondoc::daemon
