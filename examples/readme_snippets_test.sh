#!/usr/bin/env bash
# The READMEs' code snippets are taken from compiled, tested files: every
# code line of a snippet (comment-only lines aside) must be a line of its
# source file, so a snippet cannot drift from the code that is tested.
#
#   readme_snippets_test.sh README HEADING SOURCE [README HEADING SOURCE...]
# checks the first ```cpp block after the line containing HEADING.
set -euo pipefail
trim() { sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'; }
status=0
while (($#)); do
  readme="$1" heading="$2" source="$3"
  shift 3
  snippet="$(awk -v heading="$heading" '
    index($0, heading) { found = 1 }
    found && /^```cpp/ { inside = 1; next }
    inside && /^```/ { exit }
    inside { print }' "$readme" | trim | grep -v '^//' | grep -v '^$' || true)"
  if [[ -z "$snippet" ]]; then
    echo "FAIL: no \`\`\`cpp block after \"$heading\" in $readme" >&2
    status=1
    continue
  fi
  lines="$(trim < "$source")"
  while IFS= read -r line; do
    if ! grep -qxF -- "$line" <<<"$lines"; then
      echo "FAIL: $readme (\"$heading\") shows a line that is not in $source:" >&2
      echo "  $line" >&2
      status=1
    fi
  done <<<"$snippet"
  [[ "$status" -ne 0 ]] || echo "ok: $readme \"$heading\" matches $source"
done
exit "$status"
