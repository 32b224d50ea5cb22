package views

import "gallerist/data"

// ImportUpload is the zip import's upload form: an error from the last try, and the size limit.
type ImportUpload struct {
	Error    string
	MaxBytes int64
	Waiting  []data.ImportJob // the organization's zips waiting, newest first
}

func importWaitingState(j *data.ImportJob) string {
	switch j.State {
	case data.ImportChecking:
		return "Checking " + itoa(int64(j.Done)) + " of " + itoa(int64(j.Total)) + " files"
	case data.ImportRunning:
		return "Importing " + itoa(int64(j.Done)) + " of " + itoa(int64(j.Total)) + " files"
	}
	return "Checked, not imported"
}

// importWarnings counts the files with a warning.
func importWarnings(r *data.ImportReport) int {
	n := 0
	for _, p := range r.Products {
		for _, f := range p.Files {
			if f.Warning != "" {
				n++
			}
		}
	}
	return n
}

// importPercent is how far a job is, for its bar.
func importPercent(j *data.ImportJob) int {
	if j.Total == 0 {
		return 0
	}
	return min(100, j.Done*100/j.Total)
}

func importFileStatus(f data.ImportPlanFile, dry bool) string {
	switch f.Status {
	case data.ImportFileNew:
		if dry {
			return "New"
		}
		return "Imported"
	case data.ImportFileInLibrary:
		return "In your library"
	case data.ImportFileInGallery:
		return "In this gallery"
	case data.ImportFileDuplicate:
		return "Duplicate"
	case data.ImportFileSkipped:
		return "Skipped"
	}
	return "Failed"
}

func importFileClass(f data.ImportPlanFile) string {
	switch f.Status {
	case data.ImportFileNew:
		return "bg-green-50 text-green-800 ring-green-200"
	case data.ImportFileFailed:
		return "bg-red-50 text-red-800 ring-red-200"
	case data.ImportFileDuplicate, data.ImportFileInGallery:
		return "bg-amber-50 text-amber-900 ring-amber-200"
	}
	return "bg-gray-50 text-gray-700 ring-gray-200"
}

// importMissing counts the plan's products that do not exist yet.
func importMissing(r *data.ImportReport) int {
	n := 0
	for _, p := range r.Products {
		if !p.Exists {
			n++
		}
	}
	return n
}

func importJobURL(j *data.ImportJob, tail string) string { return "/products/import/" + j.ID + tail }
