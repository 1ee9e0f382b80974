// A move-only `void()` callable that keeps the closure inline when it fits
// (most of the simulator's event closures do: a few ids and a pointer), so
// scheduling an event or deferring work allocates nothing. Larger closures
// go to the heap, as std::function's do.
#ifndef SALUDO_SIM_CALLBACK_H_
#define SALUDO_SIM_CALLBACK_H_

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include "runtime/check.h"

namespace saludo::sim {

class Callback {
 public:
  static constexpr size_t kInlineBytes = 64;

  Callback() = default;
  Callback(std::nullptr_t) {}  // NOLINT: as std::function
  template <typename F,
            typename = std::enable_if_t<
                !std::is_same_v<std::decay_t<F>, Callback> &&
                !std::is_same_v<std::decay_t<F>, std::nullptr_t>>>
  Callback(F&& f) {  // NOLINT: implicit, as std::function
    using T = std::decay_t<F>;
    if constexpr (sizeof(T) <= kInlineBytes &&
                  alignof(T) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<T>) {
      new (storage_) T(std::forward<F>(f));
      ops_ = &kInline<T>;
    } else {
      *reinterpret_cast<T**>(storage_) = new T(std::forward<F>(f));
      ops_ = &kHeap<T>;
    }
  }
  Callback(Callback&& other) noexcept { MoveFrom(other); }
  Callback& operator=(Callback&& other) noexcept {
    if (this != &other) {
      Reset();
      MoveFrom(other);
    }
    return *this;
  }
  Callback& operator=(std::nullptr_t) {
    Reset();
    return *this;
  }
  Callback(const Callback&) = delete;
  Callback& operator=(const Callback&) = delete;
  ~Callback() { Reset(); }

  explicit operator bool() const { return ops_ != nullptr; }
  // REQUIRES: not empty.
  void operator()() {
    SALUDO_CHECK(ops_ != nullptr);
    ops_->invoke(storage_);
  }

 private:
  struct Ops {
    void (*invoke)(void* storage);
    void (*move)(void* from, void* to);  // leaves `from` destroyed
    void (*destroy)(void* storage);
  };
  template <typename T>
  static constexpr Ops kInline = {
      [](void* s) { (*static_cast<T*>(s))(); },
      [](void* from, void* to) {
        new (to) T(std::move(*static_cast<T*>(from)));
        static_cast<T*>(from)->~T();
      },
      [](void* s) { static_cast<T*>(s)->~T(); }};
  template <typename T>
  static constexpr Ops kHeap = {
      [](void* s) { (**static_cast<T**>(s))(); },
      [](void* from, void* to) {
        *static_cast<T**>(to) = *static_cast<T**>(from);
      },
      [](void* s) { delete *static_cast<T**>(s); }};

  void MoveFrom(Callback& other) {
    ops_ = other.ops_;
    if (ops_ != nullptr) ops_->move(other.storage_, storage_);
    other.ops_ = nullptr;
  }
  void Reset() {
    if (ops_ != nullptr) ops_->destroy(storage_);
    ops_ = nullptr;
  }

  alignas(std::max_align_t) unsigned char storage_[kInlineBytes];
  const Ops* ops_ = nullptr;
};

}  // namespace saludo::sim

#endif  // SALUDO_SIM_CALLBACK_H_
