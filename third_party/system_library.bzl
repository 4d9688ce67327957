"""A repository of header-only cc_library targets that link system libraries.

Each target named "package:name" becomes a cc_library in that package of the
generated repository. Its value is a space-separated list of pkg-config module
names, or of literal linker flags (starting with "-"). The headers themselves
live in /usr/include, which the default C++ toolchain already searches.
"""

def _linkopts(ctx, spec):
    opts = []
    modules = []
    for word in spec.split(" "):
        if not word:
            continue
        if word.startswith("-"):
            opts.append(word)
        else:
            modules.append(word)
    if modules:
        result = ctx.execute(["pkg-config", "--libs"] + modules)
        if result.return_code != 0:
            fail("pkg-config --libs %s failed (run tools/setup): %s" %
                 (" ".join(modules), result.stderr))
        opts += [flag for flag in result.stdout.strip().split(" ") if flag]
    return opts

def _system_library_impl(ctx):
    packages = {}
    for target, spec in ctx.attr.targets.items():
        package, _, name = target.partition(":")
        packages.setdefault(package, []).append((name, _linkopts(ctx, spec)))
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    if "" not in packages:
        ctx.file("BUILD.bazel", "")
    for package, libraries in packages.items():
        lines = ['package(default_visibility = ["//visibility:public"])', ""]
        for name, opts in libraries:
            lines.append("cc_library(name = %r, linkopts = %r)" % (name, opts))
        path = package + "/BUILD.bazel" if package else "BUILD.bazel"
        ctx.file(path, "\n".join(lines) + "\n")

system_library = repository_rule(
    implementation = _system_library_impl,
    attrs = {"targets": attr.string_dict(mandatory = True)},
    environ = ["PKG_CONFIG_PATH"],
    local = True,
)
