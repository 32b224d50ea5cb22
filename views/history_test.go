package views

import (
	"testing"

	"gallerist/data"
)

func TestDescribeEventPoster(t *testing.T) {
	for payload, want := range map[string]string{
		`{"poster_id":7,"poster_filename":"cover.jpg"}`:                          "Poster set to cover.jpg",
		`{"poster_id":null}`:                                                     "Chosen poster removed",
		`{"poster_id":null,"poster_filename":"cover.jpg","poster_trashed":true}`: "Poster cover.jpg moved to the trash",
		`{"poster_id":7,"poster_filename":"cover.jpg","poster_restored":true}`:   "Poster cover.jpg restored",
		`{"poster_id":null,"poster_filename":"cover.jpg","poster_purged":true}`:  "Poster cover.jpg deleted for good",
		`{"poster_id":7}`:                    "Poster chosen",
		`{"alt":"Red mug","poster_id":null}`: "Alt text set to “Red mug”; Chosen poster removed",
		`{}`:                                 "Details changed",
	} {
		if got := DescribeEvent(&data.Event{Type: data.EventMediaUpdated, Payload: []byte(payload)}); got != want {
			t.Errorf("%s: %q, want %q", payload, got, want)
		}
	}
}
