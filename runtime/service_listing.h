// A registry that passes every registration on to another and remembers the
// names of the services registered through it ("Saludo" for
// "/Saludo/saludar"), so that health and reflection can speak of the
// services a host really serves, without a list kept by hand.
#ifndef SALUDO_RUNTIME_SERVICE_LISTING_H_
#define SALUDO_RUNTIME_SERVICE_LISTING_H_

#include <set>
#include <string>
#include <utility>

#include "runtime/check.h"
#include "runtime/rpc.h"

namespace saludo::runtime {

class ServiceListing final : public HandlerRegistry {
 public:
  // REQUIRES: `inner` outlives this object.
  explicit ServiceListing(HandlerRegistry* inner) : inner_(inner) {}

  void Register(const std::string& method, Handler handler) override {
    services_.insert(ServiceOf(method));
    inner_->Register(method, std::move(handler));
  }
  void RegisterStream(const std::string& method,
                      StreamHandler handler) override {
    services_.insert(ServiceOf(method));
    inner_->RegisterStream(method, std::move(handler));
  }

  // The services registered so far, by full name, sorted.
  const std::set<std::string>& services() const { return services_; }

  // "Saludo" for "/Saludo/saludar".
  // REQUIRES: `method` is "/SERVICE/METHOD".
  static std::string ServiceOf(const std::string& method) {
    const size_t slash = method.find('/', 1);
    SALUDO_CHECK(method.size() > 2 && method[0] == '/' &&
                 slash != std::string::npos && slash > 1);
    return method.substr(1, slash - 1);
  }

 private:
  HandlerRegistry* const inner_;
  std::set<std::string> services_;
};

}  // namespace saludo::runtime

#endif  // SALUDO_RUNTIME_SERVICE_LISTING_H_
