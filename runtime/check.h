// Assertions that stay on in every build mode (TigerBeetle style): a broken
// invariant stops the program with its location instead of corrupting state.
#ifndef SALUDO_RUNTIME_CHECK_H_
#define SALUDO_RUNTIME_CHECK_H_

namespace saludo::runtime {
[[noreturn]] void CheckFailed(const char* condition, const char* file,
                              int line);
}  // namespace saludo::runtime

#define SALUDO_CHECK(condition)                                       \
  do {                                                                \
    if (!(condition)) {                                               \
      ::saludo::runtime::CheckFailed(#condition, __FILE__, __LINE__); \
    }                                                                 \
  } while (0)

#endif  // SALUDO_RUNTIME_CHECK_H_
