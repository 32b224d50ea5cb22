package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"gallerist/data"
	"gallerist/storage"
	"gallerist/storage/fetch"
	"gallerist/web"
)

// setting is one configuration value: its flag, its environment variable,
// its default as one would type it, and the one parser that turns text into
// config. The rule is the same for every setting: a flag wins over the
// environment, an empty variable counts as unset, and a malformed value,
// from either, is an error that names the setting and where the value came
// from. Nothing malformed is ever ignored or read as a default.
type setting struct {
	flag, env string
	arg       string // the value's placeholder in the help; "" for a switch (--webp, --webp=false)
	def       string
	help      string
	parse     func(cfg *config, v string) error
	secret    bool // never repeat the value in messages
}

// dataSetting is taken by every command.
var dataSetting = setting{flag: "data", env: "GALLERIST_DATA", arg: "DIR", def: "./gallerist_data",
	help: "the data directory: database, files, sessions", parse: func(c *config, v string) error {
		if v == "" {
			return errors.New("must name a directory")
		}
		c.dataDir = v
		return nil
	}}

// trashSetting is taken by serve and gc.
var trashSetting = setting{flag: "trash-days", env: "GALLERIST_TRASH_DAYS", arg: "N",
	def:  strconv.FormatFloat(storage.DefaultTrashGrace.Hours()/24, 'f', -1, 64),
	help: "days trashed media stay restorable before GC purges them",
	parse: func(c *config, v string) error {
		d, err := strconv.ParseFloat(v, 64)
		if err != nil || d < 0 {
			return errors.New("must be a number of days, 0 or more")
		}
		c.trashGrace = time.Duration(d * float64(24*time.Hour))
		return nil
	}}

// serveSettings are the server's settings, in the order the help lists them.
var serveSettings = slices.Concat([]setting{
	{flag: "addr", env: "GALLERIST_ADDR", arg: "ADDR", def: "127.0.0.1:8080", help: "listen address",
		parse: func(c *config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return errors.New("must be host:port, e.g. 127.0.0.1:8080 or :8080")
			}
			c.addr = v
			return nil
		}},
	{flag: "public-url", env: "GALLERIST_PUBLIC_URL", arg: "URL", help: "absolute base of file URLs, e.g. https://media.example.com",
		parse: func(c *config, v string) error {
			if v == "" {
				c.publicURL = ""
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				return errors.New("must be an absolute http or https URL")
			}
			c.publicURL = strings.TrimSuffix(v, "/")
			return nil
		}},
	{flag: "metrics-addr", env: "GALLERIST_METRICS_ADDR", arg: "ADDR",
		help: "serve /metrics (Prometheus), /healthz and /readyz on this separate address, e.g. 127.0.0.1:9090; none: no metrics",
		parse: func(c *config, v string) error {
			if v == "" {
				c.metricsAddr = ""
				return nil
			}
			if _, _, err := net.SplitHostPort(v); err != nil {
				return errors.New("must be host:port, e.g. 127.0.0.1:9090")
			}
			c.metricsAddr = v
			return nil
		}},
	{flag: "log-format", env: "GALLERIST_LOG_FORMAT", arg: "FORMAT", def: "text",
		help: "log lines as text (key=value) or json (one object per line)",
		parse: func(c *config, v string) error {
			if v != "text" && v != "json" {
				return errors.New("must be text or json")
			}
			c.logFormat = v
			return nil
		}},
	{flag: "secure-cookies", env: "GALLERIST_SECURE_COOKIES", def: "false",
		help:  "send the login cookie only over HTTPS; set it behind TLS",
		parse: boolInto(func(c *config) *bool { return &c.secureCookies })},
	{flag: "trusted-proxies", env: "GALLERIST_TRUSTED_PROXIES", arg: "CIDRS",
		help: "reverse proxies (ranges or addresses, comma-separated) whose X-Forwarded-For/-Host/-Proto are believed, e.g. 127.0.0.1/32; none: those headers are ignored",
		parse: func(c *config, v string) (err error) {
			c.trustedProxies, err = web.ParseTrustedProxies(v)
			return err
		}},
	{flag: "cors-origins", env: "GALLERIST_CORS_ORIGINS", arg: "LIST",
		help: "origins whose pages may call /api and read /files from a browser, comma-separated (https://shop.example.com), or * for any; none: CORS off; never with credentials",
		parse: func(c *config, v string) (err error) {
			c.corsOrigins, err = web.ParseCORSOrigins(v)
			return err
		}},
	{flag: "max-conns-per-ip", env: "GALLERIST_MAX_CONNS_PER_IP", arg: "N", def: strconv.Itoa(web.DefaultTimeouts.MaxConnsPerIP),
		help: "concurrent connections one IPv4 address may hold; 0 for no cap",
		parse: func(c *config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errors.New("must be a whole number, 0 or more")
			}
			c.timeouts.MaxConnsPerIP = n
			if n == 0 {
				c.timeouts.MaxConnsPerIP = -1 // no cap
			}
			return nil
		}},
	{flag: "shutdown-grace", env: "GALLERIST_SHUTDOWN_GRACE", arg: "DUR", def: "30s",
		help:  "time in-flight requests get to finish at shutdown; uploads still running then are answered 503",
		parse: durationInto(func(c *config) *time.Duration { return &c.shutdownGrace }, 0)},
	{flag: "header-timeout", env: "GALLERIST_HEADER_TIMEOUT", arg: "DUR", def: web.DefaultTimeouts.Header.String(),
		help:  "time a client has to send a request's headers, and the whole body of small requests; uploads may take longer while bytes keep arriving",
		parse: durationInto(func(c *config) *time.Duration { return &c.timeouts.Header }, time.Nanosecond)},
}, kindLimitSettings(), []setting{importMaxSetting,
	{flag: "fetch-allow", env: "GALLERIST_FETCH_ALLOW", arg: "CIDRS",
		help: "address ranges URL imports and webhook deliveries may reach although not public, e.g. 10.1.2.0/24 for an intranet; none by default",
		parse: func(c *config, v string) (err error) {
			c.fetch.Allow, err = fetch.ParseAllow(v)
			return err
		}},
	{flag: "fetch-timeout", env: "GALLERIST_FETCH_TIMEOUT", arg: "DUR", def: "15s", help: "total time limit per URL import and per webhook delivery",
		parse: durationInto(func(c *config) *time.Duration { return &c.fetch.Timeout }, time.Nanosecond)},
	{flag: "render-workers", env: "GALLERIST_RENDER_WORKERS", arg: "N",
		help: "images resized at once in the background; default one per core but one",
		parse: func(c *config, v string) error {
			if v == "" {
				c.render.workers = max(1, runtime.NumCPU()-1)
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errors.New("must be a whole number, 0 or more")
			}
			c.render.workers = n
			return nil
		}},
	{flag: "webp", env: "GALLERIST_WEBP", def: "true", help: "also make WebP renditions",
		parse: boolInto(func(c *config) *bool { return &c.render.webp })},
	{flag: "decode-memory-mb", env: "GALLERIST_DECODE_MEMORY_MB", arg: "N", def: strconv.Itoa(storage.DefaultDecodeMemory >> 20),
		help: "memory for decoding and resizing images, all workers together",
		parse: func(c *config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return errors.New("must be a whole number of megabytes, more than 0")
			}
			c.render.decodeMemoryMB = n
			return nil
		}},
	{flag: "keep-location", env: "GALLERIST_KEEP_LOCATION", def: "false", help: "keep GPS data in uploaded JPEGs",
		parse: boolInto(func(c *config) *bool { return &c.render.keepLocation })},
	trashSetting,
	blobSettings[0], blobSettings[1], blobSettings[2],
}, blobRedirectSettings)

func boolInto(field func(*config) *bool) func(*config, string) error {
	return func(c *config, v string) error {
		switch strings.ToLower(v) {
		case "1", "true", "yes", "on":
			*field(c) = true
		case "0", "false", "no", "off":
			*field(c) = false
		default:
			return errors.New("must be true or false")
		}
		return nil
	}
}

func durationInto(field func(*config) *time.Duration, least time.Duration) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < least {
			if least > 0 {
				return errors.New("must be a duration such as 10s or 2m, more than 0")
			}
			return errors.New("must be a duration such as 30s or 2m, 0 or more")
		}
		*field(c) = d
		return nil
	}
}

// mbDefault spells a byte count as a --max-*-mb default.
func mbDefault(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64) }

// importMaxSetting bounds a zip import (serve's uploads and the CLI's zips).
var importMaxSetting = setting{flag: "import-max-mb", env: "GALLERIST_IMPORT_MAX_MB", arg: "N", def: mbDefault(data.MaxImportBytes),
	help: "the largest zip a bulk import takes, and the most its files may expand to, in megabytes",
	parse: func(c *config, v string) error {
		mb, err := strconv.ParseFloat(v, 64)
		if err != nil || !(mb > 0) || mb > 1<<24 {
			return errors.New("must be a number of megabytes, more than 0")
		}
		c.limits.MaxImportBytes = int64(mb * (1 << 20))
		return nil
	}}

// kindLimitSettings are the size limit settings, one per kind of
// data.KindTable: --max-image-mb, GALLERIST_MAX_IMAGE_MB, and so on.
func kindLimitSettings() []setting {
	var out []setting
	for _, k := range data.KindTable {
		out = append(out, setting{flag: "max-" + string(k.Kind) + "-mb", env: "GALLERIST_MAX_" + strings.ToUpper(string(k.Kind)) + "_MB",
			arg: "N", def: mbDefault(k.MaxBytes), help: string(k.Kind) + " size limit", parse: megabytesInto(k.Kind)})
	}
	return out
}

// megabytesInto parses a number of megabytes into a kind's size limit.
func megabytesInto(kind data.Kind) func(*config, string) error {
	return func(c *config, v string) error {
		mb, err := strconv.ParseFloat(v, 64)
		if err != nil || !(mb > 0) || mb > 1<<20 {
			return errors.New("must be a number of megabytes, more than 0")
		}
		if c.limits.KindBytes == nil {
			c.limits.KindBytes = map[data.Kind]int64{}
		}
		c.limits.KindBytes[kind] = int64(mb * (1 << 20))
		return nil
	}
}

// flags is a command's flag set with the settings it takes: Parse parses
// the command line and then applies every setting, from its flag, its
// environment variable or its default, reporting all malformed values.
type flags struct {
	*flag.FlagSet
	apply func() error
}

func newFlags(name string, getenv func(string) string, cfg *config, settings ...setting) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.render.toolPath = getenv("PATH")
	type value struct {
		s         setting
		raw, from string
	}
	values := make([]*value, len(settings))
	for i, s := range settings {
		v := &value{s: s, raw: s.def}
		if e := getenv(s.env); e != "" {
			v.raw, v.from = e, s.env
		}
		values[i] = v
		set := func(x string) error { v.raw, v.from = x, "flag"; return nil }
		if s.arg == "" {
			fs.BoolFunc(s.flag, s.help, set)
		} else {
			fs.Func(s.flag, s.help, set)
		}
	}
	return &flags{FlagSet: fs, apply: func() error {
		var errs []error
		for _, v := range values {
			if err := v.s.parse(cfg, strings.TrimSpace(v.raw)); err != nil {
				if v.s.secret {
					v.raw = "(hidden)"
				}
				switch v.from {
				case "":
					errs = append(errs, fmt.Errorf("--%s: the default %q: %w", v.s.flag, v.raw, err))
				case "flag":
					errs = append(errs, fmt.Errorf("--%s %q: %w", v.s.flag, v.raw, err))
				default:
					errs = append(errs, fmt.Errorf("--%s (from %s=%q): %w", v.s.flag, v.from, v.raw, err))
				}
			}
		}
		return errors.Join(errs...)
	}}
}

// Parse parses args, then applies the settings.
func (f *flags) Parse(args []string) error {
	if err := f.FlagSet.Parse(args); err != nil {
		return err
	}
	return f.apply()
}

// commonFlags is the flag set of a command that takes only --data (and
// flags of its own, added by the caller).
func commonFlags(name string, getenv func(string) string, cfg *config) *flags {
	return newFlags(name, getenv, cfg, dataSetting)
}

// settingsHelp is the help for settings, generated from the table so it
// cannot drift: each flag with its placeholder, what it does, its variable
// and its default, wrapped to fit a terminal.
func settingsHelp(settings []setting) string {
	var b strings.Builder
	for _, s := range settings {
		name := "--" + s.flag
		if s.arg != "" {
			name += " " + s.arg
		}
		tail := s.env
		if s.def != "" {
			tail += ", default " + s.def
		}
		words := strings.Fields(s.help + " (" + tail + ")")
		line := fmt.Sprintf("  %-23s", name)
		if len(line) > 25 {
			b.WriteString(line + "\n")
			line = strings.Repeat(" ", 25)
		}
		for i, w := range words {
			if i > 0 && len(line)+1+len(w) > 96 {
				b.WriteString(line + "\n")
				line = strings.Repeat(" ", 25)
			}
			line += " " + w
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
