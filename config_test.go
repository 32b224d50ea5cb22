package main

import (
	"strings"
	"testing"

	"gallerist/data"
)

// badValues holds a malformed value for every setting; a setting added to
// the table without one here fails TestSettingsRefuseMalformedValues.
var badValues = map[string]string{
	"data": "", "addr": "8080", "public-url": "media.example.com", "secure-cookies": "maybe",
	"trusted-proxies": "10.0.0.0/33", "cors-origins": "shop.example", "max-conns-per-ip": "-1",
	"shutdown-grace": "soon", "header-timeout": "10", "max-image-mb": "big", "max-document-mb": "0",
	"max-video-mb": "-5", "max-audio-mb": "NaN", "fetch-allow": "intranet", "fetch-timeout": "0s",
	"render-workers": "two", "webp": "yes please", "decode-memory-mb": "0", "keep-location": "2", "import-max-mb": "lots",
	"trash-days": "a week", "metrics-addr": "9090", "log-format": "xml",
	"blobs": "s3://Bad_Bucket/", "s3-access-key": "has space", "s3-secret-key": "secret with space",
	"blobs-redirect": "cdn.example.com/media", "blobs-redirect-ttl": "200h",
}

func allSettings() []setting { return append([]setting{dataSetting}, serveSettings...) }

func envOf(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

// Issue 13, part 2, item 6: one rule for every setting. A malformed value
// is an error naming the flag, whether it came from the flag or from the
// environment (then naming the variable too); never ignored, never false.
func TestSettingsRefuseMalformedValues(t *testing.T) {
	for _, s := range allSettings() {
		bad, ok := badValues[s.flag]
		if _, kind := data.ParseKind(strings.TrimSuffix(strings.TrimPrefix(s.flag, "max-"), "-mb")); !ok && kind {
			bad, ok = "big", true // the size limit of a kind added to data.KindTable
		}
		if !ok {
			t.Errorf("--%s has no malformed value in badValues", s.flag)
			continue
		}
		var cfg config
		err := newFlags("serve", envOf(), &cfg, allSettings()...).Parse([]string{"--" + s.flag + "=" + bad})
		if err == nil || !strings.Contains(err.Error(), "--"+s.flag) {
			t.Errorf("--%s=%q: %v, want an error naming --%s", s.flag, bad, err, s.flag)
		}
		if bad == "" {
			continue // an empty variable counts as unset
		}
		cfg = config{}
		err = newFlags("serve", envOf(s.env, bad), &cfg, allSettings()...).Parse(nil)
		if err == nil || !strings.Contains(err.Error(), "--"+s.flag) || !strings.Contains(err.Error(), s.env) {
			t.Errorf("%s=%q: %v, want an error naming --%s and %s", s.env, bad, err, s.flag, s.env)
		}
		if s.secret && strings.Contains(err.Error(), bad) {
			t.Errorf("%s: the error shows the secret: %v", s.env, err)
		}
	}
	// Every problem at once, not only the first.
	var cfg config
	err := newFlags("serve", envOf("GALLERIST_WEBP", "perhaps"), &cfg, allSettings()...).Parse([]string{"--addr", "nowhere", "--max-image-mb", "x"})
	for _, name := range []string{"--webp", "--addr", "--max-image-mb"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("the joint error %v does not name %s", err, name)
		}
	}
}

func TestSettingsDefaultsEnvAndFlags(t *testing.T) {
	var cfg config
	if err := newFlags("serve", envOf(), &cfg, allSettings()...).Parse(nil); err != nil {
		t.Fatalf("the defaults do not parse: %v", err)
	}
	if cfg.addr != "127.0.0.1:8080" || cfg.dataDir != "./gallerist_data" || !cfg.render.webp || cfg.secureCookies ||
		cfg.limits.KindBytes[data.KindImage] != 25<<20 || cfg.fetch.Timeout.String() != "15s" || cfg.trashGrace.Hours() != 7*24 {
		t.Errorf("defaults: %+v", cfg)
	}
	cfg = config{}
	env := envOf("GALLERIST_ADDR", ":9000", "GALLERIST_WEBP", "off", "GALLERIST_MAX_IMAGE_MB", "2.5", "GALLERIST_SECURE_COOKIES", "TRUE")
	if err := newFlags("serve", env, &cfg, allSettings()...).Parse([]string{"--addr", ":9100", "--keep-location", "--trash-days=0.5"}); err != nil {
		t.Fatal(err)
	}
	if cfg.addr != ":9100" || cfg.render.webp || !cfg.render.keepLocation || !cfg.secureCookies ||
		cfg.limits.KindBytes[data.KindImage] != 5<<19 || cfg.trashGrace.Hours() != 12 {
		t.Errorf("env and flags (the flag wins): %+v", cfg)
	}
}

// The help is generated from the table, so it lists every flag with its
// variable and default.
func TestUsageListsEverySetting(t *testing.T) {
	u := usage()
	for _, s := range allSettings() {
		if s.flag == "data" {
			continue // described with the commands
		}
		if !strings.Contains(u, "--"+s.flag) || !strings.Contains(u, s.env) {
			t.Errorf("usage does not list --%s (%s)", s.flag, s.env)
		}
	}
	for _, line := range strings.Split(u, "\n") {
		if len(line) > 100 {
			t.Errorf("usage line longer than 100 columns: %q", line)
		}
	}
}

// The README's configuration table lists every setting with its variable.
func TestREADMEListsEverySetting(t *testing.T) {
	readme := string(readFile(t, "README.md"))
	for _, s := range allSettings() {
		row := "| `--" + s.flag + "` | `" + s.env + "` |"
		if !strings.Contains(readme, row) {
			t.Errorf("README.md has no configuration row %q", row)
		}
	}
}
