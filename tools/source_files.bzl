"""The sources of a package, as data for the tree-wide checks."""

def source_files(name = "srcs"):
    """Every *.cc, *.h and the BUILD file of the calling package.

    For //tests:banned_calls_test and //tools/lint:style_test only.

    Args:
      name: the filegroup's name.
    """
    native.filegroup(
        name = name,
        srcs = native.glob([
            "*.cc",
            "*.h",
            "BUILD",
        ]),
        visibility = [
            "//tests:__pkg__",
            "//tools/lint:__pkg__",
        ],
    )
