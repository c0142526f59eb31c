#!/usr/bin/env bash
# Copy the front end's one third-party library (uPlot, MIT) from the npm registry into
# static/vendor/. Run by hand when upgrading; the copied files are committed, so installing
# jayul needs neither npm nor internet access.
set -euo pipefail
VERSION="${UPLOT_VERSION:-1.6.32}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm install --no-audit --no-fund "uplot@$VERSION" >/dev/null)
src="$work/node_modules/uplot"
cp "$src/dist/uPlot.esm.js" "$here/static/vendor/uPlot.esm.js"
cp "$src/dist/uPlot.min.css" "$here/static/vendor/uPlot.min.css"
cp "$src/LICENSE" "$here/static/vendor/uPlot.LICENSE"
echo "uplot $VERSION" > "$here/static/vendor/VERSIONS"
echo "vendored uplot $VERSION into $here/static/vendor"
