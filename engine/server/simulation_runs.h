// One what-if simulation (Program.SimulateRules) at a time, whichever door
// asked for it (the gRPC stream in simulate_service.cc, the JSON-lines
// stream in http_streams.cc). A simulation reads the whole journal, so it
// runs on a reader thread (reader_pool.h), never on the ledger's writer;
// the door streams its progress. Thread-safe.
#ifndef LOYALTY_ENGINE_SERVER_SIMULATION_RUNS_H_
#define LOYALTY_ENGINE_SERVER_SIMULATION_RUNS_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "engine/program/operations.h"
#include "engine/server/call_log.h"
#include "engine/server/reader_pool.h"

namespace loyalty::server {

class SimulationRuns {
 public:
  using Progress =
      std::function<void(const v1::SimulateRulesResponse& progress)>;
  using End = std::function<void(absl::Status status)>;

  // Not owned; both must outlive this object.
  SimulationRuns(program::Operations* operations, ReaderPool* readers)
      : operations_(operations), readers_(readers) {}
  SimulationRuns(const SimulationRuns&) = delete;
  SimulationRuns& operator=(const SimulationRuns&) = delete;

  // For a stop of the server: a simulation in progress ends at its next
  // page with UNAVAILABLE (SERVER_STOPPING), and no new one starts.
  void Stop();

  // Starts `request`, narrowed to `partner_id` (the call's scope), on a
  // reader thread, logged to `log`: `progress` gets the figures after each
  // page, the last with the report, then `end` the status, once; both on
  // the reader thread. `stop` (the caller's: a cancelled call) ends it at
  // its next page with CANCELLED. Refused at once (logged and returned,
  // neither callback called) with UNAVAILABLE (SERVER_STOPPING) once
  // stopping or when the reader pool is full, or FAILED_PRECONDITION
  // (SIMULATION_RUNNING) while another simulation runs.
  absl::Status Start(const v1::SimulateRulesRequest& request,
                     std::string partner_id, CallLog log,
                     std::shared_ptr<std::atomic<bool>> stop, Progress progress,
                     End end);

 private:
  absl::StatusOr<ReaderPool::Slot> Claim(
      std::shared_ptr<std::atomic<bool>> stop);

  program::Operations* const operations_;
  ReaderPool* const readers_;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  // The stop of the simulation in progress; nullptr when none runs.
  std::shared_ptr<std::atomic<bool>> running_stop_ ABSL_GUARDED_BY(mu_);
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_SIMULATION_RUNS_H_
