# The `sim` tool in a container, for sweeps on a cluster (docs/SCALING.md,
# deploy/k8s/sweep-job.yaml). Build from the repository root:
#   docker build -f deploy/sim.Dockerfile -t saludo-sim .
# Nothing else in the repository needs Docker.

# Build with the project's own script on the Debian release the build
# links against (gRPC 1.51, protobuf 3.21, Abseil 20220623 from Debian 12).
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN ./bazelw build -c opt //tools/sim_cli:sim \
 && mkdir -p /out \
 && cp -L bazel-bin/tools/sim_cli/sim /out/sim \
 && cp -r --parents scenario/scenarios nginx /out/

# Run on a slim image with the shared libraries the binary links, only
# (`ldd sim` on Debian 12: these packages and their dependencies).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 libre2-9 \
      libc-ares2 libssl3 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /opt/saludo/
WORKDIR /opt/saludo
ENTRYPOINT ["/opt/saludo/sim"]
