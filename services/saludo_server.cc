#include "services/saludo_server.h"

#include "runtime/check.h"

namespace saludo::services {

SaludoServer::SaludoServer(const runtime::HostContext& host,
                           const SaludoServerOptions& options)
    : listing_(host.registry),
      faults_(host.clock, host.seed),
      discipline_(host.clock),
      saludo_(options.server_id, &discipline_, host.timers, &faults_,
              options.log, host.crash),
      clock_service_(options.server_id, &discipline_),
      control_(options.server_id, &faults_, &discipline_),
      health_(&listing_),
      reflection_(&listing_) {
  SALUDO_CHECK(options.server_id >= 1);
  SALUDO_CHECK(host.registry != nullptr && host.timers != nullptr);
  SALUDO_CHECK(host.crash != nullptr);
  saludo_.RegisterWith(listing_);
  clock_service_.RegisterWith(listing_);
  health_.RegisterWith(listing_);
  reflection_.RegisterWith(listing_);
  if (options.control && host.admin != nullptr) {
    control_.RegisterWith(*host.admin);
    if (host.admin != host.registry) clock_service_.RegisterWith(*host.admin);
  }
}

runtime::BootFn SaludoServerBoot(SaludoServerOptions options) {
  return [options](const runtime::HostContext& host) {
    return std::make_unique<SaludoServer>(host, options);
  };
}

}  // namespace saludo::services
