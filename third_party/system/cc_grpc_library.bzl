"""cc_grpc_library over proto_library targets, with the system's protoc and grpc_cpp_plugin.

Loaded through @com_github_grpc_grpc//bazel:cc_grpc_library.bzl so BUILD files read as they would
against upstream gRPC. Supports the common form:

    cc_grpc_library(name, srcs = [":x_proto"], deps = [":x_cc_proto"], grpc_only = True)
"""

def _grpc_codegen_impl(ctx):
    proto_info = ctx.attr.proto[ProtoInfo]
    outputs = []
    for src in proto_info.direct_sources:
        stem = src.basename[:-len(".proto")]
        outputs.append(ctx.actions.declare_file(stem + ".grpc.pb.h"))
        outputs.append(ctx.actions.declare_file(stem + ".grpc.pb.cc"))
        if ctx.attr.generate_mocks:
            outputs.append(ctx.actions.declare_file(stem + "_mock.grpc.pb.h"))

    # The import path of a source: its path below the proto source root.
    root = proto_info.proto_source_root
    import_paths = []
    for src in proto_info.direct_sources:
        path = src.short_path
        if path.startswith("../"):  # external repository: ../repo/path
            path = path.split("/", 2)[2]
        if root and root != "." and path.startswith(root + "/"):
            path = path[len(root) + 1:]
        import_paths.append(path)

    out_root = ctx.bin_dir.path
    if ctx.label.workspace_root:
        out_root += "/" + ctx.label.workspace_root
    descriptor_sets = proto_info.transitive_descriptor_sets.to_list()
    plugin_options = "generate_mock_code=true:" if ctx.attr.generate_mocks else ""
    args = ctx.actions.args()
    args.add("--plugin=protoc-gen-grpc=" + ctx.executable._plugin.path)
    args.add("--grpc_out=" + plugin_options + out_root)
    args.add("--descriptor_set_in=" + ":".join([d.path for d in descriptor_sets]))
    args.add_all(import_paths)
    ctx.actions.run(
        executable = ctx.executable._protoc,
        tools = [ctx.executable._plugin],
        inputs = descriptor_sets,
        outputs = outputs,
        arguments = [args],
        mnemonic = "GrpcCodegen",
        progress_message = "Generating gRPC C++ code for %s" % ctx.label,
    )
    return [
        DefaultInfo(files = depset(outputs)),
        OutputGroupInfo(
            hdrs = depset([f for f in outputs if f.basename.endswith(".h")]),
            srcs = depset([f for f in outputs if f.basename.endswith(".cc")]),
        ),
    ]

_grpc_codegen = rule(
    implementation = _grpc_codegen_impl,
    attrs = {
        "proto": attr.label(providers = [ProtoInfo], mandatory = True),
        "generate_mocks": attr.bool(default = False),
        "_protoc": attr.label(
            default = "@com_google_protobuf//:protoc",
            executable = True,
            cfg = "exec",
        ),
        "_plugin": attr.label(
            default = "@com_github_grpc_grpc//:grpc_cpp_plugin",
            executable = True,
            cfg = "exec",
        ),
    },
)

def cc_grpc_library(name, srcs, deps, grpc_only = True, generate_mocks = False, visibility = None, **kwargs):
    """C++ gRPC stubs for one proto_library.

    Args:
      name: the cc_library name.
      srcs: a list with exactly one proto_library label.
      deps: the cc_proto_library of the same proto (the messages).
      grpc_only: must be True (messages come from deps).
      generate_mocks: also generate the *_mock.grpc.pb.h GoogleMock stubs.
      visibility: of the cc_library.
      **kwargs: passed to cc_library (e.g. testonly).
    """
    if len(srcs) != 1:
        fail("cc_grpc_library takes exactly one proto_library in srcs")
    if not grpc_only:
        fail("only grpc_only = True is supported: give the cc_proto_library in deps")
    codegen = name + "_codegen"
    _grpc_codegen(
        name = codegen,
        proto = srcs[0],
        generate_mocks = generate_mocks,
        visibility = ["//visibility:private"],
        testonly = kwargs.get("testonly", False),
    )
    for group in ["hdrs", "srcs"]:
        native.filegroup(
            name = "%s_%s" % (codegen, group),
            srcs = [":" + codegen],
            output_group = group,
            visibility = ["//visibility:private"],
            testonly = kwargs.get("testonly", False),
        )
    native.cc_library(
        name = name,
        srcs = [":%s_srcs" % codegen],
        hdrs = [":%s_hdrs" % codegen],
        deps = deps + ["@com_github_grpc_grpc//:grpc++"],
        visibility = visibility,
        **kwargs
    )
