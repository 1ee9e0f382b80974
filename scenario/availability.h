// Two properties about what nginx does with failures, checked against the
// fault timeline and the nginx configuration (properties.cc's table lists
// them): `availability` (a call may fail only if no healthy backend could
// have answered it) and `attempts` (retry amplification). docs/EXPLORE.md
// explains both, and how availability tells what nginx cannot avoid from
// what a configuration gets wrong.
#ifndef SALUDO_SCENARIO_AVAILABILITY_H_
#define SALUDO_SCENARIO_AVAILABILITY_H_

#include "absl/status/status.h"
#include "scenario/model.h"
#include "scenario/properties.h"
#include "scenario/validator.h"

namespace saludo::scenario {

absl::Status ParseAvailability(const Validator& v, const FieldPath& at,
                               const Property& p, const LoadedScenario& s,
                               PropertySpec* out);
// Needs the call records only, so it runs live as well. When it fails, the
// verdict's `cause` names the setting to blame where one explains the
// failure (e.g. "max_fails=0: nginx never takes a failing backend out").
Verdict CheckAvailability(const PropertySpec& p, const CheckInput& in);

absl::Status ParseAttempts(const Validator& v, const FieldPath& at,
                           const Property& p, const LoadedScenario& s,
                           PropertySpec* out);
Verdict CheckAttempts(const PropertySpec& p, const CheckInput& in);

}  // namespace saludo::scenario

#endif  // SALUDO_SCENARIO_AVAILABILITY_H_
