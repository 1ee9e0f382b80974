// Fuzz entry points: each takes arbitrary bytes and must never crash, hang or
// leak, whatever they are. Shared by the libFuzzer binaries (--config=fuzz)
// and by corpus_test, which replays the corpus (and every crash reproducer
// added to it) in the ordinary test suite.
#ifndef SALUDO_FUZZ_TARGETS_H_
#define SALUDO_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>

namespace saludo::fuzz {

// nginx configuration text -> parser -> the twin's configuration.
void NginxConfig(const uint8_t* data, size_t size);

// Scenario text -> loader (validation) -> (if valid) nothing more.
void Scenario(const uint8_t* data, size_t size);

// Request bytes -> /Saludo/saludar handler (and the control and clock
// handlers) -> a reply or an error status.
void SaludoRequest(const uint8_t* data, size_t size);

// Control request bytes (the first byte picks SetFaults, GetFaults,
// ClearFaults or AdjustClock) -> the control service with a disciplined
// clock -> a status; the clock and the held calls stay sane afterwards.
void ControlRequest(const uint8_t* data, size_t size);

}  // namespace saludo::fuzz

#endif  // SALUDO_FUZZ_TARGETS_H_
