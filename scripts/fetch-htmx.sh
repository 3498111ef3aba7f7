#!/usr/bin/env bash
# Fetch a pinned htmx 2.x build into cinema/static/vendor and check its SHA-256.
# Usage: scripts/fetch-htmx.sh VERSION SHA256 DEST
set -euo pipefail
version=$1 sha=$2 dest=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
url="https://registry.npmjs.org/htmx.org/-/htmx.org-${version}.tgz"
if ! curl -fsSL --retry 3 -o "$tmp/htmx.tgz" "$url"; then
  (cd "$tmp" && npm pack --silent "htmx.org@${version}" >/dev/null && mv "htmx.org-${version}.tgz" htmx.tgz)
fi
tar -xzf "$tmp/htmx.tgz" -C "$tmp" package/dist/htmx.min.js
echo "${sha}  $tmp/package/dist/htmx.min.js" | sha256sum -c --quiet -
mkdir -p "$(dirname "$dest")"
cp "$tmp/package/dist/htmx.min.js" "$dest"
echo "htmx ${version} -> ${dest}"
