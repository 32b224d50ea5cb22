package views

import "strings"

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
