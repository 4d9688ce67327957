"""The external repositories hvsock's library targets need.

A downstream WORKSPACE calls this once, after declaring hvsock itself:

    local_repository(name = "hvsock", path = "third_party/hvsock")
    load("@hvsock//bazel:deps.bzl", "hvsock_dependencies")
    hvsock_dependencies()

hvsock's library targets (everything a user builds: //core, //backends/...,
//tools/...) depend on Abseil alone, under its canonical repository name
@com_google_absl. A repository the workspace already declares under that
name (Abseil from source with http_archive, say) is kept: declare it before
calling this macro. Otherwise Abseil is taken from the system: Debian's
libabsl-dev (headers in /usr/include, link flags from its pkg-config files),
which is how hvsock builds offline.

GoogleTest, Google Benchmark and rapidcheck serve only hvsock's own tests
and benchmarks; hvsock's WORKSPACE declares them itself, and a downstream
workspace never needs them.
"""

load("//third_party:system_library.bzl", "system_library")

# Every Abseil target hvsock names, mapped onto the pkg-config modules of
# Debian's libabsl-dev ("" for header-only targets).
ABSL_SYSTEM_TARGETS = {
    "absl/base:base": "absl_base",
    "absl/base:core_headers": "absl_base",
    "absl/cleanup:cleanup": "",
    "absl/container:inlined_vector": "absl_inlined_vector",
    "absl/functional:any_invocable": "",
    "absl/functional:function_ref": "",
    "absl/status:status": "absl_status",
    "absl/status:statusor": "absl_statusor",
    "absl/strings:strings": "absl_strings",
    "absl/strings:str_format": "absl_str_format",
    "absl/strings:cord": "absl_cord",
    "absl/time:time": "absl_time",
    "absl/types:optional": "",
    "absl/types:span": "absl_span",
    "absl/types:variant": "",
}

def hvsock_dependencies():
    """Declares Abseil as @com_google_absl unless the workspace already has it."""
    if not native.existing_rule("com_google_absl"):
        system_library(
            name = "com_google_absl",
            targets = ABSL_SYSTEM_TARGETS,
        )
