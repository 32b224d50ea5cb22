package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gallerist/data"
	"gallerist/storage"
)

// openImportSource opens a folder or a zip file to import.
func openImportSource(name string, limits data.Limits) (storage.ImportSource, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return storage.OpenImportDir(name)
	}
	src, err := storage.OpenImportZip(name, filepath.Base(name), limits.MaxImportBytes, limits.MaxAnyBytes())
	return src, cliError(err)
}

// writeImportReport says what an import did (or, in a dry run, would do).
func writeImportReport(w io.Writer, r *data.ImportReport) {
	verb := func(done, would string) string {
		if r.DryRun {
			return would
		}
		return done
	}
	fmt.Fprintf(w, "%s %s into galleries: %d new, %d already in the library.\n", verb("Imported", "Would import"),
		plural(r.Attached, "file"), r.Imported, r.Reused)
	if len(r.CreatedProducts) > 0 {
		fmt.Fprintf(w, "%s %s: %s.\n", verb("Created", "Would create"), plural(len(r.CreatedProducts), "product"), strings.Join(r.CreatedProducts, ", "))
	}
	if r.AlreadyInGallery > 0 {
		fmt.Fprintf(w, "%s already in their product's gallery.\n", plural(r.AlreadyInGallery, "file was", "files were"))
	}
	if r.Duplicates > 0 {
		fmt.Fprintf(w, "%s the same content as another file of their product, left out.\n", plural(r.Duplicates, "file had", "files had"))
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "Skipped %s:\n", plural(len(r.Skipped), "file"))
		for _, s := range r.Skipped {
			fmt.Fprintf(w, "  %s: %s\n", s.Path, s.Reason)
		}
	}
	if len(r.Failed) > 0 {
		fmt.Fprintf(w, "%s:\n", plural(len(r.Failed), "file failed", "files failed"))
		for _, f := range r.Failed {
			fmt.Fprintf(w, "  %s: %s\n", f.Path, f.Reason)
		}
	}
	if r.DryRun {
		fmt.Fprintln(w, "Dry run: nothing was changed.")
	}
}

// runImport is `gallerist import`: a folder or zip of files named by product
// handle (red-mug.jpg, red-mug-2.jpg, red-mug_3.png), or listed in its
// import.csv (handle,position,file,alt), added to those products' galleries
// in order. Files already in the library are reused, not copied.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg := config{limits: data.DefaultLimits()}
	fs := newFlags("import", getenv, &cfg, append([]setting{dataSetting, importMaxSetting}, blobSettings...)...)
	orgSlug := fs.String("org", data.DefaultOrgSlug, "organization slug")
	create := fs.Bool("create-products", false, "create products named in the files that do not exist yet")
	dryRun := fs.Bool("dry-run", false, "check every file and say what would happen; change nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("import needs one folder or zip file: gallerist import [--create-products] [--dry-run] PATH")
	}
	src, err := openImportSource(fs.Arg(0), cfg.limits)
	if err != nil {
		return err
	}
	defer src.Close()
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.db.Close()
	org, err := a.orgs.FindOrgBySlug(ctx, *orgSlug)
	if err != nil {
		return cliError(err)
	}
	pctx := data.WithPrincipal(ctx, data.Principal{OrgID: org.ID, Actor: "cli:import", Role: data.RoleOwner, Scopes: data.RoleOwner.Scopes()})
	bar := newProgressLine(stderr, "import")
	start, total := time.Now(), 0
	rep, err := a.importer.Import(pctx, src, data.ImportOptions{DryRun: *dryRun, CreateProducts: *create, CreateHint: "pass --create-products to create it"},
		func(done, n int) {
			total = n
			bar.update(storage.Progress{Phase: "files", Files: int64(done), TotalFiles: int64(n), Elapsed: time.Since(start)})
		})
	if err != nil {
		return cliError(err)
	}
	bar.update(storage.Progress{Phase: "files", Files: int64(total), TotalFiles: int64(total), Elapsed: time.Since(start), Done: true})
	writeImportReport(stdout, rep)
	if len(rep.Failed) > 0 {
		return fmt.Errorf("%s failed (listed above)", plural(len(rep.Failed), "file"))
	}
	return nil
}
