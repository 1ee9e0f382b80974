#include "client/faults_words.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace saludo::client {
namespace {

std::string Nanos(int64_t nanos) {
  return absl::FormatDuration(absl::Nanoseconds(nanos));
}

}  // namespace

std::string DescribeFaultsReport(const control::FaultsReport& report) {
  const control::Faults& f = report.faults();
  std::string out = absl::StrCat("server ", report.server_id(), "\n");
  const size_t header = out.size();
  if (f.hang_nanos() > 0) {
    absl::StrAppend(&out, "hang: ", Nanos(f.hang_nanos()), " (",
                    Nanos(report.hang_remaining_nanos()), " left)\n");
  }
  if (f.reply_delay_nanos() > 0) {
    absl::StrAppend(&out, "reply delay: ", Nanos(f.reply_delay_nanos()), "\n");
  }
  if (f.error_rate() > 0) {
    const auto code = static_cast<absl::StatusCode>(f.error_code());
    absl::StrAppend(&out,
                    absl::StrFormat("errors: %.1f%% of calls fail with %s",
                                    100 * f.error_rate(),
                                    absl::StatusCodeToString(code)),
                    f.error_message().empty()
                        ? ""
                        : " \"" + f.error_message() + "\"",
                    "\n");
  }
  if (f.has_clock_offset_nanos() && f.clock_offset_nanos() != 0) {
    absl::StrAppend(&out, "clock offset: ", Nanos(f.clock_offset_nanos()),
                    "\n");
  }
  if (f.crash_on_call()) absl::StrAppend(&out, "crash on the next call\n");
  if (out.size() == header) absl::StrAppend(&out, "no faults\n");
  absl::StrAppend(&out, "calls: ", report.calls_total(), " handled, ",
                  report.calls_failed_injected(), " failed on purpose, ",
                  report.calls_held(), " held now\n");
  return out;
}

}  // namespace saludo::client
