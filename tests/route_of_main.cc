// route_of CONFIG PATH: which location of an nginx configuration the twin
// sends a request for PATH to: "upstream NAME", "answer HTTP_STATUS", or
// "answer 404" when no location matches; exit 2 (with nginx-style
// file:line) if the twin refuses the file. For //tests:nginx_routing_test.
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
  if (route == nullptr) {
    std::printf("answer 404\n");
  } else if (!route->upstream.empty()) {
    std::printf("upstream %s\n", route->upstream.c_str());
  } else {
    std::printf("answer %d\n", route->answer.http_status);
  }
  return 0;
}
