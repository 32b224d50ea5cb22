package data

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseImportName(t *testing.T) {
	known := func(h string) bool { return h == "mug-2" }
	for _, c := range []struct {
		name   string
		handle string
		pos    int
		ok     bool
	}{
		{"red-mug.jpg", "red-mug", 1, true},
		{"red-mug-2.jpg", "red-mug", 2, true},
		{"red-mug_3.png", "red-mug", 3, true},
		{"Red-Mug-10.JPG", "red-mug", 10, true},
		{"photos/red_mug.jpg", "red-mug", 1, true},
		{"mug-2.jpg", "mug-2", 1, true}, // an existing product's handle wins
		{"mug-2-3.jpg", "mug-2", 3, true},
		{"bowl-02.jpg", "bowl-02", 1, true}, // a leading zero is part of the handle
		{"bowl-0.jpg", "bowl-0", 1, true},
		{".DS_Store", "", 0, false},
		{"IMG 1234.jpg", "", 0, false},
		{"-2.jpg", "", 0, false},
		{"café.jpg", "", 0, false},
		{strings.Repeat("a", 101) + ".jpg", "", 0, false},
	} {
		h, pos, ok := ParseImportName(c.name, known)
		if h != c.handle || pos != c.pos || ok != c.ok {
			t.Errorf("%q: %q %d %v, want %q %d %v", c.name, h, pos, ok, c.handle, c.pos, c.ok)
		}
	}
}

func TestPlanImportNames(t *testing.T) {
	files, skipped := PlanImportNames([]string{"b-3.jpg", "a.jpg", "b.png", "b-10.jpg", "a-2.jpg", "notes .txt", "b_2.jpg"}, nil)
	var got []string
	for _, f := range files {
		got = append(got, fmt.Sprintf("%s#%d=%s", f.Handle, f.Position, f.Path))
	}
	want := "a#1=a.jpg a#2=a-2.jpg b#1=b.png b#2=b_2.jpg b#3=b-3.jpg b#4=b-10.jpg"
	if strings.Join(got, " ") != want || len(skipped) != 1 || skipped[0] != "notes .txt" {
		t.Errorf("plan %v skipped %v, want %s", got, skipped, want)
	}
}

func TestParseImportCSV(t *testing.T) {
	files, err := ParseImportCSV(strings.NewReader("\ufeffFile,Handle,Position,Alt\nmugs/blue.jpg,blue-mug,2,Blue mug from the side\nmugs/blue-front.jpg,blue-mug,1,\"Blue mug, front\"\n\nbowl.png,bowl,,\n"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, fmt.Sprintf("%s#%d=%s|%s@%d", f.Handle, f.Position, f.Path, f.Alt, f.Line))
	}
	want := "blue-mug#1=mugs/blue-front.jpg|Blue mug, front@3 blue-mug#2=mugs/blue.jpg|Blue mug from the side@2 bowl#1=bowl.png|@5"
	if strings.Join(got, " ") != want {
		t.Errorf("got %v\nwant %s", got, want)
	}
	for _, bad := range []struct{ csv, want string }{
		{"", "line 1"},
		{"handle,position\nmug,1\n", `no "file" column`},
		{"handle,file,size\nmug,a.jpg,3\n", `unknown column "size"`},
		{"handle,file,file\nmug,a.jpg,b.jpg\n", "appears twice"},
		{"handle,file\nRed Mug,a.jpg\n", "line 2"},
		{"handle,file\nmug,../secret.jpg\n", "inside the import folder"},
		{"handle,file\nmug,/etc/passwd\n", "inside the import folder"},
		{"handle,file,position\nmug,a.jpg,first\n", "line 2: position"},
		{"handle,file,alt\nmug,a.jpg,\"" + strings.Repeat("x", 1001) + "\"\n", "line 2: Alt text"},
		{"handle,file\nmug,\"a.jpg\n", "line 2"},
	} {
		if _, err := ParseImportCSV(strings.NewReader(bad.csv)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%.40q: %v, want an error with %q", bad.csv, err, bad.want)
		}
	}
}

// FuzzImportPlan: any names and any CSV give a plan or an error, never a
// panic; every planned file has a valid handle and positions 1..n per product.
func FuzzImportPlan(f *testing.F) {
	f.Add("red-mug.jpg\nred-mug-2.jpg\nbowl_3.png", "handle,position,file,alt\nmug,1,a.jpg,A mug\n")
	f.Add(".hidden\n-1.jpg\nA_B-C-0007.PNG", "file,handle\nx/y.jpg,x\n\"a,b\",c")
	f.Fuzz(func(t *testing.T, names, csvText string) {
		files, _ := PlanImportNames(strings.Split(names, "\n"), func(h string) bool { return len(h)%3 == 0 })
		check := func(files []ImportFile) {
			next := map[string]int{}
			for _, f := range files {
				if _, err := ValidateHandle(f.Handle); err != nil {
					t.Fatalf("planned handle %q: %v", f.Handle, err)
				}
				next[f.Handle]++
				if f.Position != next[f.Handle] {
					t.Fatalf("%s: position %d, want %d", f.Handle, f.Position, next[f.Handle])
				}
			}
		}
		check(files)
		if files, err := ParseImportCSV(strings.NewReader(csvText)); err == nil {
			check(files)
			for _, f := range files {
				if strings.HasPrefix(f.Path, "/") || strings.Contains("/"+f.Path+"/", "/../") {
					t.Fatalf("a path outside the folder: %q", f.Path)
				}
			}
		}
	})
}

func TestIsMediaFileName(t *testing.T) {
	for name, want := range map[string]bool{"a.jpg": true, "a.JPEG": true, "b.png": true, "c.webp": true, "d.pdf": true,
		"e.mov": true, "f.mp3": true, "g.docx": true, "notes.txt": false, "prices.csv": false, "noext": false, "x.jpg.exe": false} {
		if IsMediaFileName(name) != want {
			t.Errorf("%s: %v, want %v", name, !want, want)
		}
	}
}
