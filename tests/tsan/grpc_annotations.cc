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
// from the ledger-complete thread, and in a client's callback call).
//
// This file adds the edge a TSan-built libgrpc would have: before a batch is
// started the tag is released (__tsan_release), and a callback completion
// queue's functor acquires it (__tsan_acquire) before it runs. The functor
// is gRPC's own CallbackWithSuccessTag or CallbackWithStatusTag; its
// functor_run is pointed at a trampoline that acquires and then calls the
// original. Blocking calls complete through grpc_completion_queue_pluck,
// which acquires the tag it returns.
//
// Linked only into TSan builds, like absl_sync_annotations.cc (same
// interposition: the executable's definition wins, also for libgrpc++'s
// calls). Our code is still checked: only the hand-over inside libgrpc is
// made visible, which is what gRPC guarantees (a batch's completion runs
// after the batch was started).
#include <dlfcn.h>
#include <grpc/grpc.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

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

// A server reactor's OnCancel and OnDone. grpc::internal::
// ServerCallbackCall::CallOnCancel and ScheduleOnDone (libgrpc++) run them,
// for a reactor that is not inlineable (none of ours is), in a closure they
// hand grpc_core::Executor::Run (libgrpc), on an executor thread: the
// reactor reaches that thread through libgrpc's queue. Without the edge,
// OnCancel looked raced with the reactor's allocation (a stream cancelled
// before its first message: tests/integration/stream_metrics_test.cc). The
// edge: while either runs, the closure its thread hands Executor::Run gets
// a trampoline as its callback; the closure's argument is released as it
// is scheduled and acquired before the original callback runs. Before
// that, the wrapper acquires the call's own counter (the atomic_int that
// MaybeCallOnCancel, respectively MaybeDone, counts down; grpcpp's inline
// code releases it, instrumented, but libgrpc++'s copies count it down
// unseen, and the last count may be one of theirs): so OnDone comes after
// every callback of the call, as gRPC orders it.
thread_local bool scheduling_reactor_closure = false;

// grpc::internal::ServerCallbackCall's counters
// (grpcpp/support/server_callback.h): after the vtable pointer,
// on_cancel_conditions_remaining_ and then callbacks_outstanding_, two
// std::atomic_int.
constexpr size_t kOnCancelConditionsOffset = sizeof(void*);
constexpr size_t kCallbacksOutstandingOffset = sizeof(void*) + sizeof(int);

// grpc_iomgr_cb_func: (void* arg, absl::Status error), the status passed by
// address (a class with a non-trivial copy: the Itanium ABI's rule).
using ClosureCallback = void (*)(void* arg, void* error);

// The original callbacks, one slot per distinct one seen (two: OnCancel's
// and OnDone's closures).
std::atomic<ClosureCallback> closure_originals[kSlots];

template <int N>
void AcquireThenCallBack(void* arg, void* error) {
  __tsan_acquire(arg);
  closure_originals[N].load(std::memory_order_acquire)(arg, error);
}

constexpr ClosureCallback kClosureTrampolines[kSlots] = {
    &AcquireThenCallBack<0>, &AcquireThenCallBack<1>, &AcquireThenCallBack<2>,
    &AcquireThenCallBack<3>};

// The trampoline of `cb` (`cb` itself when it is one); null when the slots
// are full (the edge is then not added).
ClosureCallback ClosureTrampolineOf(ClosureCallback cb) {
  for (ClosureCallback trampoline : kClosureTrampolines) {
    if (cb == trampoline) return cb;
  }
  for (int i = 0; i < kSlots; ++i) {
    ClosureCallback seen = closure_originals[i].load(std::memory_order_acquire);
    if (seen == nullptr && closure_originals[i].compare_exchange_strong(
                               seen, cb, std::memory_order_acq_rel)) {
      return kClosureTrampolines[i];
    }
    if (seen == cb) return kClosureTrampolines[i];
  }
  return nullptr;
}

// The first fields of a grpc_closure (src/core/lib/iomgr/closure.h, not
// installed): the queue's next pointer, the callback and its argument.
struct ClosureHead {
  void* next;
  ClosureCallback cb;
  void* cb_arg;
};

void WrapReactorClosure(void* closure) {
  auto* head = static_cast<ClosureHead*>(closure);
  if (head->cb == nullptr) return;
  const ClosureCallback trampoline = ClosureTrampolineOf(head->cb);
  if (trampoline == nullptr) return;
  head->cb = trampoline;
  __tsan_release(head->cb_arg);
}

constexpr char kCallOnCancel[] =
    "_ZN4grpc8internal18ServerCallbackCall12CallOnCancelEPNS0_13ServerReactorE";
constexpr char kScheduleOnDone[] =
    "_ZN4grpc8internal18ServerCallbackCall14ScheduleOnDoneEb";
constexpr char kExecutorRun[] =
    "_ZN9grpc_core8Executor3RunEP12grpc_closureN4absl7debian36StatusENS_"
    "12ExecutorTypeENS_15ExecutorJobTypeE";

}  // namespace

// grpc::internal::ServerCallbackCall::CallOnCancel(ServerReactor*).
void CallOnCancel(void* call, void* reactor) __asm__(
    "_ZN4grpc8internal18ServerCallbackCall12CallOnCancelEPNS0_"
    "13ServerReactorE");
void CallOnCancel(void* call, void* reactor) {
  using Call = void (*)(void*, void*);
  static auto real = reinterpret_cast<Call>(Real(kCallOnCancel));
  __tsan_acquire(static_cast<char*>(call) + kOnCancelConditionsOffset);
  scheduling_reactor_closure = true;
  real(call, reactor);
  scheduling_reactor_closure = false;
}

// grpc::internal::ServerCallbackCall::ScheduleOnDone(bool inline_ondone).
void ScheduleOnDone(void* call, bool inline_ondone) __asm__(
    "_ZN4grpc8internal18ServerCallbackCall14ScheduleOnDoneEb");
void ScheduleOnDone(void* call, bool inline_ondone) {
  using Schedule = void (*)(void*, bool);
  static auto real = reinterpret_cast<Schedule>(Real(kScheduleOnDone));
  __tsan_acquire(static_cast<char*>(call) + kCallbacksOutstandingOffset);
  scheduling_reactor_closure = true;
  real(call, inline_ondone);
  scheduling_reactor_closure = false;
}

// grpc_core::Executor::Run(grpc_closure*, absl::Status, ExecutorType,
// ExecutorJobType); the status by address, the enums as ints.
void ExecutorRun(void* closure, void* error, int type, int job) __asm__(
    "_ZN9grpc_core8Executor3RunEP12grpc_closureN4absl7debian36StatusENS_"
    "12ExecutorTypeENS_15ExecutorJobTypeE");
void ExecutorRun(void* closure, void* error, int type, int job) {
  using Run = void (*)(void*, void*, int, int);
  static auto real = reinterpret_cast<Run>(Real(kExecutorRun));
  if (scheduling_reactor_closure && closure != nullptr) {
    WrapReactorClosure(closure);
  }
  real(closure, error, type, job);
}

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
