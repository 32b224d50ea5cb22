package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"gallerist/data"
)

// A running import shows its counts and bar, polls with htmx, and refreshes
// itself without JavaScript; a finished one stops polling.
func TestImportJobPanelProgress(t *testing.T) {
	render := func(j *data.ImportJob) string {
		var b bytes.Buffer
		if err := ImportJobPanel(&Page{}, j).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	running := render(&data.ImportJob{ID: "abc", State: data.ImportRunning, Done: 12, Total: 50})
	for _, s := range []string{"Importing 12 of 50 files", `aria-valuenow="12"`, `aria-valuemax="50"`, "width: 24%",
		`hx-get="/products/import/abc"`, `hx-trigger="every 1s"`, `http-equiv="refresh"`} {
		if !strings.Contains(running, s) {
			t.Errorf("the running panel lacks %q:\n%s", s, running)
		}
	}
	done := render(&data.ImportJob{ID: "abc", State: data.ImportDone, Report: &data.ImportReport{Attached: 3, Imported: 3}})
	if strings.Contains(done, "hx-trigger") || !strings.Contains(done, "Import finished") {
		t.Errorf("the finished panel:\n%s", done)
	}
}
