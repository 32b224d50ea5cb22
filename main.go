// Command gallerist is a self-hosted product media manager: one binary with
// the admin UI, the JSON API under /api, SQLite and a local blob store.
package main

import (
	"context"
	"encoding/json"
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
	"runtime/debug"
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

const usageCommands = `Gallerist: a self-hosted product media manager.

Usage:
  gallerist [serve] [--addr 127.0.0.1:8080] [--data ./gallerist_data] [--take-over-store]
  gallerist org create --slug SLUG --name NAME
  gallerist token create --name NAME --scopes media:read,media:create,...
                          [--org SLUG] [--expires 720h]
  gallerist user create --email EMAIL [--org SLUG] [--role owner|editor|viewer]
                          (password from standard input or GALLERIST_PASSWORD)
  gallerist product create --title TITLE [--handle HANDLE] [--org SLUG]
  gallerist gc [--dry-run] [--trash-days 7] [--blobs local|s3://...]
  gallerist backup --data DIR --to NEWDIR|s3://BUCKET/PREFIX?... [--blobs local|s3://...]
                          consistent snapshot of a running or stopped instance, with its files
                          (read from the bucket when they live in one)
  gallerist restore --from BACKUPDIR|s3://BUCKET/PREFIX?... --data NEWDIR
                          checks the backup against its manifest; NEWDIR must be new or empty
  gallerist verify --data DIR [--blobs local|s3://...]
                          checks database, galleries, every blob's SHA-256, renditions, orphans;
                          exit status 0 only when clean (read-only: safe while serving)
  gallerist import [--create-products] [--dry-run] [--org SLUG] [--blobs local|s3://...] FOLDER|ZIP
                          adds files named by product handle (red-mug.jpg, red-mug-2.jpg,
                          red-mug_3.png) or listed in the folder's import.csv
                          (handle,position,file,alt) to those products' galleries, in order
  gallerist reindex --data DIR
                          rebuilds the search index from the media rows (the server indexes
                          rows written by other tools at start, in the background)
  gallerist blobs migrate --to local|s3://BUCKET/PREFIX?... [--blobs SOURCE] --data DIR
                          copies every original and rendition into another store, each
                          checked against its SHA-256 (or its database row); resumable (files
                          already there are skipped), safe while serving (it only reads the
                          source); to switch: stop the server, run it once more, start the
                          server with --blobs TARGET
  gallerist help | --help

Every command takes --data DIR (env GALLERIST_DATA, default ./gallerist_data),
creates it if needed, runs migrations and makes sure an organization exists;
except restore (DIR must be new or empty) and verify (never writes).
serve, gc, import, backup, verify and blobs migrate take --blobs (env GALLERIST_BLOBS):
where files live; each refuses a store other than the one the instance's server uses.
--take-over-store (serve): start on a store another database owns (disaster recovery:
a restored copy taking the place of an instance that is gone).

serve flags (each also as an environment variable):
`

func usage() string {
	names := tokenScopeNames()
	half := (len(names) + 1) / 2
	return usageCommands + settingsHelp(serveSettings) + "\nToken scopes: " + strings.Join(names[:half], ", ") + ",\n  " +
		strings.Join(names[half:], ", ") + ".\n"
}

func tokenScopeNames() []string {
	var names []string
	for _, s := range data.AllTokenScopes {
		names = append(names, string(s.Scope))
	}
	return names
}

// config is everything a command needs, from flags and the environment.
type config struct {
	dataDir   string
	addr      string
	publicURL string
	limits    data.Limits

	metricsAddr string // the metrics listener ("": none)
	logFormat   string // "text" or "json"

	secureCookies bool          // session cookie only over HTTPS
	trashGrace    time.Duration // how long trashed media stay restorable (0: the default)
	shutdownGrace time.Duration // how long in-flight requests get at shutdown

	trustedProxies []netip.Prefix // peers whose X-Forwarded-* headers are believed
	corsOrigins    []string       // origins allowed to call /api and /files from a browser

	// timeouts bound slow clients (zero fields: web.DefaultTimeouts).
	timeouts web.Timeouts

	// blobs says where files live (the data dir or an S3 bucket).
	blobs blobsConfig

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
	// toolPath is the PATH searched at start for ffmpeg and pdftoppm
	// (video posters and PDF thumbnails are made only when they are found).
	toolPath string
}

// app is the opened storage, shared by the commands.
type app struct {
	db      *storage.DB
	blobs   storage.BlobStore
	staging *storage.Staging
	orgs    *storage.OrgService
	auth    *storage.AuthService
	media   *storage.MediaService
	defOrg  *data.Org

	catalog *storage.CatalogService
	// importer runs bulk imports: the CLI's, the API's and the UI's.
	importer *storage.Importer
	events   *storage.EventService
	webhooks *storage.WebhookService

	renderer *storage.Renderer
	handlers *handlers.Handlers // the last server's, for tests and benchmarks

	users    *storage.UserService
	sessions *web.Sessions
}

// now is the one clock: the database's (storage reads it once per
// transaction), which every other part reads through this, so a test that
// moves it moves them all.
func (a *app) now() time.Time { return a.db.Now() }

func openApp(ctx context.Context, cfg config) (*app, error) {
	if err := os.MkdirAll(cfg.dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := storage.OpenDB(ctx, filepath.Join(cfg.dataDir, "gallerist.db"))
	if err != nil {
		return nil, err
	}
	staging, err := storage.NewStaging(stagingDir(cfg))
	if err != nil {
		db.Close()
		return nil, err
	}
	store, err := openBlobs(ctx, cfg, staging)
	if err != nil {
		db.Close()
		return nil, err
	}
	blobs := storage.CountErrors(store)
	a := &app{db: db, blobs: blobs, staging: staging, orgs: storage.NewOrgService(db), auth: storage.NewAuthService(db),
		media: storage.NewMediaService(db, blobs, staging, cfg.limits)}
	a.media.Fetcher = fetch.New(cfg.fetch)
	a.media.StripLocation = !cfg.render.keepLocation
	a.renderer = storage.NewRenderer(db, blobs, cfg.render.workers, int64(cfg.render.decodeMemoryMB)<<20)
	a.renderer.WebP = cfg.render.webp
	stills := storage.DetectStills(cfg.render.toolPath)
	stills.TempDir = stagingDir(cfg) // local, beside the uploads, not a small /tmp
	a.media.Stills, a.renderer.Stills = stills, stills
	a.media.Created = func([]int64) { a.renderer.Kick() }
	a.catalog = storage.NewCatalogService(db, a.media, cfg.limits)
	a.importer = storage.NewImporter(a.media, a.catalog, staging, cfg.limits)
	a.events = storage.NewEventService(db)
	a.webhooks = storage.NewWebhookService(db, a.media.Fetcher)
	a.webhooks.Encode = func(ev *data.Event) ([]byte, error) { return json.Marshal(handlers.NewEventJSON(ev)) }
	a.users = storage.NewUserService(db)
	if a.sessions, err = web.NewSessions(cfg.dataDir, cfg.secureCookies, a.users); err != nil {
		db.Close()
		return nil, err
	}
	a.sessions.Limiter.Now = a.now
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
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") && (cmd == "org" || cmd == "token" || cmd == "product" || cmd == "user" || cmd == "blobs") {
		cmd, args = cmd+" "+args[0], args[1:]
	}
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			cmd = "help"
		}
	}
	switch cmd {
	case "help":
		fmt.Fprint(stdout, usage())
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
	case "import":
		return runImport(ctx, args, getenv, stdout, stderr)
	case "reindex":
		return runReindex(ctx, args, getenv, stdout, stderr)
	case "blobs migrate":
		return runBlobsMigrate(ctx, args, getenv, stdout, stderr)
	}
	fmt.Fprint(stderr, usage())
	return fmt.Errorf("unknown command %q", cmd)
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config{limits: data.DefaultLimits()}
	fs := newFlags("serve", getenv, &cfg, append([]setting{dataSetting}, serveSettings...)...)
	takeOver := fs.Bool("take-over-store", false, "start on a store another database owns (disaster recovery: a restored copy taking the place of an instance that is gone)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w\n\n%s", err, usage())
	}
	grace, shutdownGrace := cfg.trashGrace, cfg.shutdownGrace
	log := newLogger(cfg.logFormat, stderr)
	if cfg.logFormat == "json" {
		stdout = logWriter{log} // "Gallerist is running on ..." is a JSON object too
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.db.Close()
	a.db.Log = log
	logStills(log, a.renderer.Stills)
	unlock, err := lockDataDir(cfg.dataDir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := a.claimStore(ctx, cfg.blobs, *takeOver, log); err != nil {
		return err
	}
	// The one server of this data dir: staging files are leftovers of a crash.
	if err := a.staging.Clear(); err != nil {
		log.Warn("clear staging files", "err", err)
	}
	if gone, err := a.staging.RemoveDeadBackups(ctx, a.db); err != nil {
		log.Warn("remove the database snapshots of killed backups", "err", err)
	} else if len(gone) > 0 {
		log.Info("removed the database snapshots of killed backups", "folders", gone)
	}

	// Listen before any background work starts: an address that is taken
	// ends the start at once (the workers would hold it until a signal).
	srv := newServer(a, cfg, log)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	stopMetrics, err := serveMetrics(ctx, srv, cfg.metricsAddr, stdout, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopMetrics()

	if n, err := a.media.QueueMissingStills(ctx); err != nil {
		log.Warn("queue the posters of videos and documents uploaded without the tools", "err", err)
	} else if n > 0 {
		log.Info("queued the posters of videos and documents uploaded without the tools", "items", n)
	}
	go collectGarbageEvery(ctx, a, grace, time.Hour, log)
	go indexPendingSearch(ctx, a, log)
	limitMemory(cfg.render, getenv)
	a.renderer.Start(ctx)
	defer a.renderer.Wait()
	stopWebhooks := startWebhooks(ctx, a)
	defer stopWebhooks()
	redirect := cfg.blobs.redirect
	redirect.TTL = cfg.blobs.redirectTTL
	log.Info("blob store", "store", fmt.Sprint(a.blobs), "file_requests", redirect.String()) // strings: JSON logs would show the structs
	fmt.Fprintf(stdout, "Gallerist is running on http://%s (data in %s)\n", ln.Addr(), cfg.dataDir)
	err = srv.Listen(ctx, ln, shutdownGrace)
	stopWebhooks()
	a.importer.Close()
	a.renderer.Wait()
	if cerr := a.staging.Clear(); cerr != nil {
		log.Warn("clear staging files", "err", cerr)
	}
	log.Info("stopped")
	return err
}

func newServer(a *app, cfg config, log *slog.Logger) *web.Server {
	h := handlers.New(handlers.Deps{Users: a.users, Sessions: a.sessions, TrashGrace: cfg.trashGrace,
		Media: a.media, Auth: a.auth, Catalog: a.catalog, Imports: a.importer, Renditions: a.renderer, Limits: cfg.limits, PublicURL: cfg.publicURL, Now: a.now,
		Events: a.events, Webhooks: a.webhooks})
	a.handlers = h
	wc := web.Config{Log: log, Auth: a.auth, TrustedProxies: cfg.trustedProxies, Timeouts: cfg.timeouts, CORSOrigins: cfg.corsOrigins,
		Checks: readinessChecks(a), Now: a.now}
	if cfg.metricsAddr != "" {
		wc.Metrics = newMetrics(a)
	}
	return web.New(uiConfig(a, h, wc), h.Routes())
}

// uiConfig wires the admin UI into the server: assets, compression, sessions,
// CSRF, the login redirect and HTML error pages.
func uiConfig(a *app, h *handlers.Handlers, cfg web.Config) web.Config {
	cfg.Session = a.sessions.Principal
	cfg.LoginRedirect = h.LoginRedirect
	cfg.HTMLError = h.HTMLError
	maxBody := cfg.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = 1 << 20
	}
	cfg.Middleware = append(cfg.Middleware, web.StaticFiles, web.CompressPages(), a.sessions.Middleware, web.CSRF(maxBody))
	return cfg
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
		t := a.now().Add(*expires)
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

// limitMemory sets the Go runtime's soft memory limit (unless GOMEMLIMIT is
// set) to the decode budget plus headroom for the rest of the server, so
// that the garbage collector returns decoded images' memory before the heap
// grows past that, instead of letting it reach twice what is live.
func limitMemory(rc renderConfig, getenv func(string) string) {
	if getenv("GOMEMLIMIT") == "" && rc.decodeMemoryMB > 0 {
		debug.SetMemoryLimit(int64(rc.decodeMemoryMB+128) << 20)
	}
}

// logStills says at start whether video posters and PDF thumbnails are made.
func logStills(log *slog.Logger, s *storage.Stills) {
	state := func(path, tool string) string {
		if path == "" {
			return "off (" + tool + " not found on PATH)"
		}
		return "on (" + path + ")"
	}
	log.Info("previews", "video_posters", state(s.FFmpeg, "ffmpeg"), "pdf_thumbnails", state(s.Pdftoppm, "pdftoppm"))
}

// startWebhooks runs the webhook delivery worker until the returned stop is
// called (or ctx ends); stop waits for an attempt in flight to end (the
// fetcher's timeout bounds it) and may be called more than once.
func startWebhooks(ctx context.Context, a *app) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.webhooks.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
