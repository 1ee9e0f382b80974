// The seed's one method, as the wire names it (service.proto has no
// package). Shared by the service that serves it and the client that calls
// it, without either linking the other.
#ifndef SALUDO_PROTO_SALUDO_METHOD_H_
#define SALUDO_PROTO_SALUDO_METHOD_H_

namespace saludo {

inline constexpr char kSaludarMethod[] = "/Saludo/saludar";

}  // namespace saludo

#endif  // SALUDO_PROTO_SALUDO_METHOD_H_
