// Move-only callables that keep the closure inline when it fits (most of
// the simulator's closures do: a few ids, a pointer, a string), so
// scheduling an event, deferring work or observing an attempt allocates
// nothing. Larger closures go to the heap, as std::function's do.
#ifndef SALUDO_SIM_CALLBACK_H_
#define SALUDO_SIM_CALLBACK_H_

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include "runtime/check.h"

namespace saludo::sim {

namespace callback_internal {

// How a stored closure of type T is called, moved and destroyed: inline in
// the storage, or through a pointer to it on the heap.
template <typename R, typename... Args>
struct Ops {
  R (*invoke)(void* storage, Args&&... args);
  void (*move)(void* from, void* to);  // leaves `from` destroyed
  void (*destroy)(void* storage);
};
template <typename T, typename R, typename... Args>
inline constexpr Ops<R, Args...> kInline = {
    [](void* s, Args&&... args) -> R {
      return (*static_cast<T*>(s))(std::forward<Args>(args)...);
    },
    [](void* from, void* to) {
      new (to) T(std::move(*static_cast<T*>(from)));
      static_cast<T*>(from)->~T();
    },
    [](void* s) { static_cast<T*>(s)->~T(); }};
template <typename T, typename R, typename... Args>
inline constexpr Ops<R, Args...> kHeap = {
    [](void* s, Args&&... args) -> R {
      return (**static_cast<T**>(s))(std::forward<Args>(args)...);
    },
    [](void* from, void* to) { *static_cast<T**>(to) = *static_cast<T**>(from); },
    [](void* s) { delete *static_cast<T**>(s); }};

}  // namespace callback_internal

template <typename Signature>
class InlineFunction;

template <typename R, typename... Args>
class InlineFunction<R(Args...)> {
 public:
  // Seven words (a call's closures fit: a slot is 64 bytes), word-aligned;
  // a closure that needs more or is over-aligned is kept on the heap.
  static constexpr size_t kInlineBytes = 56;
  static constexpr size_t kInlineAlign = alignof(void*);

 private:
  // Callables other than InlineFunction itself and nullptr.
  template <typename F>
  using NotSelf =
      std::enable_if_t<!std::is_same_v<std::decay_t<F>, InlineFunction> &&
                       !std::is_same_v<std::decay_t<F>, std::nullptr_t>>;

 public:
  InlineFunction() = default;
  InlineFunction(std::nullptr_t) {}  // NOLINT: as std::function
  template <typename F, typename = NotSelf<F>>
  InlineFunction(F&& f) {  // NOLINT: implicit, as std::function
    Construct(std::forward<F>(f));
  }
  // Replaces the callable with `f`, built in place: no temporary
  // InlineFunction is made and then moved.
  template <typename F, typename = NotSelf<F>>
  void Emplace(F&& f) {
    Reset();
    Construct(std::forward<F>(f));
  }
  InlineFunction(InlineFunction&& other) noexcept { MoveFrom(other); }
  InlineFunction& operator=(InlineFunction&& other) noexcept {
    if (this != &other) {
      Reset();
      MoveFrom(other);
    }
    return *this;
  }
  InlineFunction& operator=(std::nullptr_t) {
    Reset();
    return *this;
  }
  InlineFunction(const InlineFunction&) = delete;
  InlineFunction& operator=(const InlineFunction&) = delete;
  ~InlineFunction() { Reset(); }

  explicit operator bool() const { return ops_ != nullptr; }
  // REQUIRES: not empty.
  R operator()(Args... args) {
    SALUDO_CHECK(ops_ != nullptr);
    return ops_->invoke(storage_, std::forward<Args>(args)...);
  }

 private:
  using Ops = callback_internal::Ops<R, Args...>;

  // REQUIRES: empty.
  template <typename F>
  void Construct(F&& f);
  void MoveFrom(InlineFunction& other) {
    ops_ = other.ops_;
    if (ops_ != nullptr) ops_->move(other.storage_, storage_);
    other.ops_ = nullptr;
  }
  void Reset() {
    if (ops_ != nullptr) ops_->destroy(storage_);
    ops_ = nullptr;
  }

  alignas(kInlineAlign) unsigned char storage_[kInlineBytes];
  const Ops* ops_ = nullptr;
};

template <typename R, typename... Args>
template <typename F>
void InlineFunction<R(Args...)>::Construct(F&& f) {
  using T = std::decay_t<F>;
  if constexpr (sizeof(T) <= kInlineBytes && alignof(T) <= kInlineAlign &&
                std::is_nothrow_move_constructible_v<T>) {
    new (storage_) T(std::forward<F>(f));
    ops_ = &callback_internal::kInline<T, R, Args...>;
  } else {
    *reinterpret_cast<T**>(storage_) = new T(std::forward<F>(f));
    ops_ = &callback_internal::kHeap<T, R, Args...>;
  }
}

// An event, a deferred piece of work.
using Callback = InlineFunction<void()>;

}  // namespace saludo::sim

#endif  // SALUDO_SIM_CALLBACK_H_
