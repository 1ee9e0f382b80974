// route_of CONFIG PATH: which location of an nginx configuration the twin
// sends a request for PATH to: "upstream NAME", or what a gRPC client sees
// when nginx answers itself ("answer CODE: message", as //client prints
// it); exit 2 (with nginx-style file:line) if the twin refuses the file.
// For //tests:nginx_routing_test.
#include <cstdio>

#include "nginx/config/twin_config.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: route_of CONFIG PATH\n");
    return 2;
  }
  auto config = saludo::nginx::LoadTwinConfig(argv[1]);
  if (!config.ok()) {
    std::printf("refused: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  const saludo::nginx::GrpcRoute* route =
      saludo::nginx::RouteFor(*config, argv[2]);
  if (route != nullptr && !route->upstream.empty()) {
    std::printf("upstream %s\n", route->upstream.c_str());
    return 0;
  }
  // What a gRPC client sees of nginx's own answer, as the client prints it.
  const absl::Status seen =
      saludo::nginx::ClientStatusFor(saludo::nginx::OwnAnswer(route));
  std::printf("answer %s: %s\n",
              absl::StatusCodeToString(seen.code()).c_str(),
              std::string(seen.message()).c_str());
  return 0;
}
