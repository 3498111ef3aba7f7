#!/usr/bin/env bash
# Fetch one file of a pinned npm package (tarball from the registry, or `npm pack`) and check
# its SHA-256 before copying it to DEST.
# Usage: scripts/fetch-npm-file.sh PACKAGE VERSION FILE_IN_PACKAGE SHA256 DEST
# e.g.   scripts/fetch-npm-file.sh axe-core 4.10.3 axe.min.js <sha> tests/vendor/axe.min.js
set -euo pipefail
name=$1 version=$2 file=$3 sha=$4 dest=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
url="https://registry.npmjs.org/${name}/-/${name##*/}-${version}.tgz"
if ! curl -fsSL --retry 3 -o "$tmp/pkg.tgz" "$url"; then
  (cd "$tmp" && npm pack --silent "${name}@${version}" >/dev/null && mv ./*.tgz pkg.tgz)
fi
tar -xzf "$tmp/pkg.tgz" -C "$tmp" "package/${file}"
echo "${sha}  $tmp/package/${file}" | sha256sum -c --quiet -
mkdir -p "$(dirname "$dest")"
cp "$tmp/package/${file}" "$dest"
echo "${name} ${version} ${file} -> ${dest}"
