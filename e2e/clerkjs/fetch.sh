#!/usr/bin/env bash
# Fetches Clerk's browser library at the pinned versions into vendor/
# (git-ignored): the published packages' browser bundles, without their
# npm dependency trees, which the bundles do not need.
set -euo pipefail
cd "$(dirname "$0")"
CLERK_JS=6.40.0
CLERK_UI=1.36.0
mkdir -p vendor
cd vendor
for spec in "@clerk/clerk-js@$CLERK_JS:clerk-clerk-js-$CLERK_JS" "@clerk/ui@$CLERK_UI:clerk-ui-$CLERK_UI"; do
  pkg=${spec%%:*}
  dir=${spec##*:}
  if [ -f "$dir/dist/$( [ "${dir#clerk-ui}" != "$dir" ] && echo ui || echo clerk ).browser.js" ]; then
    continue
  fi
  rm -rf "$dir" package "$dir.tgz"
  npm pack --silent "$pkg" >/dev/null
  tar xzf "$dir.tgz"
  mv package "$dir"
  rm "$dir.tgz"
done
ls -d clerk-clerk-js-$CLERK_JS/dist/clerk.browser.js clerk-ui-$CLERK_UI/dist/ui.browser.js
