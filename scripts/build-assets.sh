#!/usr/bin/env bash
# Rebuilds every generated file of the admin UI from its sources, so CI can
# check they are fresh: run it, then `git diff --exit-code`.
#   - npm ci (the pinned tailwindcss, htmx.org, sortablejs, axe-core)
#   - templ generate (views/*_templ.go)
#   - Tailwind CSS build (static/src/app.css → static/app.css)
#   - vendored htmx and SortableJS copied from node_modules
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${SKIP_NPM_CI:-}" != "1" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
go tool templ generate -path views
npx --no-install tailwindcss -c tailwind.config.js -i static/src/app.css -o static/app.css --minify 2>/dev/null
printf '\n' >> static/app.css
cp node_modules/htmx.org/dist/htmx.min.js static/htmx.min.js
cp node_modules/sortablejs/Sortable.min.js static/Sortable.min.js

htmx_v=$(node -p "require('./node_modules/htmx.org/package.json').version")
sortable_v=$(node -p "require('./node_modules/sortablejs/package.json').version")
tailwind_v=$(node -p "require('./node_modules/tailwindcss/package.json').version")
cat > static/VERSIONS <<VERSIONS
Vendored files, copied from node_modules by scripts/build-assets.sh (versions pinned in package-lock.json):
htmx.min.js      htmx.org ${htmx_v} (dist/htmx.min.js)
Sortable.min.js  sortablejs ${sortable_v} (Sortable.min.js)
app.css          built by tailwindcss ${tailwind_v} from src/app.css
VERSIONS
echo "assets built: static/app.css ($(wc -c < static/app.css) bytes), htmx ${htmx_v}, SortableJS ${sortable_v}"
