#!/usr/bin/env bash
# Regenerate goldens.json from cases.json with real Go text/template + Sprig.
# Needs Debian's golang-go and golang-github-masterminds-sprig-dev (tests do not).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
ln -s "$here/gen" "$work/src/gen"
# GOPATH mode over Debian's packaged Go sources: no module download needed.
(cd "$work/src/gen" && GO111MODULE=off GOPATH="$work:/usr/share/gocode" GOCACHE="$work/cache" \
    go build -o "$work/gen-bin" .)
"$work/gen-bin" "$here/cases.json" "$here/goldens.json"
