// A control service's FaultsReport in words and units, as `control` prints
// it ("reply delay: 200ms"), instead of raw protobuf text.
#ifndef SALUDO_CLIENT_FAULTS_WORDS_H_
#define SALUDO_CLIENT_FAULTS_WORDS_H_

#include <string>

#include "proto/control.pb.h"

namespace saludo::client {

// One line per fault in force (or "no faults"), then the server's counts.
std::string DescribeFaultsReport(const control::FaultsReport& report);

}  // namespace saludo::client

#endif  // SALUDO_CLIENT_FAULTS_WORDS_H_
