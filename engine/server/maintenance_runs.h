// One maintenance run (Program.RunExpiry) at a time, whichever door asked
// for it (the gRPC stream in expiry_service.cc, the JSON-lines stream in
// http_streams.cc). A run reads every member, so it goes on a thread of its
// own; the door streams its progress. Thread-safe.
#ifndef LOYALTY_ENGINE_SERVER_MAINTENANCE_RUNS_H_
#define LOYALTY_ENGINE_SERVER_MAINTENANCE_RUNS_H_

#include <atomic>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "engine/program/operations.h"
#include "engine/server/call_log.h"

namespace loyalty::server {

class MaintenanceRuns {
 public:
  using Progress = std::function<void(const v1::RunExpiryResponse& figures)>;
  using End = std::function<void(absl::Status status)>;

  // Not owned; must outlive this object.
  explicit MaintenanceRuns(program::Operations* operations)
      : operations_(operations) {}
  MaintenanceRuns(const MaintenanceRuns&) = delete;
  MaintenanceRuns& operator=(const MaintenanceRuns&) = delete;
  // Stops a run in progress and waits for it.
  ~MaintenanceRuns();

  // For a stop of the server: a run in progress ends at its next page of
  // members with UNAVAILABLE (SERVER_STOPPING; what it wrote stays written,
  // the next run does the rest), and no new run starts.
  void Stop() { stopping_ = true; }

  // Starts a run of `request` on a thread of its own, logged to `log`:
  // `progress` gets the figures after each page, then `end` the run's
  // status, once, both on the run's thread. Refused at once (logged and
  // returned, neither callback called) with UNAVAILABLE (SERVER_STOPPING)
  // once stopping, or FAILED_PRECONDITION (EXPIRY_RUNNING) while another
  // run goes on.
  absl::Status Start(const v1::RunExpiryRequest& request, CallLog log,
                     Progress progress, End end);

 private:
  program::Operations* const operations_;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  std::thread run_thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_MAINTENANCE_RUNS_H_
