"""The C++ sources of a package, as data for //tests:banned_calls_test."""

def source_files(name = "srcs"):
    """Every *.cc and *.h of the calling package, visible to //tests only."""
    native.filegroup(
        name = name,
        srcs = native.glob([
            "*.cc",
            "*.h",
        ]),
        visibility = ["//tests:__pkg__"],
    )
