package views

import (
	"strings"

	"gallerist/data"
)

// nameTailMax is how many characters of a name's stem (before the
// extension) stay visible at the end when the name is cut.
const nameTailMax = 10

// SplitName splits a file name for middle truncation: tail is the end that
// tells similar names apart (the last word of the stem, at most a few
// characters, plus the extension), head is the rest. A tile shows head with
// an ellipsis where it runs out of room and always the whole tail, so
// "ceramic-mug-ocean-blue-front.jpg" shows as "ceramic-mug-o…-front.jpg".
// head+tail == name.
func SplitName(name string) (head, tail string) {
	r := []rune(name)
	stem := len(r)
	if dot := strings.LastIndexByte(name, '.'); dot > 0 {
		ext := []rune(name[dot:])
		if len(ext) <= 8 && !strings.ContainsAny(string(ext), " /") {
			stem = len(r) - len(ext)
		}
	}
	if stem <= nameTailMax+2 {
		// Short stems: keep only the extension whole.
		return string(r[:stem]), string(r[stem:])
	}
	k := 6 // no separator near the end: the last few characters
	for i := stem - 3; i >= stem-nameTailMax && i > 0; i-- {
		if strings.ContainsRune("-_ .", r[i]) {
			k = stem - i
			break
		}
	}
	return string(r[:stem-k]), string(r[stem-k:])
}

// TruncateMiddle shortens name to at most max characters by cutting its
// middle, keeping the start and the distinguishing end (see SplitName):
// "ceramic-mug-ocean-blue-front.jpg", 24 → "ceramic-mug-o…-front.jpg".
func TruncateMiddle(name string, max int) string {
	r := []rune(name)
	if len(r) <= max || max < 3 {
		return name
	}
	_, tail := SplitName(name)
	t := []rune(tail)
	if len(t) > (max-1)*2/3 {
		t = t[len(t)-(max-1)*2/3:]
	}
	return string(r[:max-1-len(t)]) + "…" + string(t)
}

// NotRestoredText says which places a restore could not put items back in,
// and why, after "restored": "" when it put everything back.
func NotRestoredText(missed []data.Unrestored) string {
	if len(missed) == 0 {
		return ""
	}
	var parts []string
	for i, u := range missed {
		if i == 3 {
			parts = append(parts, Plural(len(missed)-3, "more place", "more places"))
			break
		}
		parts = append(parts, unrestoredPart(u))
	}
	list := parts[0]
	if len(parts) > 1 {
		list = strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	return ", but not back in " + list
}

func unrestoredPart(u data.Unrestored) string {
	if u.Reason == data.UnrestoredGone || u.Title == "" {
		return "a " + u.Type + " deleted since"
	}
	switch u.Role {
	case "gallery":
		if u.Reason == data.UnrestoredGalleryFull {
			return "the gallery of " + u.Title + " (it is full)"
		}
		return "the gallery of " + u.Title + " (" + u.Reason + ")"
	case "poster":
		return u.Title + " (it has another poster now)"
	case "variant_image":
		if u.Reason == data.UnrestoredNotInGallery {
			return "variant " + u.Title + " (the image is not in its product's gallery)"
		}
		return "variant " + u.Title + " (it has another image now)"
	}
	return u.Type + " " + u.Title + " (it has another image now)"
}
