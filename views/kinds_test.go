package views

import (
	"encoding/json"
	"strings"
	"testing"

	"gallerist/data"
)

// Issue 13, item 4: the tabs, accept= and app.js's kinds come from data.KindTable.
func TestKindsFromTable(t *testing.T) {
	if len(kindTabs) != len(data.KindTable)+1 || kindTabs[0].label != "All" || kindTabs[4] != (kindTab{"document", "Documents"}) {
		t.Errorf("kindTabs = %v", kindTabs)
	}
	if !strings.HasPrefix(acceptAttr, "image/*,video/*,audio/*,.pdf,.doc,.docx,.xls,.xlsx") {
		t.Errorf("accept = %q", acceptAttr)
	}
	lim := data.DefaultLimits()
	lim.KindBytes[data.KindVideo] = 7
	var got []uploadKind
	if err := json.Unmarshal([]byte(uploadKindsJSON(lim)), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(data.KindTable) || got[1].Kind != data.KindVideo || got[1].Max != 7 || got[1].Plural != "videos" ||
		got[3].Types[0] != "application/pdf" || got[0].Accept[0] != "image/*" {
		t.Errorf("data-upload-kinds = %+v", got)
	}
	if KindLabel(data.KindAudio) != "Audio" || kindIcon(data.KindImage) != "photo" || kindIcon("hologram") != "photo" {
		t.Error("labels or icons are not the table's")
	}
}
