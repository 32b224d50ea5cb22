package data

import (
	"slices"
	"strings"
	"testing"
)

func TestHandleFromTitle(t *testing.T) {
	for in, want := range map[string]string{
		"Red Mug, 12 oz":         "red-mug-12-oz",
		"  Café crème  ":         "cafe-creme",
		"Straße & Co.":           "strasse-co",
		"!!!":                    "item",
		"日本語":                    "item",
		"--a--b--":               "a-b",
		strings.Repeat("x", 300): strings.Repeat("x", MaxHandleBytes-8),
	} {
		got := HandleFromTitle(in)
		if got != want {
			t.Errorf("HandleFromTitle(%q) = %q, want %q", in, got, want)
		}
		if _, err := ValidateHandle(got); err != nil {
			t.Errorf("HandleFromTitle(%q) = %q is not a valid handle: %v", in, got, err)
		}
	}
}

func TestValidateHandle(t *testing.T) {
	for _, ok := range []string{"a", "red-mug", "x1-2-3"} {
		if _, err := ValidateHandle(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Red", "a--b", "-a", "a-", "a b", "a_b", strings.Repeat("a", MaxHandleBytes+1)} {
		if _, err := ValidateHandle(bad); ErrorCode(err) != ECInvalidField {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestOrderFromPositions(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		ids, err := OrderFromPositions([]ImagePosition{{ID: 7, Position: 2}, {ID: 9, Position: 3}, {ID: 4, Position: 1}})
		if err != nil || !slices.Equal(ids, []int64{4, 7, 9}) {
			t.Fatalf("%v %v", ids, err)
		}
	})
	for name, ps := range map[string][]ImagePosition{
		"ErrPositionTwice":  {{ID: 1, Position: 1}, {ID: 2, Position: 1}},
		"ErrPositionZero":   {{ID: 1, Position: 0}},
		"ErrPositionPastN":  {{ID: 1, Position: 1}, {ID: 2, Position: 3}},
		"ErrNegativeOffset": {{ID: 1, Position: -1}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := OrderFromPositions(ps); ErrorCode(err) != ECInvalidField {
				t.Fatalf("%v", err)
			}
		})
	}
}

func TestValidateOptions(t *testing.T) {
	got, err := ValidateOptions(map[string]string{" Color ": " Red "})
	if err != nil || got["Color"] != "Red" {
		t.Fatalf("%v %v", got, err)
	}
	many := map[string]string{}
	for i := 0; i <= MaxVariantOptions; i++ {
		many[strings.Repeat("k", i+1)] = "v"
	}
	for _, bad := range []map[string]string{{"": "x"}, {"a": ""}, {"a": "x\ny"}, many} {
		if _, err := ValidateOptions(bad); ErrorCode(err) != ECInvalidField {
			t.Errorf("%v accepted", bad)
		}
	}
}
