#!/usr/bin/env bash
# GraphiQL's assets, installed locally from the npm registry (npm pack), so /graphql serves
# the IDE without loading anything from a CDN. Without npm, GraphiQL stays off (FG_GRAPHIQL=auto).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest="$here/../api/static/graphiql"
if [ -f "$dest/.complete" ]; then exit 0; fi
if ! command -v npm >/dev/null; then
  echo "graphiql: npm is not installed; GraphiQL stays off (apt-get install npm to have it)" >&2
  exit 0
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent graphiql@3.8.3 react@18.2.0 react-dom@18.2.0 >/dev/null)
for t in "$work"/*.tgz; do mkdir -p "${t%.tgz}" && tar xzf "$t" -C "${t%.tgz}"; done
mkdir -p "$dest"
cp "$work"/graphiql-3.8.3/package/graphiql.min.js "$work"/graphiql-3.8.3/package/graphiql.min.css \
   "$work"/react-18.2.0/package/umd/react.production.min.js \
   "$work"/react-dom-18.2.0/package/umd/react-dom.production.min.js "$dest/"
touch "$dest/.complete"
echo "graphiql: assets installed in api/static/graphiql"
