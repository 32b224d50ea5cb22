#!/usr/bin/env bash
# The media API suite a second time, against S3: with GALLERIST_TEST_BLOBS=s3 every
# test env keeps its blobs in a new bucket of one versitygw per test process (the real
# S3-compatible server pinned as a tool in go.mod; storage/s3test builds and starts it).
# The tests chosen are those of uploads, downloads and Range, renditions, trash, purge
# and GC, replacing files and their versions, video posters and PDF thumbnails (ffmpeg and
# pdftoppm read the blob from the bucket); tests that look at the data dir's files directly skip on S3 and say why.
# Without versitygw they skip, except under CI=true, where they fail.
#
# Usage: bash scripts/test-s3.sh [go test flags], e.g. bash scripts/test-s3.sh -race -v
set -euo pipefail
cd "$(dirname "$0")/.."
tests='^(TestMedia|TestUpload|TestRendition|TestGC|TestInterruptedGC|TestDownload|TestHeadOnEveryGet|TestOrganizationIsolation|TestProcessingState|TestPublicURLs|TestJSONUpload|TestHostileUploads|TestUIBulkTrashRestoreAndPurge|TestUIUploadAnswers|TestScopeMatrix|TestServeOnS3|TestReplace|TestVideo|TestPDFThumbnail)'
GALLERIST_TEST_BLOBS=s3 exec go test -count=1 "$@" -run "$tests" .
