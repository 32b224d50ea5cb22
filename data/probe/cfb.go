package probe

import (
	"encoding/binary"
	"strings"
	"unicode/utf16"
)

// cfbMagic starts an OLE Compound File Binary (legacy Office formats).
const cfbMagic = "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

// Special sector numbers.
const (
	cfbMaxRegSect = 0xfffffffa
	cfbEndOfChain = 0xfffffffe
	cfbNoStream   = 0xffffffff
)

// cfbMaxDir caps the directory read into memory (8192 entries; real Word
// and Excel files have a few dozen).
const cfbMaxDir = 1 << 20

// cfb reads the sector structure of a compound file.
type cfb struct {
	src      *source
	shift    uint
	secSize  int64
	maxSect  uint32   // sectors that can exist in a file of this size, plus one
	difat    []uint32 // sector numbers of the FAT sectors
	fatSect  uint32   // sector number cached in fat
	fat      []byte
	major    uint16
	cutoff   uint64
	rootSize uint64
	rootSect uint32
}

// cfbEntry is a directory entry.
type cfbEntry struct {
	name  string
	typ   byte // 1 storage, 2 stream, 5 root
	start uint32
	size  uint64
	clsid []byte
}

func (c *cfb) offset(s uint32) (int64, error) {
	if s > cfbMaxRegSect {
		return 0, c.src.corrupt("broken sector chain")
	}
	off := (int64(s) + 1) << c.shift
	if off >= c.src.size {
		return 0, c.src.truncated()
	}
	return off, nil
}

// sector reads a whole sector (the last one of the file may be short).
func (c *cfb) sector(s uint32) ([]byte, error) {
	off, err := c.offset(s)
	if err != nil {
		return nil, err
	}
	return c.src.at(off, int(min(c.secSize, c.src.size-off)))
}

// next follows the FAT from sector s.
func (c *cfb) next(s uint32) (uint32, error) {
	per := uint32(c.secSize / 4)
	idx := s / per
	if int64(idx) >= int64(len(c.difat)) {
		return 0, c.src.corrupt("sector outside the allocation table")
	}
	fs := c.difat[idx]
	if c.fat == nil || c.fatSect != fs {
		b, err := c.sector(fs)
		if err != nil {
			return 0, err
		}
		if int64(len(b)) < c.secSize {
			return 0, c.src.truncated()
		}
		c.fat, c.fatSect = b, fs
	}
	return binary.LittleEndian.Uint32(c.fat[(s%per)*4:]), nil
}

// walk follows a chain for need sectors and returns the sector that holds
// byte offset at (relative to the chain start), checking that every sector
// lies inside the file.
func (c *cfb) walk(start uint32, need uint64, at uint64) (uint32, error) {
	if need > uint64(c.maxSect) {
		return 0, c.src.truncated()
	}
	s, atSect := start, uint32(cfbEndOfChain)
	for i := uint64(0); i < need; i++ {
		if _, err := c.offset(s); err != nil {
			return 0, err
		}
		if i == at/uint64(c.secSize) {
			atSect = s
		}
		if i+1 == need {
			break
		}
		var err error
		if s, err = c.next(s); err != nil {
			return 0, err
		}
	}
	return atSect, nil
}

// inspectCFB reads the compound file's directory and decides between Word
// (a root-level "WordDocument" stream) and Excel ("Workbook" or "Book"),
// checking that the main stream starts with the right record and lies
// within the file. Anything else is rejected with a descriptive Type.
func inspectCFB(src *source, _ []byte, info *Info) error {
	h, err := src.at(0, 512)
	if err != nil {
		return err
	}
	c := &cfb{src: src, major: binary.LittleEndian.Uint16(h[0x1a:])}
	if binary.LittleEndian.Uint16(h[0x1c:]) != 0xfffe {
		return src.corrupt("invalid byte order mark")
	}
	switch shift := binary.LittleEndian.Uint16(h[0x1e:]); shift {
	case 9, 12:
		c.shift = uint(shift)
	default:
		return src.corrupt("invalid sector size")
	}
	c.secSize = 1 << c.shift
	c.maxSect = uint32(min(src.size>>c.shift+1, cfbMaxRegSect))
	numFAT := binary.LittleEndian.Uint32(h[0x2c:])
	firstDir := binary.LittleEndian.Uint32(h[0x30:])
	c.cutoff = uint64(binary.LittleEndian.Uint32(h[0x38:]))
	firstDIFAT := binary.LittleEndian.Uint32(h[0x44:])
	numDIFAT := binary.LittleEndian.Uint32(h[0x48:])
	if numFAT == 0 || numFAT > c.maxSect {
		return src.corrupt("invalid allocation table size")
	}
	c.difat = make([]uint32, 0, min(numFAT, 4096))
	for i := 0; i < 109 && uint32(len(c.difat)) < numFAT; i++ {
		c.difat = append(c.difat, binary.LittleEndian.Uint32(h[0x4c+4*i:]))
	}
	per := int(c.secSize/4) - 1
	for d, steps := firstDIFAT, uint32(0); uint32(len(c.difat)) < numFAT; steps++ {
		if steps >= numDIFAT || steps > c.maxSect {
			return src.corrupt("broken allocation table")
		}
		b, err := c.sector(d)
		if err != nil {
			return err
		}
		if int64(len(b)) < c.secSize {
			return src.truncated()
		}
		for i := 0; i < per && uint32(len(c.difat)) < numFAT; i++ {
			c.difat = append(c.difat, binary.LittleEndian.Uint32(b[4*i:]))
		}
		d = binary.LittleEndian.Uint32(b[4*per:])
	}

	// Read the directory.
	var dir []byte
	for s, steps := firstDir, uint32(0); s != cfbEndOfChain; steps++ {
		if steps > c.maxSect {
			return src.corrupt("looping directory chain")
		}
		if int64(len(dir))+c.secSize > cfbMaxDir {
			return &Error{Reason: "the Office file has too many directory entries"}
		}
		b, err := c.sector(s)
		if err != nil {
			return err
		}
		dir = append(dir, b...)
		if s, err = c.next(s); err != nil {
			return err
		}
	}
	entries := len(dir) / 128
	if entries == 0 {
		return src.corrupt("empty directory")
	}
	entry := func(i int) cfbEntry {
		e := dir[i*128 : (i+1)*128]
		var name string
		if n := int(binary.LittleEndian.Uint16(e[64:])); n >= 2 && n <= 64 && n%2 == 0 {
			u := make([]uint16, n/2-1)
			for k := range u {
				u[k] = binary.LittleEndian.Uint16(e[2*k:])
			}
			name = string(utf16.Decode(u))
		}
		size := binary.LittleEndian.Uint64(e[120:])
		if c.major == 3 {
			size &= 0xffffffff
		}
		return cfbEntry{name: name, typ: e[66], start: binary.LittleEndian.Uint32(e[116:]), size: size, clsid: e[80:96]}
	}
	root := entry(0)
	if root.typ != 5 {
		return src.corrupt("no root entry")
	}
	c.rootSect, c.rootSize = root.start, root.size

	// Collect the root storage's children by walking its red-black tree.
	var children []cfbEntry
	visited := make([]bool, entries)
	stack := []uint32{binary.LittleEndian.Uint32(dir[76:])}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id == cfbNoStream {
			continue
		}
		if id == 0 || int64(id) >= int64(entries) || visited[id] {
			return src.corrupt("invalid directory tree")
		}
		visited[id] = true
		children = append(children, entry(int(id)))
		e := dir[int(id)*128:]
		stack = append(stack, binary.LittleEndian.Uint32(e[68:]), binary.LittleEndian.Uint32(e[72:]))
	}
	find := func(typ byte, names ...string) *cfbEntry {
		for i := range children {
			for _, n := range names {
				if children[i].typ == typ && strings.EqualFold(children[i].name, n) {
					return &children[i]
				}
			}
		}
		return nil
	}

	if e := find(2, "WordDocument"); e != nil {
		info.Type = typeDOC
		src.what = "Word document"
		return c.checkStream(e, 0xa5ec, 0xa5dc)
	}
	if e := find(2, "Workbook", "Book"); e != nil {
		info.Type = typeXLS
		src.what = "Excel spreadsheet"
		return c.checkStream(e, 0x0809, 0x0809)
	}
	t := reject("application/x-ole-storage", "Office file that is not a Word or Excel document")
	switch {
	case find(2, "PowerPoint Document") != nil:
		t = reject("application/vnd.ms-powerpoint", "PowerPoint presentation")
	case find(2, "EncryptedPackage") != nil:
		t = reject("application/x-ole-storage", "password-protected Office document")
	case find(2, "VisioDocument") != nil:
		t = reject("application/vnd.visio", "Visio drawing")
	case find(1, "Quill") != nil:
		t = reject("application/x-mspublisher", "Publisher document")
	case isMSIClass(root.clsid):
		t = reject("application/x-msi", "Windows Installer package")
	default:
		for _, ch := range children {
			if strings.HasPrefix(ch.name, "__substg1.0_") || strings.HasPrefix(ch.name, "__nameid_version1.0") {
				t = reject("application/vnd.ms-outlook", "Outlook message")
				break
			}
		}
	}
	info.Type = t
	return notAccepted(t, "only Word and Excel documents are accepted")
}

// checkStream checks that the main stream lies within the file and starts
// with one of the expected 16-bit identifiers (the Word FIB's wIdent, the
// Excel BOF record type).
func (c *cfb) checkStream(e *cfbEntry, id1, id2 uint16) error {
	if e.size < 16 || e.size > uint64(c.src.size) {
		return c.src.corrupt("invalid main stream size")
	}
	var first []byte
	if e.size < c.cutoff {
		// Stored in the mini stream, which is the root entry's chain.
		mini := uint64(e.start) * 64
		if e.start > cfbMaxRegSect || mini+e.size > c.rootSize || c.rootSize > uint64(c.src.size) {
			return c.src.corrupt("invalid mini stream")
		}
		need := (c.rootSize + uint64(c.secSize) - 1) / uint64(c.secSize)
		s, err := c.walk(c.rootSect, need, mini)
		if err != nil {
			return err
		}
		off, err := c.offset(s)
		if err != nil {
			return err
		}
		if first, err = c.src.at(off+int64(mini%uint64(c.secSize)), 2); err != nil {
			return err
		}
	} else {
		need := (e.size + uint64(c.secSize) - 1) / uint64(c.secSize)
		if _, err := c.walk(e.start, need, 0); err != nil {
			return err
		}
		off, err := c.offset(e.start)
		if err != nil {
			return err
		}
		if first, err = c.src.at(off, 2); err != nil {
			return err
		}
	}
	if v := binary.LittleEndian.Uint16(first); v != id1 && v != id2 {
		return c.src.corrupt("the main stream has an unexpected header")
	}
	return nil
}

// isMSIClass recognises the class IDs of Windows Installer databases,
// patches and transforms ({000C108x-0000-0000-C000-000000000046}).
func isMSIClass(id []byte) bool {
	return len(id) == 16 && (id[0] == 0x84 || id[0] == 0x86 || id[0] == 0x82) &&
		string(id[1:]) == "\x10\x0c\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"
}

// notAccepted is the error for a refined type that is rejected.
func notAccepted(t Type, why string) *Error {
	return errorf("the file is %s %s; %s", article(t.Label), t.Label, why)
}

func article(label string) string {
	if label != "" && strings.ContainsRune("aeiouAEIOU", rune(label[0])) {
		return "an"
	}
	return "a"
}
