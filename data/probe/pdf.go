package probe

import "bytes"

// inspectPDF checks the header version and that the file ends with an
// end-of-file marker within its last 1024 bytes, as PDF readers require.
func inspectPDF(src *source, head []byte, _ *Info) error {
	if len(head) < 8 || head[5] < '1' || head[5] > '9' || head[6] != '.' || head[7] < '0' || head[7] > '9' {
		return src.corrupt("invalid version in the header")
	}
	n := min(src.size, 1024)
	tail, err := src.at(src.size-n, int(n))
	if err != nil {
		return err
	}
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return &Error{Reason: "the PDF file is truncated (no end-of-file marker)"}
	}
	return nil
}
