"""sim_test: a scenario swept over seeds as a Bazel test, sharded."""

def sim_test(name, scenario, seeds = 100, shard_count = 1, first_seed = 1, **kwargs):
    """Sweeps `seeds` seeds of `scenario`; each shard takes every shard_count-th seed.

    Args:
      name: the test's name.
      scenario: the .textproto file (a label in this package).
      seeds: how many seeds in all.
      shard_count: Bazel shards; seeds are split by index modulo shard_count.
      first_seed: the first seed.
      **kwargs: passed to sh_test (size, tags, ...).
    """
    native.sh_test(
        name = name,
        srcs = ["//scenario:sim_test_runner.sh"],
        args = [
            "$(rootpath %s)" % scenario,
            "--seeds=%d" % seeds,
            "--first_seed=%d" % first_seed,
        ],
        data = [
            scenario,
            "//tools/sim_cli:sim",
            "//scenario/scenarios",
            "//nginx:configs",
        ],
        shard_count = shard_count,
        tags = kwargs.pop("tags", []) + ["sim_sweep"],
        **kwargs
    )
