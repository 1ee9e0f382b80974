#include "client/faults_words.h"

#include "gtest/gtest.h"

namespace saludo::client {
namespace {

TEST(FaultsWordsTest, EachFaultInWordsAndUnits) {
  control::FaultsReport r;
  r.set_server_id(2);
  r.mutable_faults()->set_hang_nanos(41000000000);
  r.set_hang_remaining_nanos(40500000000);
  r.mutable_faults()->set_reply_delay_nanos(200000000);
  r.mutable_faults()->set_error_rate(0.25);
  r.mutable_faults()->set_error_code(14);
  r.mutable_faults()->set_error_message("down");
  r.mutable_faults()->set_clock_offset_nanos(-250000000);
  r.set_calls_total(10);
  r.set_calls_failed_injected(3);
  r.set_calls_held(1);
  EXPECT_EQ(DescribeFaultsReport(r),
            "server 2\n"
            "hang: 41s (40.5s left)\n"
            "reply delay: 200ms\n"
            "errors: 25.0% of calls fail with UNAVAILABLE \"down\"\n"
            "clock offset: -250ms\n"
            "calls: 10 handled, 3 failed on purpose, 1 held now\n");
}

TEST(FaultsWordsTest, NothingSetSaysSo) {
  control::FaultsReport r;
  r.set_server_id(1);
  EXPECT_EQ(DescribeFaultsReport(r),
            "server 1\nno faults\n"
            "calls: 0 handled, 0 failed on purpose, 0 held now\n");
}

}  // namespace
}  // namespace saludo::client
