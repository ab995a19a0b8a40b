// ThreadSanitizer and Debian's gRPC: libgrpc.so is not built with
// -fsanitize=thread, so TSan never sees how a batch of operations started on
// one thread (grpc_call_start_batch) reaches the thread that runs its
// completion: the call combiner, the transport and the callback completion
// queue hand it over with atomics inside libgrpc. The operation sets, tags
// and messages on both sides are written by grpcpp's inline code (compiled
// into our binaries, so instrumented): CallOpSet::FillOps and
// ServerUnaryReactor::Finish on the starting thread, CallOpSet::
// FinalizeResult, CallbackWithSuccessTag::Run and CallbackWithStatusTag::Run
// on the completing one. Without the edge, every such pair looks raced (the
// integration tests reported them by the dozen: in the gRPC server's Finish
// from a ledger worker or the ledger-complete thread, and in a client's
// callback call).
//
// This file adds the edge a TSan-built libgrpc would have: before a batch is
// started the tag is released (__tsan_release), and a callback completion
// queue's functor acquires it (__tsan_acquire) before it runs. The functor
// is gRPC's own CallbackWithSuccessTag or CallbackWithStatusTag; its
// functor_run is pointed at a trampoline that acquires and then calls the
// original. Blocking calls complete through grpc_completion_queue_pluck,
// which acquires the tag it returns.
//
// A server call's end has the same gap: when the last of its callbacks
// drops the call's count (ServerCallbackCall::MaybeDone, inline in our
// binary), libgrpc++ sends CallOnDone to gRPC's executor thread, which runs
// the reactor's OnDone and destroys the call's tags. That hand-over is
// libgrpc's too, so a callback still reading its tag on the first thread
// and the destructor on the executor looked raced (SimulateTest.
// ACancelledSimulationStopsAndFreesItsPlace: CallbackWithSuccessTag::Run
// against ~ServerCallbackWriterImpl). Here ScheduleOnDone is replaced:
// it first acquires the call's count of outstanding callbacks (which every
// callback run by our binary dropped with an instrumented atomic), then
// CallOnDone runs on one thread of this file, handed over under a
// std::mutex that TSan sees. A reactor's OnCancel goes the same way.
//
// Linked only into TSan builds, like absl_sync_annotations.cc (same
// interposition: the executable's definition wins, also for libgrpc++'s
// calls). Our code is still checked: only the hand-over inside libgrpc is
// made visible, which is what gRPC guarantees (a batch's completion runs
// after the batch was started).
#include <dlfcn.h>
#include <grpc/grpc.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

extern "C" {
void __tsan_acquire(void* address);
void __tsan_release(void* address);
}

namespace {

using FunctorRun = void (*)(grpc_completion_queue_functor*, int);

void* Real(const char* name) {
  void* function = dlsym(RTLD_NEXT, name);
  if (function == nullptr) {
    std::fprintf(stderr, "grpc_annotations: %s not found\n", name);
    std::abort();
  }
  return function;
}

// The originals, one slot per distinct StaticRun seen (gRPC has two).
constexpr int kSlots = 4;
std::atomic<FunctorRun> originals[kSlots];

template <int N>
void AcquireThenRun(grpc_completion_queue_functor* functor, int ok) {
  __tsan_acquire(functor);
  originals[N].load(std::memory_order_acquire)(functor, ok);
}

constexpr FunctorRun kTrampolines[kSlots] = {
    &AcquireThenRun<0>, &AcquireThenRun<1>, &AcquireThenRun<2>,
    &AcquireThenRun<3>};

bool IsTrampoline(FunctorRun run) {
  for (FunctorRun trampoline : kTrampolines) {
    if (run == trampoline) return true;
  }
  return false;
}

// True when `run` is gRPC's CallbackWith{Success,Status}Tag::StaticRun,
// which marks `tag` as a callback completion queue's functor.
bool IsCallbackTagRun(FunctorRun run) {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(run), &info) == 0) return false;
  if (info.dli_sname == nullptr) return false;
  return std::strstr(info.dli_sname, "grpc8internal") != nullptr &&
         std::strstr(info.dli_sname,
                     "Tag9StaticRunEP29grpc_completion_queue_"
                     "functori") != nullptr;
}

// The trampoline of `run`, taking a free slot the first time it is seen;
// null when the slots are full (the edge is then not added).
FunctorRun TrampolineOf(FunctorRun run) {
  for (int i = 0; i < kSlots; ++i) {
    FunctorRun seen = originals[i].load(std::memory_order_acquire);
    if (seen == run) return kTrampolines[i];
    if (seen == nullptr && originals[i].compare_exchange_strong(
                               seen, run, std::memory_order_acq_rel)) {
      return kTrampolines[i];
    }
    if (seen == run) return kTrampolines[i];  // another thread just took it
  }
  return nullptr;
}

// Every tag grpcpp passes is an object; a callback tag starts with a
// grpc_completion_queue_functor whose functor_run is a StaticRun.
void WrapCallbackTag(void* tag) {
  if (tag == nullptr ||
      reinterpret_cast<uintptr_t>(tag) % alignof(void*) != 0) {
    return;
  }
  auto* functor = static_cast<grpc_completion_queue_functor*>(tag);
  const FunctorRun run = functor->functor_run;
  if (run == nullptr || IsTrampoline(run) || !IsCallbackTagRun(run)) return;
  if (FunctorRun trampoline = TrampolineOf(run))
    functor->functor_run = trampoline;
}

// libgrpc++'s own ScheduleOnDone; with `inline_ondone` true it runs
// CallOnDone on the calling thread.
using ScheduleOnDoneFn = void (*)(grpc::internal::ServerCallbackCall*, bool);

ScheduleOnDoneFn RealScheduleOnDone() {
  static const auto real = reinterpret_cast<ScheduleOnDoneFn>(
      Real("_ZN4grpc8internal18ServerCallbackCall14ScheduleOnDoneEb"));
  return real;
}

// One thread that runs the calls' ends (and their cancels) in the order they
// were handed over.
// Made once and never destroyed: gRPC may end a call while the process
// exits.
class OnDoneThread {
 public:
  OnDoneThread() {
    std::thread([this] { Run(); }).detach();
  }

  void Post(std::function<void()> work) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      work_.push_back(std::move(work));
    }
    ready_.notify_one();
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> work;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !work_.empty(); });
        work = std::move(work_.front());
        work_.pop_front();
      }
      work();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> work_;
};

OnDoneThread& OnDoneRunner() {
  static auto* runner = new OnDoneThread;
  return *runner;
}

}  // namespace

namespace grpc::internal {

void ServerCallbackCall::ScheduleOnDone(bool inline_ondone) {
  // The count's last drop may come from libgrpc++ itself (the context's
  // completion op, on a cancel), uninstrumented; this load acquires every
  // drop grpcpp's inline code made, after each callback it ran.
  (void)callbacks_outstanding_.load(std::memory_order_acquire);
  if (inline_ondone) {
    RealScheduleOnDone()(this, true);
    return;
  }
  OnDoneRunner().Post([this] { RealScheduleOnDone()(this, true); });
}

// Upstream runs a reactor's OnCancel on gRPC's executor and drops the
// call's count after it inside libgrpc++ (uninstrumented), so OnCancel's
// writes looked raced with OnDone's delete. The same steps, here, with the
// drop made by our (instrumented) copy of MaybeDone.
void ServerCallbackCall::CallOnCancel(ServerReactor* reactor) {
  // The last of the two conditions may be dropped by libgrpc++ (the
  // context's completion op), uninstrumented; this load acquires the other,
  // dropped by grpcpp's inline code once the reactor was made.
  (void)on_cancel_conditions_remaining_.load(std::memory_order_acquire);
  if (reactor->InternalInlineable()) {
    reactor->OnCancel();
    return;
  }
  Ref();  // the call outlives the cancel; dropped after it
  OnDoneRunner().Post([this, reactor] {
    reactor->OnCancel();
    MaybeDone();
  });
}

}  // namespace grpc::internal

extern "C" {

grpc_call_error grpc_call_start_batch(grpc_call* call, const grpc_op* ops,
                                      size_t nops, void* tag, void* reserved) {
  using Start =
      grpc_call_error (*)(grpc_call*, const grpc_op*, size_t, void*, void*);
  static auto real = reinterpret_cast<Start>(Real("grpc_call_start_batch"));
  WrapCallbackTag(tag);
  __tsan_release(tag);
  return real(call, ops, nops, tag, reserved);
}

grpc_event grpc_completion_queue_pluck(grpc_completion_queue* cq, void* tag,
                                       gpr_timespec deadline, void* reserved) {
  using Pluck =
      grpc_event (*)(grpc_completion_queue*, void*, gpr_timespec, void*);
  static auto real =
      reinterpret_cast<Pluck>(Real("grpc_completion_queue_pluck"));
  const grpc_event event = real(cq, tag, deadline, reserved);
  if (event.type == GRPC_OP_COMPLETE) __tsan_acquire(event.tag);
  return event;
}

}  // extern "C"
