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
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"gallerist/data"
	"gallerist/handlers"
	"gallerist/storage"
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
  gallerist help | --help

Every command takes --data DIR (env GALLERIST_DATA, default ./gallerist_data),
creates it if needed, runs migrations and makes sure an organization exists.

serve flags (each also as an environment variable):
  --addr ADDR              listen address (GALLERIST_ADDR, default 127.0.0.1:8080)
  --public-url URL         absolute base of file URLs (GALLERIST_PUBLIC_URL)
  --max-image-mb N         image size limit (GALLERIST_MAX_IMAGE_MB, default 25)
  --max-document-mb N      document size limit (GALLERIST_MAX_DOCUMENT_MB, default 20)
  --max-video-mb N         video size limit (GALLERIST_MAX_VIDEO_MB, default 100)
  --max-audio-mb N         audio size limit (GALLERIST_MAX_AUDIO_MB, default 50)

Token scopes: media:read, media:create, media:update, media:delete, products:read, products:write.
`

// config is everything a command needs, from flags and the environment.
type config struct {
	dataDir   string
	addr      string
	publicURL string
	limits    data.Limits
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
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") && (cmd == "org" || cmd == "token") {
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
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w\n\n%s", err, usage)
	}
	if err := applyLimits(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.db.Close()
	a.db.Log = log

	srv := newServer(a, cfg, log)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Gallerist is running on http://%s (data in %s)\n", ln.Addr(), cfg.dataDir)
	err = srv.Listen(ctx, ln, 30*time.Second)
	log.Info("stopped")
	return err
}

func newServer(a *app, cfg config, log *slog.Logger) *web.Server {
	h := handlers.New(handlers.Deps{Media: a.media, Auth: a.auth, Limits: cfg.limits, PublicURL: cfg.publicURL})
	return web.New(web.Config{Log: log, Auth: a.auth}, h.Routes())
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
