// What ThreadSanitizer needs to be told at the gRPC boundary. The system's
// gRPC is not instrumented, so TSan sees neither the locks and queues that
// carry a call from the thread that starts it to the thread that completes it,
// nor the writes gRPC makes to its own objects. The adapters
// (grpc_channel.cc, grpc_server.cc) therefore
//  - mark each hand-over gRPC documents: HappensBefore(x) on the giving side,
//    HappensAfter(x) on the receiving side (a call's completion follows its
//    start; a reactor's callbacks follow the operation that caused them and
//    never run concurrently);
//  - run gRPC's own inline code (stub and reactor operations, reading gRPC's
//    objects) inside a GrpcOwnedScope, in which TSan ignores memory accesses.
// The rest is suppressed by runtime/live/tsan.supp, compiled into every binary
// that links the live runtime. Our code outside these scopes stays checked;
// //tests:tsan_canary_test proves races in handlers and completion callbacks
// are still reported.
// Without TSan all of this compiles to nothing.
#ifndef SALUDO_RUNTIME_LIVE_TSAN_ANNOTATIONS_H_
#define SALUDO_RUNTIME_LIVE_TSAN_ANNOTATIONS_H_

#include "runtime/live/sanitizers.h"

#ifdef SALUDO_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
#endif

namespace saludo::runtime::live {

// Everything this thread did so far happens before whatever a thread does
// after HappensAfter(sync) on the same `sync`.
inline void HappensBefore(const void* sync) {
#ifdef SALUDO_TSAN
  __tsan_release(const_cast<void*>(sync));
#else
  (void)sync;
#endif
}

inline void HappensAfter(const void* sync) {
#ifdef SALUDO_TSAN
  __tsan_acquire(const_cast<void*>(sync));
#else
  (void)sync;
#endif
}

// While alive, this thread's memory accesses are not checked (synchronisation
// still is). Only for code that belongs to gRPC; keep the scope tight.
class GrpcOwnedScope {
 public:
#ifdef SALUDO_TSAN
  GrpcOwnedScope() { __tsan_ignore_thread_begin(); }
  ~GrpcOwnedScope() { __tsan_ignore_thread_end(); }
#else
  // User-provided, so that a scope variable never reads as unused.
  GrpcOwnedScope() {}
  ~GrpcOwnedScope() {}
#endif
  GrpcOwnedScope(const GrpcOwnedScope&) = delete;
  GrpcOwnedScope& operator=(const GrpcOwnedScope&) = delete;
};

}  // namespace saludo::runtime::live

#endif  // SALUDO_RUNTIME_LIVE_TSAN_ANNOTATIONS_H_
