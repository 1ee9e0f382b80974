// Which sanitizer this translation unit is built with (clang or gcc):
// SALUDO_TSAN under -fsanitize=thread, SALUDO_ASAN under -fsanitize=address.
#ifndef SALUDO_RUNTIME_LIVE_SANITIZERS_H_
#define SALUDO_RUNTIME_LIVE_SANITIZERS_H_

#if defined(__SANITIZE_THREAD__)
#define SALUDO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SALUDO_TSAN 1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SALUDO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SALUDO_ASAN 1
#endif
#endif

#endif  // SALUDO_RUNTIME_LIVE_SANITIZERS_H_
