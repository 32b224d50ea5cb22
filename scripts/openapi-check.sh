#!/usr/bin/env bash
# Checks /api/openapi.json as client authors use it:
#   1. dumps the document the server serves (handlers.OpenAPIDocument);
#   2. lints it with Redocly CLI (recommended rules; any error fails, warnings
#      are listed: one is expected, the 405 response no operation answers
#      because a method a path does not list is what gets it);
#   3. generates a typed client with openapi-typescript and type-checks a
#      small program against it with tsc, so list items, parameters and
#      enums stay typed (a media list item is not Record<string, never>).
# The tools are the versions pinned in package.json / package-lock.json
# (run npm ci first; CI does).
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat > "$work/dump.go" <<'GO'
package main

import (
	"os"

	"gallerist/handlers"
)

func main() { os.Stdout.Write(handlers.OpenAPIDocument()) }
GO
go run "$work/dump.go" > "$work/openapi.json"
echo "openapi.json: $(wc -c < "$work/openapi.json") bytes"

# info-license: a self-hosted server's API has no licence of its own to name.
npx --no-install redocly lint "$work/openapi.json" --format=stylish --skip-rule=info-license

npx --no-install openapi-typescript "$work/openapi.json" -o "$work/api.d.ts" >/dev/null

cat > "$work/check.ts" <<'TS'
import type { components, paths } from "./api";

type Assert<T extends true> = T;
type IsTyped<T> = T extends Record<string, never> ? false : true;

// A media list item has typed fields (not Record<string, never>).
type MediaListItem = paths["/api/media"]["get"]["responses"][200]["content"]["application/json"]["data"][number];
export type _typed = Assert<IsTyped<MediaListItem>>;
export type _id = Assert<NonNullable<MediaListItem["id"]> extends number ? true : false>;
// kind is a closed enum (data.KindTable's kinds), not any string.
export type _kind = Assert<string extends NonNullable<MediaListItem["kind"]> ? false : true>;
export type _image = Assert<"image" extends NonNullable<MediaListItem["kind"]> ? true : false>;
export type _alt = Assert<MediaListItem["alt"] extends string | null | undefined ? true : false>;

export const item: MediaListItem = { id: 1, kind: "image", filename: "mug.png", mime_type: "image/png", width: 640, alt: null };
// @ts-expect-error kind is a closed enum
export const badKind: MediaListItem = { kind: "picture" };
// @ts-expect-error undocumented properties are refused (additionalProperties: false)
export const extra: MediaListItem = { id: 1, colour: "red" };

// Every list's items are typed, and so is a single item.
export type _products = Assert<IsTyped<paths["/api/products"]["get"]["responses"][200]["content"]["application/json"]["data"][number]>>;
export type _gallery = Assert<IsTyped<paths["/api/products/{id}/images"]["get"]["responses"][200]["content"]["application/json"]["data"][number]>>;
export type _media = Assert<NonNullable<components["schemas"]["Media"]["size"]> extends number ? true : false>;

// Parameters carry their closed sets.
type MediaQuery = NonNullable<paths["/api/media"]["get"]["parameters"]["query"]>;
export const query: MediaQuery = { limit: 10, offset: 0, sort: "-created_at", fields: ["id", "alt"], mime_type: ["image/png"] };
// @ts-expect-error fields is a closed list
export const badFields: MediaQuery = { fields: ["colour"] };
// @ts-expect-error unknown parameters are refused
export const badParam: MediaQuery = { page: 2 };

// Errors carry their codes.
type NotFound = paths["/api/media/{id}"]["get"]["responses"][404]["content"]["application/json"];
export const notFound: NotFound = { error: { code: "not_found", message: "Media item not found." } };
// @ts-expect-error a 404 carries not_found, not another status's code
export const wrongCode: NotFound = { error: { code: "conflict", message: "x" } };
TS
cat > "$work/tsconfig.json" <<'JSON'
{
  "compilerOptions": {"strict": true, "noEmit": true, "target": "es2022", "module": "esnext", "moduleResolution": "bundler", "types": [], "skipLibCheck": false},
  "files": ["check.ts"]
}
JSON
npx --no-install tsc -p "$work/tsconfig.json"
echo "openapi-typescript client: typed ($(grep -c '' "$work/api.d.ts") lines), tsc passed"
