// Command gallerist is a self-hosted product media manager: one binary with
// the admin UI, the JSON API under /api, SQLite and a local blob store.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gallerist/data"
	"gallerist/handlers"
	"gallerist/storage"
	"gallerist/storage/fetch"
	"gallerist/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "gallerist:", err)
		os.Exit(1)
	}
}

const usage = `Gallerist: a self-hosted product media manager.

Usage:
  gallerist [serve] [--addr 127.0.0.1:8080] [--data ./gallerist_data]
  gallerist org create --slug SLUG --name NAME
  gallerist token create --name NAME --scopes media:read,media:create,... [--org SLUG] [--expires 720h]
  gallerist user create --email EMAIL [--org SLUG] [--role owner|editor|viewer]
                          (password from standard input or GALLERIST_PASSWORD)
  gallerist product create --title TITLE [--handle HANDLE] [--org SLUG]
  gallerist gc [--dry-run] [--trash-days 7]
  gallerist backup --data DIR --to NEWDIR
                          consistent snapshot of a running or stopped instance
  gallerist restore --from BACKUPDIR --data NEWDIR
                          checks the backup against its manifest; NEWDIR must be new or empty
  gallerist verify --data DIR
                          checks database, galleries, every blob's SHA-256, renditions, orphans;
                          exit status 0 only when clean (read-only: safe while serving)
  gallerist help | --help

Every command takes --data DIR (env GALLERIST_DATA, default ./gallerist_data),
creates it if needed, runs migrations and makes sure an organization exists;
except restore (DIR must be new or empty) and verify (never writes).

serve flags (each also as an environment variable):
  --addr ADDR              listen address (GALLERIST_ADDR, default 127.0.0.1:8080)
  --public-url URL         absolute base of file URLs (GALLERIST_PUBLIC_URL)
  --secure-cookies         send the login cookie only over HTTPS; set it behind TLS
                           (GALLERIST_SECURE_COOKIES=true)
  --trusted-proxies CIDRS  reverse proxies (ranges or addresses, comma-separated) whose
                           X-Forwarded-For/-Host/-Proto are believed, e.g. 127.0.0.1/32
                           (GALLERIST_TRUSTED_PROXIES; default none: those headers are ignored)
  --cors-origins LIST      origins whose pages may call /api and read /files from a browser,
                           comma-separated (https://shop.example.com), or * for any
                           (GALLERIST_CORS_ORIGINS; default none: CORS off); never with credentials
  --max-conns-per-ip N     concurrent connections one IPv4 address may hold (GALLERIST_MAX_CONNS_PER_IP,
                           default 64; 0 for no cap)
  --shutdown-grace DUR     time in-flight requests get to finish at shutdown; uploads still running
                           then are answered 503 (GALLERIST_SHUTDOWN_GRACE, default 30s)
  --header-timeout DUR     time a client has to send a request's headers, and the whole body of
                           small requests (GALLERIST_HEADER_TIMEOUT, default 10s); uploads may take
                           longer while bytes keep arriving
  --max-image-mb N         image size limit (GALLERIST_MAX_IMAGE_MB, default 25)
  --max-document-mb N      document size limit (GALLERIST_MAX_DOCUMENT_MB, default 20)
  --max-video-mb N         video size limit (GALLERIST_MAX_VIDEO_MB, default 100)
  --max-audio-mb N         audio size limit (GALLERIST_MAX_AUDIO_MB, default 50)
  --fetch-allow CIDRS      address ranges URL imports may reach although not public,
                           e.g. 10.1.2.0/24 for an intranet (GALLERIST_FETCH_ALLOW; default none)
  --fetch-timeout DUR      total time limit per URL import (GALLERIST_FETCH_TIMEOUT, default 15s)
  --render-workers N       images resized at once in the background (GALLERIST_RENDER_WORKERS,
                           default: one per core but one)
  --webp                   also make WebP renditions (GALLERIST_WEBP, default true)
  --decode-memory-mb N     memory for decoding and resizing images, all workers together
                           (GALLERIST_DECODE_MEMORY_MB, default 512)
  --keep-location          keep GPS data in uploaded JPEGs (GALLERIST_KEEP_LOCATION, default false)
  --trash-days N           days trashed media stay restorable before GC purges them
                           (GALLERIST_TRASH_DAYS, default 7; also for gc)

Token scopes: media:read, media:create, media:update, media:delete, products:read, products:write.
`

// config is everything a command needs, from flags and the environment.
type config struct {
	dataDir   string
	addr      string
	publicURL string
	limits    data.Limits

	secureCookies bool          // session cookie only over HTTPS
	trashGrace    time.Duration // how long trashed media stay restorable (0: the default)

	trustedProxies []netip.Prefix // peers whose X-Forwarded-* headers are believed
	corsOrigins    []string       // origins allowed to call /api and /files from a browser

	// timeouts bound slow clients (zero fields: web.DefaultTimeouts).
	timeouts web.Timeouts

	// fetch configures importing by URL (the one SSRF-hardened fetcher).
	fetch fetch.Config
	// render configures renditions.
	render renderConfig
}

// renderConfig configures the rendition workers.
type renderConfig struct {
	workers        int  // eager pool size
	webp           bool // WebP beside JPEG/PNG
	keepLocation   bool // keep GPS metadata in JPEG originals
	decodeMemoryMB int  // decode memory budget of all workers (0: storage's default)
}

func defaultRender() renderConfig {
	return renderConfig{workers: max(1, runtime.NumCPU()-1), webp: true, decodeMemoryMB: storage.DefaultDecodeMemory >> 20}
}

func commonFlags(name string, getenv func(string) string, cfg *config) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.dataDir = envOr(getenv, "GALLERIST_DATA", "./gallerist_data")
	fs.StringVar(&cfg.dataDir, "data", cfg.dataDir, "data directory")
	return fs
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// app is the opened storage, shared by the commands.
type app struct {
	db     *storage.DB
	blobs  *storage.LocalBlobs
	orgs   *storage.OrgService
	auth   *storage.AuthService
	media  *storage.MediaService
	defOrg *data.Org

	catalog *storage.CatalogService

	renderer *storage.Renderer
	handlers *handlers.Handlers // the last server's, for tests and benchmarks

	users    *storage.UserService
	sessions *web.Sessions
}

func openApp(ctx context.Context, cfg config) (*app, error) {
	if err := os.MkdirAll(cfg.dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := storage.OpenDB(ctx, filepath.Join(cfg.dataDir, "gallerist.db"))
	if err != nil {
		return nil, err
	}
	blobs, err := storage.NewLocalBlobs(cfg.dataDir)
	if err != nil {
		db.Close()
		return nil, err
	}
	a := &app{db: db, blobs: blobs, orgs: storage.NewOrgService(db), auth: storage.NewAuthService(db),
		media: storage.NewMediaService(db, blobs, cfg.limits)}
	a.media.Fetcher = fetch.New(cfg.fetch)
	a.media.StripLocation = !cfg.render.keepLocation
	a.renderer = storage.NewRenderer(db, blobs, cfg.render.workers, int64(cfg.render.decodeMemoryMB)<<20)
	a.renderer.WebP = cfg.render.webp
	a.media.Created = func([]int64) { a.renderer.Kick() }
	a.catalog = storage.NewCatalogService(db, a.media, cfg.limits)
	a.users = storage.NewUserService(db)
	if a.sessions, err = web.NewSessions(cfg.dataDir, cfg.secureCookies, a.users); err != nil {
		db.Close()
		return nil, err
	}
	if a.defOrg, err = a.orgs.EnsureDefaultOrg(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") && (cmd == "org" || cmd == "token" || cmd == "product" || cmd == "user") {
		cmd, args = cmd+" "+args[0], args[1:]
	}
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			cmd = "help"
		}
	}
	switch cmd {
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve":
		return runServe(ctx, args, getenv, stdout, stderr)
	case "org create":
		return runOrgCreate(ctx, args, getenv, stdout)
	case "token create":
		return runTokenCreate(ctx, args, getenv, stdout)
	case "user create":
		return runUserCreate(ctx, args, getenv, stdin, stdout)
	case "product create":
		return runProductCreate(ctx, args, getenv, stdout)
	case "gc":
		return runGC(ctx, args, getenv, stdout)
	case "backup":
		return runBackup(ctx, args, getenv, stdout, stderr)
	case "restore":
		return runRestore(ctx, args, getenv, stdout, stderr)
	case "verify":
		return runVerify(ctx, args, getenv, stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func limitFlags(fs *flag.FlagSet, getenv func(string) string, l *data.Limits) func() error {
	type lim struct {
		name, env string
		dst       *int64
		def       int64
		v         *float64
	}
	lims := []*lim{
		{name: "max-image-mb", env: "GALLERIST_MAX_IMAGE_MB", dst: &l.MaxImageBytes, def: l.MaxImageBytes},
		{name: "max-document-mb", env: "GALLERIST_MAX_DOCUMENT_MB", dst: &l.MaxDocumentBytes, def: l.MaxDocumentBytes},
		{name: "max-video-mb", env: "GALLERIST_MAX_VIDEO_MB", dst: &l.MaxVideoBytes, def: l.MaxVideoBytes},
		{name: "max-audio-mb", env: "GALLERIST_MAX_AUDIO_MB", dst: &l.MaxAudioBytes, def: l.MaxAudioBytes},
	}
	for _, x := range lims {
		def := float64(x.def) / (1 << 20)
		if v := getenv(x.env); v != "" {
			fmt.Sscanf(v, "%g", &def)
		}
		x.v = fs.Float64(x.name, def, "size limit in MB")
	}
	return func() error {
		for _, x := range lims {
			if *x.v <= 0 {
				return fmt.Errorf("--%s must be more than 0", x.name)
			}
			*x.dst = int64(*x.v * (1 << 20))
		}
		return nil
	}
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config{limits: data.DefaultLimits()}
	fs := commonFlags("serve", getenv, &cfg)
	fs.StringVar(&cfg.addr, "addr", envOr(getenv, "GALLERIST_ADDR", "127.0.0.1:8080"), "listen address")
	fs.StringVar(&cfg.publicURL, "public-url", getenv("GALLERIST_PUBLIC_URL"), "public base URL")
	applyLimits := limitFlags(fs, getenv, &cfg.limits)
	applyFetch := fetchFlags(fs, getenv, &cfg.fetch)
	cfg.render = defaultRender()
	renderFlags(fs, getenv, &cfg.render)
	trashDays := trashDaysFlag(fs, getenv)
	fs.BoolVar(&cfg.secureCookies, "secure-cookies", envBool(getenv, "GALLERIST_SECURE_COOKIES"), "send the session cookie only over HTTPS")
	proxies := fs.String("trusted-proxies", getenv("GALLERIST_TRUSTED_PROXIES"), "reverse proxies whose X-Forwarded-* headers are believed")
	corsFlag := fs.String("cors-origins", getenv("GALLERIST_CORS_ORIGINS"), "origins whose pages may call the API")
	conns := fs.String("max-conns-per-ip", envOr(getenv, "GALLERIST_MAX_CONNS_PER_IP", strconv.Itoa(web.DefaultTimeouts.MaxConnsPerIP)), "connections per IPv4 address")
	headerTimeout := fs.String("header-timeout", envOr(getenv, "GALLERIST_HEADER_TIMEOUT", web.DefaultTimeouts.Header.String()), "time to send headers")
	graceFlag := fs.String("shutdown-grace", envOr(getenv, "GALLERIST_SHUTDOWN_GRACE", "30s"), "time in-flight requests get at shutdown")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w\n\n%s", err, usage)
	}
	nconns, err := strconv.Atoi(*conns)
	if err != nil || nconns < 0 {
		return fmt.Errorf("--max-conns-per-ip must be a whole number, 0 or more (got %q)", *conns)
	}
	cfg.timeouts.MaxConnsPerIP = nconns
	if nconns == 0 {
		cfg.timeouts.MaxConnsPerIP = -1 // no cap
	}
	if cfg.timeouts.Header, err = time.ParseDuration(*headerTimeout); err != nil || cfg.timeouts.Header <= 0 {
		return fmt.Errorf("--header-timeout must be a duration such as 10s (got %q)", *headerTimeout)
	}
	shutdownGrace, err := time.ParseDuration(*graceFlag)
	if err != nil || shutdownGrace < 0 {
		return fmt.Errorf("--shutdown-grace must be a duration such as 30s (got %q)", *graceFlag)
	}
	trusted, err := web.ParseTrustedProxies(*proxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	cfg.trustedProxies = trusted
	if cfg.corsOrigins, err = web.ParseCORSOrigins(*corsFlag); err != nil {
		return fmt.Errorf("--cors-origins: %w", err)
	}
	if err := applyLimits(); err != nil {
		return err
	}
	if err := applyFetch(); err != nil {
		return err
	}
	grace, err := trashDays()
	if err != nil {
		return err
	}
	cfg.trashGrace = grace
	log := slog.New(slog.NewTextHandler(stderr, nil))
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.db.Close()
	a.db.Log = log
	unlock, err := lockDataDir(cfg.dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	// The one server of this data dir: staging files are leftovers of a crash.
	if err := a.blobs.ClearTemp(); err != nil {
		log.Warn("clear staging files", "err", err)
	}

	go collectGarbageEvery(ctx, a, grace, time.Hour, log)
	limitMemory(cfg.render, getenv)
	a.renderer.Start(ctx)
	defer a.renderer.Wait()
	srv := newServer(a, cfg, log)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Gallerist is running on http://%s (data in %s)\n", ln.Addr(), cfg.dataDir)
	err = srv.Listen(ctx, ln, shutdownGrace)
	a.renderer.Wait()
	if cerr := a.blobs.ClearTemp(); cerr != nil {
		log.Warn("clear staging files", "err", cerr)
	}
	log.Info("stopped")
	return err
}

func newServer(a *app, cfg config, log *slog.Logger) *web.Server {
	h := handlers.New(handlers.Deps{Users: a.users, Sessions: a.sessions, TrashGrace: cfg.trashGrace,
		Media: a.media, Auth: a.auth, Catalog: a.catalog, Renditions: a.renderer, Limits: cfg.limits, PublicURL: cfg.publicURL})
	a.handlers = h
	return web.New(uiConfig(a, h, web.Config{Log: log, Auth: a.auth, TrustedProxies: cfg.trustedProxies, Timeouts: cfg.timeouts, CORSOrigins: cfg.corsOrigins}), h.Routes())
}

func runOrgCreate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var cfg config
	fs := commonFlags("org create", getenv, &cfg)
	slug := fs.String("slug", "", "organization slug")
	name := fs.String("name", "", "organization name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *slug == "" {
		return errors.New("org create needs --slug")
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.db.Close()
	org, err := a.orgs.CreateOrg(ctx, *slug, *name)
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(stdout, "Created organization %q (%s)\n%d\n", org.Slug, org.Name, org.ID)
	return nil
}

func runTokenCreate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	var cfg config
	fs := commonFlags("token create", getenv, &cfg)
	name := fs.String("name", "", "token name")
	scopes := fs.String("scopes", "", "comma-separated scopes")
	orgSlug := fs.String("org", data.DefaultOrgSlug, "organization slug")
	expires := fs.Duration("expires", 0, "lifetime, e.g. 720h (default: never expires)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sc, err := data.ParseScopes(*scopes)
	if err != nil {
		return cliError(err)
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.db.Close()
	org, err := a.orgs.FindOrgBySlug(ctx, *orgSlug)
	if err != nil {
		return cliError(err)
	}
	var exp *time.Time
	if *expires > 0 {
		t := time.Now().Add(*expires)
		exp = &t
	}
	pctx := data.WithPrincipal(ctx, data.Principal{OrgID: org.ID, Actor: "cli"})
	t, secret, err := a.auth.CreateToken(pctx, *name, sc, exp)
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(stdout, "Created token %q for %s with scopes %s. Keep the secret below; it is shown only once.\n%s\n",
		t.Name, org.Slug, *scopes, secret)
	return nil
}

func cliError(err error) error {
	var de *data.Error
	if errors.As(err, &de) {
		return errors.New(de.Message)
	}
	return err
}

// fetchFlags adds the URL-import settings; the returned func validates them.
func fetchFlags(fs *flag.FlagSet, getenv func(string) string, cfg *fetch.Config) func() error {
	allow := fs.String("fetch-allow", getenv("GALLERIST_FETCH_ALLOW"), "address ranges URL imports may reach")
	timeout := fs.String("fetch-timeout", envOr(getenv, "GALLERIST_FETCH_TIMEOUT", "15s"), "time limit per URL import")
	return func() error {
		prefixes, err := fetch.ParseAllow(*allow)
		if err != nil {
			return fmt.Errorf("--fetch-allow: %w", err)
		}
		d, err := time.ParseDuration(*timeout)
		if err != nil || d <= 0 {
			return fmt.Errorf("--fetch-timeout must be a duration such as 15s")
		}
		cfg.Allow, cfg.Timeout = prefixes, d
		return nil
	}
}

// renderFlags adds the rendition settings.
func renderFlags(fs *flag.FlagSet, getenv func(string) string, rc *renderConfig) {
	if v, err := strconv.Atoi(getenv("GALLERIST_RENDER_WORKERS")); err == nil && v >= 0 {
		rc.workers = v
	}
	if v, err := strconv.ParseBool(getenv("GALLERIST_WEBP")); err == nil {
		rc.webp = v
	}
	if v, err := strconv.ParseBool(getenv("GALLERIST_KEEP_LOCATION")); err == nil {
		rc.keepLocation = v
	}
	fs.IntVar(&rc.workers, "render-workers", rc.workers, "background rendition workers")
	fs.BoolVar(&rc.webp, "webp", rc.webp, "also make WebP renditions")
	fs.BoolVar(&rc.keepLocation, "keep-location", rc.keepLocation, "keep GPS metadata in JPEG originals")
	if v, err := strconv.Atoi(getenv("GALLERIST_DECODE_MEMORY_MB")); err == nil && v > 0 {
		rc.decodeMemoryMB = v
	}
	fs.IntVar(&rc.decodeMemoryMB, "decode-memory-mb", rc.decodeMemoryMB, "memory budget for decoding images, all workers together")
}

// limitMemory sets the Go runtime's soft memory limit (unless GOMEMLIMIT is
// set) to the decode budget plus headroom for the rest of the server, so
// that the garbage collector returns decoded images' memory before the heap
// grows past that, instead of letting it reach twice what is live.
func limitMemory(rc renderConfig, getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" && rc.decodeMemoryMB > 0 {
		debug.SetMemoryLimit(int64(rc.decodeMemoryMB+128) << 20)
	}
}
