"""Run targets for the seed's servers."""

def saludo_server(name, server_id, port):
    """A `bazel run` target starting //services:saludo_server with an id and port."""
    native.sh_binary(
        name = name,
        srcs = ["run_server.sh"],
        args = ["--id=%d" % server_id, "--port=%d" % port],
        data = [":saludo_server"],
        # //tests:cli_conventions_test runs it.
        visibility = ["//tests:__pkg__"],
    )
